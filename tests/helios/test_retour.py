"""PES_Retour: states, payments and recoveries round-trip; idempotence; information disponible."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from lxml import etree

from pigp.core import files
from pigp.formats.pes import read_retour
from pigp.formats.pes import records as r
from pigp.formats.pes.schemas import MessageKind, get_schema
from pigp.helios import retours, states
from pigp.helios.models import Encaissement, EtatPiece, Paiement, Piece, PieceEvent, RetourEmis
from pigp.passerelle.models import Flux, FluxEvent, KindFlux, MailboxItem, StatutFlux
from tests.flows import receive_generated

pytestmark = pytest.mark.django_db(transaction=True)
E = EtatPiece
D = dt.date


def deposit(coll, tmp_path, *, seed=1, exercice=2026, pieces=5, domaine="mixte", budget=None):
    return receive_generated(
        coll,
        tmp_path / f"flux{seed}.xml",
        budget=budget,
        seed=seed,
        bordereaux=1,
        pieces=pieces,
        lignes=2,
        domaine=domaine,
        exercice=exercice,
        nom_fic=f"PES_TEST_{seed}",
    )


def pay(piece, *amounts_and_dates):
    for n, (amount, day) in enumerate(amounts_and_dates):
        Paiement.objects.create(
            piece=piece, date=day, montant=amount, reference=f"PAY-{piece.pk}-{n}"
        )


def recover(piece, *amounts_and_dates):
    for amount, day in amounts_and_dates:
        Encaissement.objects.create(
            piece=piece, date=day, montant=amount, source=Encaissement.Source.MANUEL
        )


def read(retour: RetourEmis) -> dict[str, r.RetourPiece]:
    with files.open_stored(retour.mailbox_item.fichier) as fh:
        content = fh.read()
    get_schema("v5.17", MessageKind.RETOUR).assertValid(etree.fromstring(content))
    return {p.id_pce: p for p in read_retour(io.BytesIO(content)) if isinstance(p, r.RetourPiece)}


@pytest.fixture
def worked(collectivite, tmp_path):
    """A mixte flow whose pièces went through every state the Retour restitutes."""
    flux = deposit(collectivite, tmp_path)
    dep = list(Piece.objects.filter(bordereau__flux=flux, domaine="depense").order_by("id"))
    rec = list(Piece.objects.filter(bordereau__flux=flux, domaine="recette").order_by("id"))
    actor = "comptable@example.fr"
    states.transition(dep[0], E.PRISE_EN_CHARGE, actor=actor, when=D(2026, 4, 1))
    states.transition(
        dep[1], E.REJETEE, actor=actor, motif_code="01 09", commentaire="RIB à corriger"
    )
    states.transition(dep[2], E.EN_INSTANCE, actor=actor, motif_code="02")
    states.transition(dep[3], E.PRISE_EN_CHARGE, actor=actor)
    pay(dep[3], (dep[3].mt_ttc, D(2026, 4, 10)))
    states.transition(dep[3], E.PAYEE, actor=actor, when=D(2026, 4, 10))
    # dep[4] stays "reçue": not in the Retour.
    for p in rec[:3]:
        states.transition(p, E.PRISE_EN_CHARGE, actor=actor)
    recover(rec[1], (Decimal("10.00"), D(2026, 5, 2)))
    states.transition(rec[1], E.PARTIELLE, actor=actor)
    half = (rec[2].mt_ttc / 2).quantize(Decimal("0.01"))
    recover(rec[2], (half, D(2026, 5, 3)), (rec[2].mt_ttc - half, D(2026, 5, 9)))
    states.transition(rec[2], E.SOLDEE, actor=actor)
    states.transition(rec[3], E.REJETEE, actor=actor, motif_code="03")
    states.transition(rec[4], E.EN_INSTANCE, actor=actor, motif_code="19", when=D(2026, 4, 3))
    return flux, dep, rec


def test_retour_round_trip_states_payments_recoveries(collectivite, worked):
    flux, dep, rec = worked
    made = retours.generate_for_budget(collectivite.budgets.first())
    assert {m.domaine for m in made} == {"depense", "recette"}
    by_dom = {m.domaine: m for m in made}

    d = read(by_dom["depense"])
    assert by_dom["depense"].nom.startswith("PES2R_DEP_P_055_00_031042_")
    assert set(d) == {dep[i].id_pce for i in range(4)}  # the "reçue" one is not restituted
    assert d[dep[0].id_pce].etat == "02" and d[dep[0].id_pce].dte_pce_pec == "2026-04-01"
    assert d[dep[1].id_pce].etat == "04" and d[dep[1].id_pce].obs_etat == "01 09"
    assert d[dep[1].id_pce].commentaire == "RIB à corriger"
    assert d[dep[2].id_pce].etat == "01" and d[dep[2].id_pce].obs_etat == "02"
    paid = d[dep[3].id_pce]
    assert paid.etat == "05"
    assert paid.mt_pay_tot == dep[3].mt_ttc
    assert sum(p.mt_pay for p in paid.paiements) == dep[3].mt_ttc
    assert {p.dte_pay for p in paid.paiements} == {"2026-04-10"}
    assert {lg.mt_ht for lg in paid.lignes} == {lg.mt_ht for lg in dep[3].lignes.all()}

    t = read(by_dom["recette"])
    assert by_dom["recette"].nom.startswith("PES2R_RCE_P_055_00_031042_")
    assert set(t) == {p.id_pce for p in rec}
    assert [lg.etat for lg in t[rec[0].id_pce].lignes] == ["04", "04"]
    assert t[rec[1].id_pce].etat == "02" and t[rec[1].id_pce].mt_reco_tot == Decimal("10.00")
    assert t[rec[2].id_pce].mt_reco_tot == rec[2].mt_ttc
    assert t[rec[2].id_pce].lignes[-1].etat == "05"
    assert t[rec[3].id_pce].etat == "04" and t[rec[3].id_pce].obs_etat == "03"
    assert t[rec[4].id_pce].etat == "01" and t[rec[4].id_pce].obs_etat == "19"
    assert {lg.etat for lg in t[rec[4].id_pce].lignes} == {"03"}

    item = by_dom["depense"].mailbox_item
    assert item.kind == KindFlux.PES_RETOUR and item.related_flux_id == flux.pk
    assert by_dom["depense"].pieces == 4 and by_dom["recette"].pieces == 5
    flux.refresh_from_db()
    assert flux.statut == StatutFlux.INFORMATION


def test_second_generation_without_change_writes_nothing(collectivite, worked):
    flux, dep, _rec = worked
    budget = collectivite.budgets.first()
    assert len(retours.generate_for_budget(budget)) == 2
    items = MailboxItem.objects.filter(kind=KindFlux.PES_RETOUR).count()
    assert retours.generate_for_budget(budget) == []
    assert MailboxItem.objects.filter(kind=KindFlux.PES_RETOUR).count() == items

    # One more decision: the next Retour carries that pièce only; the flow changes status once.
    states.transition(dep[4], E.PRISE_EN_CHARGE, actor="x")
    [again] = retours.generate_for_budget(budget)
    assert again.domaine == "depense" and again.pieces == 1
    assert set(read(again)) == {dep[4].id_pce}
    assert again.depuis < again.jusqua
    assert FluxEvent.objects.filter(flux=flux, statut=StatutFlux.INFORMATION).count() == 1


def test_payment_alone_makes_a_retour(collectivite, worked):
    _flux, _dep, rec = worked
    budget = collectivite.budgets.first()
    retours.generate_for_budget(budget)
    recover(rec[1], (Decimal("5.00"), D(2026, 6, 1)))  # partial again: no state change
    [again] = retours.generate_for_budget(budget)
    got = read(again)
    assert set(got) == {rec[1].id_pce}
    assert got[rec[1].id_pce].mt_reco_tot == Decimal("5.00")  # what arrived since the last one


def test_flow_not_acquitte_keeps_its_status(collectivite, worked):
    flux, _dep, _rec = worked
    Flux.objects.filter(pk=flux.pk).update(statut=StatutFlux.ANNULE)
    retours.generate_for_budget(collectivite.budgets.first())
    flux.refresh_from_db()
    assert flux.statut == StatutFlux.ANNULE


def test_command_and_task(collectivite, worked):
    budget = collectivite.budgets.first()
    out = io.StringIO()
    call_command("helios_retours", "--budget", str(budget.pk), stdout=out)
    assert "2 PES_Retour émis" in out.getvalue()
    assert retours.generer_retours.call(budget_id=budget.pk) == []
    out = io.StringIO()
    call_command("helios_retours", stdout=out)
    assert "0 PES_Retour émis" in out.getvalue()


def test_recette_retour_says_where_recovery_stands(collectivite, tmp_path):
    from pigp.helios.money import recovery

    flux = deposit(collectivite, tmp_path, seed=7, domaine="recette", pieces=3)
    titres = list(Piece.objects.filter(bordereau__flux=flux).order_by("id"))
    actor = "comptable@example.fr"
    for t in titres[:2]:
        states.transition(t, E.PRISE_EN_CHARGE, actor=actor)
    lines = [lg.mt_ht + lg.mt_tva for lg in titres[0].lignes.order_by("id")]
    # A part of the first line is recovered, then the titre goes to « relance ».
    part = (lines[0] / 2).quantize(Decimal("0.01"))
    recovery.record_encaissement(titres[0], part, D(2026, 5, 4), actor=actor)
    recovery.set_stade(titres[0], "mise_en_demeure", actor=actor)
    titres[0].refresh_from_db()
    assert titres[0].date_stade is not None
    # The second is recovered whole (soldée); the third is rejected on receipt.
    recovery.record_encaissement(titres[1], titres[1].reste_a_recouvrer, D(2026, 5, 5), actor=actor)
    titres[1].refresh_from_db()
    assert titres[1].etat == E.SOLDEE
    states.transition(titres[2], E.REJETEE, actor=actor, motif_code="03")

    [made] = [m for m in retours.generate_for_budget(collectivite.budgets.first())]
    t = read(made)
    first = t[titres[0].id_pce].lignes
    assert [lg.mt_ctx_tot for lg in first] == lines
    assert [lg.sld_princ for lg in first] == [lines[0] - part, *lines[1:]]
    assert {(lg.etape_pce, lg.dte_etape_pce) for lg in first} == {
        ("03", titres[0].date_stade.isoformat())
    }
    soldee = t[titres[1].id_pce].lignes
    assert {lg.sld_princ for lg in soldee} == {Decimal("0.00")}
    assert {lg.etape_pce for lg in soldee} == {None}
    rejected = t[titres[2].id_pce].lignes
    assert {(lg.mt_ctx_tot, lg.sld_princ) for lg in rejected} == {(None, None)}


def test_migration_dates_the_stages_set_before_it(collectivite, tmp_path):
    import importlib

    from django.apps import apps

    flux = deposit(collectivite, tmp_path, seed=8, domaine="recette", pieces=2)
    staged, other = Piece.objects.filter(bordereau__flux=flux).order_by("id")
    states.transition(staged, E.PRISE_EN_CHARGE, actor="a@example.fr")
    from pigp.helios.money import recovery

    recovery.set_stade(staged, "relance", actor="a@example.fr")
    event = PieceEvent.objects.filter(piece=staged).latest("at")
    PieceEvent.objects.filter(pk=event.pk).update(at=event.at - dt.timedelta(days=40))
    Piece.objects.filter(pk=staged.pk).update(date_stade=None)

    migration = importlib.import_module("pigp.helios.migrations.0005_piece_date_stade")
    migration.backfill(apps, None)
    staged.refresh_from_db()
    other.refresh_from_db()
    assert staged.date_stade == (event.at - dt.timedelta(days=40)).date()
    assert other.date_stade is None
