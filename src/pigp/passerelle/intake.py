"""One intake service behind the web page, the API and the SFTP server.

The upload is streamed to a spool file while it is digested, fsynced, moved into the
content-addressed store, and only then is the flow row committed and the sender answered.
`receive` spools a stream (SFTP, raw API bodies); `receive_spooled` takes a file the upload
handler of the web and API views already spooled (`passerelle.uploads`), without a copy.
A manifest written before the move lets `passerelle_sweep` reclaim a file whose commit was
lost in a crash. The same content sent twice for a collectivité returns the existing flow.
"""

from __future__ import annotations

import gzip
import io
import json
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction

from pigp.core import files
from pigp.core.models import Collectivite, StoredFile, User
from pigp.formats.pes.messages import compression_message
from pigp.passerelle.history import set_status
from pigp.passerelle.models import Canal, Flux, FluxEvent, ServiceAccount, StatutFlux
from pigp.passerelle.names import clean_filename

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"


class IntakeError(Exception):
    """A deposit refused before any flow could be created (message in French)."""


@dataclass(frozen=True)
class Received:
    flux: Flux
    created: bool


def manifest_dir() -> Path:
    path = files.spool_dir() / "manifests"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _write_manifest(sha256: str, data: dict[str, object]) -> Path:
    """One manifest per deposit, named `<digest>.<unique>.json`: simultaneous deposits of the
    same bytes each write, publish and remove their own (a name from the digest alone made
    their renames collide)."""
    unique = uuid.uuid4().hex
    path = manifest_dir() / f"{sha256}.{unique}.json"
    tmp = path.with_name(f"{sha256}.{unique}.tmp")
    tmp.write_text(json.dumps(data))
    tmp.replace(path)
    return path


def manifest_digest(path: Path) -> str:
    """The content digest a manifest is about (the first part of its name)."""
    return path.name.split(".", 1)[0]


@dataclass(frozen=True)
class Deposit:
    """Who deposited for whom, through which channel: the same for every entry of an archive
    (and for the flow `passerelle_sweep` reclaims from a manifest)."""

    collectivite: Collectivite
    canal: str
    sender_user: User | None
    sender_account: ServiceAccount | None
    actor: str


def _create_flux(
    stored: StoredFile, filename: str, deposit: Deposit, *, refused_reason: str = ""
) -> Received:
    collectivite = deposit.collectivite
    existing = Flux.objects.filter(
        collectivite=collectivite, fichier=stored, direction="aller"
    ).first()
    if existing is not None:
        return Received(existing, False)
    try:
        with transaction.atomic():
            flux = Flux.objects.create(
                collectivite=collectivite,
                canal=deposit.canal,
                original_name=filename[:255],
                fichier=stored,
                sender_user=deposit.sender_user,
                sender_account=deposit.sender_account,
            )
            FluxEvent.objects.create(
                flux=flux,
                statut=StatutFlux.POSTE,
                message="Fichier reçu et conservé.",
                actor=deposit.actor,
            )
            if refused_reason:
                set_status(flux, StatutFlux.REFUSE, refused_reason, actor="passerelle")
    except IntegrityError:
        return Received(
            Flux.objects.get(collectivite=collectivite, fichier=stored, direction="aller"), False
        )
    if not refused_reason:
        from pigp.passerelle.pipeline import enqueue_processing

        transaction.on_commit(lambda: enqueue_processing(flux.pk))
    return Received(flux, True)


def receive(
    stream: files.Readable,
    *,
    filename: str,
    collectivite: Collectivite,
    canal: str,
    sender_user: User | None = None,
    sender_account: ServiceAccount | None = None,
) -> list[Received]:
    """Store a deposit durably and create its flow(s); archives give one flow per entry."""
    try:
        with files.spool(stream, max_size=settings.PIGP_PASSERELLE_MAX_SIZE) as spooled:
            return receive_spooled(
                spooled,
                filename=filename,
                collectivite=collectivite,
                canal=canal,
                sender_user=sender_user,
                sender_account=sender_account,
            )
    except files.FileTooLargeError as exc:
        raise IntakeError(str(exc)) from exc


def receive_spooled(
    spooled: files.SpooledFile,
    *,
    filename: str,
    collectivite: Collectivite,
    canal: str,
    sender_user: User | None = None,
    sender_account: ServiceAccount | None = None,
) -> list[Received]:
    """`receive` for a file already in the spool (written there by the upload handler of the
    web and API views): no second copy. The spool file is consumed whatever happens: moved
    into the object store, or removed."""
    try:
        if canal not in Canal.values:
            raise ValueError(canal)
        if spooled.size > settings.PIGP_PASSERELLE_MAX_SIZE:
            raise files.FileTooLargeError(settings.PIGP_PASSERELLE_MAX_SIZE)
        actor = sender_user or sender_account
        deposit = Deposit(
            collectivite=collectivite,
            canal=canal,
            sender_user=sender_user,
            sender_account=sender_account,
            actor=actor.email if actor is not None else canal,
        )
        return _receive(spooled, clean_filename(filename), deposit)
    except files.FileTooLargeError as exc:
        raise IntakeError(str(exc)) from exc
    finally:
        spooled.path.unlink(missing_ok=True)


