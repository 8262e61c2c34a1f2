"""Fixtures shared by the payment, recovery and treasury tests (no tests here)."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

import pytest
from schwifty import IBAN

from pigp.helios.models import Bordereau, CompteTresor, EtatPiece, Exercice, Piece, Tiers

TRESOR_IBAN = "FR7630001007941234567890185"
ICS = "FR72ZZZ123456"
RUN_DAY = datetime.date(2026, 3, 20)


def iban(n: int) -> str:
    return str(IBAN.generate("FR", bank_code="30004", account_code=f"{n:011d}"))


@pytest.fixture
def compte(poste):
    return CompteTresor.objects.create(
        poste=poste, titulaire="DGFIP SGC MURET", iban=TRESOR_IBAN, bic="BDFEFRPPCCT", ics=ICS
    )


@pytest.fixture
def other_compte(other_poste):
    return CompteTresor.objects.create(
        poste=other_poste, titulaire="DGFIP SGC ALBI", iban=iban(999), bic="", ics=ICS
    )


class Ledger:
    """Makes mandats and titres directly in the ledger (state set as the test needs)."""

    def __init__(self, collectivite, annee: int = 2026) -> None:
        from pigp.core import files
        from pigp.passerelle.models import Flux

        self.collectivite = collectivite
        self.budget = collectivite.budgets.first()
        self.exercice, _ = Exercice.objects.get_or_create(budget=self.budget, annee=annee)
        self.flux = Flux.objects.create(
            collectivite=collectivite,
            canal="web",
            original_name="f.xml",
            fichier=files.store_bytes(f"<x>{collectivite.pk}</x>".encode()),
        )
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


@pytest.fixture
def ledger(collectivite):
    return Ledger(collectivite)


@pytest.fixture
def other_ledger(other_collectivite):
    from pigp.core.models import Budget

    Budget.objects.create(
        collectivite=other_collectivite, cod_col="081", cod_bud="00", libelle="Budget principal"
    )
    return Ledger(other_collectivite)
