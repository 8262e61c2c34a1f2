"""The journal: append-only, hash-chained record of who did what.

Each entry stores the SHA-256 of its own content and of the previous entry's hash, so any
later change to a row, or a removed row, breaks the chain at that point.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import models


class JournalImmutableError(Exception):
    """Raised when code tries to change or delete a journal entry."""


class JournalQuerySet(models.QuerySet["JournalEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise JournalImmutableError("Le journal est en ajout seul : une entrée ne se modifie pas.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise JournalImmutableError("Le journal est en ajout seul : une entrée ne se supprime pas.")


GENESIS_HASH = "0" * 64


class JournalEntry(models.Model):
    timestamp = models.DateTimeField("date", db_index=True)
    actor_id = models.BigIntegerField("identifiant de l'acteur", null=True, blank=True)
    actor_label = models.CharField("acteur", max_length=254, blank=True)
    action = models.CharField("action", max_length=64, db_index=True)
    object_type = models.CharField("type d'objet", max_length=64, blank=True)
    object_id = models.CharField("identifiant de l'objet", max_length=64, blank=True)
    object_repr = models.CharField("objet", max_length=300, blank=True)
    collectivite_id = models.BigIntegerField("collectivité", null=True, blank=True, db_index=True)
    ip = models.GenericIPAddressField("adresse IP", null=True, blank=True)
    details = models.JSONField("détails", default=dict, blank=True)
    previous_hash = models.CharField("empreinte précédente", max_length=64)
    entry_hash = models.CharField("empreinte", max_length=64, unique=True)

    objects = JournalQuerySet.as_manager()

    class Meta:
        verbose_name = "entrée du journal"
        verbose_name_plural = "journal"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.timestamp:%Y-%m-%d %H:%M:%S} {self.action} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None or not self._state.adding:
            raise JournalImmutableError(
                "Le journal est en ajout seul : une entrée ne se modifie pas."
            )
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise JournalImmutableError("Le journal est en ajout seul : une entrée ne se supprime pas.")

    def content(self) -> dict[str, Any]:
        """The fields the hash covers, in a stable form."""
        return {
            "timestamp": self.timestamp.isoformat(timespec="microseconds"),
            "actor_id": self.actor_id,
            "actor_label": self.actor_label,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "object_repr": self.object_repr,
            "collectivite_id": self.collectivite_id,
            "ip": self.ip,
            "details": self.details,
        }

    def compute_hash(self) -> str:
        payload = json.dumps(self.content(), sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256((self.previous_hash + payload).encode("utf-8")).hexdigest()


class JournalHead(models.Model):
    """One row holding the last hash; locking it serialises writers of the chain."""

    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    count = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "tête du journal"

    def __str__(self) -> str:
        return f"{self.count} entrées, dernière empreinte {self.last_hash[:12]}…"
