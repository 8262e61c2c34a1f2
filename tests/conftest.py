"""Shared fixtures: organisations, and the users every view is tested with."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.factories import (  # PASSWORD, grant and make_user are also imported from here
    PASSWORD,  # noqa: F401
    grant,
    make_collectivite,
    make_poste,
    make_sicoval,
    make_simu,
    make_user,
)

if TYPE_CHECKING:
    from pigp.core.models import Collectivite, Juridiction, PosteComptable, User


@pytest.fixture(autouse=True)
def _documents_providers():
    """The apps' providers of pièce documents (`helios.documents`) as the apps registered them,
    whatever a test registers or removes in its place."""
    from pigp.helios import documents

    saved = dict(documents._providers)
    yield
    documents._providers.clear()
    documents._providers.update(saved)


@pytest.fixture(autouse=True)
def _fresh_cache(settings, tmp_path):
    """Each test starts with an empty cache and its own export files: a rolled-back test's ids
    are reused on SQLite, and what the Extranet keeps is keyed by ids and versions
    (`extranet.snapshots`, `extranet.export_cache`)."""
    from django.core.cache import cache

    settings.PIGP_EXPORT_CACHE_DIR = tmp_path / "exports-kept"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def poste(db) -> PosteComptable:
    return make_poste("031042", "SGC de Muret")


@pytest.fixture
def other_poste(db) -> PosteComptable:
    return make_poste("081013", "SGC d'Albi")


@pytest.fixture
def collectivite(poste) -> Collectivite:
    return make_collectivite(
        "21310555400017",
        "Commune de Saint-Orens",
        poste=poste,
        budgets=[("055", "00", "Budget principal")],
    )


@pytest.fixture
def other_collectivite(other_poste) -> Collectivite:
    return make_collectivite(
        "22810001200019",
        "Département du Tarn",
        poste=other_poste,
        nature="departement",
        departement="81",
    )


@pytest.fixture
def juridiction(db) -> Juridiction:
    from pigp.core.models import Juridiction

    return Juridiction.objects.create(nom="CRC Occitanie", departements="31, 81")


@pytest.fixture
def entitled(collectivite) -> User:
    """An ordonnateur with write profiles on every application of the collectivité."""
    from pigp.core.models import Application, Profil

    user = make_user("ordonnateur@example.fr")
    for app in Application.values:
        grant(user, collectivite, app, Profil.TRANSMISSION)
    return user


@pytest.fixture
def local_admin(collectivite) -> User:
    user = make_user("admin.local@example.fr")
    grant(user, collectivite, "passerelle", "administration")
    return user


@pytest.fixture
def reader(collectivite) -> User:
    """An ordonnateur who may only read."""
    from pigp.core.models import Application, Profil

    user = make_user("lecteur@example.fr")
    for app in Application.values:
        grant(user, collectivite, app, Profil.CONSULTATION)
    return user


@pytest.fixture
def outsider(other_collectivite) -> User:
    """Entitled elsewhere, not on the collectivité under test."""
    user = make_user("ailleurs@example.fr")
    grant(user, other_collectivite, "passerelle", "transmission")
    return user


def verified_client(client, user: User):
    """Log in and, for users who need one, pass the second factor."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.force_login(user)
    if user.requires_second_factor:
        device, _ = TOTPDevice.objects.get_or_create(
            user=user, name="test", defaults={"confirmed": True}
        )
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()
    return client


@pytest.fixture
def comptable(poste) -> User:
    return make_user("comptable@example.fr", poste=poste)


@pytest.fixture
def other_comptable(other_poste) -> User:
    return make_user("comptable.albi@example.fr", poste=other_poste)


@pytest.fixture
def national_admin(db) -> User:
    return make_user("admin@example.fr", is_national_admin=True, is_staff=True, is_superuser=True)


# Collectivités named after real ones: app tests deposit flows generated for them (tests/flows.py).


@pytest.fixture
def sicoval(db) -> Collectivite:
    """The SICOVAL and its poste (IdPost 031007, IdColl 24310063300011, CodCol 100)."""
    return make_sicoval()


@pytest.fixture
def simu(db) -> Collectivite:
    """The collectivité of the Hélios simulator (IdPost 034000, IdColl 12345678912345, two budgets)."""
    return make_simu()
