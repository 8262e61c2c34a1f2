"""`manage.py demo` gives every Extranet page something to show: each demo collectivité's
budget principal has a year of Hélios behind it, and the demo ordonnateur's alerts were found
by the real daily detection as that year went on."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.core.management import call_command
from django.utils import timezone

from pigp.core.models import Budget, Collectivite, User
from pigp.extranet.demo import SUBSCRIPTIONS
from pigp.extranet.models import Abonnement, Alerte, KindAlerte
from pigp.helios.models import (
    Domaine,
    EtatPiece,
    FacturePiece,
    MouvementTresorerie,
    Paiement,
    Piece,
    PieceEvent,
)
from pigp.helios.money.recovery import DUE, ageing
from tests.conftest import verified_client

pytestmark = pytest.mark.django_db(transaction=True)

ORDONNATEUR = "ordonnateur@demo.pigp.fr"
SAINT_ORENS = "21310555400017"


def _months_before(today: datetime.date, count: int) -> set[tuple[int, int]]:
    """The `count` calendar months before the current one."""
    months, first = set(), today.replace(day=1)
    for _ in range(count):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
        months.add((first.year, first.month))
    return months


def test_demo_makes_every_extranet_page_meaningful(client):
    out = io.StringIO()
    call_command("demo", stdout=out)
    today = timezone.localdate()

    colls = list(Collectivite.objects.order_by("pk"))
    assert len(colls) == 4
    for coll in colls:
        budget = coll.budgets.get(cod_bud="00")
        pieces = Piece.objects.filter(exercice__budget=budget)
        mandats = pieces.filter(domaine=Domaine.DEPENSE)
        assert mandats.filter(etat=EtatPiece.PAYEE).exists(), coll
        rejected = mandats.filter(etat=EtatPiece.REJETEE)
        assert rejected.exists(), coll
        assert not rejected.filter(motif_code="").exists()
        assert not rejected.filter(motif_commentaire="").exists()
        # Invoice numbers, for the « n° de facture » search.
        assert FacturePiece.objects.filter(piece__in=mandats, collectivite=coll).exists()
        # Titres in recovery, still due.
        due = pieces.filter(domaine=Domaine.RECETTE, etat__in=DUE).exclude(
            date_prise_en_charge=None
        )
        assert due.exists(), coll
        # The Trésor account moved over the last twelve months, nearly every month.
        days = MouvementTresorerie.objects.filter(
            budget=budget, date__gt=today - datetime.timedelta(days=365)
        ).values_list("date", flat=True)
        moved = {(d.year, d.month) for d in days}
        assert len(moved & _months_before(today, 12)) >= 10, (coll, sorted(moved))
        assert max(days) <= today

    # The budgets annexes live too: no Extranet page of a demo budget is empty.
    for budget in Budget.objects.all():
        assert Paiement.objects.filter(piece__exercice__budget=budget).exists(), budget
        assert MouvementTresorerie.objects.filter(budget=budget).exists(), budget

    # Titres of every age for the ageing table.
    due = Piece.objects.filter(domaine=Domaine.RECETTE, etat__in=DUE).exclude(
        date_prise_en_charge=None
    )
    assert {ageing(t.date_prise_en_charge, today) for t in due} == {
        "moins de 30 jours",
        "30 à 90 jours",
        "3 mois à 1 an",
        "plus d'un an",
    }

    # The subscriptions of the demo users, and the alerts the detection found afterwards.
    assert Abonnement.objects.count() == len(SUBSCRIPTIONS)
    ordo = User.objects.get(email=ORDONNATEUR)
    alertes = Alerte.objects.filter(abonnement__user=ordo).select_related("abonnement", "piece")
    assert {a.kind for a in alertes} == set(KindAlerte)
    for alerte in alertes:
        sub, piece = alerte.abonnement, alerte.piece
        assert sub.cree_le < alerte.detectee_le <= timezone.now()
        assert piece.collectivite_id == sub.collectivite_id
        if alerte.kind == KindAlerte.MANDAT_REJETE:
            rejet = PieceEvent.objects.get(piece=piece, etat=EtatPiece.REJETEE)
            assert sub.cree_le <= rejet.at < alerte.detectee_le
        elif alerte.kind == KindAlerte.MANDAT_PAYE:
            assert sub.seuil is not None and piece.mt_ttc >= sub.seuil
            paid = Paiement.objects.get(piece=piece)
            assert sub.cree_le <= paid.cree_le < alerte.detectee_le
        else:
            assert piece.domaine == Domaine.RECETTE and piece.date_prise_en_charge is not None
            late = timezone.localdate(alerte.detectee_le) - piece.date_prise_en_charge
            assert late.days > (sub.delai_jours or 0)
    assert "Extranet : 4 abonnements aux alertes" in out.getvalue()

    # What the ordonnateur sees: his alerts on the dashboard, a mandat by its invoice number.
    saint_orens = Collectivite.objects.get(siret=SAINT_ORENS)
    verified_client(client, ordo)
    page = client.get(f"/extranet/collectivites/{saint_orens.pk}/").content.decode()
    assert "Mes dernières alertes" in page and "Aucune alerte pour l'instant" not in page
    facture = (
        FacturePiece.objects.filter(collectivite=saint_orens, piece__etat=EtatPiece.PAYEE)
        .order_by("pk")
        .first()
    )
    assert facture is not None
    response = client.get(
        f"/extranet/collectivites/{saint_orens.pk}/paiements/", {"q": facture.numero}
    )
    listed = {int(pk) for pk in re.findall(r'href="/extranet/mandats/(\d+)/"', response.text)}
    assert facture.piece_id in listed
    for page_name in ("paiements", "recouvrement", "restes-a-recouvrer", "tresorerie", "balance"):
        response = client.get(f"/extranet/collectivites/{saint_orens.pk}/{page_name}/")
        assert response.status_code == 200, page_name
