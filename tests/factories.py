"""Factories for the models tests build by hand: plain typed functions with useful defaults.

Fixtures (tests/conftest.py and each package's conftest.py) name the objects a test needs;
these functions make them, so that an object is built the same way everywhere."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pigp.core.models import Collectivite, Habilitation, PosteComptable, User
    from pigp.passerelle.models import Flux

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


def make_poste(codique: str, nom: str) -> PosteComptable:
    from pigp.core.models import PosteComptable

    return PosteComptable.objects.create(codique=codique, nom=nom)


def make_collectivite(
    siret: str,
    nom: str,
    *,
    poste: PosteComptable,
    nature: str = "commune",
    departement: str = "31",
    budgets: Iterable[tuple[str, str, str]] = (),
) -> Collectivite:
    """A collectivité of `poste` with its budgets, each given as (CodCol, CodBud, libellé)."""
    from pigp.core.models import Budget, Collectivite

    coll = Collectivite.objects.create(
        siret=siret, nom=nom, nature=nature, poste=poste, departement=departement
    )
    for cod_col, cod_bud, libelle in budgets:
        Budget.objects.create(collectivite=coll, cod_col=cod_col, cod_bud=cod_bud, libelle=libelle)
    return coll


def make_flux(
    coll: Collectivite, *, name: str = "f.xml", content: bytes = b"<x/>", **extra: object
) -> Flux:
    """A flow as a deposit creates it ("posté"), with `content` stored; no processing runs."""
    from pigp.core import files
    from pigp.passerelle.models import Flux

    return Flux.objects.create(
        collectivite=coll,
        canal=extra.pop("canal", "web"),
        original_name=name,
        fichier=files.store_bytes(content),
        **extra,
    )


def make_sicoval() -> Collectivite:
    """The SICOVAL and its poste (IdPost 031007, IdColl 24310063300011, CodCol 100)."""
    return make_collectivite(
        "24310063300011",
        "SICOVAL",
        poste=make_poste("031007", "Trésorerie de Labège"),
        nature="epci",
        budgets=[("100", "00", "Budget principal")],
    )


SIMU_BUDGETS = (("123", "12", "Budget simulé"), ("123", "01", "Budget recette"))


def make_simu(budgets: Iterable[tuple[str, str, str]] = SIMU_BUDGETS) -> Collectivite:
    """The collectivité of the Hélios simulator (IdPost 034000, IdColl 12345678912345)."""
    return make_collectivite(
        "12345678912345",
        "Collectivité du simulateur",
        poste=make_poste("034000", "Poste du simulateur"),
        departement="34",
        budgets=budgets,
    )
