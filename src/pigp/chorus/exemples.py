"""E-invoices made for the demo and the benchmark: EN 16931 UBL and CII invoices written from
the small templates of `chorus/data/` (no reference sample is read at run time), between French parties
identified by their SIRET."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from xml.sax.saxutils import escape

DATA = Path(__file__).resolve().parent / "data"
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Partie:
    siret: str
    nom: str
    ville: str = "Toulouse"
    rue: str = "1 rue de la République"
    code_postal: str = "31000"
    iban: str = ""

    @property
    def tva(self) -> str:
        """The intra-community VAT number of the SIREN (FR + key + SIREN)."""
        siren = int(self.siret[:9])
        return f"FR{(12 + 3 * (siren % 97)) % 97:02d}{self.siret[:9]}"


@dataclass(frozen=True)
class Ligne:
    designation: str
    quantite: Decimal
    prix: Decimal  # HT
    unite: str = "C62"  # unit (UN/ECE rec. 20)

    @property
    def montant(self) -> Decimal:
        return (self.quantite * self.prix).quantize(CENT, ROUND_HALF_UP)


def _template(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def totaux(lignes: list[Ligne]) -> tuple[Decimal, Decimal, Decimal]:
    """HT, TVA (20 %) and TTC of the lines."""
    ht = sum((lg.montant for lg in lignes), Decimal("0"))
    tva = (ht * Decimal("0.20")).quantize(CENT, ROUND_HALF_UP)
    return ht, tva, ht + tva


def _rows(template: str, lignes: list[Ligne]) -> str:
    """The invoice lines written with `template` (one per syntax), numbered from 1."""
    ligne = _template(template)
    return "".join(
        ligne.format(
            rang=i,
            unite=escape(lg.unite),
            quantite=lg.quantite,
            montant=lg.montant,
            designation=escape(lg.designation),
            prix=lg.prix,
        )
        for i, lg in enumerate(lignes, 1)
    )


def ubl(
    numero: str,
    vendeur: Partie,
    acheteur: Partie,
    lignes: list[Ligne],
    *,
    date: datetime.date,
    service: str = "",
    engagement: str = "",
) -> bytes:
    """A UBL 2.1 invoice (EN 16931) of `lignes` at 20 % VAT."""
    e = escape
    ht, tva, ttc = totaux(lignes)
    rows = _rows("ligne-ubl.xml", lignes)
    xml = _template("facture-ubl.xml").format(
        numero=e(numero),
        date=date.isoformat(),
        echeance=(date + datetime.timedelta(days=30)).isoformat(),
        references=(
            (f"  <cbc:BuyerReference>{e(service)}</cbc:BuyerReference>\n" if service else "")
            + (
                f"  <cac:OrderReference><cbc:ID>{e(engagement)}</cbc:ID></cac:OrderReference>\n"
                if engagement
                else ""
            )
        ),
        vendeur_siret=vendeur.siret,
        vendeur_nom=e(vendeur.nom),
        vendeur_rue=e(vendeur.rue),
        vendeur_ville=e(vendeur.ville),
        vendeur_cp=e(vendeur.code_postal),
        vendeur_tva=vendeur.tva,
        acheteur_siret=acheteur.siret,
        acheteur_nom=e(acheteur.nom),
        acheteur_ville=e(acheteur.ville),
        iban=e(vendeur.iban or "FR7630004000031234567890143"),
        ht=ht,
        tva=tva,
        ttc=ttc,
        lignes=rows,
    )
    return xml.encode("utf-8")


def cii(
    numero: str,
    vendeur: Partie,
    acheteur: Partie,
    lignes: list[Ligne],
    *,
    date: datetime.date,
    service: str = "",
) -> bytes:
    """A UN/CEFACT CII invoice (EN 16931) of `lignes` at 20 % VAT (the XML of a Factur-X)."""
    e = escape
    ht, tva, ttc = totaux(lignes)
    rows = _rows("ligne-cii.xml", lignes)
    xml = _template("facture-cii.xml").format(
        numero=e(numero),
        date=f"{date:%Y%m%d}",
        echeance=f"{date + datetime.timedelta(days=30):%Y%m%d}",
        service=f"      <ram:BuyerReference>{e(service)}</ram:BuyerReference>" if service else "",
        vendeur_siret=vendeur.siret,
        vendeur_nom=e(vendeur.nom),
        vendeur_rue=e(vendeur.rue),
        vendeur_ville=e(vendeur.ville),
        vendeur_cp=e(vendeur.code_postal),
        vendeur_tva=vendeur.tva,
        acheteur_siret=acheteur.siret,
        acheteur_nom=e(acheteur.nom),
        acheteur_ville=e(acheteur.ville),
        iban=e(vendeur.iban or "FR7630004000031234567890143"),
        ht=ht,
        tva=tva,
        ttc=ttc,
        lignes=rows,
    )
    return xml.encode("utf-8")
