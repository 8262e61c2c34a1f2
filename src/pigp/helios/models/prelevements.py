"""The titres of a direct-debit run, from the pain.008 until settlement."""

from __future__ import annotations

from decimal import Decimal

from django.db import models


class Prelevement(models.Model):
    """One titre collected by a direct-debit run (one transaction of its pain.008).

    Kept apart from `Encaissement`: the money is only recorded when the run is marked settled,
    but the titre must not be debited twice meanwhile.
    """

    run = models.ForeignKey(
        "helios.PrelevementRun", on_delete=models.CASCADE, related_name="prelevements"
    )
    piece = models.ForeignKey("helios.Piece", on_delete=models.PROTECT, related_name="+")
    montant = models.DecimalField("montant", max_digits=16, decimal_places=2, default=Decimal(0))
    reference = models.CharField("référence (EndToEndId)", max_length=35, unique=True)
    sequence = models.CharField("séquence", max_length=4)

    class Meta:
        verbose_name = "prélèvement"
        ordering = ["run_id", "id"]

    def __str__(self) -> str:
        return f"{self.reference} ({self.montant} €)"
