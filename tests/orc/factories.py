"""Archive units and objects for ORC's tests, built without the ingest (tests/factories.py
builds the organisations)."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pigp.core.models import Collectivite
    from pigp.orc.models import ArchiveDocument, ArchiveUnit

_counter = itertools.count(1)


def make_unit(collectivite: Collectivite, *, annee: int = 2024, **values: Any) -> ArchiveUnit:
    """An archive unit of a mandat of `collectivite` (its budget and exercice made as needed)."""
    from pigp.core.models import Budget
    from pigp.helios.models import Exercice
    from pigp.orc.models import ArchiveUnit

    budget = Budget.objects.filter(collectivite=collectivite).first() or Budget.objects.create(
        collectivite=collectivite, cod_col="001", cod_bud="01", libelle="Budget principal"
    )
    exercice, _ = Exercice.objects.get_or_create(budget=budget, annee=annee)
    n = next(_counter)
    defaults: dict[str, Any] = {
        "collectivite": collectivite,
        "budget": budget,
        "exercice": exercice,
        "annee": annee,
        "domaine": "depense",
        "numero_bordereau": "12",
        "numero": str(n),
        "objet": f"Fournitures de bureau {n}",
        "tiers_nom": "Papeterie du Midi",
        "tiers_siret": "73282932000074",
        "mt_ht": Decimal("100.00"),
        "mt_tva": Decimal("20.00"),
        "mt_ttc": Decimal("120.00"),
        "natures": "6064",
        "fonctions": "020",
        "etat": "payee",
        "date_emission": datetime.date(annee, 3, 2),
        "date_prise_en_charge": datetime.date(annee, 3, 9),
        "date_paiement": datetime.date(annee, 3, 20),
    }
    defaults.update(values)
    return ArchiveUnit.objects.create(**defaults)


def add_document(
    unit: ArchiveUnit,
    content: bytes = b"%PDF-1.4 facture",
    *,
    nom: str = "facture.pdf",
    role: str = "pj",
    media_type: str = "application/pdf",
    texte: str = "",
) -> ArchiveDocument:
    """A document of `unit`, its content archived on every copy through the silo."""
    from pigp.orc import silo
    from pigp.orc.models import ArchiveDocument

    obj = silo.archive_bytes(content, media_type=media_type)
    return ArchiveDocument.objects.create(
        unit=unit, obj=obj, role=role, nom=nom, media_type=media_type, texte=texte
    )
