"""Bordereau-wide decisions run in the background (large bordereaux)."""

from __future__ import annotations

from django.db import models


class ActionBordereau(models.TextChoices):
    """The workbench's decisions (same slugs as `pigp.helios.workbench.ACTIONS`)."""

    PRENDRE_EN_CHARGE = "prendre-en-charge", "Prise en charge"
    REJETER = "rejeter", "Rejet"
    METTRE_EN_INSTANCE = "mettre-en-instance", "Mise en instance"


class StatutActionGroupee(models.TextChoices):
    EN_ATTENTE = "en_attente", "En attente"
    EN_COURS = "en_cours", "En cours"
    TERMINEE = "terminee", "Terminée"
    ECHEC = "echec", "Interrompue par une erreur"


OPEN_STATUTS = (StatutActionGroupee.EN_ATTENTE, StatutActionGroupee.EN_COURS)


class ActionGroupee(models.Model):
    """One decision on every pièce of a bordereau, applied by a task in batches.

    `curseur` is the last pièce handled: each batch commits its transitions together with
    the new cursor and counts, so a task run again after a crash resumes where the last
    committed batch ended and never decides a pièce twice. `jeton` and `bail_jusqua` are the
    claim of the run that works on it (another run may take over once the lease is past).
    """

    bordereau = models.ForeignKey(
        "helios.Bordereau", on_delete=models.PROTECT, related_name="actions_groupees"
    )
    action = models.CharField("action", max_length=20, choices=ActionBordereau.choices)
    motif_code = models.CharField("motifs (ObsEtat)", max_length=100, blank=True)
    commentaire = models.TextField("commentaire", blank=True)
    demandee_par = models.CharField("demandée par", max_length=254)
    statut = models.CharField(
        "statut",
        max_length=12,
        choices=StatutActionGroupee.choices,
        default=StatutActionGroupee.EN_ATTENTE,
    )
    n_pieces = models.PositiveIntegerField("pièces du bordereau")
    n_traitees = models.PositiveIntegerField("pièces traitées", default=0)
    n_changees = models.PositiveIntegerField("pièces changées d'état", default=0)
    refus = models.JSONField("pièces écartées (raisons)", default=list, blank=True)
    n_deja_decidees = models.PositiveIntegerField(
        "pièces déjà décidées, laissées telles quelles", default=0
    )
    deja_decidees = models.JSONField(
        "pièces déjà décidées (les premières)", default=list, blank=True
    )
    erreur = models.TextField("erreur", blank=True)
    curseur = models.BigIntegerField("dernière pièce traitée", default=0)
    jeton = models.CharField(max_length=32, blank=True)
    bail_jusqua = models.DateTimeField(null=True, blank=True)
    cree_le = models.DateTimeField("demandée le", auto_now_add=True)
    debut_le = models.DateTimeField("commencée le", null=True, blank=True)
    fin_le = models.DateTimeField("terminée le", null=True, blank=True)

    class Meta:
        verbose_name = "action groupée sur un bordereau"
        verbose_name_plural = "actions groupées sur un bordereau"
        ordering = ["-cree_le", "-id"]
        constraints = [
            # At most one bulk action waiting or running per bordereau.
            models.UniqueConstraint(
                fields=["bordereau"],
                condition=models.Q(statut__in=OPEN_STATUTS),
                name="action_groupee_une_ouverte_par_bordereau",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} du bordereau {self.bordereau_id} ({self.statut})"

    @property
    def is_open(self) -> bool:
        return self.statut in OPEN_STATUTS

    @property
    def n_refusees(self) -> int:
        return self.n_traitees - self.n_changees - self.n_deja_decidees

    @property
    def n_restantes(self) -> int:
        return max(self.n_pieces - self.n_traitees, 0)
