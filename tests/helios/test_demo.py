"""`manage.py demo`: a year of life in Hélios, through the real code paths, idempotent."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from pigp.helios.demo import pieces_of_demo
from pigp.helios.models import (
    CamtDebit,
    EtatPiece,
    Exercice,
    Paiement,
    PaymentRun,
    Piece,
    RetourEmis,
)
from pigp.passerelle.models import Flux, KindFlux, MailboxItem, StatutFlux

pytestmark = pytest.mark.django_db(transaction=True)


def test_demo_makes_a_coherent_ledger_once():
    out = io.StringIO()
    call_command("demo", stdout=out)
    assert "Hélios :" in out.getvalue()
    pieces = Piece.objects.filter(pieces_of_demo())
    rejected = pieces.filter(etat=EtatPiece.REJETEE)
    assert rejected.exists() and not rejected.filter(motif_code="").exists()
    assert pieces.filter(etat=EtatPiece.PAYEE).exists()
    paid = Paiement.objects.filter(piece__in=pieces)
    assert paid.exists() and all(p.montant == p.piece.mt_ttc for p in paid)
    assert pieces.filter(etat__in=[EtatPiece.PARTIELLE, EtatPiece.SOLDEE]).exists()
    closed = Exercice.objects.filter(cloture=True)
    assert closed.exists()
    for exercice in closed:
        assert not exercice.pieces.filter(verrouillee=False).exists()
        assert not exercice.pieces.filter(etat__in=[EtatPiece.RECUE, EtatPiece.EN_INSTANCE])
    # Work is left for the workbench in the current exercice.
    assert pieces.filter(etat=EtatPiece.RECUE, exercice__cloture=False).exists()
    assert RetourEmis.objects.exists()
    assert (
        MailboxItem.objects.filter(kind=KindFlux.PES_RETOUR).count() == RetourEmis.objects.count()
    )
    assert Flux.objects.filter(statut=StatutFlux.INFORMATION).exists()
    # The statements book every payment run as debits: detailed for the previous exercice,
    # as one batch for the current one; the bank fees wait for the comptable, with why.
    assert paid.filter(debit__isnull=True).count() == 0
    methods = set(CamtDebit.objects.values_list("methode", flat=True))
    assert {CamtDebit.Methode.LOT, CamtDebit.Methode.REFERENCE} <= methods
    for run in PaymentRun.objects.filter(paiements__piece__in=pieces).distinct():
        assert run.debites == run.nombre and run.debite_le == run.date_execution
    waiting = CamtDebit.objects.filter(rapprochee=False)
    assert waiting.exists() and all("FRAIS" in line.libelle for line in waiting)
    assert all("Aucun paiement de 12,50" in line.explication for line in waiting)

    counts = (
        Piece.objects.count(),
        RetourEmis.objects.count(),
        Paiement.objects.count(),
        CamtDebit.objects.count(),
    )
    out = io.StringIO()
    call_command("demo", stdout=out)
    assert "Hélios :" not in out.getvalue()
    assert (
        Piece.objects.count(),
        RetourEmis.objects.count(),
        Paiement.objects.count(),
        CamtDebit.objects.count(),
    ) == counts
