from __future__ import annotations

import pytest

from tests.chorus.factories import make_compte, make_fournisseur
from tests.conftest import make_user

SELLER = "73282932000074"
OTHER_SELLER = "44306184100047"


@pytest.fixture
def fournisseur(db):
    return make_fournisseur(SELLER)


@pytest.fixture
def other_fournisseur(db):
    return make_fournisseur(OTHER_SELLER, "Bureau Occitan", email="compta@occitan.example.fr")


@pytest.fixture
def supplier(fournisseur):
    """A user acting for the supplier: no habilitation, its supplier's invoices only."""
    user = make_user("vendeur@lauragais.example.fr")
    make_compte(user, fournisseur)
    return user


@pytest.fixture
def other_supplier(other_fournisseur):
    user = make_user("vendeur@occitan.example.fr")
    make_compte(user, other_fournisseur)
    return user
