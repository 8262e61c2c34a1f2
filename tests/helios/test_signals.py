"""Hélios' life-cycle signals (`pieces_received`, `pieces_moved`): who sends them, with what,
inside which transaction; and the documents other apps add to a pièce's page."""

from __future__ import annotations

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from pigp.helios import documents, states
from pigp.helios.models import (
    Bordereau,
    EtatPiece,
    Paiement,
    PaymentRun,
    Piece,
    PieceEvent,
)
from pigp.helios.money import payments, recovery, statements
from pigp.helios.reception import ingest
from pigp.helios.signals import PaymentRef, pieces_moved, pieces_received
from tests.conftest import verified_client
from tests.flows import receive_generated
from tests.helios.test_payments_support import RUN_DAY
from tests.helios.test_recovery import camt, credit

E = EtatPiece
ACTOR = "comptable@example.fr"
D = Decimal


class Heard:
    """What the test receivers heard, each call with whether it ran inside a transaction."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.moved: list[dict] = []
        self.fail = False

    def on_received(self, sender, **kw) -> None:
        self.received.append({**kw, "atomic": connection.in_atomic_block})

    def on_moved(self, sender, **kw) -> None:
        self.moved.append({**kw, "atomic": connection.in_atomic_block})
        if self.fail:
            raise RuntimeError("le récepteur refuse")


@pytest.fixture
def heard():
    h = Heard()
    pieces_received.connect(h.on_received, sender=Piece, dispatch_uid="test-received")
    pieces_moved.connect(h.on_moved, sender=Piece, dispatch_uid="test-moved")
    yield h
    pieces_received.disconnect(sender=Piece, dispatch_uid="test-received")
    pieces_moved.disconnect(sender=Piece, dispatch_uid="test-moved")


# --- reception -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_reception_of_a_pes_flow_sends_pieces_received_per_bordereau(collectivite, tmp_path, heard):
    flux = receive_generated(
        collectivite, tmp_path / "PES_MIXTE.xml", seed=5, bordereaux=2, pieces=4, domaine="mixte"
    )
    bordereaux = Bordereau.objects.filter(flux=flux)
    assert bordereaux.count() == 4 and len(heard.received) == 4
    for call in heard.received:
        b = bordereaux.get(pk=call["bordereau_id"])
        ids = list(b.pieces.order_by("pk").values_list("pk", flat=True))
        assert call["piece_ids"] == ids and len(ids) == 4
        assert call["domaine"] == b.domaine
        assert call["collectivite_id"] == collectivite.pk and call["flux_id"] == flux.pk
        assert call["lived"] is False and call["atomic"] is True
    assert {c["domaine"] for c in heard.received} == {"depense", "recette"}
    assert heard.moved == []
    # A retried ingest writes nothing and says nothing.
    assert ingest(flux).skipped
    assert len(heard.received) == 4


@pytest.mark.django_db
def test_seed_volume_sends_lived_pieces_per_bordereau(heard):
    call_command("seed_volume", mandats=300, titres=100, collectivites=1, stdout=StringIO())
    ids = [pk for call in heard.received for pk in call["piece_ids"]]
    assert sorted(ids) == list(Piece.objects.order_by("pk").values_list("pk", flat=True))
    assert len(ids) == 400 and all(c["lived"] and c["atomic"] for c in heard.received)
    for call in heard.received[:3]:
        rows = set(
            Piece.objects.filter(pk__in=call["piece_ids"]).values_list(
                "bordereau_id", "domaine", "collectivite_id"
            )
        )
        assert rows == {(call["bordereau_id"], call["domaine"], call["collectivite_id"])}


# --- decisions (states.transition) -----------------------------------------------------------


@pytest.mark.django_db
def test_prise_en_charge(ledger, heard):
    m = ledger.mandat(etat=E.RECUE)
    states.transition(m, E.PRISE_EN_CHARGE, actor=ACTOR, when=datetime.date(2026, 4, 2))
    [call] = heard.moved
    assert call["piece_ids"] == [m.pk]
    assert (call["to"], call["from_"], call["domaine"]) == (E.PRISE_EN_CHARGE, E.RECUE, "depense")
    assert call["day"] == datetime.date(2026, 4, 2) and call["actor"] == ACTOR
    assert call["motif_code"] == "" and call["payments"] == {} and call["atomic"]


@pytest.mark.django_db
def test_rejection_carries_its_motifs_and_comment(ledger, heard):
    m = ledger.mandat(etat=E.RECUE)
    states.transition(m, E.REJETEE, actor=ACTOR, motif_code=" 01  09 ", commentaire="RIB absent")
    [call] = heard.moved
    assert (call["to"], call["from_"]) == (E.REJETEE, E.RECUE)
    assert call["motif_code"] == "01 09" and call["commentaire"] == "RIB absent"


@pytest.mark.django_db
def test_en_instance_then_prise_en_charge(ledger, heard):
    t = ledger.titre(etat=E.RECUE)
    states.transition(t, E.EN_INSTANCE, actor=ACTOR, motif_code="19", commentaire="Adresse ?")
    states.transition(t, E.PRISE_EN_CHARGE, actor=ACTOR)
    first, second = heard.moved
    assert (first["to"], first["from_"], first["domaine"]) == (E.EN_INSTANCE, E.RECUE, "recette")
    assert first["motif_code"] == "19" and first["commentaire"] == "Adresse ?"
    assert (second["to"], second["from_"], second["motif_code"]) == (
        E.PRISE_EN_CHARGE,
        E.EN_INSTANCE,
        "",
    )


@pytest.mark.django_db
def test_the_workbench_decision_on_a_bordereau_sends_one_signal_per_piece(
    client, comptable, make_bordereau, heard
):
    b = make_bordereau(3)
    verified_client(client, comptable).post(
        reverse("helios:bordereau_action", args=[b.pk]),
        {"action": "prendre-en-charge", "portee": "tout"},
    )
    moved = sorted(pk for c in heard.moved for pk in c["piece_ids"])
    assert moved == list(b.pieces.order_by("pk").values_list("pk", flat=True))
    assert {c["to"] for c in heard.moved} == {E.PRISE_EN_CHARGE}


# --- money (bulk_transition, and one by one) ------------------------------------------------


@pytest.mark.django_db
def test_payment_run_gives_each_mandat_its_run_and_end_to_end_id(ledger, compte, heard):
    paid = [ledger.mandat("100.00", n=1), ledger.mandat("25.50", n=2)]
    result = payments.run_payments(ledger.collectivite, RUN_DAY, actor=ACTOR)
    [call] = heard.moved
    ids = sorted(p.pk for p in paid)
    assert sorted(call["piece_ids"]) == ids
    assert (call["to"], call["from_"], call["day"]) == (E.PAYEE, E.PRISE_EN_CHARGE, RUN_DAY)
    assert call["atomic"]
    expected = {
        pa.piece_id: PaymentRef(result.run.pk, RUN_DAY, pa.reference)
        for pa in Paiement.objects.filter(run=result.run)
    }
    assert call["payments"] == expected and sorted(expected) == ids
    assert all(ref.reference for ref in expected.values())


@pytest.mark.django_db
def test_a_mandat_paid_one_by_one_carries_its_payment_if_any(ledger, heard):
    m = ledger.mandat()
    states.transition(m, E.PAYEE, actor=ACTOR, when=RUN_DAY)
    assert heard.moved[-1]["payments"] == {}  # no Paiement: no reference to give
    m2 = ledger.mandat(n=2)
    Paiement.objects.create(piece=m2, date=RUN_DAY, montant=m2.mt_ttc, reference="MANUEL-1")
    states.transition(m2, E.PAYEE, actor=ACTOR, when=RUN_DAY)
    assert heard.moved[-1]["payments"] == {m2.pk: PaymentRef(None, RUN_DAY, "MANUEL-1")}


@pytest.mark.django_db
def test_recovery_partielle_then_soldee(ledger, heard):
    titre = ledger.titre("100.00")
    recovery.record_encaissement(titre, D("40.00"), RUN_DAY, actor=ACTOR)
    recovery.record_encaissement(titre, D("20.00"), RUN_DAY, actor=ACTOR)  # stays partielle
    recovery.record_encaissement(titre, D("40.00"), RUN_DAY, actor=ACTOR)
    assert [(c["from_"], c["to"]) for c in heard.moved] == [
        (E.PRISE_EN_CHARGE, E.PARTIELLE),
        (E.PARTIELLE, E.SOLDEE),
    ]
    assert all(c["piece_ids"] == [titre.pk] and c["day"] == RUN_DAY for c in heard.moved)
    assert "Encaissement de 40,00" in heard.moved[0]["commentaire"]


@pytest.mark.django_db
def test_bank_statement_moves_titres_in_bulk(ledger, compte, heard):
    whole = ledger.titre("120.00", id_pce="501")
    part = ledger.titre("300.00", id_pce="505")
    content = camt([credit("120.00", ref="T501"), credit("100.00", ref="Titre n° 505 acompte")])
    statements.import_camt(ledger.collectivite, content, "releve.xml", actor=ACTOR)
    got = {(c["from_"], c["to"]): c["piece_ids"] for c in heard.moved}
    assert got == {
        (E.PRISE_EN_CHARGE, E.SOLDEE): [whole.pk],
        (E.PRISE_EN_CHARGE, E.PARTIELLE): [part.pk],
    }
    assert all(c["atomic"] and c["domaine"] == "recette" for c in heard.moved)


# --- same transaction ----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_failing_receiver_rolls_the_decision_back(ledger, heard):
    m = ledger.mandat(etat=E.RECUE)
    heard.fail = True
    with pytest.raises(RuntimeError):
        states.transition(m, E.REJETEE, actor=ACTOR, motif_code="01")
    m.refresh_from_db()
    assert m.etat == E.RECUE and m.motif_code == ""
    assert not PieceEvent.objects.filter(piece=m).exists()


@pytest.mark.django_db
def test_a_failing_receiver_rolls_the_payment_run_back(ledger, compte, heard):
    m = ledger.mandat()
    heard.fail = True
    with pytest.raises(RuntimeError):
        payments.run_payments(ledger.collectivite, RUN_DAY, actor=ACTOR)
    m.refresh_from_db()
    assert m.etat == E.PRISE_EN_CHARGE
    assert not Paiement.objects.exists() and not PaymentRun.objects.exists()


@pytest.mark.django_db
def test_a_receiver_writing_commits_with_the_change(ledger, heard):
    """What a receiver writes in its handler is part of the transition's transaction."""
    m = ledger.mandat(etat=E.RECUE)

    def note(sender, piece_ids, to, **kw):
        PieceEvent.objects.create(piece_id=piece_ids[0], etat=to, actor="orc", message="vu")

    pieces_moved.connect(note, sender=Piece, dispatch_uid="test-note")
    try:
        states.transition(m, E.PRISE_EN_CHARGE, actor=ACTOR)
        heard.fail = True
        with pytest.raises(RuntimeError):
            states.transition(m, E.PAYEE, actor=ACTOR)
    finally:
        pieces_moved.disconnect(sender=Piece, dispatch_uid="test-note")
    assert list(PieceEvent.objects.filter(piece=m, actor="orc").values_list("etat", flat=True)) == [
        E.PRISE_EN_CHARGE
    ]


