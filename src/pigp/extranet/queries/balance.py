"""The balance des comptes of one budget and exercice, from what Hélios holds.

How the ledger maps to the DGFiP open-data columns (docs/extranet.md, « Balance des comptes »):
- OBNETDEB / OBNETCRE, budgetary operations: every mandat taken in charge (not rejected, not
  waiting) debits the nature account of each of its lines (HT + TVA) and credits 401
  « Fournisseurs » with their sum; every titre taken in charge credits its lines' nature accounts
  and debits 411 « Redevables ». Hélios holds no cancellation nor réduction, so nothing is netted.
- ONBDEB / ONBCRE, non-budgetary operations: each payment of a mandat of the exercice debits 401
  and credits 515 « Compte au Trésor »; each encaissement of a titre credits 411 and debits 515.
- BEDEB / BECRE, entry balances: zero. Hélios does not carry the previous exercice's closing
  balance sheet forward; the page says so (and gives the 515's opening balance, when recorded,
  as information only: without its counterparts it would unbalance the balance).
Three aggregate queries whatever the volume, kept by exercice (`BalanceCalculee`) and read back
while the ledger's version (`helios.versions`, moved by every write to the exercice) holds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, fields
from decimal import Decimal
from itertools import groupby
from typing import Any

from django.db.models import F, QuerySet, Sum

from pigp.extranet.models import BalanceCalculee
from pigp.extranet.nomenclature import CLASSES, Compte, compte
from pigp.formats.balance import ZERO, Mouvements, total, totaux_soldes
from pigp.helios import versions
from pigp.helios.models import Domaine, Encaissement, EtatPiece, Exercice, Ligne, Paiement

CENT = Decimal("0.01")
FOURNISSEURS = "401"
REDEVABLES = "411"
TRESOR = "515"
PRIS_EN_CHARGE = (
    EtatPiece.PRISE_EN_CHARGE,
    EtatPiece.PAYEE,
    EtatPiece.PARTIELLE,
    EtatPiece.SOLDEE,
)


@dataclass(frozen=True)
class LigneBalance:
    compte: Compte
    mouvements: Mouvements


@dataclass(frozen=True)
class Groupe:
    """A chapter or a class: its accounts' columns summed, their SD and SC summed apart."""

    code: str
    libelle: str
    lignes: list[LigneBalance]

    @property
    def total(self) -> Mouvements:
        return total(ligne.mouvements for ligne in self.lignes)

    @property
    def soldes(self) -> tuple[Decimal, Decimal]:
        return totaux_soldes(ligne.mouvements for ligne in self.lignes)


@dataclass(frozen=True)
class Classe(Groupe):
    chapitres: list[Groupe]


@dataclass(frozen=True)
class Balance(Groupe):
    """Every account of the exercice (`lignes`), by class and chapter."""

    exercice: Exercice
    classes: list[Classe]

    @property
    def equilibree(self) -> bool:
        sd, sc = self.soldes
        return self.total.debits == self.total.credits and sd == sc


def _sum(qs: QuerySet[Any]) -> Decimal:
    return cents(qs.aggregate(s=Sum("montant"))["s"] or ZERO)


def cents(amount: Decimal) -> Decimal:
    """SQLite sums decimals as floats: back to cents."""
    return Decimal(amount).quantize(CENT)


def _movements(exercice: Exercice) -> Iterator[tuple[str, Mouvements]]:
    """(account, movements) of the exercice, an account possibly several times."""
    by_nature = (
        Ligne.objects.filter(piece__exercice=exercice, piece__etat__in=PRIS_EN_CHARGE)
        .values_list("piece__domaine", "nature")
        .annotate(montant=Sum(F("mt_ht") + F("mt_tva")))
        .order_by()
    )
    for domaine, nature, total_lignes in by_nature:
        montant = cents(total_lignes)
        if domaine == Domaine.DEPENSE:
            yield nature, Mouvements(obnetdeb=montant)
            yield FOURNISSEURS, Mouvements(obnetcre=montant)
        else:
            yield nature, Mouvements(obnetcre=montant)
            yield REDEVABLES, Mouvements(obnetdeb=montant)
    paye = _sum(Paiement.objects.filter(piece__exercice=exercice))
    encaisse = _sum(Encaissement.objects.filter(piece__exercice=exercice))
    if paye:
        yield FOURNISSEURS, Mouvements(onbdeb=paye)
        yield TRESOR, Mouvements(onbcre=paye)
    if encaisse:
        yield REDEVABLES, Mouvements(onbcre=encaisse)
        yield TRESOR, Mouvements(onbdeb=encaisse)


def _by_account(exercice: Exercice) -> dict[str, Mouvements]:
    """The exercice's movements summed by account: computed from the ledger (three aggregates
    over every line, payment and encaissement of the exercice), or read from the last
    computation while the ledger's version holds."""
    # Read before computing: a write during the computation moves it, and the next reader
    # computes again.
    version = str(versions.of([exercice.pk])[0][1])
    kept = BalanceCalculee.objects.filter(exercice=exercice, version=version).first()
    if kept is not None:
        return {
            numero: Mouvements(*(Decimal(v) for v in values))
            for numero, values in kept.mouvements.items()
        }
    by_account: dict[str, Mouvements] = defaultdict(Mouvements)
    for numero, mouvements in _movements(exercice):
        by_account[numero] = by_account[numero] + mouvements
    stored = {
        numero: [str(getattr(m, f.name)) for f in fields(Mouvements)]
        for numero, m in by_account.items()
    }
    # A concurrent reader may store the same at once: update_or_create lets either win.
    BalanceCalculee.objects.update_or_create(
        exercice=exercice, defaults={"version": version, "mouvements": stored}
    )
    return dict(by_account)


def balance(exercice: Exercice) -> Balance:
    by_account = _by_account(exercice)
    lignes = sorted(
        (LigneBalance(compte(numero), m) for numero, m in by_account.items()),
        key=lambda ligne: (ligne.compte.classe, ligne.compte.chapitre, ligne.compte.numero),
    )
    classes = []
    for code, of_class in groupby(lignes, key=lambda ligne: ligne.compte.classe):
        in_class = list(of_class)
        chapitres = [
            Groupe(chapitre, in_chapter[0].compte.chapitre_libelle, in_chapter)
            for chapitre, group in groupby(in_class, key=lambda ligne: ligne.compte.chapitre)
            for in_chapter in [list(group)]
        ]
        classes.append(Classe(code, CLASSES.get(code, ""), in_class, chapitres))
    return Balance("", "Total général", lignes, exercice, classes)
