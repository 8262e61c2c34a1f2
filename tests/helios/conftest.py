"""Fixtures of the Hélios tests: the poste's treasury accounts, ledgers made by hand, the agent."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from pigp.helios.models import (
    Bordereau,
    CompteTresor,
    EtatPiece,
    Exercice,
    Ligne,
    Piece,
    PieceJustificative,
    PjRef,
    Tiers,
)
from tests.conftest import verified_client
from tests.factories import make_flux
from tests.helios.test_payments_support import ICS, TRESOR_IBAN, Ledger, iban

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


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


@pytest.fixture
def ledger(collectivite):
    return Ledger(collectivite)


@pytest.fixture
def other_ledger(other_collectivite):
    other_collectivite.budgets.create(cod_col="081", cod_bud="00", libelle="Budget principal")
    return Ledger(other_collectivite)


@pytest.fixture
def agent(client, comptable):
    """The comptable of the poste, logged in with the second factor."""
    return verified_client(client, comptable)


@pytest.fixture
def make_bordereau(collectivite):
    """`make_bordereau(n, ...)`: a bordereau of n pièces (with a line, a tiers and a PJ each),
    written in the ledger by hand for the workbench tests."""
    from pigp.core import files

    budget = collectivite.budgets.first()
    exercice = Exercice.objects.create(budget=budget, annee=2026)
    flux = make_flux(collectivite, name="PES_2026_001.xml")
    tiers = Tiers.objects.create(
        collectivite=collectivite,
        cle="T1",
        nom="Entreprise Dupont",
        iban="FR7630006000011234567890189",
        bic="AGRIFRPP",
    )
    counter = itertools.count(1)

    def make(n=2, domaine="depense", etats=None, pj=True):
        nb = next(counter)
        bordereau = Bordereau.objects.create(
            exercice=exercice,
            flux=flux,
            domaine=domaine,
            id_bord=str(nb),
            typ_bord="01",
            nbr_pce=n,
            mt_ht=Decimal("100.00") * n,
        )
        for i in range(n):
            piece = Piece.objects.create(
                bordereau=bordereau,
                exercice=exercice,
                collectivite=collectivite,
                domaine=domaine,
                id_pce=str(i + 1),
                objet=f"Fournitures {nb}-{i}",
                tiers=tiers,
                mt_ht=Decimal("100.00"),
                mt_ttc=Decimal("100.00"),
                etat=(etats or {}).get(i, EtatPiece.RECUE),
            )
            Ligne.objects.create(piece=piece, id_ligne="1", nature="6064", mt_ht=Decimal("100"))
            if pj:
                uid = f"PJ-{nb}-{i}"
                PjRef.objects.create(piece=piece, id_unique=uid, nom=f"facture-{i}.pdf")
                PieceJustificative.objects.create(
                    collectivite=collectivite,
                    flux=flux,
                    id_unique=uid,
                    nom=f"facture-{i}.pdf",
                    mime_type="application/pdf",
                    fichier=files.store_bytes(PDF, media_type="application/pdf"),
                )
        return bordereau

    return make
