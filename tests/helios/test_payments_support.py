"""Helpers of the payment, recovery and treasury tests (no tests here; their fixtures are in
tests/helios/conftest.py)."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

from schwifty import IBAN

from pigp.helios.models import Bordereau, EtatPiece, Exercice, Piece, Tiers
from tests.factories import make_flux

TRESOR_IBAN = "FR7630001007941234567890185"
ICS = "FR72ZZZ123456"
RUN_DAY = datetime.date(2026, 3, 20)


def iban(n: int) -> str:
    return str(IBAN.generate("FR", bank_code="30004", account_code=f"{n:011d}"))


class Ledger:
    """Makes mandats and titres directly in the ledger (state set as the test needs)."""

    def __init__(self, collectivite, annee: int = 2026) -> None:
        self.collectivite = collectivite
        self.budget = collectivite.budgets.first()
        self.exercice, _ = Exercice.objects.get_or_create(budget=self.budget, annee=annee)
        self.flux = make_flux(collectivite, content=f"<x>{collectivite.pk}</x>".encode())
        self.counter = itertools.count(1)
        self.bordereaux: dict[str, Bordereau] = {}

    def bordereau(self, domaine: str) -> Bordereau:
        if domaine not in self.bordereaux:
            self.bordereaux[domaine] = Bordereau.objects.create(
                exercice=self.exercice,
                flux=self.flux,
                domaine=domaine,
                id_bord=str(len(self.bordereaux) + 1),
                typ_bord="01",
            )
        return self.bordereaux[domaine]

    def tiers(self, nom: str, iban_: str = "", prenom: str = "", bic: str = "") -> Tiers:
        n = next(self.counter)
        return Tiers.objects.create(
            collectivite=self.collectivite,
            cle=f"t{n}",
            nom=nom,
            prenom=prenom,
            iban=iban_,
            bic=bic,
        )

    def piece(
        self,
        domaine: str,
        montant: str | Decimal,
        *,
        tiers: Tiers | None = None,
        etat: str = EtatPiece.PRISE_EN_CHARGE,
        mode: str = "",
        **extra,
    ) -> Piece:
        n = next(self.counter)
        amount = Decimal(montant)
        return Piece.objects.create(
            bordereau=self.bordereau(domaine),
            exercice=self.exercice,
            collectivite=self.collectivite,
            domaine=domaine,
            id_pce=str(extra.pop("id_pce", n)),
            objet=extra.pop("objet", f"Objet {n}"),
            tiers=tiers,
            mt_ht=amount,
            mt_ttc=amount,
            mode_reglement=mode,
            etat=etat,
            reste_a_recouvrer=amount if domaine == "recette" else Decimal("0"),
            **extra,
        )

    def mandat(self, montant="100.00", *, n: int = 1, mode: str = "03", **kw) -> Piece:
        tiers = kw.pop("tiers", None) or self.tiers(f"Fournisseur {n}", iban(n))
        return self.piece("depense", montant, tiers=tiers, mode=mode, **kw)

    def titre(self, montant="100.00", *, nom: str = "Dupont", prenom: str = "Jean", **kw) -> Piece:
        tiers = kw.pop("tiers", None) or self.tiers(nom, iban(500 + next(self.counter)), prenom)
        return self.piece("recette", montant, tiers=tiers, **kw)