# --- documents of a pièce from other apps ----------------------------------------------------


def _invoices(pieces, *, user, audience):
    return {
        p.pk: [
            documents.PieceDocument(
                label=f"Facture FA-{p.id_pce}",
                kind="facture",
                url=f"/chorus/factures/{p.pk}/",
                media_type="application/pdf",
                date=datetime.date(2026, 3, 2),
            )
        ]
        for p in pieces
    }


def _broken(pieces, *, user, audience):
    raise RuntimeError("service indisponible")


@pytest.fixture
def providers():
    names: list[str] = []

    def register(name, provider):
        names.append(name)
        documents.register(name, provider)

    yield register
    for name in names:
        documents.unregister(name)


@pytest.mark.django_db
def test_piece_page_lists_the_documents_of_other_apps(client, comptable, make_bordereau, providers):
    calls = []

    def counted(pieces, *, user, audience):
        calls.append((len(pieces), user.pk, audience))
        return _invoices(pieces, user=user, audience=audience)

    providers("chorus", counted)
    p = make_bordereau(1).pieces.get()
    c = verified_client(client, comptable)
    html = c.get(reverse("helios:piece", args=[p.pk])).content.decode()
    assert "Autres documents" in html and f"Facture FA-{p.id_pce}" in html
    assert f'href="/chorus/factures/{p.pk}/"' in html and "02/03/2026" in html
    assert calls == [(1, comptable.pk, documents.HELIOS)]


