"""A known data set for the Extranet, made through Hélios' own services: a flow of six mandats
and one of two titres received through the passerelle, mandats taken in charge, one rejected,
three paid by two payment runs; another collectivité of another poste with its own mandat."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.utils import timezone

from tests.conftest import grant, make_user, verified_client

ACTOR = "comptable@example.fr"
TRESOR_IBAN = "FR7630001007941234567890185"


@dataclass
class Data:
    collectivite: object
    mandats: list  # in reception order: paid, paid, paid later, rejected, to pay, received
    titres: list
    other_mandat: object  # of the other collectivité
    day_a: datetime.date
    day_b: datetime.date


@pytest.fixture
def data(transactional_db, collectivite, other_collectivite, tmp_path) -> Data:
    from pigp.core.models import Budget
    from pigp.helios import states
    from pigp.helios.models import CompteTresor, EtatPiece, Piece
    from pigp.helios.money import payments
    from tests.flows import receive_generated
    from tests.helios.test_payments_support import Ledger

    CompteTresor.objects.create(
        poste=collectivite.poste, titulaire="DGFIP SGC MURET", iban=TRESOR_IBAN, bic="BDFEFRPPCCT"
    )
    year = timezone.localdate().year
    # The passerelle hands accepted flows to Hélios once its transaction commits: the data set
    # needs real commits (`transactional_db`).
    dep = receive_generated(
        collectivite, tmp_path / "PES_DEP.xml", seed=11, pieces=6, pj=1, exercice=year
    )
    rec = receive_generated(
        collectivite, tmp_path / "PES_REC.xml", seed=12, pieces=2, domaine="recette", exercice=year
    )
    mandats = list(Piece.objects.filter(bordereau__flux=dep).order_by("pk"))
    titres = list(Piece.objects.filter(bordereau__flux=rec).order_by("pk"))
    for piece in [*mandats[:3], mandats[4], *titres]:
        states.transition(piece, EtatPiece.PRISE_EN_CHARGE, actor=ACTOR)
    states.transition(
        mandats[3],
        EtatPiece.REJETEE,
        actor=ACTOR,
        motif_code="09",
        commentaire="Le RIB joint ne correspond pas au fournisseur.",
    )
    today = timezone.localdate()
    day_a, day_b = today + datetime.timedelta(days=10), today + datetime.timedelta(days=45)
    later = [mandats[2].pk, mandats[4].pk]
    assert payments.run_payments(collectivite, day_a, actor=ACTOR, exclude=later).paid == 2
    assert payments.run_payments(collectivite, day_b, actor=ACTOR, exclude=later[1:]).paid == 1
    Budget.objects.create(
        collectivite=other_collectivite, cod_col="081", cod_bud="00", libelle="Budget principal"
    )
    other = Ledger(other_collectivite, annee=year).mandat("77.00")
    for piece in mandats + titres:
        piece.refresh_from_db()
    return Data(collectivite, mandats, titres, other, day_a, day_b)


@pytest.fixture
def outsider_extranet(other_collectivite):
    """Holds the Extranet of another collectivité (of another poste)."""
    user = make_user("extranet.ailleurs@example.fr")
    grant(user, other_collectivite, "extranet", "consultation")
    return user


@pytest.fixture
def passerelle_only(collectivite):
    """Of the collectivité, but without an extranet habilitation."""
    user = make_user("deposant@example.fr")
    grant(user, collectivite, "passerelle", "transmission")
    return user


@pytest.fixture
def juge(juridiction, collectivite):
    """A juge des comptes, even with an extranet habilitation granted by mistake."""
    user = make_user("juge@example.fr", juridiction=juridiction)
    grant(user, collectivite, "extranet", "consultation")
    return user


def urls(data: Data) -> dict[str, str]:
    """Every Extranet page about the collectivité under test, by name."""
    from pigp.helios.models import PieceJustificative

    coll, mandat = data.collectivite.pk, data.mandats[0]
    pj = PieceJustificative.objects.get(id_unique=mandat.pj_refs.get().id_unique)
    return {
        "tableau_de_bord": f"/extranet/collectivites/{coll}/",
        "paiements": f"/extranet/collectivites/{coll}/paiements/",
        "recouvrement": f"/extranet/collectivites/{coll}/recouvrement/",
        "csv": f"/extranet/collectivites/{coll}/paiements/export.csv",
        "xlsx": f"/extranet/collectivites/{coll}/paiements/export.xlsx",
        "mes_exports": f"/extranet/collectivites/{coll}/mes-exports/",
        "mandat": f"/extranet/mandats/{mandat.pk}/",
        "tiers": f"/extranet/tiers/{mandat.tiers_id}/",
        "pj": f"/extranet/pj/{pj.pk}/",
    }


@pytest.fixture
def logged(client):
    """`logged(user)`: the test client signed in as `user` (second factor passed if needed)."""

    def log(user):
        client.logout()
        return verified_client(client, user)

    return log