def _receive(spooled: files.SpooledFile, filename: str, deposit: Deposit) -> list[Received]:
    """The one path of every deposit once it is spooled: refusals, archives, duplicates."""
    if spooled.size == 0:
        raise IntakeError("Le fichier est vide : rien n'a été déposé.")
    with spooled.path.open("rb") as fh:
        magic = fh.read(4)
    if magic.startswith(GZIP_MAGIC) or magic == ZIP_MAGIC:
        return _receive_archive(spooled, filename, magic, deposit)
    return [_keep_and_create(spooled, filename, deposit)]


def _keep_and_create(
    spooled: files.SpooledFile,
    filename: str,
    deposit: Deposit,
    *,
    refused_reason: str = "",
    media_type: str = "application/xml",
) -> Received:
    manifest = _write_manifest(
        spooled.sha256,
        {
            "sha256": spooled.sha256,
            "size": spooled.size,
            "filename": filename,
            "collectivite": deposit.collectivite.pk,
            "canal": deposit.canal,
            "sender_user": getattr(deposit.sender_user, "pk", None),
            "sender_account": getattr(deposit.sender_account, "pk", None),
            "refused_reason": refused_reason,
            "spool_path": str(spooled.path),
        },
    )
    stored = files.keep(spooled, media_type=media_type)
    received = _create_flux(stored, filename, deposit, refused_reason=refused_reason)
    manifest.unlink(missing_ok=True)
    return received


def _receive_archive(
    spooled: files.SpooledFile, filename: str, magic: bytes, deposit: Deposit
) -> list[Received]:
    max_out = settings.PIGP_PASSERELLE_MAX_DECOMPRESSED
    try:
        if magic.startswith(GZIP_MAGIC):
            inner = filename[:-3] if filename.lower().endswith(".gz") else filename + ".xml"
            with gzip.open(spooled.path, "rb") as src:
                return [_receive_member(src, inner, max_out, deposit)]
        with zipfile.ZipFile(spooled.path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if len(members) > settings.PIGP_PASSERELLE_MAX_ZIP_ENTRIES:
                raise _ArchiveRefused(
                    f"L'archive contient {len(members)} fichiers ; au plus "
                    f"{settings.PIGP_PASSERELLE_MAX_ZIP_ENTRIES} sont acceptés par dépôt."
                )
            if sum(m.file_size for m in members) > max_out:
                raise _ArchiveRefused(_too_big(max_out))
            results = []
            for member in members:
                with archive.open(member) as src:
                    results.append(
                        _receive_member(src, clean_filename(member.filename), max_out, deposit)
                    )
            return results
    except _ArchiveRefused as exc:
        reason = str(exc)
    except (OSError, EOFError, zipfile.BadZipFile, gzip.BadGzipFile) as exc:
        reason = (
            f"Archive illisible ou tronquée : {compression_message(str(exc))}. Le fichier reçu "
            "est conservé tel quel."
        )
    # A refused archive is kept as it came, with the reason.
    return [
        _keep_and_create(
            spooled, filename, deposit, refused_reason=reason, media_type="application/octet-stream"
        )
    ]


class _ArchiveRefused(Exception):
    pass


def _too_big(limit: int) -> str:
    return (
        f"Le contenu décompressé de l'archive dépasse {limit // 1_000_000} Mo : archive refusée "
        "(protection contre les « bombes de décompression »)."
    )


class _Limited(io.RawIOBase):
    def __init__(self, src: files.Readable, limit: int) -> None:
        self.src, self.left = src, limit

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self.src.read(files.CHUNK if size is None or size < 0 else size)
        self.left -= len(chunk)
        if self.left < 0:
            raise _ArchiveRefused(_too_big(settings.PIGP_PASSERELLE_MAX_DECOMPRESSED))
        return chunk


def _receive_member(src: files.Readable, name: str, limit: int, deposit: Deposit) -> Received:
    with files.spool(_Limited(src, limit), max_size=limit + 1) as member:
        if member.size == 0:
            raise _ArchiveRefused(f"Le fichier « {name} » de l'archive est vide.")
        return _keep_and_create(member, name, deposit)