@pytest.mark.django_db
def test_a_failing_provider_does_not_break_the_piece_page(
    client, comptable, make_bordereau, providers, caplog
):
    providers("orc", _broken)
    providers("chorus", _invoices)
    p = make_bordereau(1).pieces.get()
    response = verified_client(client, comptable).get(reverse("helios:piece", args=[p.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert f"Facture FA-{p.id_pce}" in html  # the others are still shown
    assert "n'ont pas pu être listés" in html
    assert "facture-0.pdf" in html  # and the PJ
    assert any("'orc' failed" in r.getMessage() for r in caplog.records)


@pytest.mark.django_db
def test_no_provider_no_section(client, comptable, make_bordereau):
    p = make_bordereau(1).pieces.get()
    html = verified_client(client, comptable).get(reverse("helios:piece", args=[p.pk]))
    assert "Autres documents" not in html.content.decode()


@pytest.mark.django_db
def test_outsider_never_reaches_the_providers(client, other_comptable, make_bordereau, providers):
    calls = []
    providers("chorus", lambda pieces, **kw: calls.append(pieces) or {})
    p = make_bordereau(1).pieces.get()
    response = verified_client(client, other_comptable).get(reverse("helios:piece", args=[p.pk]))
    assert response.status_code == 404 and calls == []


def test_documents_for_keeps_only_the_pieces_asked_and_sorts_by_date(providers):
    asked = Piece(pk=1)
    providers(
        "chorus",
        lambda pieces, **kw: {
            1: [
                documents.PieceDocument("B", "facture", "/b", date=datetime.date(2026, 2, 1)),
                documents.PieceDocument("A", "facture", "/a", date=datetime.date(2026, 1, 1)),
            ],
            2: [documents.PieceDocument("autre", "facture", "/x")],
        },
    )
    found = documents.documents_for([asked], user=None, audience=documents.HELIOS)
    assert [d.label for d in found.of(asked)] == ["A", "B"]
    assert 2 not in found.by_piece and found.failed == []
    assert documents.documents_for([], user=None, audience=documents.HELIOS).by_piece == {}
