"""The virtual tree an SFTP principal sees. Synchronous: the server calls it from its thread pool.

::

    /depot/<SIRET>/     one per readable collectivité: upload here; lists the files deposited
    /retour/<SIRET>/    the collectivité's mailbox (acknowledgements, returns)

When the principal reads exactly one collectivité, its files are also shown directly in
``/depot`` and ``/retour``. An upload straight into ``/depot`` goes to the only writable
collectivité, or, with several, to the one whose SIRET the file's ``IdColl`` names.

Paths are normalised against the root (``..`` never leaves it) and resolved through the access
helpers on every call, so a grant revoked during a session takes effect at the next command.
"""

from __future__ import annotations

import datetime
import posixpath
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from pigp.core.models import Collectivite, StoredFile, User
from pigp.passerelle import intake, mailbox
from pigp.passerelle.access import (
    Principal,
    flux_for,
    get_collectivite,
    mailbox_for,
    readable_collectivite_ids,
    writable_collectivite_ids,
)
from pigp.passerelle.detect import detect
from pigp.passerelle.models import Canal, Direction, MailboxItem, ServiceAccount

DEPOT = "depot"
RETOUR = "retour"
# Listings stay short for clients that poll: recent deposits, unread returns and recent ones.
DEPOT_LISTING_DAYS = 30
RETOUR_READ_LISTING_DAYS = 90
MAX_LISTING = 2000

EMPTY_FILE = "Le fichier est vide : rien n'a été déposé."
READ_ONLY = "Votre profil ne permet que la consultation : dépôt refusé."
MAILBOX_READ_ONLY = "La boîte aux lettres (/retour) est en lecture seule."


class VfsError(Exception):
    """A refusal with a French message for the SFTP client."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(VfsError):
    pass


class Denied(VfsError):
    pass


class Failed(VfsError):
    pass


@dataclass(frozen=True)
class Entry:
    name: str
    is_dir: bool
    size: int = 0
    mtime: float = 0.0
    writable: bool = False


@dataclass(frozen=True)
class UploadTarget:
    name: str
    collectivite_id: int | None  # None: decided from the file's IdColl once received


@dataclass(frozen=True)
class DownloadTarget:
    item_id: int
    name: str
    size: int
    fichier: StoredFile


def split_path(raw: bytes | str) -> tuple[str, ...]:
    """The parts of a client path, relative paths being taken from the root."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise NotFound("Nom de fichier illisible : encodage UTF-8 attendu.") from None
    if "\x00" in raw:
        raise NotFound("Nom de fichier invalide.")
    normalised = posixpath.normpath("/" + raw)
    return tuple(part for part in normalised.split("/") if part)


def join(parts: tuple[str, ...]) -> str:
    return "/" + "/".join(parts)


def display_name(name: str) -> str:
    return name.replace("/", "_").replace("\x00", "_")


def refresh(principal: Principal) -> Principal:
    """The principal as it is now: a user deactivated or an account revoked loses the session."""
    if isinstance(principal, ServiceAccount):
        account = ServiceAccount.objects.filter(pk=principal.pk).first()
        if account is None or not account.is_active:
            raise Denied("Ce compte de service a été révoqué.")
        return account
    user = User.objects.filter(pk=principal.pk, is_active=True).first()
    if user is None:
        raise Denied("Ce compte a été désactivé.")
    return user


def _timestamp(value: datetime.datetime | None) -> float:
    return value.timestamp() if value is not None else 0.0


