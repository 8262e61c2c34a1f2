"""The documents of a unit found in other apps: the Chorus invoice (through Hélios' registry of
content providers, ORC never imports chorus) and the PES_Retour that reported the pièce."""

from __future__ import annotations

import datetime

import pytest

from pigp.core import files
from pigp.helios import documents, retours, states
from pigp.helios.models import EtatPiece
from pigp.orc import ingest, silo
from pigp.orc.models import ArchiveDocument, ArchiveObject, ArchiveUnit, PendingIngest
from tests.chorus.factories import make_facture, make_fournisseur
from tests.helios.test_payments_support import Ledger

E = EtatPiece
ACTOR = "comptable@example.fr"
DAY = datetime.date(2025, 3, 20)


@pytest.mark.django_db
def test_the_chorus_invoice_of_a_paid_mandat_is_archived(
    collectivite, django_capture_on_commit_callbacks
):
    ledger = Ledger(collectivite, annee=2025)
    m = ledger.mandat()
    facture = make_facture(collectivite, make_fournisseur(), numero="FA-2025-0042", mandat=m)
    other = ledger.mandat(n=2)
    make_facture(collectivite, make_fournisseur(siret="55203253400646"), mandat=other)

    # Chorus registered its provider in its AppConfig.ready.
    given = documents.contents_of([m])
    [item] = given[m.pk]
    assert item.kind == "facture" and item.fichier == facture.original
    assert item.label == "Facture n° FA-2025-0042"

    with django_capture_on_commit_callbacks(execute=True):
        states.transition(m, E.PAYEE, actor=ACTOR, when=DAY)
    unit = ArchiveUnit.objects.get(piece=m)
    doc = unit.documents.get(role="facture")
    assert doc.nom == "Facture n° FA-2025-0042" and doc.media_type == "application/xml"
    with files.open_stored(facture.original) as fh:
        assert silo.read_object(doc.obj) == fh.read()
    # Only this mandat's invoice.
    assert unit.documents.filter(role="facture").count() == 1


@pytest.mark.django_db
def test_a_failing_content_provider_fails_the_ingest_closed(collectivite):
    ledger = Ledger(collectivite, annee=2025)
    m = ledger.mandat(etat=E.PAYEE)

    def broken(pieces):
        raise RuntimeError("base des factures indisponible")

    documents.register_content("en-panne", broken)
    try:
        ingest.request([m.pk])
        result = ingest.work_pending()
    finally:
        documents.unregister_content("en-panne")
    assert result.failed and not result.archived
    assert "indisponible" in PendingIngest.objects.get(piece=m).last_error
    assert not ArchiveUnit.objects.exists()  # no unit with a document missing
    PendingIngest.objects.update(lease_until=None)
    assert ingest.work_pending().archived == [m.pk]


@pytest.mark.django_db
def test_contents_of_asks_each_provider_once_for_all_pieces(collectivite):
    ledger = Ledger(collectivite, annee=2025)
    a, b = ledger.mandat(), ledger.mandat(n=2)
    calls: list[list[int]] = []
    stored = files.store_bytes(b"scan", media_type="image/png")

    def provider(pieces):
        calls.append([p.pk for p in pieces])
        return {
            a.pk: [documents.PieceContent("Scan", "scan", stored, "image/png")],
            999_999: [documents.PieceContent("Ailleurs", "scan", stored)],
        }

    documents.register_content("test", provider)
    try:
        found = documents.contents_of([a, b])
    finally:
        documents.unregister_content("test")
    assert calls == [[a.pk, b.pk]]
    assert [c.label for c in found[a.pk] if c.kind == "scan"] == ["Scan"]
    assert 999_999 not in found and documents.contents_of([]) == {}


@pytest.mark.django_db
def test_the_pes_retour_that_reported_the_piece_is_archived(
    collectivite, django_capture_on_commit_callbacks
):
    ledger = Ledger(collectivite, annee=2025)
    m = ledger.mandat(etat=E.RECUE)
    untouched = ledger.mandat(n=2, etat=E.RECUE)
    with django_capture_on_commit_callbacks(execute=True):
        states.transition(m, E.PRISE_EN_CHARGE, actor=ACTOR, when=DAY)
        states.transition(m, E.PAYEE, actor=ACTOR, when=DAY)
    unit = ArchiveUnit.objects.get(piece=m)
    assert not unit.documents.filter(role="retour").exists()  # not sent yet

    retour = retours.generate(ledger.budget, "depense")
    assert retour is not None
    unit = ingest.ingest_piece(m.pk)
    [doc] = unit.documents.filter(role="retour")
    assert doc.nom == retour.nom
    with files.open_stored(retour.mailbox_item.fichier) as fh:
        assert silo.read_object(doc.obj) == fh.read()
    # A pièce the retour did not carry (nothing moved) does not get it.
    states.transition(untouched, E.PRISE_EN_CHARGE, actor=ACTOR, when=DAY)
    assert ingest.ingest_piece(untouched.pk).documents.filter(role="retour").count() == 0
    # Re-ingest: the retour is recognised, not read again nor doubled.
    before = ArchiveObject.objects.count()
    assert ingest.ingest_piece(m.pk).documents.filter(role="retour").count() == 1
    assert ArchiveObject.objects.count() == before
    roles = sorted(ArchiveDocument.objects.filter(unit=unit).values_list("role", flat=True))
    assert roles == ["flux", "retour"]  # a flow made by hand has no acquit
