"""Fixtures of the passerelle tests: a depositor, a running SFTP server, spool folders."""

import pytest

from tests.factories import grant, make_user
from tests.passerelle.spooling import django_tmp  # noqa: F401 (a fixture of the upload tests)


@pytest.fixture
def depositor(collectivite):
    """A user who may deposit for the collectivité (profile transmission)."""
    user = make_user("depot@example.fr")
    grant(user, collectivite, "passerelle", "transmission")
    return user


@pytest.fixture
def server(settings, tmp_path):
    """The SFTP server, running in a thread on a free loopback port."""
    from pigp.passerelle.sftp.server import ServerThread

    settings.PIGP_SFTP_HOST_KEY = tmp_path / "sftp_host_key"
    with ServerThread() as running:
        yield running
