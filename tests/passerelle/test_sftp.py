"""The SFTP server, driven by paramiko: login, lockout, keys, the virtual tree, deposits, returns.

The server runs in-process on a free loopback port (its own event loop in a thread); data is
committed (`transaction=True`) since its threads have their own database connections.
Every client call is bounded by a socket / channel timeout.
"""

from __future__ import annotations

import io
import socket
from contextlib import contextmanager

import asyncssh
import paramiko
import pytest
from paramiko.sftp import CMD_CLOSE

from pigp.core import files
from pigp.core.models import JournalEntry
from pigp.passerelle.models import (
    Flux,
    FluxFinding,
    MailboxItem,
    ServiceAccount,
    SshKey,
    StatutFlux,
)
from pigp.passerelle.sftp import auth
from pigp.passerelle.sftp.server import ServerThread
from tests.conftest import PASSWORD, grant, make_user
from tests.flows import aller_bytes
from tests.waiting import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 15


def _transport(port: int) -> paramiko.Transport:
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    transport = paramiko.Transport(sock)
    transport.banner_timeout = transport.auth_timeout = transport.handshake_timeout = TIMEOUT
    transport.start_client(timeout=TIMEOUT)
    return transport


@contextmanager
def sftp(port: int, username: str, password: str | None = None, key: paramiko.PKey | None = None):
    transport = _transport(port)
    try:
        if key is not None:
            transport.auth_publickey(username, key)
        else:
            transport.auth_password(username, password or "")
        client = paramiko.SFTPClient.from_transport(transport)
        client.get_channel().settimeout(TIMEOUT)
        yield client
        client.close()
    finally:
        transport.close()


def login_fails(port: int, username: str, password: str) -> bool:
    transport = _transport(port)
    try:
        transport.auth_password(username, password)
    except paramiko.AuthenticationException:
        return True
    finally:
        transport.close()
    return False


def key_login_fails(port: int, username: str, key: paramiko.PKey) -> bool:
    transport = _transport(port)
    try:
        transport.auth_publickey(username, key)
    except paramiko.AuthenticationException:
        return True
    finally:
        transport.close()
    return False


def new_key(tmp_path, name="id_ed25519") -> tuple[paramiko.PKey, str, str]:
    """A fresh Ed25519 key: (paramiko key, OpenSSH public line, private key file)."""
    key = asyncssh.generate_private_key("ssh-ed25519")
    private = tmp_path / name
    private.write_bytes(key.export_private_key())
    private.chmod(0o600)
    public = key.export_public_key().decode().strip()
    return paramiko.Ed25519Key.from_private_key_file(str(private)), public, str(private)


def register(public: str, *, user=None, account=None) -> SshKey:
    return SshKey.objects.create(
        user=user, account=account, public_key=public, fingerprint=auth.fingerprint(public)
    )


def service_account(creator, *collectivites, can_write=True) -> ServiceAccount:
    account = ServiceAccount.objects.create(
        name="Logiciel financier",
        applications=["passerelle"],
        can_write=can_write,
        created_by=creator,
    )
    account.collectivites.add(*collectivites)
    return account


def close_status(client: paramiko.SFTPClient, handle: paramiko.SFTPFile) -> str:
    """Close a handle and return the server's error message ('' when the close succeeded).

    paramiko's `SFTPFile.close()` swallows errors: the raw request shows them.
    """
    handle.flush()
    handle._closed = True  # we send the close ourselves
    try:
        client._request(CMD_CLOSE, handle.handle)
    except OSError as exc:
        return str(exc)
    return ""


@pytest.fixture
def sicoval_depositor(sicoval):
    user = make_user("depot@sicoval.fr")
    grant(user, sicoval)
    return user


