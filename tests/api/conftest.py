"""Principals the API is tested with, on the SICOVAL (flows generated for it: tests/flows.py)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from tests.conftest import grant, make_user
from tests.passerelle.spooling import django_tmp  # noqa: F401 (a fixture of the upload tests)


@dataclass
class Caller:
    """How a test authenticates: a portal session or a bearer token."""

    label: str
    user: object = None
    token: str = ""

    def client(self, client: Client) -> Client:
        if self.user is not None:
            client.force_login(self.user)
        return client

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


@pytest.fixture
def admin_local(sicoval):
    user = make_user("admin.sicoval@example.fr")
    grant(user, sicoval, "passerelle", "administration")
    return user


def make_account(admin, colls, *, can_write=True, applications=("passerelle",), name="Logiciel"):
    from pigp.passerelle import accounts

    account = accounts.create_account(
        admin, name=name, collectivites=colls, applications=applications, can_write=can_write
    )
    issued = accounts.issue_token(admin, account, label="test")
    return account, issued.clear


@pytest.fixture
def callers(sicoval, collectivite, admin_local):
    """entitled / reader / outsider users, a service account and revoked ones."""
    from pigp.passerelle import accounts

    writer = make_user("depot.sicoval@example.fr")
    grant(writer, sicoval, "passerelle", "transmission")
    reader = make_user("lecture.sicoval@example.fr")
    grant(reader, sicoval, "passerelle", "consultation")
    outsider = make_user("ailleurs@example.fr")
    grant(outsider, collectivite, "passerelle", "transmission")
    _, token = make_account(admin_local, [sicoval])
    _, ro_token = make_account(admin_local, [sicoval], can_write=False, name="Lecture")
    revoked_account, revoked_account_token = make_account(admin_local, [sicoval], name="Ancien")
    accounts.revoke_account(admin_local, revoked_account)
    account2, revoked_token = make_account(admin_local, [sicoval], name="Jeton révoqué")
    accounts.revoke_token(admin_local, account2.tokens.get())
    return {
        "entitled": Caller("entitled", user=writer),
        "reader": Caller("reader", user=reader),
        "outsider": Caller("outsider", user=outsider),
        "service": Caller("service", token=token),
        "service_ro": Caller("service_ro", token=ro_token),
        "revoked_account": Caller("revoked_account", token=revoked_account_token),
        "revoked_token": Caller("revoked_token", token=revoked_token),
        "anonymous": Caller("anonymous"),
    }


# The Chorus API's callers and invoices (tests/api/chorus_helpers.py).
from tests.api.chorus_helpers import (  # noqa: E402, F401
    chorus_admin,
    chorus_outsider,
    chorus_tokens,
    facture,
    theirs,
)
from tests.chorus.conftest import (  # noqa: E402, F401
    fournisseur,
    other_fournisseur,
    other_supplier,
    supplier,
)
