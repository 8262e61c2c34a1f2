"""Users and set-ups of the early-destruction offer's tests (imported by test_adhesion*,
test_attestation*, test_numerisation*)."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

import pytest

from tests.factories import grant, make_user

if TYPE_CHECKING:
    from pigp.core.models import Collectivite, User
    from pigp.orc.models import Adhesion


@pytest.fixture
def orc_admin(collectivite) -> User:
    """The ordonnateur who signs the convention (ORC « administration »)."""
    user = make_user("maire@example.fr")
    grant(user, collectivite, "orc", "administration")
    return user


@pytest.fixture
def orc_deposer(collectivite) -> User:
    """A user who deposits digitised paper PJ (ORC « transmission »)."""
    user = make_user("numerisation@example.fr")
    grant(user, collectivite, "orc", "transmission")
    return user


@pytest.fixture
def juge(juridiction) -> User:
    return make_user("juge@example.fr", juridiction=juridiction)


@pytest.fixture
def other_juge(db) -> User:
    from pigp.core.models import Juridiction

    ailleurs = Juridiction.objects.create(nom="CRC Bretagne", departements="29, 35")
    return make_user("juge.rennes@example.fr", juridiction=ailleurs)


def adhere(collectivite: Collectivite, user: User, **values: object) -> Adhesion:
    from pigp.orc import adhesion

    return adhesion.adherer(
        collectivite,
        user,
        signee_le=values.pop("signee_le", datetime.date(2026, 1, 5)),  # type: ignore[arg-type]
        signataire=str(values.pop("signataire", "Marie Dupont")),
        qualite=str(values.pop("qualite", "Maire")),
        **values,  # type: ignore[arg-type]
    )