def test_upload_becomes_acknowledged_flow_and_acquit_is_picked_up(
    server, sicoval_depositor, sicoval
):
    content = aller_bytes(sicoval)
    with sftp(server.port, sicoval_depositor.email, PASSWORD) as client:
        attrs = client.putfo(io.BytesIO(content), "/depot/mandats.xml")
        assert attrs.st_size == len(content)
        flux = Flux.objects.get()
        assert flux.canal == "sftp" and flux.sender_user == sicoval_depositor
        assert flux.collectivite == sicoval and flux.original_name == "mandats.xml"
        assert flux.statut == StatutFlux.ACQUITTE, flux.message

        assert "mandats.xml" in client.listdir("/depot")
        assert client.listdir("/depot/24310063300011") == ["mandats.xml"]
        item = MailboxItem.objects.get(related_flux=flux)
        assert item.name in client.listdir("/retour")
        assert client.listdir("/retour/24310063300011") == [item.name]
        assert client.stat(f"/retour/{item.name}").st_size == item.fichier.size

        # A partial read does not count as picked up.
        with client.open(f"/retour/{item.name}", "rb") as fh:
            fh.read(10)
        item.refresh_from_db()
        assert item.read_at is None

        downloaded = io.BytesIO()
        client.getfo(f"/retour/24310063300011/{item.name}", downloaded)
    item.refresh_from_db()
    assert item.read_at is not None and item.read_by == sicoval_depositor.email
    with files.open_stored(item.fichier) as fh:
        assert downloaded.getvalue() == fh.read()
    assert JournalEntry.objects.filter(action="connexion", actor_id=sicoval_depositor.pk).exists()
    assert JournalEntry.objects.filter(action="boite_aux_lettres_lu").exists()


def test_wrong_password_refused_and_journaled(server, sicoval_depositor):
    assert login_fails(server.port, sicoval_depositor.email, "pas-le-bon-mot-de-passe")
    assert login_fails(server.port, "inconnu@example.fr", PASSWORD)
    failed = JournalEntry.objects.filter(action="connexion_echouee")
    assert {e.actor_label for e in failed} >= {sicoval_depositor.email, "inconnu@example.fr"}
    assert failed.first().ip == "127.0.0.1"


