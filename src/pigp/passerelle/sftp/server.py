"""The asyncssh server: authentication, sessions, and SFTP requests mapped onto `vfs.Tree`.

Django (ORM, intake, mailbox) runs in a small dedicated thread pool (`run_db`), never in the
event loop; file transfers use `os.pread` / `os.pwrite` on spool or stored files in worker
threads. An upload is streamed to a spool file as it arrives and handed to the intake
service when the client closes the handle; a handle left open by a dropped connection is
discarded, never deposited half-received.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import asyncssh
from django.conf import settings
from django.db import close_old_connections

from pigp.core import files
from pigp.passerelle.access import Principal
from pigp.passerelle.sftp import auth, vfs

log = logging.getLogger("pigp.sftp")
T = TypeVar("T")

MAX_READ = 4 * 1024 * 1024
FILE_MODE = 0o100000
DIR_MODE = 0o040000
TOO_MANY = "Trop de sessions SFTP ouvertes sur le portail : réessayez dans quelques minutes."
IDLE = "Session SFTP inactive : déconnexion."
INTERNAL = "Erreur interne du portail : l'opération n'a pas abouti, réessayez plus tard."
REFUSED = "Opération refusée : l'arborescence SFTP du portail n'accepte que le dépôt et la lecture."


def load_host_key(path: Path) -> asyncssh.SSHKey:
    """Read the server's host key, generating an Ed25519 key (mode 0600) on first start."""
    path = Path(path)
    if not path.exists():
        key = asyncssh.generate_private_key("ssh-ed25519")
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process generated it first
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(key.export_private_key())
            log.info("SFTP: clé d'hôte générée dans %s", path)
            return key
    return asyncssh.read_private_key(str(path))


def _db_call(func: Callable[..., T], *args: Any) -> T:
    close_old_connections()
    try:
        return func(*args)
    finally:
        close_old_connections()


