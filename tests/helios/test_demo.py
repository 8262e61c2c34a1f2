"""`manage.py demo`: a year of life in Hélios, through the real code paths, idempotent."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.db.models import Max
from django.utils import timezone

from pigp.core import journal
from pigp.core.demo_clock import Timeline
from pigp.core.models import Habilitation, JournalEntry
from pigp.helios.demo import pieces_of_demo
from pigp.helios.models import (
    Bordereau,
    CamtDebit,
    CamtImport,
    CamtLine,
    Encaissement,
    EtatPiece,
    Exercice,
    MouvementTresorerie,
    Paiement,
    PaymentRun,
    Piece,
    PieceEvent,
    RetourEmis,
)
from pigp.helios.money.recovery import DUE, ageing
from pigp.passerelle.models import Flux, FluxEvent, KindFlux, MailboxItem, StatutFlux

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

    _history_is_dated_over_the_year(pieces)

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


# Every date the demo writes, none of which may be in the future.
DATED = [
    (Flux, "created_at"),
    (Flux, "status_changed_at"),
    (FluxEvent, "at"),
    (MailboxItem, "created_at"),
    (MailboxItem, "read_at"),
    (Bordereau, "recu_le"),
    (Piece, "date_reception"),
    (Piece, "date_emission"),
    (Piece, "date_prise_en_charge"),
    (Piece, "date_rejet"),
    (Piece, "date_paiement"),
    (Piece, "date_solde"),
    (Piece, "date_stade"),
    (PieceEvent, "at"),
    (PaymentRun, "date_execution"),
    (PaymentRun, "cree_le"),
    (Paiement, "date"),
    (Encaissement, "date"),
    (CamtImport, "cree_le"),
    (CamtLine, "date"),
    (CamtDebit, "date"),
    (MouvementTresorerie, "date"),
    (RetourEmis, "jusqua"),
    (Exercice, "closed_at"),
    (Habilitation, "demandee_le"),
    (JournalEntry, "timestamp"),
]


def _day(value):
    return timezone.localdate(value) if isinstance(value, datetime.datetime) else value


def _history_is_dated_over_the_year(pieces):
    today, timeline = timezone.localdate(), Timeline()
    for model, name in DATED:
        latest = model.objects.aggregate(latest=Max(name))["latest"]
        assert latest is not None and _day(latest) <= today, (model, name, latest)
    # Bordereaux received over the whole year (and a little more), the last ones fresh.
    received = sorted(
        timezone.localdate(b.recu_le) for b in Bordereau.objects.filter(pieces__in=pieces)
    )
    assert (today - received[0]).days > 365 and received[-1] >= timeline.fresh[0]
    assert len({(d.year, d.month) for d in received}) >= 7
    # What waits for the comptable is the fresh work; the rest was decided days later.
    waiting = pieces.filter(etat=EtatPiece.RECUE)
    assert waiting.exists()
    assert all(timezone.localdate(p.date_reception) >= timeline.fresh[0] for p in waiting)
    decided = pieces.exclude(date_prise_en_charge=None)
    for piece in decided:
        delay = (piece.date_prise_en_charge - timezone.localdate(piece.date_reception)).days
        assert 1 <= delay <= 45, (piece, delay)
        assert piece.date_emission <= timezone.localdate(piece.date_reception)
    taken = PieceEvent.objects.filter(
        piece__in=decided, etat=EtatPiece.PRISE_EN_CHARGE, message="Prise en charge"
    )
    assert {(e.piece_id, timezone.localdate(e.at)) for e in taken} == set(
        decided.values_list("pk", "date_prise_en_charge")
    )
    # Mandats paid days to weeks after their reception: most within 30 days, some beyond.
    delays = [
        (p.date_paiement - timezone.localdate(p.date_reception)).days
        for p in pieces.filter(etat=EtatPiece.PAYEE)
    ]
    assert min(delays) > 0 and max(delays) > 30
    assert sum(d <= 30 for d in delays) > len(delays) / 2
    assert all(p.date >= p.piece.date_prise_en_charge for p in Paiement.objects.all())
    # Titres recovered over weeks and months; some still due, of every age.
    encaissements = Encaissement.objects.filter(piece__in=pieces).select_related("piece")
    assert all(e.date > e.piece.date_prise_en_charge for e in encaissements)
    assert len({(e.date.year, e.date.month) for e in encaissements}) >= 6
    due = pieces.filter(domaine="recette", etat__in=DUE)
    buckets = {ageing(t.date_prise_en_charge, today) for t in due}
    assert len(buckets) >= 3, buckets
    assert due.exclude(stade="").exists()
    # Treasury over twelve months; the previous exercice closed in January.
    months = MouvementTresorerie.objects.dates("date", "month")
    assert len(months) >= 10
    for exercice in Exercice.objects.filter(cloture=True):
        closed = timezone.localdate(exercice.closed_at)
        assert (closed.year == exercice.annee + 1 and closed.month == 1) or closed > timeline.end
    # The journal follows the calendar and its chain holds.
    stamps = list(JournalEntry.objects.order_by("id").values_list("timestamp", flat=True))
    assert stamps == sorted(stamps)
    assert journal.verify_chain().intact