def test_lockout_refuses_even_the_right_password(server, sicoval_depositor, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        assert login_fails(server.port, sicoval_depositor.email, "mauvais-mot-de-passe")
    assert login_fails(server.port, sicoval_depositor.email, PASSWORD)
    # Same counter as the web form: the portal refuses too.
    from django.test import Client

    response = Client(REMOTE_ADDR="10.0.0.9").post(
        "/connexion/", {"username": sicoval_depositor.email, "password": PASSWORD}
    )
    assert not response.wsgi_request.user.is_authenticated


def test_inactive_user_refused(server, sicoval_depositor):
    sicoval_depositor.is_active = False
    sicoval_depositor.save()
    assert login_fails(server.port, sicoval_depositor.email, PASSWORD)


def test_second_factor_accounts_need_a_key(server, sicoval, tmp_path):
    agent = make_user("agent@dgfip.fr", is_national_admin=True)
    grant(agent, sicoval)
    assert login_fails(server.port, agent.email, PASSWORD)
    entry = JournalEntry.objects.filter(action="connexion_echouee", actor_label=agent.email).last()
    assert "double authentification" in entry.details["motif"]
    key, public, _ = new_key(tmp_path)
    register(public, user=agent)
    with sftp(server.port, agent.email, key=key) as client:
        assert client.listdir("/depot") == ["24310063300011"]


def test_service_account_key_upload_and_revocation(server, sicoval_depositor, sicoval, tmp_path):
    account = service_account(sicoval_depositor, sicoval)
    key, public, _ = new_key(tmp_path)
    register(public, account=account)
    other_key, _, _ = new_key(tmp_path, "autre")
    content = aller_bytes(sicoval)
    login = f"compte-{account.pk}"
    with sftp(server.port, login, key=key) as client:
        client.putfo(io.BytesIO(content), "/depot/24310063300011/flux.xml")
    flux = Flux.objects.get()
    assert flux.sender_account == account and flux.sender_user is None
    assert flux.statut == StatutFlux.ACQUITTE
    assert JournalEntry.objects.filter(action="connexion", actor_label=account.email).exists()

    assert key_login_fails(server.port, login, other_key)
    # A key is bound to its holder: the same key under another login is refused.
    assert key_login_fails(server.port, sicoval_depositor.email, key)
    assert login_fails(server.port, login, "un-mot-de-passe")
    from django.utils import timezone

    ServiceAccount.objects.filter(pk=account.pk).update(revoked_at=timezone.now())
    with pytest.raises(paramiko.AuthenticationException), sftp(server.port, login, key=key):
        pass


def test_revocation_during_a_session_takes_effect(server, sicoval_depositor, sicoval, tmp_path):
    account = service_account(sicoval_depositor, sicoval)
    key, public, _ = new_key(tmp_path)
    register(public, account=account)
    with sftp(server.port, f"compte-{account.pk}", key=key) as client:
        assert client.listdir("/depot") == ["24310063300011"]
        from django.utils import timezone

        ServiceAccount.objects.filter(pk=account.pk).update(revoked_at=timezone.now())
        with pytest.raises(PermissionError, match="révoqué"):
            client.listdir("/depot")


def test_outsider_sees_nothing_of_the_collectivite(server, sicoval, outsider):
    content = aller_bytes(sicoval)
    with sftp(server.port, outsider.email, PASSWORD) as client:
        assert "24310063300011" not in client.listdir("/depot")
        assert "24310063300011" not in client.listdir("/retour")
        with pytest.raises(FileNotFoundError):
            client.stat("/depot/24310063300011")
        with pytest.raises(FileNotFoundError):
            client.listdir("/retour/24310063300011")
        with pytest.raises(FileNotFoundError):
            client.putfo(io.BytesIO(content), "/depot/24310063300011/intrus.xml")
    assert not Flux.objects.filter(collectivite=sicoval).exists()


def test_file_for_another_collectivite_refused_in_the_flow(server, sicoval, entitled, collectivite):
    """A user of Saint-Orens deposits SICOVAL's file: the flow is refused on its IdColl."""
    content = aller_bytes(sicoval)
    with sftp(server.port, entitled.email, PASSWORD) as client:
        client.putfo(io.BytesIO(content), "/depot/sicoval.xml")
    flux = Flux.objects.get()
    assert flux.collectivite == collectivite
    assert flux.statut == StatutFlux.REFUSE
    assert FluxFinding.objects.filter(flux=flux, code="ERREUR_SIRET").exists()


def test_several_collectivites_route_by_idcoll(server, sicoval, collectivite, simu):
    user = make_user("multi@example.fr")
    grant(user, sicoval)
    grant(user, collectivite)
    grant(user, simu, profil="consultation")
    content = aller_bytes(sicoval)
    with sftp(server.port, user.email, PASSWORD) as client:
        assert sorted(client.listdir("/depot")) == sorted(
            ["24310063300011", "21310555400017", "12345678912345"]
        )
        # Straight into /depot: the file's IdColl names SICOVAL.
        client.putfo(io.BytesIO(content), "/depot/routage.xml")
        flux = Flux.objects.get()
        assert flux.collectivite == sicoval
        # The simulator's collectivité is read-only for this user: refused by its IdColl.
        simu_file = aller_bytes(simu)
        handle = client.open("/depot/simu.xml", "wb")
        handle.write(simu_file)
        message = close_status(client, handle)
        assert "ne désigne aucune des collectivités" in message
        assert "/depot/<SIRET>/" in message
        with pytest.raises(PermissionError):
            client.putfo(io.BytesIO(simu_file), "/depot/12345678912345/simu.xml")
    assert Flux.objects.count() == 1


def test_empty_file_refused_with_a_message(server, sicoval_depositor):
    with sftp(server.port, sicoval_depositor.email, PASSWORD) as client:
        handle = client.open("/depot/vide.xml", "wb")
        assert close_status(client, handle) == "Le fichier est vide : rien n'a été déposé."
        with pytest.raises(FileNotFoundError):
            client.stat("/depot/vide.xml")
    assert not Flux.objects.exists()


def test_reader_lists_and_downloads_but_cannot_deposit(server, sicoval, sicoval_depositor):
    content = aller_bytes(sicoval)
    with sftp(server.port, sicoval_depositor.email, PASSWORD) as client:
        client.putfo(io.BytesIO(content), "/depot/mandats.xml")
    item = MailboxItem.objects.get()
    reader = make_user("lecteur@sicoval.fr")
    grant(reader, sicoval, profil="consultation")
    with sftp(server.port, reader.email, PASSWORD) as client:
        assert client.listdir("/retour") == ["24310063300011", item.name]
        assert client.stat("/depot").st_mode & 0o777 == 0o555
        with pytest.raises(PermissionError, match="consultation"):
            client.putfo(io.BytesIO(content), "/depot/autre.xml")
        with pytest.raises(PermissionError, match="consultation"):
            client.putfo(io.BytesIO(content), "/depot/24310063300011/autre.xml")
        client.getfo(f"/retour/{item.name}", io.BytesIO())
    item.refresh_from_db()
    assert item.read_by == reader.email
    assert Flux.objects.count() == 1


def test_tree_cannot_be_altered_or_escaped(server, sicoval_depositor, sicoval):
    content = aller_bytes(sicoval)
    with sftp(server.port, sicoval_depositor.email, PASSWORD) as client:
        client.putfo(io.BytesIO(content), "/depot/mandats.xml")
        acquit = MailboxItem.objects.get().name
        for operation in (
            lambda: client.remove(f"/retour/{acquit}"),
            lambda: client.remove("/depot/mandats.xml"),
            lambda: client.rename("/depot/mandats.xml", "/depot/autre.xml"),
            lambda: client.mkdir("/depot/nouveau"),
            lambda: client.rmdir("/depot"),
            lambda: client.chmod(f"/retour/{acquit}", 0o777),
            lambda: client.utime("/depot/mandats.xml", (0, 0)),
            lambda: client.symlink("/retour", "/depot/lien"),
            lambda: client.putfo(io.BytesIO(b"<x/>"), f"/retour/{acquit}"),
            lambda: client.putfo(io.BytesIO(b"<x/>"), "/ailleurs.xml"),
            lambda: client.open("/depot/mandats.xml", "rb"),
        ):
            with pytest.raises(PermissionError):
                operation()
        assert client.normalize("../../..") == "/"
        assert client.normalize("/depot/../../etc/passwd") == "/etc/passwd"
        with pytest.raises(FileNotFoundError):
            client.stat("/depot/../../etc/passwd")
        with pytest.raises(FileNotFoundError):
            client.stat("/etc")
        client.chdir("/depot/../..")
        assert client.getcwd() == "/"
        assert sorted(client.listdir(".")) == ["depot", "retour"]
        # Still serving after every refusal.
        assert acquit in client.listdir("/retour")
    assert MailboxItem.objects.filter(name=acquit).exists()
    assert Flux.objects.count() == 1


def test_interrupted_upload_is_not_deposited(server, sicoval_depositor, sicoval):
    content = aller_bytes(sicoval)
    transport = _transport(server.port)
    transport.auth_password(sicoval_depositor.email, PASSWORD)
    client = paramiko.SFTPClient.from_transport(transport)
    client.get_channel().settimeout(TIMEOUT)
    handle = client.open("/depot/coupe.xml", "wb")
    assert server.service.open_uploads == 1
    handle.write(content[: len(content) // 2])
    handle.flush()
    handle._closed = True  # never closed by the client: the connection drops
    transport.close()
    wait_for(lambda: not server.service.open_uploads, TIMEOUT, "the upload to be dropped")
    assert not Flux.objects.exists()
    assert not list(files.spool_dir().glob("sftp-*"))


def test_duplicate_upload_returns_the_existing_flow(server, sicoval_depositor, sicoval):
    content = aller_bytes(sicoval)
    with sftp(server.port, sicoval_depositor.email, PASSWORD) as client:
        client.putfo(io.BytesIO(content), "/depot/mandats.xml")
        client.putfo(io.BytesIO(content), "/depot/mandats.xml")
    assert Flux.objects.count() == 1


def test_idle_session_closed(settings, tmp_path, sicoval_depositor):
    settings.PIGP_SFTP_HOST_KEY = tmp_path / "sftp_host_key"
    with (
        ServerThread(idle_timeout=1) as running,
        sftp(running.port, sicoval_depositor.email, PASSWORD) as client,
    ):
        assert client.listdir("/") == ["depot", "retour"]
        wait_for(lambda: not running.service.sessions, TIMEOUT, "the idle session to close")
        with pytest.raises((OSError, EOFError, paramiko.SSHException)):
            client.listdir("/")


def test_session_limit(settings, tmp_path, sicoval_depositor):
    settings.PIGP_SFTP_HOST_KEY = tmp_path / "sftp_host_key"
    with (
        ServerThread(max_sessions=1) as running,
        sftp(running.port, sicoval_depositor.email, PASSWORD) as client,
    ):
        with pytest.raises((paramiko.SSHException, EOFError, OSError)):
            login_fails(running.port, sicoval_depositor.email, PASSWORD)
        assert client.listdir("/") == ["depot", "retour"]


def test_host_key_generated_once_with_private_permissions(settings, tmp_path):
    from pigp.passerelle.sftp.server import load_host_key

    path = tmp_path / "cle" / "sftp_host_key"
    first = load_host_key(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_host_key(path).public_data == first.public_data


def test_no_shell_command_nor_forwarding(server, sicoval_depositor):
    transport = _transport(server.port)
    try:
        transport.auth_password(sicoval_depositor.email, PASSWORD)
        for request in (lambda c: c.exec_command("id"), lambda c: c.invoke_shell()):
            channel = transport.open_session(timeout=TIMEOUT)
            channel.settimeout(TIMEOUT)
            with pytest.raises(paramiko.SSHException):
                request(channel)
            channel.close()
        with pytest.raises(paramiko.ChannelException):
            transport.open_channel(
                "direct-tcpip", ("127.0.0.1", 22), ("127.0.0.1", 0), timeout=TIMEOUT
            )
    finally:
        transport.close()


def test_upload_over_the_size_limit_fails_and_leaves_nothing(server, sicoval_depositor, settings):
    settings.PIGP_PASSERELLE_MAX_SIZE = 1000
    with sftp(server.port, sicoval_depositor.email, PASSWORD) as client:
        handle = client.open("/depot/gros.xml", "wb")
        with pytest.raises(OSError, match="taille maximale"):
            handle.write(b"x" * 5000)
            handle.flush()
        assert "taille maximale" in close_status(client, handle)
        # paramiko's put only shows that the file did not land.
        with pytest.raises(FileNotFoundError):
            client.putfo(io.BytesIO(b"x" * 5000), "/depot/gros.xml")
        assert client.listdir("/retour") == ["24310063300011"]
    wait_for(lambda: not server.service.open_uploads, TIMEOUT, "the upload to be dropped")
    assert not Flux.objects.exists()
    assert not list(files.spool_dir().glob("sftp-*"))


def test_internal_error_is_not_leaked(server, sicoval_depositor, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("détail interne à ne pas montrer")

    monkeypatch.setattr("pigp.passerelle.intake.receive", broken)
    with sftp(server.port, sicoval_depositor.email, PASSWORD) as client:
        handle = client.open("/depot/flux.xml", "wb")
        handle.write(b"<PES_Aller/>")
        message = close_status(client, handle)
        assert message.startswith("Erreur interne du portail")
        assert "détail" not in message
        assert client.listdir("/") == ["depot", "retour"]
