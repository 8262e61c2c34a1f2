"""Elimination: the dry run, the bordereau's workflow and its execution on every copy."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from pigp.core.models import JournalEntry
from pigp.orc import elimination, retention, silo
from pigp.orc.models import (
    ArchiveDocument,
    ArchiveUnit,
    EtatCopie,
    StatutElimination,
    StatutUnite,
)
from tests.orc.elimination_helpers import make_agent, make_archivist
from tests.orc.factories import add_document, make_unit

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 12, 7)


@pytest.fixture
def archivist(collectivite):
    return make_archivist(collectivite)


@pytest.fixture
def agent(db):
    return make_agent("31")


def _visee(collectivite, archivist, agent):
    bordereau = elimination.etablir(collectivite, archivist, TODAY)
    elimination.approuver(bordereau, archivist)
    return elimination.viser(bordereau, agent)


def test_dry_run_lists_expired_units_and_held_ones_apart(
    collectivite, other_collectivite, archivist
):
    old = make_unit(collectivite, annee=2014)
    held = make_unit(collectivite, annee=2015, gel=True, gel_motif="Contentieux")
    make_unit(collectivite, annee=2016)  # DUA ends on 31/12/2026
    make_unit(other_collectivite, annee=2010)
    gone = make_unit(collectivite, annee=2013, statut=StatutUnite.ELIMINEE)
    gone.eliminee_le = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    gone.save()
    found = elimination.eligible(collectivite, TODAY)
    assert [u.pk for u in found.eligibles] == [old.pk]
    assert [u.pk for u in found.ecartees] == [held.pk]
    assert found.eligibles[0].dua_fin == datetime.date(2024, 12, 31)
    assert not JournalEntry.objects.filter(action__startswith="orc_elimination").exists()


def test_bordereau_numero_and_units_on_a_pending_bordereau_are_not_drawn_twice(
    collectivite, archivist
):
    make_unit(collectivite, annee=2014)
    bordereau = elimination.etablir(collectivite, archivist, TODAY)
    assert bordereau.numero == f"ELIM-{collectivite.siret}-2026-1"
    assert bordereau.statut == StatutElimination.PROJET
    with pytest.raises(elimination.EliminationError):
        elimination.etablir(collectivite, archivist, TODAY)
    make_unit(collectivite, annee=2014)
    assert elimination.etablir(collectivite, archivist, TODAY).numero.endswith("-2026-2")


def test_full_workflow_destroys_content_keeps_metadata_and_leaves_proof(
    collectivite, archivist, agent
):
    unit = make_unit(collectivite, annee=2014, objet="Travaux de voirie")
    held = make_unit(collectivite, annee=2014)
    shared_with_living = make_unit(collectivite, annee=2020)
    pj = add_document(unit, b"%PDF-1.4 facture voirie", nom="voirie.pdf")
    shared = add_document(unit, b"%PDF-1.4 convention commune", nom="convention.pdf")
    ArchiveDocument.objects.create(
        unit=shared_with_living, obj=shared.obj, role="pj", nom="convention.pdf"
    )
    held_doc = add_document(held, b"%PDF-1.4 piece gelee", nom="gelee.pdf")
    bordereau = elimination.etablir(collectivite, archivist, TODAY)
    assert set(bordereau.units.values_list("pk", flat=True)) == {unit.pk, held.pk}
    # put under hold after the bordereau was drawn up: set aside at execution
    retention.set_gel(held, archivist, "Contrôle de la chambre régionale des comptes")
    elimination.approuver(bordereau, archivist)
    elimination.viser(bordereau, agent)
    done = elimination.executer(bordereau, archivist, TODAY)

    assert done.statut == StatutElimination.EXECUTE
    assert list(done.units.values_list("pk", flat=True)) == [unit.pk]
    assert [e["id"] for e in done.ecartees] == [held.pk]
    assert "Contrôle" in done.ecartees[0]["raison"]
    unit.refresh_from_db()
    held.refresh_from_db()
    assert unit.statut == StatutUnite.ELIMINEE and unit.eliminee_le is not None
    assert held.statut != StatutUnite.ELIMINEE
    # content gone from both copies, the shared and held objects kept
    for name in silo.copies():
        assert silo.digest_of(name, pj.obj.sha512) is None
        assert silo.digest_of(name, shared.obj.sha512) == shared.obj.sha512
        assert silo.digest_of(name, held_doc.obj.sha512) == held_doc.obj.sha512
    pj.obj.refresh_from_db()
    assert pj.obj.eliminated_at is not None
    assert set(pj.obj.copies.values_list("etat", flat=True)) == {EtatCopie.DETRUITE}
    # metadata still searchable
    assert ArchiveUnit.objects.filter(objet__icontains="voirie", statut="eliminee").count() == 1
    assert ArchiveDocument.objects.filter(unit=unit).count() == 2
    proof = JournalEntry.objects.get(action="orc_elimination")
    assert proof.details["empreintes_detruites"] == [pj.obj.sha512]
    assert proof.details["empreintes_conservees"] == [shared.obj.sha512]
    assert [u["id"] for u in proof.details["unites"]] == [unit.pk]
    assert [e["id"] for e in proof.details["ecartees"]] == [held.pk]
    # idempotent: no second proof
    assert elimination.achever_en_attente() == 0


def test_interrupted_destruction_is_finished_by_the_sweep(
    collectivite, archivist, agent, monkeypatch
):
    unit = make_unit(collectivite, annee=2014)
    doc = add_document(unit, b"%PDF-1.4 interrompu")
    bordereau = _visee(collectivite, archivist, agent)

    def crash(obj):
        raise OSError("disque indisponible")

    monkeypatch.setattr(silo, "destroy", crash)
    with pytest.raises(OSError):
        elimination.executer(bordereau, archivist, TODAY)
    unit.refresh_from_db()
    assert unit.statut == StatutUnite.ELIMINEE
    assert not JournalEntry.objects.filter(action="orc_elimination").exists()
    monkeypatch.undo()
    assert elimination.achever_en_attente() == 1
    assert all(silo.digest_of(name, doc.obj.sha512) is None for name in silo.copies())
    assert JournalEntry.objects.filter(action="orc_elimination").count() == 1


def test_refusal_with_a_motif_and_wrong_roles(collectivite, archivist, agent, reader, comptable):
    make_unit(collectivite, annee=2014)
    other_agent = make_agent("81", email="agent.ad81@example.fr")
    bordereau = elimination.etablir(collectivite, archivist, TODAY)
    for user in (reader, comptable, agent):
        with pytest.raises(PermissionDenied):
            elimination.approuver(bordereau, user)
    with pytest.raises(elimination.EliminationError):
        elimination.viser(bordereau, agent)  # not approved yet
    elimination.approuver(bordereau, archivist)
    for user in (archivist, other_agent, reader):
        with pytest.raises(PermissionDenied):
            elimination.viser(bordereau, user)
    with pytest.raises(elimination.EliminationError):
        elimination.refuser(bordereau, agent, "  ")
    refused = elimination.refuser(bordereau, agent, "Intérêt historique : à verser")
    assert refused.statut == StatutElimination.REFUSE
    assert refused.motif_refus.startswith("Intérêt historique")
    with pytest.raises(elimination.EliminationError):
        elimination.executer(refused, archivist, TODAY)
    assert not ArchiveUnit.objects.filter(statut=StatutUnite.ELIMINEE).exists()


def test_execution_needs_the_visa_and_the_archivist(collectivite, archivist, agent):
    make_unit(collectivite, annee=2014)
    bordereau = elimination.etablir(collectivite, archivist, TODAY)
    elimination.approuver(bordereau, archivist)
    with pytest.raises(elimination.EliminationError):
        elimination.executer(bordereau, archivist, TODAY)
    elimination.viser(bordereau, agent)
    with pytest.raises(PermissionDenied):
        elimination.executer(bordereau, agent, TODAY)


def test_command_reports_and_finishes_pending_destructions(
    collectivite, archivist, agent, monkeypatch
):
    from io import StringIO

    from django.core.management import call_command

    unit = make_unit(collectivite, annee=2014)
    make_unit(collectivite, annee=2015, gel=True, gel_motif="Contentieux")
    doc = add_document(unit, b"%PDF-1.4 commande")
    out = StringIO()
    call_command("orc_eliminations", "--date", "2026-12-07", stdout=out)
    assert "1 pièce(s) éliminable(s) au 07/12/2026, 1 gelée(s) écartée(s)" in out.getvalue()
    bordereau = _visee(collectivite, archivist, agent)
    monkeypatch.setattr(silo, "destroy", lambda obj: (_ for _ in ()).throw(OSError("panne")))
    with pytest.raises(OSError):
        elimination.executer(bordereau, archivist, TODAY)
    monkeypatch.undo()
    out = StringIO()
    call_command("orc_eliminations", "--date", "2026-12-07", stdout=out)
    assert bordereau.numero in out.getvalue() and "--apply" in out.getvalue()
    assert silo.digest_of(silo.copies()[0], doc.obj.sha512) == doc.obj.sha512  # dry run
    out = StringIO()
    call_command("orc_eliminations", "--apply", stdout=out)
    assert "Destructions achevées : 1" in out.getvalue()
    assert silo.digest_of(silo.copies()[0], doc.obj.sha512) is None


def test_worker_sweep_finishes_pending_destructions(collectivite, archivist, agent, monkeypatch):
    from pigp.passerelle.signals import worker_sweep

    unit = make_unit(collectivite, annee=2014)
    doc = add_document(unit, b"%PDF-1.4 balayage")
    bordereau = _visee(collectivite, archivist, agent)
    monkeypatch.setattr(silo, "destroy", lambda obj: (_ for _ in ()).throw(OSError("panne")))
    with pytest.raises(OSError):
        elimination.executer(bordereau, archivist, TODAY)
    monkeypatch.undo()
    assert list(elimination.en_attente()) == [bordereau]
    answers = [answer for _, answer in worker_sweep.send_robust(sender=None, startup=False)]
    assert "ORC : 1 destruction(s) d'élimination achevée(s)." in answers
    assert not elimination.en_attente().exists()
    assert silo.digest_of(silo.copies()[1], doc.obj.sha512) is None


def test_service_archives_command(db):
    from io import StringIO

    from django.core.management import CommandError, call_command

    from pigp.orc.models import ServiceArchives
    from tests.factories import make_user

    make_user("agent.ad31@example.fr")
    out = StringIO()
    call_command(
        "orc_service_archives",
        "Archives départementales de la Haute-Garonne",
        "--departements",
        "31",
        "--agent",
        "agent.ad31@example.fr",
        stdout=out,
    )
    service = ServiceArchives.objects.get()
    assert service.departement_codes() == ["31"]
    assert list(service.agents.values_list("email", flat=True)) == ["agent.ad31@example.fr"]
    with pytest.raises(CommandError, match="Aucun compte"):
        call_command("orc_service_archives", service.nom, "--agent", "personne@example.fr")
    with pytest.raises(CommandError, match="departements"):
        call_command("orc_service_archives", "Archives inconnues")
