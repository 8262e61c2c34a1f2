from __future__ import annotations

from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference" / "pes" / "samples"
SAMPLES = SAMPLES.resolve()


def sample(rel: str) -> Path:
    path = SAMPLES / rel
    if not path.exists():
        pytest.skip(f"échantillon de référence absent : {path}")
    return path


@pytest.fixture
def sicoval(db):
    """The collectivité, poste and budget of the real SICOVAL sample (IdPost 031007, CodCol 100)."""
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
    """The collectivité of the Hélios simulator samples (IdPost 034000, IdColl 12345678912345)."""
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
