"""Callers of the Chorus API: users through their portal session, service accounts by token."""

from __future__ import annotations

import pytest

from pigp.chorus.models import StatutFacture
from tests.api.conftest import make_account
from tests.chorus.factories import make_facture
from tests.conftest import grant, make_user, verified_client

S = StatutFacture
RECUES = "/api/v1/chorus/factures-recues/"
EMISES = "/api/v1/chorus/factures-emises/"
DEPOTS = "/api/v1/chorus/depots/"


def as_user(client, user):
    return verified_client(client, user)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def chorus_outsider(other_collectivite):
    """Entitled on Chorus Pro, for another collectivité."""
    user = make_user("chorus.ailleurs@example.fr")
    grant(user, other_collectivite, "chorus", "transmission")
    return user


@pytest.fixture
def chorus_admin(collectivite):
    user = make_user("admin.chorus@example.fr")
    grant(user, collectivite, "passerelle", "administration")
    grant(user, collectivite, "chorus", "administration")
    return user


@pytest.fixture
def chorus_tokens(chorus_admin, collectivite):
    """Tokens of service accounts open to « chorus »: one may act, one only reads; and one
    open to the passerelle only."""
    _, write = make_account(chorus_admin, [collectivite], applications=("chorus",))
    _, read = make_account(
        chorus_admin, [collectivite], applications=("chorus",), can_write=False, name="Lecture"
    )
    _, passerelle = make_account(chorus_admin, [collectivite], name="Passerelle seule")
    return {"write": write, "read": read, "passerelle": passerelle}


@pytest.fixture
def facture(collectivite, fournisseur):
    return make_facture(collectivite, fournisseur, numero="FAC-2026-001", ttc="1234.56")


@pytest.fixture
def theirs(other_collectivite, other_fournisseur):
    return make_facture(other_collectivite, other_fournisseur, numero="AILLEURS-9")
