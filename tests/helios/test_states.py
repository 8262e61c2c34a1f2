import itertools

import pytest

from pigp.helios import states
from pigp.helios.models import Bordereau, EtatPiece, Exercice, Piece, PieceEvent
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
