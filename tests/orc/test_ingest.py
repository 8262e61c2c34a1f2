"""The ingest as the life cycle goes: a mandat paid, a titre taken in charge, through the real
Hélios services; idempotent re-runs; the outbox written in Hélios' transaction; fail closed."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from pigp.core import files
from pigp.core.models import JournalEntry
from pigp.helios import cloture, states
from pigp.helios.models import EtatPiece, Piece, PieceJustificative, PjRef
from pigp.orc import ingest, silo
from pigp.orc.models import (
    Adhesion,
    ArchiveDocument,
    ArchiveObject,
    ArchiveUnit,
    ExerciceArchive,
    PendingIngest,
    RegleConservation,
    StatutUnite,
)
from tests.flows import receive_generated
from tests.helios.test_payments_support import Ledger

E = EtatPiece
ACTOR = "comptable@example.fr"
DAY = datetime.date(2025, 3, 20)


def _copy_files(settings) -> set[str]:
    """Every object file on every copy root (their names are their SHA-512)."""
    from django.core.files.storage import storages

    found: set[str] = set()
    for name in settings.PIGP_ORC_COPIES:
        root = Path(storages[name].location)
        found |= {p.name for p in root.rglob("*") if p.is_file()}
    return found


def _pay(piece: Piece) -> Piece:
    states.transition(piece, E.PRISE_EN_CHARGE, actor=ACTOR, when=DAY)
    piece.refresh_from_db()
    states.transition(piece, E.PAYEE, actor=ACTOR, when=DAY)
    piece.refresh_from_db()
    return piece


@pytest.fixture
def paid_flow(collectivite, tmp_path):
    """A real PES_Aller of one mandat with its PDF PJ, received, then the mandat paid."""
    flux = receive_generated(collectivite, tmp_path / "PES_ORC.xml", seed=3, pieces=2, pj=1)
    piece = Piece.objects.filter(bordereau__flux=flux).order_by("pk").first()
    assert piece is not None and piece.pj_refs.exists()
    return flux, piece


@pytest.mark.django_db(transaction=True)
def test_a_mandat_is_archived_when_paid_with_its_pj_flow_and_acquit(paid_flow, settings):
    flux, piece = paid_flow
    assert not ArchiveUnit.objects.exists()
    states.transition(piece, E.PRISE_EN_CHARGE, actor=ACTOR, when=DAY)
    assert not ArchiveUnit.objects.exists() and not PendingIngest.objects.exists()
    piece.refresh_from_db()
    states.transition(piece, E.PAYEE, actor=ACTOR, when=DAY)

    unit = ArchiveUnit.objects.get(piece=piece)
    assert not PendingIngest.objects.exists()
    assert (unit.collectivite_id, unit.annee, unit.domaine) == (
        piece.collectivite_id,
        piece.exercice.annee,
        "depense",
    )
    assert unit.numero == piece.id_pce and unit.numero_bordereau == piece.bordereau.id_bord
    assert unit.etat == E.PAYEE and unit.date_paiement == DAY
    assert unit.mt_ttc == piece.mt_ttc and unit.objet == piece.objet
    assert unit.natures == " ".join(
        dict.fromkeys(n for n in piece.lignes.values_list("nature", flat=True) if n)
    )
    assert unit.statut == StatutUnite.OUVERTE
    assert unit.dua_fin == datetime.date(piece.exercice.annee + 10, 12, 31)
    assert [e["etat"] for e in unit.metadata["evenements"]][-2:] == [E.PRISE_EN_CHARGE, E.PAYEE]
    assert len(unit.metadata["lignes"]) == piece.lignes.count()

    roles = dict(unit.documents.values_list("role", "nom"))
    assert set(roles) == {"pj", "flux", "acquit"}
    assert roles["flux"] == flux.original_name
    pj_doc = unit.documents.get(role="pj")
    ref = piece.pj_refs.get()
    pj = PieceJustificative.objects.get(collectivite=piece.collectivite, id_unique=ref.id_unique)
    with files.open_stored(pj.fichier) as fh:
        assert silo.read_object(pj_doc.obj) == fh.read()  # the original file, byte for byte
    # PDF text extracted and indexed with objet and tiers
    assert ref.id_unique in pj_doc.texte and ref.id_unique in unit.texte
    assert piece.objet in unit.texte
    # each object on both copies
    for doc in unit.documents.all():
        assert doc.obj.copies.filter(etat="saine").count() == 2
    assert _copy_files(settings) == set(ArchiveObject.objects.values_list("sha512", flat=True))
    [entry] = JournalEntry.objects.filter(action="orc_archivage")
    assert {d["sha512"] for d in entry.details["documents"]} == set(
        unit.documents.values_list("obj__sha512", flat=True)
    )


@pytest.mark.django_db(transaction=True)
def test_rerun_is_idempotent(paid_flow, settings):
    _flux, piece = paid_flow
    piece = _pay(piece)
    unit = ArchiveUnit.objects.get(piece=piece)
    docs = list(unit.documents.values_list("pk", "obj_id"))
    objects = ArchiveObject.objects.count()
    for _ in range(2):
        assert ingest.ingest_piece(piece.pk).pk == unit.pk
        ingest.request([piece.pk])
        ingest.work_pending()
    assert ArchiveUnit.objects.count() == 1
    assert list(unit.documents.values_list("pk", "obj_id")) == docs
    assert ArchiveObject.objects.count() == objects
    # Every re-run is journaled, with no new document.
    later = JournalEntry.objects.filter(action="orc_archivage").order_by("pk")[1:]
    assert later and all(e.details["documents"] == [] for e in later)


@pytest.mark.django_db
def test_a_titre_is_archived_on_prise_en_charge_and_again_when_recovered(
    collectivite, django_capture_on_commit_callbacks
):
    from pigp.helios.money import recovery

    ledger = Ledger(collectivite, annee=2025)
    titre = ledger.titre("80.00", etat=E.RECUE)
    with django_capture_on_commit_callbacks(execute=True):
        states.transition(titre, E.PRISE_EN_CHARGE, actor=ACTOR, when=DAY)
    unit = ArchiveUnit.objects.get(piece=titre)
    assert unit.domaine == "recette" and unit.etat == E.PRISE_EN_CHARGE
    assert unit.date_prise_en_charge == DAY and unit.tiers_nom == "Jean Dupont"
    assert unit.metadata["encaissements"] == []
    titre.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        recovery.record_encaissement(
            titre, Decimal("80.00"), datetime.date(2025, 4, 1), actor=ACTOR, reference="CHQ 12"
        )
    unit.refresh_from_db()
    assert unit.etat == E.SOLDEE
    [enc] = unit.metadata["encaissements"]
    assert enc["montant"] == "80.00" and enc["reference"] == "CHQ 12"
    assert ArchiveUnit.objects.count() == 1


@pytest.mark.django_db
def test_a_mandat_taken_in_charge_only_waits(collectivite, django_capture_on_commit_callbacks):
    ledger = Ledger(collectivite, annee=2025)
    m = ledger.mandat(etat=E.RECUE)
    with django_capture_on_commit_callbacks(execute=True):
        states.transition(m, E.PRISE_EN_CHARGE, actor=ACTOR, when=DAY)
        rejected = ledger.mandat(n=2, etat=E.RECUE)
        states.transition(rejected, E.REJETEE, actor=ACTOR, when=DAY, motif_code="01")
    assert not ArchiveUnit.objects.exists() and not PendingIngest.objects.exists()


@pytest.mark.django_db
def test_a_rolled_back_helios_transaction_leaves_no_pending_ingest(collectivite):
    ledger = Ledger(collectivite, annee=2025)
    m = ledger.mandat()  # prise en charge

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        states.transition(m, E.PAYEE, actor=ACTOR, when=DAY)
        assert PendingIngest.objects.filter(piece=m).exists()  # written in the transaction
        raise Abort
    assert not PendingIngest.objects.exists()
    m.refresh_from_db()
    assert m.etat == E.PRISE_EN_CHARGE


@pytest.mark.django_db
def test_a_failing_silo_leaves_the_row_pending_then_a_retry_archives(
    collectivite, settings, django_capture_on_commit_callbacks
):
    ledger = Ledger(collectivite, annee=2025)
    m = ledger.mandat()
    good = settings.STORAGES["orc-copie-2"]
    broken = dict(settings.STORAGES)
    # A copy root that is a file: nothing can be written under it.
    blocker = Path(good["OPTIONS"]["location"]).parent / "pas-un-dossier"
    blocker.write_bytes(b"")
    broken["orc-copie-2"] = {**good, "OPTIONS": {"location": str(blocker)}}
    from django.core.files.storage import storages

    settings.STORAGES = broken
    storages._storages = {}
    storages._backends = None
    with django_capture_on_commit_callbacks(execute=True):
        states.transition(m, E.PAYEE, actor=ACTOR, when=DAY)
    m.refresh_from_db()
    assert m.etat == E.PAYEE  # Hélios' change is never held back by the archive
    row = PendingIngest.objects.get(piece=m)
    assert row.attempts == 1 and "copie" in row.last_error and row.lease_until is not None
    assert not ArchiveUnit.objects.exists() and not ArchiveDocument.objects.exists()
    assert not ArchiveObject.objects.exists()  # no object without its two verified copies
    # Not retried before its time…
    assert ingest.work_pending().count == 0
    # …and once the storage is back and the time has come, archived.
    settings.STORAGES = {**broken, "orc-copie-2": good}
    storages._storages = {}
    storages._backends = None
    PendingIngest.objects.update(lease_until=None)
    assert ingest.stale_pending(older_than=datetime.timedelta(0)) == [m.pk]
    assert ingest.work_pending().archived == [m.pk]
    assert ArchiveUnit.objects.filter(piece=m).exists() and not PendingIngest.objects.exists()


@pytest.mark.django_db
def test_asked_again_while_working_is_archived_again(collectivite, monkeypatch):
    """A new state arriving during an ingest bumps `requested_at`: the row is not deleted by
    the run that started before, which archives once more."""
    ledger = Ledger(collectivite, annee=2025)
    t = ledger.titre()
    ingest.request([t.pk])
    real = ingest.ingest_piece
    calls: list[str] = []

    def racing(piece_id: int):
        unit = real(piece_id)
        calls.append(Piece.objects.get(pk=piece_id).etat)
        if len(calls) == 1:  # a recovery lands meanwhile
            Piece.objects.filter(pk=piece_id).update(etat=E.SOLDEE)
            ingest.request(
                [piece_id],
                now=PendingIngest.objects.get().requested_at + datetime.timedelta(seconds=1),
            )
        return unit

    monkeypatch.setattr(ingest, "ingest_piece", racing)
    assert ingest.work_pending().archived == [t.pk]
    assert calls == [E.PRISE_EN_CHARGE, E.SOLDEE]
    assert not PendingIngest.objects.exists()
    assert ArchiveUnit.objects.get(piece=t).etat == E.SOLDEE


@pytest.mark.django_db
def test_retention_rules_and_coverage_by_the_adhesion(collectivite, comptable):
    assert RegleConservation.objects.filter(annees=10, action_finale="Destroy").count() == 6
    RegleConservation.objects.filter(code="mandat").update(annees=12)
    ledger = Ledger(collectivite, annee=2025)
    m = ledger.mandat(etat=E.PAYEE)
    PjRef.objects.create(piece=m, id_unique="PJ-A", nom="devis.pdf")
    PieceJustificative.objects.create(
        collectivite=collectivite,
        flux=ledger.flux,
        id_unique="PJ-A",
        nom="devis.pdf",
        mime_type="application/pdf",
        fichier=files.store_bytes(b"%PDF-1.4 pas vraiment un PDF", media_type="application/pdf"),
    )
    unit = ingest.ingest_piece(m.pk)
    assert unit.dua_fin == datetime.date(2037, 12, 31)
    assert unit.couverte is False  # no adhesion
    # A broken PDF: archived all the same, no text, and a note.
    pj = unit.documents.get(role="pj")
    assert pj.texte == "" and pj.numerisation == {}
    [note] = unit.metadata["notes_texte"]
    assert note["document"] == "devis.pdf" and "texte non extrait" in note["note"]
    received = timezone.localdate(ledger.flux.created_at)
    adhesion = Adhesion.objects.create(
        collectivite=collectivite,
        signee_le=received + datetime.timedelta(days=1),
        signataire="Mme la Maire",
        qualite="Maire",
        enregistree_par=comptable,
    )
    again = ingest.ingest_piece(m.pk)
    assert again.couverte is False  # PJ received before the adhesion was recorded
    assert again.metadata["notes_texte"] == [note]  # kept when the PDF is not read again
    # Coverage starts when the adhesion is recorded (`adhesion.covers`), not at the date typed.
    Adhesion.objects.filter(pk=adhesion.pk).update(
        enregistree_le=ledger.flux.created_at - datetime.timedelta(minutes=1)
    )
    assert ingest.ingest_piece(m.pk).couverte is True


@pytest.mark.django_db
def test_closing_the_exercice_completes_and_seals_it(
    collectivite, django_capture_on_commit_callbacks
):
    ledger = Ledger(collectivite, annee=2025)
    paid = ledger.mandat()
    rejected = ledger.mandat(n=2, etat=E.RECUE)
    titre = ledger.titre(etat=E.RECUE)
    with django_capture_on_commit_callbacks(execute=True):
        states.transition(paid, E.PAYEE, actor=ACTOR, when=DAY)
        states.transition(
            rejected, E.REJETEE, actor=ACTOR, when=DAY, motif_code="01", commentaire="RIB absent"
        )
        states.transition(titre, E.PRISE_EN_CHARGE, actor=ACTOR, when=DAY)
    assert set(ArchiveUnit.objects.values_list("piece_id", flat=True)) == {paid.pk, titre.pk}
    with django_capture_on_commit_callbacks(execute=True):
        cloture.close(ledger.exercice, actor=ACTOR)
    units = ArchiveUnit.objects.filter(exercice=ledger.exercice)
    assert set(units.values_list("piece_id", flat=True)) == {paid.pk, rejected.pk, titre.pk}
    assert set(units.values_list("statut", flat=True)) == {StatutUnite.CLOSE}
    assert all(u.scellee_le is not None for u in units)
    r = units.get(piece=rejected)
    assert r.etat == E.REJETEE
    assert r.metadata["motif"] == {"code": "01", "commentaire": "RIB absent"}
    sealed = ExerciceArchive.objects.get(exercice=ledger.exercice)
    body, count = ingest.manifest(ledger.exercice.pk)
    import hashlib

    assert count == 3 == sealed.unites
    assert sealed.empreinte == hashlib.sha512(body).hexdigest()
    [entry] = JournalEntry.objects.filter(action="orc_exercice_scelle")
    assert entry.details["empreinte"] == sealed.empreinte
    # A second completion changes nothing.
    assert ingest.complete_exercice(ledger.exercice.pk) == sealed
    assert JournalEntry.objects.filter(action="orc_exercice_scelle").count() == 1


@pytest.mark.django_db
def test_catch_up_command_archives_history_and_seals_closed_exercices(collectivite, capsys):
    ledger = Ledger(collectivite, annee=2024)
    paid = ledger.mandat(etat=E.PAYEE)  # written without the life cycle: no signal heard
    waiting = ledger.mandat(n=2)  # prise en charge: not yet
    titre = ledger.titre(etat=E.PRISE_EN_CHARGE)
    call_command("orc_ingest", "--collectivite", collectivite.siret)
    assert set(ArchiveUnit.objects.values_list("piece_id", flat=True)) == {paid.pk, titre.pk}
    err = capsys.readouterr()
    assert "Archivage : 2/2" in err.err and "pièces/s" in err.out
    # History of a closed exercice: completed and sealed by the catch-up.
    ledger.exercice.cloture = True
    ledger.exercice.save()
    call_command("orc_ingest", "--exercice", "2024")
    assert ArchiveUnit.objects.filter(piece=waiting, statut="close").exists()
    assert ExerciceArchive.objects.filter(exercice=ledger.exercice).exists()
    # Nothing left: a re-run is a no-op.
    call_command("orc_ingest")
    assert ArchiveUnit.objects.count() == 3
    assert "0 pièce(s) à archiver" in capsys.readouterr().out


@pytest.mark.django_db
def test_catch_up_command_unknown_collectivite_is_a_clear_error():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Aucune collectivité de SIRET 123"):
        call_command("orc_ingest", "--collectivite", "123", stdout=io.StringIO())


@pytest.mark.django_db
def test_worker_sweep_hands_back_stale_rows_and_unsealed_exercices(collectivite):
    from pigp.passerelle.signals import worker_sweep

    ledger = Ledger(collectivite, annee=2025)
    m = ledger.mandat(etat=E.PAYEE)
    ingest.request([m.pk], now=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC))
    ledger.exercice.cloture = True
    ledger.exercice.save()
    answers = [a for _r, a in worker_sweep.send(sender=None) if a]
    assert any("ORC : 1 archivage(s) en attente repris, 1 exercice(s) clos" in a for a in answers)
    assert ArchiveUnit.objects.filter(piece=m, statut="close").exists()
    assert not PendingIngest.objects.exists()


@pytest.mark.django_db
def test_volume_seed_pieces_arrive_lived_and_are_queued_when_archivable(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        call_command("seed_volume", mandats=40, titres=20, collectivites=1, stdout=io.StringIO())
    archivable = [
        pk
        for pk, domaine, etat in Piece.objects.values_list("pk", "domaine", "etat")
        if ingest.archivable(domaine, etat)
    ]
    assert archivable and len(archivable) < Piece.objects.count()
    assert sorted(PendingIngest.objects.values_list("piece_id", flat=True)) == sorted(archivable)
    assert callbacks  # the worker's task, enqueued once the seed commits
    for callback in callbacks:
        callback()
    assert sorted(ArchiveUnit.objects.values_list("piece_id", flat=True)) == sorted(archivable)
    assert not PendingIngest.objects.exists()
    # The seed's flows are rows without files: each unit says its flow is missing.
    unit = ArchiveUnit.objects.first()
    assert [m["role"] for m in unit.metadata["documents_manquants"]] == ["flux"]
    assert not unit.documents.filter(role="flux").exists()
    entry = JournalEntry.objects.filter(action="orc_archivage").first()
    assert entry.details["documents_manquants"][0]["role"] == "flux"


@pytest.mark.django_db
def test_ingest_rate_for_the_benchmark(collectivite):
    ledger = Ledger(collectivite, annee=2025)
    ids = [ledger.mandat(n=n, etat=E.PAYEE).pk for n in range(1, 6)]
    result, rate = ingest.ingest_rate(ids)
    assert sorted(result.archived) == ids and rate > 0
    assert ArchiveUnit.objects.count() == 5


@pytest.mark.django_db
def test_a_mandat_paid_after_the_cloture_joins_the_sealed_exercice(
    collectivite, django_capture_on_commit_callbacks
):
    import hashlib

    ledger = Ledger(collectivite, annee=2025)
    paid = ledger.mandat(etat=E.PAYEE)
    reste = ledger.mandat(n=2)  # prise en charge, unpaid: a reste à payer at the clôture
    with django_capture_on_commit_callbacks(execute=True):
        cloture.close(ledger.exercice, actor=ACTOR)
    sealed = ExerciceArchive.objects.get(exercice=ledger.exercice)
    first = sealed.empreinte
    assert sealed.unites == 2 and ArchiveUnit.objects.get(piece=paid).statut == "close"
    with django_capture_on_commit_callbacks(execute=True):
        states.transition(reste, E.PAYEE, actor=ACTOR, when=datetime.date(2026, 1, 10))
    unit = ArchiveUnit.objects.get(piece=reste)
    assert unit.etat == E.PAYEE and unit.statut == "close" and unit.scellee_le is not None
    sealed.refresh_from_db()
    body, _count = ingest.manifest(ledger.exercice.pk)
    assert sealed.unites == 2  # the unit existed (completed at the clôture), brought up to date
    assert sealed.empreinte == hashlib.sha512(body).hexdigest()
    entries = JournalEntry.objects.filter(action="orc_exercice_scelle").order_by("pk")
    assert entries.first().details["empreinte"] == first
    assert ExerciceArchive.objects.count() == 1


@pytest.mark.django_db
def test_a_piece_first_archived_after_the_seal_reseals_the_manifest(collectivite):
    import hashlib

    ledger = Ledger(collectivite, annee=2025)
    ledger.mandat(etat=E.PAYEE)
    ledger.exercice.cloture = True
    ledger.exercice.save()
    sealed = ingest.complete_exercice(ledger.exercice.pk)
    assert sealed is not None and sealed.unites == 1
    late = ledger.mandat(n=2, etat=E.PAYEE)  # written after the completion, no unit yet
    unit = ingest.ingest_piece(late.pk)
    assert unit.statut == "close"
    sealed.refresh_from_db()
    body, count = ingest.manifest(ledger.exercice.pk)
    assert sealed.unites == count == 2 and sealed.empreinte == hashlib.sha512(body).hexdigest()
    last = JournalEntry.objects.filter(action="orc_exercice_scelle").order_by("pk").last()
    assert last.details["complement_piece"] == late.pk and last.details["unites"] == 2


@pytest.mark.django_db
def test_a_covered_mandat_gets_its_attestation_as_soon_as_it_is_archived(collectivite, comptable):
    from pigp.orc.models import Adhesion, Attestation

    adhesion = Adhesion.objects.create(
        collectivite=collectivite,
        signee_le=datetime.date(2025, 1, 2),
        signataire="Mme la Maire",
        qualite="Maire",
        enregistree_par=comptable,
    )
    Adhesion.objects.filter(pk=adhesion.pk).update(
        enregistree_le=timezone.now() - datetime.timedelta(days=1)
    )
    ledger = Ledger(collectivite, annee=2025)
    m = ledger.mandat(etat=E.PAYEE)
    PjRef.objects.create(piece=m, id_unique="PJ-C", nom="facture.pdf")
    PieceJustificative.objects.create(
        collectivite=collectivite,
        flux=ledger.flux,
        id_unique="PJ-C",
        nom="facture.pdf",
        mime_type="application/pdf",
        fichier=files.store_bytes(b"%PDF-1.4 facture", media_type="application/pdf"),
    )
    ingest.request([m.pk])
    assert ingest.work_pending().archived == [m.pk]
    unit = ArchiveUnit.objects.get(piece=m)
    assert unit.couverte is True
    attestation = Attestation.objects.get(unit=unit, kind="piece")
    assert [d["nom"] for d in attestation.contenu["documents"]] == ["facture.pdf"]
