"""Users log in with their e-mail address."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: object) -> User:
        if not email:
            raise ValueError("L'adresse électronique est obligatoire.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("is_national_admin", True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username or "")


class User(AbstractUser):
    username = None  # type: ignore[assignment]
    email = models.EmailField("adresse électronique", unique=True)
    poste = models.ForeignKey(
        "core.PosteComptable",
        verbose_name="agent du poste comptable",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agents",
    )
    juridiction = models.ForeignKey(
        "core.Juridiction",
        verbose_name="membre de la juridiction",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="membres",
    )
    is_national_admin = models.BooleanField("administrateur national", default=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]  # stubs want auth's UserManager

    if TYPE_CHECKING:

        def is_verified(self) -> bool:
            """Set on each request's user by django-otp's middleware."""
            ...

    class Meta:
        verbose_name = "utilisateur"
        verbose_name_plural = "utilisateurs"
        ordering = ["last_name", "first_name", "email"]

    def __str__(self) -> str:
        full = self.get_full_name()
        return f"{full} <{self.email}>" if full else self.email

    @property
    def is_comptable(self) -> bool:
        return self.poste_id is not None

    @property
    def is_juge(self) -> bool:
        return self.juridiction_id is not None

    @property
    def requires_second_factor(self) -> bool:
        """ANSSI: privileged accounts (comptables, national administrators) need a second factor."""
        return self.is_comptable or self.is_national_admin or self.is_superuser
