"""Clôture: checks, locks, signal; no way back; the page is for agents of the poste only."""

from __future__ import annotations

import itertools

import pytest

from pigp.core.models import JournalEntry
from pigp.helios import cloture, states
from pigp.helios.models import Bordereau, EtatPiece, Exercice, Piece
from pigp.helios.signals import exercice_closed
from tests.conftest import verified_client
from tests.factories import make_flux

E = EtatPiece


@pytest.fixture
def exercice(collectivite):
    return Exercice.objects.create(budget=collectivite.budgets.first(), annee=2025)


@pytest.fixture
def make_piece(collectivite, exercice):
    flux = make_flux(collectivite)
    bordereau = Bordereau.objects.create(
        exercice=exercice, flux=flux, domaine="depense", id_bord="1", typ_bord="01"
    )
    counter = itertools.count(1)

    def make(etat=E.PRISE_EN_CHARGE, domaine="depense"):
        n = next(counter)
        return Piece.objects.create(
            bordereau=bordereau,
            exercice=exercice,
            collectivite=collectivite,
            domaine=domaine,
            id_pce=str(n),
            etat=etat,
        )

    return make


@pytest.mark.django_db
def test_undecided_pieces_block_the_closing(exercice, make_piece):
    make_piece(E.PRISE_EN_CHARGE)
    make_piece(E.RECUE)
    make_piece(E.RECUE)
    make_piece(E.EN_INSTANCE)
    with pytest.raises(cloture.ClotureError) as err:
        cloture.close(exercice, actor="comptable@example.fr")
    assert str(err.value) == (
        "L'exercice 2025 ne peut pas être clos : 2 pièces à prendre en charge et 1 pièce en "
        "instance. Prenez-les en charge ou rejetez-les d'abord."
    )
    exercice.refresh_from_db()
    assert not exercice.cloture
    assert not Piece.objects.filter(verrouillee=True).exists()


@pytest.mark.django_db(transaction=True)
def test_close_locks_journals_signals_and_never_reopens(exercice, make_piece):
    paid = make_piece(E.PRISE_EN_CHARGE)
    make_piece(E.REJETEE)
    make_piece(E.PAYEE)
    other = Exercice.objects.create(budget=exercice.budget, annee=2026)
    received = []

    def listener(sender, exercice, **kwargs):
        received.append((sender, exercice.pk, exercice.cloture))

    exercice_closed.connect(listener)
    try:
        cloture.close(exercice, actor="comptable@example.fr")
    finally:
        exercice_closed.disconnect(listener)
    exercice.refresh_from_db()
    assert exercice.cloture and exercice.closed_at and exercice.closed_by == "comptable@example.fr"
    assert received == [(Exercice, exercice.pk, True)]
    assert Piece.objects.filter(exercice=exercice, verrouillee=False).count() == 0
    assert not other.cloture
    assert JournalEntry.objects.filter(action="helios_exercice_clos").count() == 1

    # A second close is refused with a message; nothing reopens.
    with pytest.raises(cloture.ClotureError, match="déjà clos : il ne peut pas être rouvert"):
        cloture.close(exercice, actor="x")
    # The state machine refuses new decisions on locked pièces; their payment goes on.
    with pytest.raises(states.TransitionError, match="exercice clos"):
        states.transition(paid, E.REJETEE, actor="x", motif_code="04")
    assert states.transition(paid, E.PAYEE, actor="x").etat == E.PAYEE
    assert not hasattr(cloture, "reopen")


