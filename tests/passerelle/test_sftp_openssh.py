"""The SFTP server driven by the OpenSSH command-line client (`sftp -b`, key authentication)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from pigp.core import files
from pigp.passerelle.models import Flux, MailboxItem, StatutFlux
from tests.conftest import grant, make_user
from tests.flows import aller_bytes
from tests.passerelle.test_sftp import new_key, register, service_account

SFTP = shutil.which("sftp")
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(SFTP is None, reason="client OpenSSH sftp absent"),
]
SIRET = "24310063300011"


def run_batch(port: int, login: str, key_file: str, commands: list[str], tmp_path):
    batch = tmp_path / "commandes.txt"
    batch.write_text("\n".join(commands) + "\n")
    return subprocess.run(
        [
            SFTP,
            "-F",
            "/dev/null",
            "-b",
            str(batch),
            "-P",
            str(port),
            "-i",
            key_file,
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "GlobalKnownHostsFile=/dev/null",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "IdentityAgent=none",
            "-o",
            "PasswordAuthentication=no",
            "-o",
            "ConnectTimeout=10",
            "-o",
            "LogLevel=ERROR",
            "-o",
            f"User={login}",
            "127.0.0.1",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )


@pytest.fixture
def owner(sicoval):
    user = make_user("depot@sicoval.fr")
    grant(user, sicoval)
    return user


def test_service_account_puts_lists_and_gets(server, sicoval, owner, tmp_path):
    account = service_account(owner, sicoval)
    _, public, key_file = new_key(tmp_path)
    register(public, account=account)
    login = f"compte-{account.pk}"
    local = tmp_path / "mandats.xml"
    local.write_bytes(aller_bytes(sicoval))

    result = run_batch(
        server.port,
        login,
        key_file,
        [
            f"put {local} /depot/{SIRET}/mandats.xml",
            "ls -l /depot",
            f"ls /depot/{SIRET}",
            "ls /retour",
        ],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    flux = Flux.objects.get()
    assert flux.canal == "sftp" and flux.sender_account == account
    assert flux.statut == StatutFlux.ACQUITTE, flux.message
    item = MailboxItem.objects.get(related_flux=flux)
    assert "mandats.xml" in result.stdout
    assert item.name in result.stdout

    result = run_batch(
        server.port, login, key_file, [f"get /retour/{item.name} acquit.xml"], tmp_path
    )
    assert result.returncode == 0, result.stderr
    with files.open_stored(item.fichier) as fh:
        assert (tmp_path / "acquit.xml").read_bytes() == fh.read()
    item.refresh_from_db()
    assert item.read_at is not None and item.read_by == account.email


def test_user_key_relative_paths_and_refusals(server, sicoval, owner, tmp_path):
    _, public, key_file = new_key(tmp_path)
    register(public, user=owner)
    (tmp_path / "vide.xml").write_bytes(b"")
    (tmp_path / "flux.xml").write_bytes(aller_bytes(sicoval))

    result = run_batch(
        server.port, owner.email, key_file, ["cd depot", "put flux.xml", "ls", "pwd"], tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "/depot" in result.stdout and "flux.xml" in result.stdout
    assert Flux.objects.get().original_name == "flux.xml"

    for command in ("put vide.xml /depot/vide.xml", "rm /depot/flux.xml", "mkdir /depot/x"):
        result = run_batch(server.port, owner.email, key_file, [command], tmp_path)
        assert result.returncode != 0, command
    assert Flux.objects.count() == 1


def test_reader_cannot_put(server, sicoval, tmp_path):
    reader = make_user("lecteur@sicoval.fr")
    grant(reader, sicoval, profil="consultation")
    _, public, key_file = new_key(tmp_path)
    register(public, user=reader)
    (tmp_path / "flux.xml").write_bytes(aller_bytes(sicoval))
    result = run_batch(
        server.port, reader.email, key_file, ["put flux.xml /depot/flux.xml"], tmp_path
    )
    assert result.returncode != 0
    assert "Permission denied" in result.stderr or "consultation" in result.stderr
    assert not Flux.objects.exists()
