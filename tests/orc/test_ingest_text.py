"""Text of the PDF PJ (bounded), the outbox's cost inside Hélios' transaction, and the
outbox's invariants under any interleaving of requests, runs and direct ingests."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from fpdf import FPDF
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pigp.core import files
from pigp.helios.models import EtatPiece, PieceJustificative, PjRef
from pigp.orc import ingest
from pigp.orc.models import ArchiveDocument, ArchiveObject, ArchiveUnit, PendingIngest
from tests.helios.test_payments_support import Ledger

E = EtatPiece


def _pdf(pages: list[str]) -> bytes:
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 10, text)
    return bytes(pdf.output())


def _with_pj(ledger: Ledger, content: bytes, uid: str, n: int = 1):
    m = ledger.mandat(n=n, etat=E.PAYEE)
    PjRef.objects.create(piece=m, id_unique=uid, nom=f"{uid}.pdf")
    PieceJustificative.objects.create(
        collectivite=ledger.collectivite,
        flux=ledger.flux,
        id_unique=uid,
        nom=f"{uid}.pdf",
        mime_type="application/pdf",
        fichier=files.store_bytes(content, media_type="application/pdf"),
    )
    return m


@pytest.mark.django_db
def test_the_text_of_a_pdf_pj_is_indexed(collectivite):
    ledger = Ledger(collectivite, annee=2025)
    m = _with_pj(ledger, _pdf(["Facture de debroussaillage du chemin communal"]), "PJ-T1")
    unit = ingest.ingest_piece(m.pk)
    assert "debroussaillage du chemin communal" in unit.texte
    assert "debroussaillage" in unit.documents.get(role="pj").texte
    assert unit.metadata["notes_texte"] == []


@pytest.mark.django_db
def test_the_text_of_a_long_pdf_is_bounded_and_says_so(collectivite, monkeypatch):
    monkeypatch.setattr(ingest, "PDF_MAX_PAGES", 3)
    ledger = Ledger(collectivite, annee=2025)
    pages = [f"page{n} lamantin" if n < 3 else f"page{n} ornithorynque" for n in range(5)]
    m = _with_pj(ledger, _pdf(pages), "PJ-T2")
    unit = ingest.ingest_piece(m.pk)
    assert "lamantin" in unit.texte and "ornithorynque" not in unit.texte
    [note] = unit.metadata["notes_texte"]
    assert note["note"] == "texte des 3 premières pages seulement"


@pytest.mark.django_db
def test_the_outbox_costs_a_fixed_number_of_queries(collectivite, django_assert_max_num_queries):
    ledger = Ledger(collectivite, annee=2025)
    ids = [ledger.mandat(n=n, etat=E.PAYEE).pk for n in range(1, 41)]
    with django_assert_max_num_queries(2):
        ingest.request(ids[:20])
    with django_assert_max_num_queries(2):  # half pending already: bumped, the rest added
        ingest.request(ids)
    assert PendingIngest.objects.count() == 40


OPS = st.lists(
    st.one_of(
        st.tuples(st.just("request"), st.sets(st.integers(0, 3), min_size=1)),
        st.tuples(st.just("work"), st.none()),
        st.tuples(st.just("direct"), st.integers(0, 3)),
        st.tuples(st.just("expire"), st.none()),
    ),
    max_size=8,
)


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS)
def test_any_interleaving_leaves_one_unit_per_piece_and_nothing_pending(collectivite, ops):
    with transaction.atomic():  # each example rolled back
        ledger = Ledger(collectivite, annee=2025)
        pieces = [ledger.mandat(n=n, etat=E.PAYEE).pk for n in range(4)]
        asked: set[int] = set()
        for op, arg in ops:
            if op == "request":
                asked |= {pieces[i] for i in arg}
                ingest.request(pieces[i] for i in arg)
            elif op == "work":
                ingest.work_pending()
            elif op == "direct":
                asked.add(pieces[arg])
                ingest.ingest_piece(pieces[arg])
            else:  # a run died holding its leases
                PendingIngest.objects.update(
                    lease_until=datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
                )
        PendingIngest.objects.update(lease_until=None)
        ingest.work_pending()
        assert not PendingIngest.objects.exists()
        units = list(
            ArchiveUnit.objects.filter(piece_id__in=pieces).values_list("piece_id", flat=True)
        )
        assert sorted(units) == sorted(asked)
        # One document (the flow) per unit, one object for the shared flow.
        assert ArchiveDocument.objects.filter(unit__piece_id__in=pieces).count() == len(asked)
        assert ArchiveObject.objects.filter(
            documents__unit__piece_id__in=pieces
        ).distinct().count() == (1 if asked else 0)
        transaction.set_rollback(True)
