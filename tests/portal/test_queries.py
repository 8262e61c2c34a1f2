"""List pages run a bounded number of queries, whatever the number of rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pigp.core.models import Collectivite, Habilitation, StatutHabilitation, User
from tests.conftest import make_user, verified_client

pytestmark = pytest.mark.django_db

APPS = ["passerelle", "extranet", "chorus", "orc"]

# Session, user, messages, the page's own queries; generous but independent of the rows.
HOME_MAX = 9  # the menu asks once which applications the user holds
ACCOUNT_MAX = 9
COMPTABLE_MAX = 11


def collectivites(poste, n: int, tag: str = "") -> list[Collectivite]:
    base = 21000000000000 + 1000 * (poste.pk or 0)
    return Collectivite.objects.bulk_create(
        Collectivite(
            siret=f"{base + i:014d}",
            nom=f"Commune {tag}n° {i:03d}",
            nature="commune",
            poste=poste,
            departement="31",
        )
        for i in range(n)
    )


def users(n: int, prefix: str) -> list[User]:
    return User.objects.bulk_create(User(email=f"{prefix}{i:03d}@example.fr") for i in range(n))


def habilitations(pairs, statut: str, decidee_par: User | None = None) -> None:
    Habilitation.objects.bulk_create(
        Habilitation(
            user=user,
            collectivite=coll,
            application=app,
            profil="transmission",
            statut=statut,
            demandee_par=user,
            decidee_par=decidee_par,
            motif="motif",
        )
        for user, coll, app in pairs
    )


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("n_collectivites", [1, 4])
def test_home_queries(client, poste, n_collectivites, django_assert_max_num_queries):
    user = make_user("multi@example.fr")
    colls = collectivites(poste, n_collectivites)
    habilitations([(user, c, app) for c in colls for app in APPS], StatutHabilitation.ACTIVE)
    client.force_login(user)
    client.get("/")  # session warm-up
    with django_assert_max_num_queries(HOME_MAX):
        response = client.get("/")
    assert response.content.decode().count("fr-card__title") == 4
    assert response.content.decode().count("<option") == (
        n_collectivites if n_collectivites > 1 else 0
    )


def test_home_queries_do_not_grow(client, poste):
    small = make_user("petit@example.fr")
    big = make_user("grand@example.fr")
    colls = collectivites(poste, 4)
    habilitations([(small, colls[0], "passerelle")], StatutHabilitation.ACTIVE)
    habilitations([(big, c, app) for c in colls for app in APPS], StatutHabilitation.ACTIVE)
    client.force_login(small)
    client.get("/")
    n_small = count_queries(client, "/")
    client.force_login(big)
    client.get("/")
    assert count_queries(client, "/") == n_small


@pytest.mark.parametrize("n_rows", [5, 20])
def test_account_queries(client, poste, comptable, n_rows, django_assert_max_num_queries):
    user = make_user("compte@example.fr")
    colls = collectivites(poste, 5)
    pairs = [(user, c, app) for c in colls for app in APPS][:n_rows]
    # Half decided (with a decidee_par to fetch), half pending.
    habilitations(pairs[: n_rows // 2], StatutHabilitation.ACTIVE, decidee_par=comptable)
    habilitations(pairs[n_rows // 2 :], StatutHabilitation.DEMANDEE)
    client.force_login(user)
    client.get("/compte/")
    with django_assert_max_num_queries(ACCOUNT_MAX):
        response = client.get("/compte/")
    assert response.content.decode().count("<tr>") == n_rows + 1


def test_account_queries_do_not_grow(client, poste, comptable):
    colls = collectivites(poste, 5)
    small, big = make_user("petit@example.fr"), make_user("grand@example.fr")
    habilitations([(small, colls[0], "orc")], StatutHabilitation.ACTIVE, decidee_par=comptable)
    habilitations(
        [(big, c, app) for c in colls for app in APPS], StatutHabilitation.ACTIVE, comptable
    )
    client.force_login(small)
    client.get("/compte/")
    n_small = count_queries(client, "/compte/")
    client.force_login(big)
    client.get("/compte/")
    assert count_queries(client, "/compte/") == n_small


def comptable_rows(poste, n: int, statut: str, decidee_par: User | None, tag: str = "") -> None:
    colls = collectivites(poste, 4, tag)
    people = users((n + 3) // 4, f"agent.{tag}{statut}.")
    pairs = [(u, c, "passerelle") for u in people for c in colls][:n]
    habilitations(pairs, statut, decidee_par)


@pytest.mark.parametrize(
    ("url", "statut"),
    [
        ("/comptable/demandes/", StatutHabilitation.DEMANDEE),
        ("/comptable/habilitations/", StatutHabilitation.ACTIVE),
        ("/comptable/habilitations/?statut=active", StatutHabilitation.ACTIVE),
    ],
)
@pytest.mark.parametrize("n_rows", [5, 60])
def test_comptable_pages_queries(
    client, poste, comptable, url, statut, n_rows, django_assert_max_num_queries
):
    comptable_rows(poste, n_rows, statut, decidee_par=comptable)
    verified_client(client, comptable)
    client.get(url)
    with django_assert_max_num_queries(COMPTABLE_MAX):
        response = client.get(url)
    page = response.content.decode()
    shown = min(n_rows, 50)
    assert page.count("<tr>") == shown + 1
    if n_rows > 50:
        assert "1 / 2" in page


@pytest.mark.parametrize(
    ("url", "statut"),
    [
        ("/comptable/demandes/", StatutHabilitation.DEMANDEE),
        ("/comptable/habilitations/", StatutHabilitation.ACTIVE),
    ],
)
def test_comptable_pages_queries_do_not_grow(client, poste, other_poste, url, statut):
    small = make_user("petit.comptable@example.fr", poste=other_poste)
    big = make_user("grand.comptable@example.fr", poste=poste)
    comptable_rows(other_poste, 5, statut, decidee_par=small, tag="petit ")
    comptable_rows(poste, 60, statut, decidee_par=big, tag="grand ")
    verified_client(client, small)
    client.get(url)
    n_small = count_queries(client, url)
    client.logout()
    verified_client(client, big)
    client.get(url)
    assert count_queries(client, url) == n_small
