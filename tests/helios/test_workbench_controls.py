"""Control hints on realistic data: a generated PES_Aller deposited for Saint-Orens."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pigp.helios import controls
from pigp.helios.models import (
    Bordereau,
    EtatPiece,
    Ligne,
    Piece,
    PieceJustificative,
    Tiers,
)
from tests.conftest import verified_client
from tests.flows import receive_generated

pytestmark = pytest.mark.django_db(transaction=True)


def deposit(coll, tmp_path, **kw):
    return receive_generated(coll, tmp_path / f"flux-{kw.get('seed', 0)}.xml", **kw)


@pytest.fixture
def flow(collectivite, tmp_path):
    return deposit(collectivite, tmp_path, seed=7, pieces=6, lignes=2, pj=2, exercice=2026)


def hints_of(piece, **kw):
    piece = Piece.objects.select_related("tiers", "bordereau").get(pk=piece.pk)
    return {h.code: h for h in controls.hints_for_piece(piece, **kw)}


def test_generated_flow_passes_the_controls(flow):
    pieces = list(Piece.objects.filter(bordereau__flux=flow).select_related("tiers", "bordereau"))
    hints = controls.hints_for_pieces(pieces)
    first = {h.code: h for h in hints[pieces[0].pk]}
    assert first["iban"].level == controls.OK, first["iban"]
    assert first["montants"].level == controls.OK, first["montants"]
    assert first["pj"].level == controls.OK and "présente" in first["pj"].title
    assert first["doublon"].level == controls.OK
    assert first["delai"].level == controls.OK and "0 jour" in first["delai"].title
    # Only the first pièces carry the PJ; the others are flagged for a look.
    last = {h.code: h for h in hints[pieces[-1].pk]}
    assert last["pj"].level == controls.WARNING


def test_bad_iban_and_bic_are_flagged(flow):
    piece = Piece.objects.filter(bordereau__flux=flow).first()
    tiers = piece.tiers
    good = tiers.iban
    Tiers.objects.filter(pk=tiers.pk).update(iban=good[:-1] + str((int(good[-1]) + 1) % 10))
    hint = hints_of(piece)["iban"]
    assert hint.level == controls.ERROR and hint.title == "IBAN invalide"
    assert "clé de contrôle incorrecte" in hint.detail
    Tiers.objects.filter(pk=tiers.pk).update(iban=good, bic="BNPAXXPP")
    assert hints_of(piece)["iban"].title == "BIC invalide"
    Tiers.objects.filter(pk=tiers.pk).update(bic="DEUTDEFF")
    assert hints_of(piece)["iban"].level == controls.WARNING
    Tiers.objects.filter(pk=tiers.pk).update(iban="", bic="")
    assert hints_of(piece)["iban"].title == "Domiciliation bancaire absente"


def test_missing_pj_is_flagged(flow):
    piece = Piece.objects.filter(bordereau__flux=flow, pj_refs__isnull=False).first()
    ref = piece.pj_refs.first()
    PieceJustificative.objects.filter(id_unique=ref.id_unique).update(fichier=None)
    hint = hints_of(piece)["pj"]
    assert hint.level == controls.ERROR and "illisible" in hint.detail
    PieceJustificative.objects.filter(id_unique=ref.id_unique).delete()
    hint = hints_of(piece)["pj"]
    assert hint.level == controls.ERROR and "non reçue" in hint.detail


def test_incoherent_amounts_are_flagged(flow):
    piece = Piece.objects.filter(bordereau__flux=flow).first()
    line = Ligne.objects.filter(piece=piece).first()
    Ligne.objects.filter(pk=line.pk).update(mt_ht=line.mt_ht + Decimal("1.00"))
    hint = hints_of(piece)["montants"]
    assert hint.level == controls.ERROR and "somme HT des lignes" in hint.detail
    Ligne.objects.filter(pk=line.pk).update(mt_ht=line.mt_ht)
    Bordereau.objects.filter(pk=piece.bordereau_id).update(mt_ht=Decimal("1.00"))
    assert "total HT des pièces du bordereau" in hints_of(piece)["montants"].detail


def test_double_payment_is_found_within_90_days_unless_rejected(collectivite, flow, tmp_path):
    piece = Piece.objects.filter(bordereau__flux=flow).select_related("tiers").first()
    copy = Piece.objects.get(pk=piece.pk)
    other_bordereau = Bordereau.objects.get(pk=piece.bordereau_id)
    other_bordereau.pk, other_bordereau.id_bord = None, "999"
    other_bordereau.save()
    copy.pk, copy.bordereau, copy.id_pce = None, other_bordereau, "42"
    copy.objet = "  " + piece.objet.upper() + " "  # case and spaces do not hide it
    copy.save()
    hint = hints_of(piece)["doublon"]
    assert hint.level == controls.WARNING and "mandat n° 42" in hint.detail
    assert hint.related == (copy.pk,)
    assert hints_of(copy)["doublon"].related == (piece.pk,)

    Piece.objects.filter(pk=copy.pk).update(etat=EtatPiece.REJETEE)
    assert hints_of(piece)["doublon"].level == controls.OK
    Piece.objects.filter(pk=copy.pk).update(
        etat=EtatPiece.RECUE, date_emission=piece.date_emission - datetime.timedelta(days=91)
    )
    assert hints_of(piece)["doublon"].level == controls.OK
    Piece.objects.filter(pk=copy.pk).update(
        date_emission=piece.date_emission - datetime.timedelta(days=89), mt_ttc=Decimal("1.00")
    )
    assert hints_of(piece)["doublon"].level == controls.OK


def test_payment_delay_is_computed(flow):
    piece = Piece.objects.filter(bordereau__flux=flow).first()
    received = timezone.localdate(piece.date_reception)
    hint = hints_of(piece, today=received + datetime.timedelta(days=4))["delai"]
    assert (
        hint.level == controls.OK
        and hint.title == "Délai de paiement : 4 jours depuis la réception"
    )
    hint = hints_of(piece, today=received + datetime.timedelta(days=15))["delai"]
    assert hint.level == controls.WARNING and "15 jours" in hint.title
    hint = hints_of(piece, today=received + datetime.timedelta(days=31))["delai"]
    assert hint.level == controls.ERROR and "Délai global dépassé" in hint.title
    Piece.objects.filter(pk=piece.pk).update(
        etat=EtatPiece.PAYEE, date_paiement=received + datetime.timedelta(days=8)
    )
    hint = hints_of(piece, today=received + datetime.timedelta(days=60))["delai"]
    assert hint.level == controls.OK and "payé 8 jours après réception" in hint.title


def test_titres_have_no_payment_controls(collectivite, tmp_path):
    flux = deposit(collectivite, tmp_path, seed=9, pieces=2, domaine="recette", exercice=2026)
    titre = Piece.objects.filter(bordereau__flux=flux).first()
    hints = hints_of(titre)
    assert hints["delai"].level == controls.INFO and hints["doublon"].level == controls.INFO


def test_hints_cost_a_fixed_number_of_queries(collectivite, tmp_path):
    flux = deposit(collectivite, tmp_path, seed=11, pieces=40, lignes=2, pj=3, exercice=2026)
    pieces = list(Piece.objects.filter(bordereau__flux=flux).select_related("tiers", "bordereau"))
    with CaptureQueriesContext(connection) as few:
        controls.hints_for_pieces(pieces[:5])
    with CaptureQueriesContext(connection) as many:
        controls.hints_for_pieces(pieces)
    assert len(few) == len(many) <= 6


def test_comptable_works_a_generated_flow(client, comptable, collectivite, tmp_path):
    flux = deposit(collectivite, tmp_path, seed=5, bordereaux=2, pieces=4, pj=1, exercice=2026)
    c = verified_client(client, comptable)
    response = c.get(reverse("helios:queue"))
    rows = [b for b, _ in response.context["rows"]]
    assert {b.flux_id for b in rows} == {flux.pk} and len(rows) == 2
    first, second = rows
    response = c.get(reverse("helios:bordereau", args=[first.pk]))
    assert response.status_code == 200 and len(response.context["rows"]) == 4
    piece = first.pieces.order_by("id").first()
    response = c.post(
        reverse("helios:bordereau_action", args=[first.pk]),
        {"action": "prendre-en-charge", "portee": "selection", "pieces": [piece.pk]},
    )
    c.post(
        reverse("helios:bordereau_action", args=[first.pk]),
        {"action": "rejeter", "portee": "tout", "motifs": ["06"], "commentaire": "Doublon"},
    )
    etats = sorted(first.pieces.values_list("etat", flat=True))
    assert etats == [EtatPiece.PRISE_EN_CHARGE] + [EtatPiece.REJETEE] * 3
    response = c.get(reverse("helios:queue"))
    assert [b.pk for b, _ in response.context["rows"]] == [second.pk]
    response = c.get(reverse("helios:piece", args=[piece.pk]))
    assert response.status_code == 200
    assert "Prise en charge" in response.content.decode()