class Tree:
    def __init__(self, principal: Principal) -> None:
        self.principal = refresh(principal)
        readable = readable_collectivite_ids(self.principal)
        self.writable = writable_collectivite_ids(self.principal)
        self.by_siret = {
            c.siret: c for c in Collectivite.objects.filter(id__in=readable).order_by("siret")
        }
        self.now = timezone.now()

    # Resolution ---------------------------------------------------------------------------

    @property
    def single(self) -> Collectivite | None:
        if len(self.by_siret) == 1:
            return next(iter(self.by_siret.values()))
        return None

    def _dir(self, name: str, writable: bool = False) -> Entry:
        return Entry(name, True, mtime=self.now.timestamp(), writable=writable)

    def _area_file(self, parts: tuple[str, ...]) -> tuple[str, Collectivite | None, str] | None:
        """(area, collectivité, name) when `parts` may name a file, else None.

        A name straight under the area (no SIRET) is looked up in every readable
        collectivité (None): with one collectivité that is its tree; with several it lets a
        client stat what it just uploaded to ``/depot``.
        """
        if len(parts) == 3 and parts[1] in self.by_siret:
            return parts[0], self.by_siret[parts[1]], parts[2]
        if len(parts) == 2 and parts[1] not in self.by_siret:
            return parts[0], self.single, parts[1]
        return None

    def stat(self, parts: tuple[str, ...]) -> Entry:
        if not parts:
            return self._dir("/")
        area = parts[0]
        if area not in (DEPOT, RETOUR):
            raise NotFound(f"{join(parts)} : fichier ou répertoire introuvable.")
        if len(parts) == 1:
            return self._dir(area, writable=area == DEPOT and bool(self.writable))
        if len(parts) == 2 and parts[1] in self.by_siret:
            coll = self.by_siret[parts[1]]
            return self._dir(parts[1], writable=area == DEPOT and coll.pk in self.writable)
        located = self._area_file(parts)
        if located is not None:
            entry = (
                self._depot_file(located[1], located[2])
                if area == DEPOT
                else self._retour_file(located[1], located[2])
            )
            if entry is not None:
                return entry
        raise NotFound(f"{join(parts)} : fichier ou répertoire introuvable.")

    def _depot_file(self, coll: Collectivite | None, name: str) -> Entry | None:
        deposits = flux_for(self.principal)
        if coll is not None:
            deposits = deposits.filter(collectivite=coll)
        flux = (
            deposits.filter(direction=Direction.ALLER, original_name=name)
            .select_related("fichier")
            .order_by("-created_at", "-id")
            .first()
        )
        if flux is None:
            return None
        return Entry(name, False, size=flux.fichier.size, mtime=_timestamp(flux.created_at))

    def _mailbox_item(self, coll: Collectivite | None, name: str) -> MailboxItem | None:
        items = mailbox_for(self.principal).select_related("fichier").order_by("-created_at")
        if coll is not None:
            items = items.filter(collectivite=coll)
        item = items.filter(name=name).first()
        if item is None and "_" in name:
            # A stored name holding a "/" is shown with "_" instead.
            # (Names never hold NUL: PostgreSQL text refuses it, and intake never stores one.)
            for candidate in items.filter(name__contains="/"):
                if display_name(candidate.name) == name:
                    return candidate
        return item

    def _retour_file(self, coll: Collectivite | None, name: str) -> Entry | None:
        item = self._mailbox_item(coll, name)
        if item is None:
            return None
        return Entry(name, False, size=item.fichier.size, mtime=_timestamp(item.created_at))

    # Listing ------------------------------------------------------------------------------

    def listdir(self, parts: tuple[str, ...]) -> list[Entry]:
        entry = self.stat(parts)
        if not entry.is_dir:
            raise NotFound(f"{join(parts)} n'est pas un répertoire.")
        if not parts:
            return [self.stat((DEPOT,)), self.stat((RETOUR,))]
        area = parts[0]
        if len(parts) == 1:
            dirs = [self.stat((area, siret)) for siret in self.by_siret]
            single = self.single
            files = self._files(area, single) if single is not None else []
            return dirs + [f for f in files if f.name not in self.by_siret]
        return self._files(area, self.by_siret[parts[1]])

    def _files(self, area: str, coll: Collectivite) -> list[Entry]:
        rows: Iterable[tuple[str, int, datetime.datetime]]
        if area == DEPOT:
            rows = (
                flux_for(self.principal)
                .filter(
                    collectivite=coll,
                    direction=Direction.ALLER,
                    created_at__gte=self.now - datetime.timedelta(days=DEPOT_LISTING_DAYS),
                )
                .order_by("-created_at", "-id")
                .values_list("original_name", "fichier__size", "created_at")[:MAX_LISTING]
            )
        else:
            recent = self.now - datetime.timedelta(days=RETOUR_READ_LISTING_DAYS)
            rows = (
                mailbox_for(self.principal)
                .filter(collectivite=coll)
                .filter(Q(read_at__isnull=True) | Q(created_at__gte=recent))
                .order_by("-created_at", "-id")
                .values_list("name", "fichier__size", "created_at")[:MAX_LISTING]
            )
        seen: set[str] = set()
        entries = []
        for name, size, created in rows:
            shown = display_name(name)
            if not shown or shown in seen:
                continue  # the latest deposit of a name stands for it
            seen.add(shown)
            entries.append(Entry(shown, False, size=size, mtime=_timestamp(created)))
        return entries

    # Transfers ----------------------------------------------------------------------------

    def upload_target(self, parts: tuple[str, ...]) -> UploadTarget:
        if not parts or parts[0] != DEPOT:
            if parts and parts[0] == RETOUR:
                raise Denied(MAILBOX_READ_ONLY)
            raise Denied("Déposez vos fichiers dans /depot.")
        if len(parts) == 1 or (len(parts) == 2 and parts[1] in self.by_siret):
            raise Denied(f"{join(parts)} est un répertoire : indiquez un nom de fichier.")
        name = parts[-1]
        if len(name) > 255 or any(ord(ch) < 32 for ch in name):
            raise Denied(
                "Nom de fichier invalide (255 caractères au plus, sans caractère de contrôle)."
            )
        if len(parts) == 3:
            coll = self.by_siret.get(parts[1])
            if coll is None:
                raise NotFound(f"{join(parts[:2])} : répertoire introuvable.")
            if coll.pk not in self.writable:
                raise Denied(READ_ONLY)
            return UploadTarget(name, coll.pk)
        if len(parts) == 2:
            if not self.writable:
                raise Denied(READ_ONLY)
            return UploadTarget(name, None)
        raise NotFound(f"{join(parts[:-1])} : répertoire introuvable.")

    def finish_upload(self, target: UploadTarget, path: Path) -> list[intake.Received]:
        """Hand a completely received file to the intake service."""
        if target.collectivite_id is not None:
            try:
                coll = get_collectivite(self.principal, target.collectivite_id, write=True)
            except Http404:
                raise NotFound("Collectivité introuvable.") from None
            except PermissionDenied:
                raise Denied(READ_ONLY) from None
        else:
            coll = self._collectivite_from_content(path)
        sender_user = self.principal if isinstance(self.principal, User) else None
        sender_account = self.principal if isinstance(self.principal, ServiceAccount) else None
        with path.open("rb") as fh:
            try:
                return intake.receive(
                    fh,
                    filename=target.name,
                    collectivite=coll,
                    canal=Canal.SFTP,
                    sender_user=sender_user,
                    sender_account=sender_account,
                )
            except intake.IntakeError as exc:
                raise Failed(str(exc)) from None

    def _collectivite_from_content(self, path: Path) -> Collectivite:
        writable = Collectivite.objects.filter(pk__in=self.writable).order_by("siret")
        if not self.writable:
            raise Denied(READ_ONLY)
        if len(self.writable) == 1:
            return writable.get()
        if path.stat().st_size == 0:
            raise Failed(EMPTY_FILE)
        header = detect(path).header or {}
        id_coll = (header.get("IdColl") or "").strip()
        coll = writable.filter(siret=id_coll).first() if id_coll else None
        if coll is None:
            sirets = ", ".join(c.siret for c in writable)
            named = f"l'IdColl du fichier ({id_coll})" if id_coll else "le fichier (pas d'IdColl)"
            raise Failed(
                f"Dépôt refusé : {named} ne désigne aucune des collectivités pour lesquelles "
                f"vous pouvez déposer ({sirets}). Déposez dans /depot/<SIRET>/."
            )
        return coll

    def download(self, parts: tuple[str, ...]) -> DownloadTarget:
        located = self._area_file(parts) if parts and parts[0] in (DEPOT, RETOUR) else None
        if located is None:
            self.stat(parts)  # NotFound for what does not exist
            raise Denied(f"{join(parts)} est un répertoire.")
        area, coll, name = located
        if area == DEPOT:
            if self._depot_file(coll, name) is None:
                raise NotFound(f"{join(parts)} : fichier introuvable.")
            raise Denied(
                "Le répertoire de dépôt est en écriture seule ; les retours sont dans /retour."
            )
        item = self._mailbox_item(coll, name)
        if item is None:
            raise NotFound(f"{join(parts)} : fichier introuvable.")
        return DownloadTarget(item.pk, name, item.fichier.size, item.fichier)

    def complete_download(self, item_id: int) -> bool:
        item = mailbox_for(self.principal).filter(pk=item_id).select_related("collectivite").first()
        if item is None:
            return False
        mailbox.mark_read(item, self.principal.email)
        return True


def call(principal: Principal, method: str, *args: object) -> object:
    """Entry point for the server's thread pool: a fresh tree per command."""
    return getattr(Tree(principal), method)(*args)
