"""One model for every file the portal keeps, stored by content (SHA-256)."""

from __future__ import annotations

from django.db import models


class StoredFile(models.Model):
    sha256 = models.CharField("empreinte SHA-256", max_length=64, unique=True)
    size = models.BigIntegerField("taille (octets)")
    media_type = models.CharField(
        "type de média", max_length=100, default="application/octet-stream"
    )
    storage_name = models.CharField("nom de stockage", max_length=200, unique=True)
    created_at = models.DateTimeField("reçu le", auto_now_add=True)

    class Meta:
        verbose_name = "fichier stocké"
        verbose_name_plural = "fichiers stockés"

    def __str__(self) -> str:
        return f"{self.sha256[:12]}… ({self.size} octets)"
