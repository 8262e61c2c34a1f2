import datetime
import itertools

import pytest

from pigp.helios import states
from pigp.helios.models import Bordereau, EtatPiece, Exercice, Piece, PieceEvent
from pigp.helios.money import bulk
from tests.factories import make_flux

pytestmark = pytest.mark.django_db


@pytest.fixture
def make_piece(collectivite):
    budget = collectivite.budgets.first()
    exercice = Exercice.objects.create(budget=budget, annee=2026)
    flux = make_flux(collectivite)
    counter = itertools.count(1)

    def make(domaine="depense", etat=EtatPiece.RECUE):
        n = next(counter)
        bordereau = Bordereau.objects.create(
            exercice=exercice, flux=flux, domaine=domaine, id_bord=str(n), typ_bord="01"
        )
        return Piece.objects.create(
            bordereau=bordereau,
            exercice=exercice,
            collectivite=collectivite,
            domaine=domaine,
            id_pce=str(n),
            etat=etat,
        )

    return make


ALL = [
    (d, a, b) for d, table in states.TRANSITIONS.items() for a in table for b in EtatPiece.values
]


@pytest.mark.parametrize(("domaine", "start", "target"), ALL)
def test_every_transition(make_piece, domaine, start, target):
    piece = make_piece(domaine, start)
    motif = "01" if target in states.NEEDS_MOTIF else ""
    if target in states.TRANSITIONS[domaine][start]:
        states.transition(
            piece, target, actor="comptable@example.fr", motif_code=motif, commentaire="vu"
        )
        piece.refresh_from_db()
        assert piece.etat == target
        assert PieceEvent.objects.filter(piece=piece, etat=target).exists()
    else:
        with pytest.raises(states.TransitionError):
            states.transition(piece, target, actor="x", motif_code=motif)
        piece.refresh_from_db()
        assert piece.etat == start


def test_reject_needs_a_known_motif(make_piece):
    piece = make_piece()
    with pytest.raises(states.TransitionError, match="motif"):
        states.transition(piece, EtatPiece.REJETEE, actor="x")
    with pytest.raises(states.TransitionError, match="inconnu"):
        states.transition(piece, EtatPiece.REJETEE, actor="x", motif_code="99")
    states.transition(
        piece, EtatPiece.REJETEE, actor="x", motif_code="01 09", commentaire="RIB faux"
    )
    piece.refresh_from_db()
    assert piece.motif_code == "01 09" and piece.date_rejet is not None


def test_locked_piece_never_changes(make_piece):
    piece = make_piece()
    Piece.objects.filter(pk=piece.pk).update(verrouillee=True)
    with pytest.raises(states.TransitionError, match="clos"):
        states.transition(piece, EtatPiece.PRISE_EN_CHARGE, actor="x")


def test_payment_keeps_its_delay_from_reception(make_piece):
    piece = make_piece(etat=EtatPiece.PRISE_EN_CHARGE)
    received = datetime.datetime(2026, 3, 2, 23, 30, tzinfo=datetime.UTC)  # 3 March in Paris
    Piece.objects.filter(pk=piece.pk).update(date_reception=received)
    states.transition(piece, EtatPiece.PAYEE, actor="x", when=datetime.date(2026, 4, 14))
    piece.refresh_from_db()
    assert piece.date_paiement == datetime.date(2026, 4, 14)
    assert piece.delai_paiement == 42


def test_a_delay_is_never_negative():
    received = datetime.datetime(2026, 3, 10, 12, tzinfo=datetime.UTC)
    assert states.payment_delay(received, datetime.date(2026, 3, 9)) == 0
    assert states.payment_delay(None, datetime.date(2026, 3, 9)) == 0


def test_a_batch_payment_keeps_each_delay(make_piece):
    pieces = [make_piece(etat=EtatPiece.PRISE_EN_CHARGE) for _ in range(3)]
    for piece, day in zip(pieces, (1, 1, 20), strict=True):
        received = datetime.datetime(2026, 3, day, 10, tzinfo=datetime.UTC)
        Piece.objects.filter(pk=piece.pk).update(date_reception=received)
    bulk.bulk_transition(
        [p.pk for p in pieces],
        EtatPiece.PAYEE,
        domaine="depense",
        expected=EtatPiece.PRISE_EN_CHARGE,
        day=datetime.date(2026, 4, 5),
        actor="x",
        message="Payée",
        date_field="date_paiement",
    )
    delays = Piece.objects.filter(pk__in=[p.pk for p in pieces]).order_by("pk")
    assert list(delays.values_list("delai_paiement", flat=True)) == [35, 35, 16]
