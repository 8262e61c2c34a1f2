"""Shared fixtures: organisations, and the users every view is tested with."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pigp.core.models import Collectivite, Habilitation, Juridiction, PosteComptable, User

PASSWORD = "Un-mot-de-passe-de-test-2026"


def make_user(email: str, **extra: object) -> User:
    from pigp.core.models import User

    return User.objects.create_user(email=email, password=PASSWORD, **extra)


def grant(
    user: User,
    coll: Collectivite,
    app: str = "passerelle",
    profil: str = "transmission",
    **extra: object,
) -> Habilitation:
    from pigp.core.models import Habilitation, StatutHabilitation

    return Habilitation.objects.create(
        user=user,
        collectivite=coll,
        application=app,
        profil=profil,
        statut=StatutHabilitation.ACTIVE,
        demandee_par=user,
        **extra,
    )


@pytest.fixture
def poste(db) -> PosteComptable:
    from pigp.core.models import PosteComptable

    return PosteComptable.objects.create(codique="031042", nom="SGC de Muret")


@pytest.fixture
def other_poste(db) -> PosteComptable:
    from pigp.core.models import PosteComptable

    return PosteComptable.objects.create(codique="081013", nom="SGC d'Albi")


@pytest.fixture
def collectivite(poste) -> Collectivite:
    from pigp.core.models import Budget, Collectivite, NatureCollectivite

    coll = Collectivite.objects.create(
        siret="21310555400017",
        nom="Commune de Saint-Orens",
        nature=NatureCollectivite.COMMUNE,
        poste=poste,
        departement="31",
    )
    Budget.objects.create(
        collectivite=coll, cod_col="055", cod_bud="00", libelle="Budget principal"
    )
    return coll


@pytest.fixture
def other_collectivite(other_poste) -> Collectivite:
    from pigp.core.models import Collectivite, NatureCollectivite

    return Collectivite.objects.create(
        siret="22810001200019",
        nom="Département du Tarn",
        nature=NatureCollectivite.DEPARTEMENT,
        poste=other_poste,
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


# The collectivités of the real samples: app tests deposit flows generated for them (tests/flows.py).


@pytest.fixture
def sicoval(db):
    """The collectivité, poste and budget of the SICOVAL (IdPost 031007, CodCol 100)."""
    from pigp.core.models import Budget, Collectivite, PosteComptable

    poste = PosteComptable.objects.create(codique="031007", nom="Trésorerie de Labège")
    coll = Collectivite.objects.create(
        siret="24310063300011", nom="SICOVAL", nature="epci", poste=poste, departement="31"
    )
    Budget.objects.create(
        collectivite=coll, cod_col="100", cod_bud="00", libelle="Budget principal"
    )
    return coll


@pytest.fixture
def simu(db):
    """The collectivité of the Hélios simulator (IdPost 034000, IdColl 12345678912345, two budgets)."""
    from pigp.core.models import Budget, Collectivite, PosteComptable

    poste = PosteComptable.objects.create(codique="034000", nom="Poste du simulateur")
    coll = Collectivite.objects.create(
        siret="12345678912345",
        nom="Collectivité du simulateur",
        nature="commune",
        poste=poste,
        departement="34",
    )
    Budget.objects.create(collectivite=coll, cod_col="123", cod_bud="12", libelle="Budget simulé")
    Budget.objects.create(collectivite=coll, cod_col="123", cod_bud="01", libelle="Budget recette")
    return coll
