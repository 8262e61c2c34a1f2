"""Service accounts (software acting for a collectivité), their API tokens and SSH keys."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ServiceAccount(models.Model):
    """An unattended client (finance software, transmission operator) scoped to collectivités."""

    name = models.CharField("nom", max_length=120)
    collectivites = models.ManyToManyField(
        "core.Collectivite", related_name="service_accounts", verbose_name="collectivités"
    )
    applications = models.JSONField("applications", default=list)
    can_write = models.BooleanField("peut déposer", default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="créé par",
    )
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    revoked_at = models.DateTimeField("révoqué le", null=True, blank=True)

    class Meta:
        verbose_name = "compte de service"
        verbose_name_plural = "comptes de service"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    # Duck-typing with User for code that journals or checks authentication.
    is_authenticated = True
    email = property(lambda self: f"compte-service:{self.pk}:{self.name}")


class ApiToken(models.Model):
    account = models.ForeignKey(ServiceAccount, on_delete=models.CASCADE, related_name="tokens")
    prefix = models.CharField("préfixe", max_length=12, unique=True)
    token_hash = models.CharField("empreinte", max_length=64, unique=True)
    label = models.CharField("libellé", max_length=120, blank=True)
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    last_used_at = models.DateTimeField("dernière utilisation", null=True, blank=True)
    revoked_at = models.DateTimeField("révoqué le", null=True, blank=True)

    class Meta:
        verbose_name = "jeton d'API"
        verbose_name_plural = "jetons d'API"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.account})"


class SshKey(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="ssh_keys",
    )
    account = models.ForeignKey(
        ServiceAccount, on_delete=models.CASCADE, null=True, blank=True, related_name="ssh_keys"
    )
    public_key = models.TextField("clé publique")
    fingerprint = models.CharField("empreinte", max_length=100, unique=True)
    label = models.CharField("libellé", max_length=120, blank=True)
    created_at = models.DateTimeField("ajoutée le", auto_now_add=True)

    class Meta:
        verbose_name = "clé SSH"
        verbose_name_plural = "clés SSH"
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(user__isnull=False, account__isnull=True)
                    | models.Q(user__isnull=True, account__isnull=False)
                ),
                name="sshkey_un_seul_titulaire",
            )
        ]

    def __str__(self) -> str:
        return self.fingerprint