class SftpService:
    """One listening server; `start()` returns the bound port (port 0 picks a free one)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 2222,
        *,
        host_key_path: Path | None = None,
        max_sessions: int | None = None,
        idle_timeout: float | None = None,
        db_threads: int | None = None,
    ) -> None:
        self.host, self.port = host, port
        self.host_key_path = Path(host_key_path or settings.PIGP_SFTP_HOST_KEY)
        self.max_sessions = max_sessions or settings.PIGP_SFTP_MAX_SESSIONS
        self.idle_timeout = idle_timeout or settings.PIGP_SFTP_IDLE_TIMEOUT
        self.sessions: set[SshSession] = set()
        self.open_uploads = 0  # upload handles not yet closed (deposited or discarded)
        self._pool = ThreadPoolExecutor(
            max_workers=db_threads or settings.PIGP_SFTP_DB_THREADS, thread_name_prefix="sftp-db"
        )
        self._acceptor: asyncssh.SSHAcceptor | None = None
        self._reaper: asyncio.Task[None] | None = None
        self.host_key: asyncssh.SSHKey | None = None

    async def run_db(self, func: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, functools.partial(_db_call, func, *args))

    async def start(self) -> int:
        self.host_key = await asyncio.to_thread(load_host_key, self.host_key_path)
        self._acceptor = await asyncssh.listen(
            self.host,
            self.port,
            server_host_keys=[self.host_key],
            server_factory=lambda: SshSession(self),
            sftp_factory=lambda chan: VirtualSFTPServer(chan, self),
            sftp_version=3,
            allow_scp=False,
            allow_pty=False,
            agent_forwarding=False,
            x11_forwarding=False,
            login_timeout=60,
        )
        self.port = self._acceptor.get_port()
        self._reaper = asyncio.create_task(self._reap_idle())
        log.info("SFTP: à l'écoute sur %s:%s", self.host, self.port)
        return self.port

    async def stop(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
        if self._acceptor is not None:
            self._acceptor.close()
            await self._acceptor.wait_closed()
        for session in list(self.sessions):
            session.close()
        await asyncio.sleep(0)
        await asyncio.to_thread(self._pool.shutdown, wait=True)

    async def serve_forever(self) -> None:
        if self._acceptor is None:
            await self.start()
        assert self._acceptor is not None
        await self._acceptor.wait_closed()

    async def _reap_idle(self) -> None:
        interval = max(0.2, min(30.0, self.idle_timeout / 4))
        while True:
            await asyncio.sleep(interval)
            now = time.monotonic()
            for session in list(self.sessions):
                if now - session.last_activity > self.idle_timeout:
                    log.info("SFTP: session inactive fermée (%s)", session.label)
                    session.close(IDLE)


class SshSession(asyncssh.SSHServer):
    """One SSH connection: its authentication and the principal it ends up with."""

    def __init__(self, service: SftpService) -> None:
        self.service = service
        self.conn: asyncssh.SSHServerConnection | None = None
        self.peer = ""
        self.client_version = ""
        self.principal: Principal | None = None
        self._candidate: tuple[str, Principal, str] | None = None
        self.last_activity = time.monotonic()

    @property
    def label(self) -> str:
        who = self.principal.email if self.principal is not None else "non authentifié"
        return f"{who} depuis {self.peer}"

    def touch(self) -> None:
        self.last_activity = time.monotonic()

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        peer = conn.get_extra_info("peername")
        self.peer = str(peer[0]) if peer else ""
        self.client_version = str(conn.get_extra_info("client_version") or "")
        conn.set_extra_info(pigp_session=self)
        if len(self.service.sessions) >= self.service.max_sessions:
            log.warning("SFTP: connexion refusée de %s (%s)", self.peer, TOO_MANY)
            conn.disconnect(asyncssh.DISC_TOO_MANY_CONNECTIONS, TOO_MANY)
            return
        self.service.sessions.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.service.sessions.discard(self)

    def close(self, reason: str = "Arrêt du serveur SFTP.") -> None:
        if self.conn is not None:
            self.conn.disconnect(asyncssh.DISC_BY_APPLICATION, reason)

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    async def validate_password(self, username: str, password: str) -> bool:
        self.touch()
        try:
            principal = await self.service.run_db(
                auth.check_password, username, password, self.peer, self.client_version
            )
        except Exception:
            log.exception("SFTP: erreur pendant l'authentification de %s", username)
            return False
        if principal is None:
            return False
        self._candidate = (username, principal, "mot de passe")
        return True

    def public_key_auth_supported(self) -> bool:
        return True

    async def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        self.touch()
        fingerprint = auth.blob_fingerprint(key.public_data)
        try:
            principal = await self.service.run_db(auth.check_key, username, fingerprint)
        except Exception:
            log.exception("SFTP: erreur pendant l'authentification de %s", username)
            return False
        if principal is None:
            return False
        self._candidate = (username, principal, f"clé {fingerprint}")
        return True

    async def auth_completed(self) -> None:
        assert self.conn is not None and self._candidate is not None
        username, principal, method = self._candidate
        if self.conn.get_extra_info("username") != username:  # pragma: no cover - defensive
            self.close("Authentification incohérente.")
            return
        self.principal = principal
        await self.service.run_db(
            auth.record_login, principal, method, self.peer, self.client_version
        )


class _Upload:
    def __init__(
        self, target: vfs.UploadTarget, fd: int, path: Path, parts: tuple[str, ...] = ()
    ) -> None:
        self.target, self.fd, self.path, self.parts = target, fd, path, parts
        self.size = 0
        self.error = ""


class _Download:
    def __init__(self, target: vfs.DownloadTarget, fd: int, stack: contextlib.ExitStack) -> None:
        self.target, self.fd, self.stack = target, fd, stack
        self.covered: list[tuple[int, int]] = []
        self.reached_end = False

    def served(self, offset: int, length: int) -> None:
        if length == 0:
            self.reached_end = self.reached_end or offset >= self.target.size
            return
        spans = sorted([*self.covered, (offset, offset + length)])
        merged = [spans[0]]
        for start, end in spans[1:]:
            if start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        self.covered = merged

    @property
    def complete(self) -> bool:
        if self.target.size == 0:
            return self.reached_end
        return self.covered == [(0, self.target.size)] or (
            len(self.covered) == 1
            and self.covered[0][0] == 0
            and self.covered[0][1] >= self.target.size
        )


def _sftp_error(exc: vfs.VfsError) -> asyncssh.SFTPError:
    if isinstance(exc, vfs.NotFound):
        return asyncssh.SFTPNoSuchFile(exc.message, "fr-FR")
    if isinstance(exc, vfs.Denied):
        return asyncssh.SFTPPermissionDenied(exc.message, "fr-FR")
    return asyncssh.SFTPFailure(exc.message, "fr-FR")


class VirtualSFTPServer(asyncssh.SFTPServer):
    """SFTP requests on the virtual tree; anything that would alter it is refused."""

    def __init__(self, chan: asyncssh.SSHServerChannel, service: SftpService) -> None:
        super().__init__(chan)
        self.service = service
        self.session: SshSession = chan.get_connection().get_extra_info("pigp_session")
        assert self.session.principal is not None
        self.principal: Principal = self.session.principal
        # Paths this session deposited: a client stats what it just uploaded (paramiko's
        # put() does), and a content already received under another name is listed under
        # that first name; the path answers for the session all the same.
        self._deposited: dict[tuple[str, ...], vfs.Entry] = {}

    async def _tree(self, method: str, *args: Any) -> Any:
        self.session.touch()
        try:
            return await self.service.run_db(vfs.call, self.principal, method, *args)
        except vfs.VfsError as exc:
            raise _sftp_error(exc) from None
        except Exception:
            # asyncssh would send the exception's text to the client: log it, answer plainly.
            log.exception("SFTP: erreur interne (%s) pour %s", method, self.session.label)
            raise asyncssh.SFTPFailure(INTERNAL, "fr-FR") from None

    @staticmethod
    def _parts(path: bytes) -> tuple[str, ...]:
        try:
            return vfs.split_path(path)
        except vfs.VfsError as exc:
            raise _sftp_error(exc) from None

    @staticmethod
    def _attrs(entry: vfs.Entry) -> asyncssh.SFTPAttrs:
        if entry.is_dir:
            mode, kind = DIR_MODE | (0o755 if entry.writable else 0o555), 2
        else:
            mode, kind = FILE_MODE | 0o444, 1
        mtime = int(entry.mtime)
        return asyncssh.SFTPAttrs(
            type=kind,
            size=entry.size,
            uid=0,
            gid=0,
            permissions=mode,
            atime=mtime,
            mtime=mtime,
            nlink=1,
        )

    def format_user(self, uid: int | None) -> str:
        return "pigp"

    def format_group(self, gid: int | None) -> str:
        return "pigp"

    # Names and attributes -----------------------------------------------------------------

    async def realpath(self, path: bytes) -> bytes:
        return vfs.join(self._parts(path)).encode()

    async def stat(self, path: bytes) -> asyncssh.SFTPAttrs:
        parts = self._parts(path)
        try:
            return self._attrs(await self._tree("stat", parts))
        except asyncssh.SFTPNoSuchFile:
            if parts in self._deposited:
                return self._attrs(self._deposited[parts])
            raise

    async def lstat(self, path: bytes) -> asyncssh.SFTPAttrs:
        return await self.stat(path)

    async def scandir(self, path: bytes) -> AsyncIterator[asyncssh.SFTPName]:
        parts = self._parts(path)
        entries = await self._tree("listdir", parts)
        here = await self._tree("stat", parts)
        yield asyncssh.SFTPName(b".", attrs=self._attrs(here))
        yield asyncssh.SFTPName(b"..", attrs=self._attrs(vfs.Entry("..", True)))
        for entry in entries:
            yield asyncssh.SFTPName(entry.name.encode(), attrs=self._attrs(entry))

    async def fstat(self, file_obj: object) -> asyncssh.SFTPAttrs:
        if isinstance(file_obj, _Upload):
            return self._attrs(vfs.Entry(file_obj.target.name, False, size=file_obj.size))
        assert isinstance(file_obj, _Download)
        return self._attrs(vfs.Entry(file_obj.target.name, False, size=file_obj.target.size))

    # Files ------------------------------------------------------------------------------

    async def open(self, path: bytes, pflags: int, attrs: asyncssh.SFTPAttrs) -> object:
        parts = self._parts(path)
        writing = pflags & (
            asyncssh.FXF_WRITE | asyncssh.FXF_APPEND | asyncssh.FXF_CREAT | asyncssh.FXF_TRUNC
        )
        if writing:
            target: vfs.UploadTarget = await self._tree("upload_target", parts)
            fd, name = await asyncio.to_thread(
                tempfile.mkstemp, prefix="sftp-", dir=files.spool_dir()
            )
            self.service.open_uploads += 1
            return _Upload(target, fd, Path(name), parts)
        download: vfs.DownloadTarget = await self._tree("download", parts)
        stack = contextlib.ExitStack()
        try:
            local = await asyncio.to_thread(stack.enter_context, files.local_path(download.fichier))
            fd = await asyncio.to_thread(os.open, local, os.O_RDONLY)
        except OSError:
            await asyncio.to_thread(stack.close)
            log.exception("SFTP: fichier stocké illisible (%s)", download.name)
            raise asyncssh.SFTPFailure("Fichier momentanément indisponible.", "fr-FR") from None
        return _Download(download, fd, stack)

    async def open56(
        self, path: bytes, desired_access: int, flags: int, attrs: asyncssh.SFTPAttrs
    ) -> object:  # pragma: no cover - the server speaks SFTP v3 only
        raise asyncssh.SFTPOpUnsupported("Version SFTP non prise en charge.", "fr-FR")

    async def read(self, file_obj: object, offset: int, size: int) -> bytes:
        self.session.touch()
        if not isinstance(file_obj, _Download):
            raise asyncssh.SFTPPermissionDenied("Fichier ouvert en écriture seule.", "fr-FR")
        data = await asyncio.to_thread(os.pread, file_obj.fd, min(size, MAX_READ), offset)
        file_obj.served(offset, len(data))
        return data

    async def write(self, file_obj: object, offset: int, data: bytes) -> int:
        self.session.touch()
        if not isinstance(file_obj, _Upload):
            raise asyncssh.SFTPPermissionDenied(vfs.MAILBOX_READ_ONLY, "fr-FR")
        if file_obj.error:
            raise asyncssh.SFTPFailure(file_obj.error, "fr-FR")
        limit = settings.PIGP_PASSERELLE_MAX_SIZE
        if offset + len(data) > limit:
            file_obj.error = files.FileTooLargeError(limit).args[0]
            raise asyncssh.SFTPFailure(file_obj.error, "fr-FR")
        await asyncio.to_thread(os.pwrite, file_obj.fd, data, offset)
        file_obj.size = max(file_obj.size, offset + len(data))
        return len(data)

    async def close(self, file_obj: object) -> None:
        self.session.touch()
        if isinstance(file_obj, _Download):
            await asyncio.to_thread(os.close, file_obj.fd)
            await asyncio.to_thread(file_obj.stack.close)
            if file_obj.complete and not self.channel.is_closing():
                await self._tree("complete_download", file_obj.target.item_id)
            return
        assert isinstance(file_obj, _Upload)
        try:
            await asyncio.to_thread(os.close, file_obj.fd)
            if self.channel.is_closing():
                # Called by asyncssh's cleanup of a dropped session: the file is incomplete.
                log.warning(
                    "SFTP: dépôt interrompu de %s par %s : ignoré",
                    file_obj.target.name,
                    self.session.label,
                )
                return
            if file_obj.error:
                raise asyncssh.SFTPFailure(file_obj.error, "fr-FR")
            received = await self._tree("finish_upload", file_obj.target, file_obj.path)
            self._deposited[file_obj.parts] = vfs.Entry(
                file_obj.target.name, False, size=file_obj.size, mtime=time.time()
            )
            for r in received:
                log.info(
                    "SFTP: %s déposé par %s : flux %s%s",
                    file_obj.target.name,
                    self.session.label,
                    r.flux.pk,
                    "" if r.created else " (déjà reçu)",
                )
        finally:
            self.service.open_uploads -= 1
            await asyncio.to_thread(file_obj.path.unlink, missing_ok=True)

    async def fsetstat(self, file_obj: object, attrs: asyncssh.SFTPAttrs) -> None:
        # Clients set times or modes after an upload; accepted and ignored on an upload.
        if not isinstance(file_obj, _Upload):
            raise asyncssh.SFTPPermissionDenied(REFUSED, "fr-FR")

    async def fsync(self, file_obj: object) -> None:
        if isinstance(file_obj, _Upload):
            await asyncio.to_thread(os.fsync, file_obj.fd)

    # Everything that would change the tree is refused ---------------------------------------

    def _refuse(self, *args: object) -> None:
        self.session.touch()
        raise asyncssh.SFTPPermissionDenied(REFUSED, "fr-FR")

    setstat = lsetstat = remove = rename = posix_rename = _refuse  # type: ignore[assignment]
    mkdir = rmdir = symlink = link = _refuse  # type: ignore[assignment]

    def readlink(self, path: bytes) -> bytes:
        raise asyncssh.SFTPNoSuchFile("Aucun lien symbolique dans cette arborescence.", "fr-FR")

    def _unsupported(self, *args: object) -> None:
        raise asyncssh.SFTPOpUnsupported("Opération non prise en charge.", "fr-FR")

    statvfs = fstatvfs = lock = unlock = _unsupported  # type: ignore[assignment]

    def exit(self) -> None:
        pass


class ServerThread:
    """The server on its own event loop in a background thread (tests, benchmarks)."""

    def __init__(self, **options: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.service = SftpService(**{"host": "127.0.0.1", "port": 0, **options})
        self._thread = threading.Thread(target=self.loop.run_forever, name="sftp", daemon=True)
        self.port = 0

    def __enter__(self) -> ServerThread:
        self._thread.start()
        self.port = asyncio.run_coroutine_threadsafe(self.service.start(), self.loop).result(30)
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            asyncio.run_coroutine_threadsafe(self.service.stop(), self.loop).result(30)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(30)
            self.loop.close()
