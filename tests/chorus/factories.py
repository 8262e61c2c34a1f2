"""Build chorus objects quickly, as a deposit would leave them."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pigp.chorus.models import Facture, Fournisseur
    from pigp.core.models import Collectivite, User

_counter = iter(range(1, 1_000_000))


def make_fournisseur(
    siret: str = "73282932000074", raison_sociale: str = "Fournitures du Lauragais", **extra: Any
) -> Fournisseur:
    from pigp.chorus.models import Fournisseur

    extra.setdefault("email", "factures@lauragais.example.fr")
    return Fournisseur.objects.create(siret=siret, raison_sociale=raison_sociale, **extra)


def make_compte(user: User, fournisseur: Fournisseur, *, confirme: bool = True) -> Any:
    from pigp.chorus.models import CompteFournisseur

    return CompteFournisseur.objects.create(user=user, fournisseur=fournisseur, confirme=confirme)


def make_facture(
    collectivite: Collectivite | None,
    fournisseur: Fournisseur,
    *,
    statut: str = "03",
    numero: str | None = None,
    ttc: str = "120.00",
    received_days_ago: int = 0,
    **extra: Any,
) -> Facture:
    """An invoice at `statut` (set directly, one history event), its original a small XML."""
    from django.utils import timezone

    from pigp.chorus.models import Facture, FactureEvent
    from pigp.core import files

    n = next(_counter)
    numero = numero or f"F-{n:05d}"
    total = Decimal(ttc)
    ht = (total / Decimal("1.2")).quantize(Decimal("0.01"))
    received = timezone.now() - datetime.timedelta(days=received_days_ago)
    values: dict[str, Any] = {
        "collectivite": collectivite,
        "fournisseur": fournisseur,
        "numero": numero,
        "date_emission": timezone.localdate(received),
        "date_reception": received,
        "statut_le": received,
        "montant_ht": ht,
        "montant_tva": total - ht,
        "montant_ttc": total,
        "montant_a_payer": total,
        "siret_acheteur": collectivite.siret if collectivite else "",
        "format": "ubl",
        "profil": "EN 16931",
        "statut": statut,
        "original": files.store_bytes(
            f"<Invoice><ID>{numero}</ID><n>{n}</n></Invoice>".encode(),
            media_type="application/xml",
        ),
    }
    values.update(extra)
    facture = Facture.objects.create(**values)
    FactureEvent.objects.create(facture=facture, statut=statut, at=received, actor_label="test")
    return facture