@pytest.mark.django_db
def test_signal_waits_for_commit(exercice, make_piece, django_capture_on_commit_callbacks):
    make_piece(E.PRISE_EN_CHARGE)
    received = []

    def listener(sender, **kw):
        received.append(kw["exercice"].pk)

    exercice_closed.connect(listener, weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            cloture.close(exercice, actor="c")
        assert received == [] and len(callbacks) == 1
        callbacks[0]()
        assert received == [exercice.pk]
    finally:
        exercice_closed.disconnect(listener)  # the apps' own receivers (ORC) stay connected


# --- pages ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_page_lists_counts_and_closes_after_confirmation(client, comptable, exercice, make_piece):
    make_piece(E.PRISE_EN_CHARGE)
    make_piece(E.REJETEE)
    c = verified_client(client, comptable)
    page = c.get("/helios/cloture/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Clôture des exercices" in body and "2025" in body
    assert f"/helios/cloture/{exercice.pk}/" in body
    confirm = c.get(f"/helios/cloture/{exercice.pk}/")
    assert confirm.status_code == 200 and "Je confirme la clôture" in confirm.content.decode()
    # Without the confirmation box: nothing happens.
    r = c.post(f"/helios/cloture/{exercice.pk}/")
    assert r.status_code == 302
    exercice.refresh_from_db()
    assert not exercice.cloture
    r = c.post(f"/helios/cloture/{exercice.pk}/", {"confirmation": "oui"}, follow=True)
    exercice.refresh_from_db()
    assert exercice.cloture and exercice.closed_by == comptable.email
    assert "est clos" in r.content.decode()
    # A second close from the page is refused with a message.
    r = c.post(f"/helios/cloture/{exercice.pk}/", {"confirmation": "oui"}, follow=True)
    assert "ne peut pas être rouvert" in r.content.decode()


@pytest.mark.django_db
def test_page_shows_blockers(client, comptable, exercice, make_piece):
    make_piece(E.EN_INSTANCE)
    c = verified_client(client, comptable)
    body = c.get(f"/helios/cloture/{exercice.pk}/").content.decode()
    assert "1 pièce en instance" in body and "Je confirme" not in body
    r = c.post(f"/helios/cloture/{exercice.pk}/", {"confirmation": "oui"}, follow=True)
    assert "ne peut pas être clos" in r.content.decode()
    exercice.refresh_from_db()
    assert not exercice.cloture


@pytest.mark.django_db
def test_outsiders_get_404_everywhere(
    client,
    other_comptable,
    entitled,
    local_admin,
    reader,
    outsider,
    national_admin,
    exercice,
    make_piece,
):
    make_piece(E.PRISE_EN_CHARGE)
    detail = f"/helios/cloture/{exercice.pk}/"
    for user in (other_comptable, entitled, local_admin, reader, outsider, national_admin):
        client.logout()
        c = verified_client(client, user)
        assert c.get(detail).status_code == 404, user.email
        assert c.post(detail, {"confirmation": "oui"}).status_code == 404, user.email
        listing = c.get("/helios/cloture/")
        if user is other_comptable:  # an agent: their own (empty) list, nothing of ours
            assert listing.status_code == 200
            assert detail not in listing.content.decode()
        else:
            assert listing.status_code == 404, user.email
    exercice.refresh_from_db()
    assert not exercice.cloture


@pytest.mark.django_db
def test_agent_list_shows_only_own_poste(
    client, comptable, other_comptable, other_collectivite, exercice
):
    from pigp.core.models import Budget

    tarn = Budget.objects.create(
        collectivite=other_collectivite, cod_col="001", cod_bud="00", libelle="Budget du Tarn"
    )
    theirs = Exercice.objects.create(budget=tarn, annee=2024)
    body = verified_client(client, comptable).get("/helios/cloture/").content.decode()
    assert "Budget principal" in body and "Budget du Tarn" not in body
    assert (
        verified_client(client, comptable).get(f"/helios/cloture/{theirs.pk}/").status_code == 404
    )
    client.logout()
    body = verified_client(client, other_comptable).get("/helios/cloture/").content.decode()
    assert "Budget du Tarn" in body and "Budget principal" not in body


@pytest.mark.django_db
def test_list_queries_do_not_grow_with_exercices(
    client, comptable, exercice, make_piece, django_assert_max_num_queries
):
    make_piece(E.PRISE_EN_CHARGE)
    c = verified_client(client, comptable)
    c.get("/helios/cloture/")
    for annee in range(2010, 2020):
        Exercice.objects.create(budget=exercice.budget, annee=annee)
    with django_assert_max_num_queries(12):
        assert c.get("/helios/cloture/").status_code == 200
