"""Seals of the journal: its head hash, entry count and last entry, at a time, signed with the
platform's Ed25519 key, and stamped by an RFC 3161 authority when one is configured.

The key is `settings.PIGP_ORC_SEAL_KEY` (PEM, PKCS#8). Outside production it is generated on
first use (file mode 0600); in production a missing or unreadable key is an error: no seal is
made with a key nobody keeps (fail closed). A seal's signed payload is the canonical JSON of
its fields (`pigp.formats.orcproof.canonical.seal_payload`), the same bytes a third party
re-checks from a proof, without the database.

`seal_now` seals on demand (`manage.py orc_seal`); `seal_if_due` is what the worker's sweep
calls: a seal when the last one is older than `SEAL_PERIOD`. The head is read under the
journal head's lock, so a seal names a head, a count and a last entry that go together, and
two workers never both seal for the same period.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import logging
import os
import secrets
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from pigp.core import journal
from pigp.core.models.journal import GENESIS_HASH, JournalEntry, JournalHead
from pigp.formats.orcproof import canonical, tsp
from pigp.orc.models import Seal

logger = logging.getLogger(__name__)

SEAL_PERIOD = datetime.timedelta(hours=24)
TSA_TIMEOUT_SECONDS = 15


class SealKeyError(ImproperlyConfigured):
    """The platform's seal key is missing or unreadable where it must exist."""


# --- The key ---------------------------------------------------------------------------------


def _key_path() -> Path:
    return Path(settings.PIGP_ORC_SEAL_KEY)


def _generate(path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # made meanwhile by another process: use theirs
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
        out.flush()
        os.fsync(out.fileno())


def private_key() -> Ed25519PrivateKey:
    path = _key_path()
    if not path.exists():
        if settings.PRODUCTION:
            raise SealKeyError(
                f"Clé de scellement introuvable ({path}) : définissez PIGP_ORC_SEAL_KEY "
                "(clé Ed25519, PEM PKCS#8). Aucun scellement sans clé conservée."
            )
        _generate(path)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise SealKeyError(f"Clé de scellement illisible ({path}) : {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise SealKeyError(f"La clé de scellement ({path}) n'est pas une clé Ed25519.")
    return key


def public_key() -> Ed25519PublicKey:
    return private_key().public_key()


def public_key_pem() -> str:
    return (
        public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def key_id_of(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return canonical.key_id(raw)


# --- The payload -----------------------------------------------------------------------------


def _iso(at: datetime.datetime) -> str:
    return at.astimezone(datetime.UTC).isoformat(timespec="microseconds")


def fields_of(seal: Seal) -> dict[str, Any]:
    """What a seal's signature covers."""
    return {
        "version": canonical.SEAL_VERSION,
        "at": _iso(seal.at),
        "head_hash": seal.head_hash,
        "count": seal.count,
        "last_entry_id": seal.last_entry_id,
        "key_id": seal.key_id,
    }


def payload_of(seal: Seal) -> bytes:
    return canonical.seal_payload(fields_of(seal))


# --- Sealing ---------------------------------------------------------------------------------


def _head() -> tuple[str, int, int]:
    """(head hash, count, last entry id), to be read under the head's lock."""
    head = JournalHead.objects.select_for_update().filter(pk=1).first()
    last = JournalEntry.objects.order_by("-id").values_list("id", flat=True).first()
    if head is None or last is None:
        return GENESIS_HASH, 0, 0
    return head.last_hash, head.count, last


def _make(key: Ed25519PrivateKey) -> Seal:
    head_hash, count, last_id = _head()
    seal = Seal(
        at=timezone.now(),
        head_hash=head_hash,
        count=count,
        last_entry_id=last_id,
        key_id=key_id_of(key.public_key()),
    )
    seal.signature = base64.b64encode(key.sign(payload_of(seal))).decode("ascii")
    seal.save()
    return seal


def _journal(seal: Seal, actor: Any, request: HttpRequest | None, motif: str) -> None:
    journal.record(
        "orc_scellement",
        actor=actor,
        obj=seal,
        request=request,
        actor_label="" if actor is not None else "pigp (scellement)",
        details={
            "motif": motif,
            "entrees": seal.count,
            "derniere_entree": seal.last_entry_id,
            "empreinte_tete": seal.head_hash,
            "cle": seal.key_id,
        },
    )


@dataclass(frozen=True)
class SealResult:
    seal: Seal
    tsa_error: str = ""


def seal_now(
    *, actor: Any = None, request: HttpRequest | None = None, motif: str = "à la demande"
) -> SealResult:
    """Seal the journal as it stands, then have the seal stamped if an authority is set."""
    key = private_key()  # before the lock: a missing key refuses before anything is written
    with transaction.atomic():
        seal = _make(key)
        _journal(seal, actor, request, motif)
    return SealResult(seal, _stamp(seal))


def seal_if_due(now: datetime.datetime | None = None) -> SealResult | None:
    """A seal when none was made in the last `SEAL_PERIOD` (one whatever the workers)."""
    now = now or timezone.now()
    key = private_key()
    with transaction.atomic():
        JournalHead.objects.get_or_create(pk=1)
        JournalHead.objects.select_for_update().filter(pk=1).first()
        last = Seal.objects.order_by("-at").values_list("at", flat=True).first()
        if last is not None and now - last < SEAL_PERIOD:
            return None
        seal = _make(key)
        _journal(seal, None, None, "périodique")
    return SealResult(seal, _stamp(seal))


# --- RFC 3161 --------------------------------------------------------------------------------


def request_token(url: str, digest: bytes) -> bytes:
    """Ask the authority at `url` to stamp `digest` (SHA-512); the checked token."""
    nonce = secrets.randbits(63)
    body = tsp.build_request(digest, nonce)
    req = urllib.request.Request(  # noqa: S310 - the operator's configured https/http URL
        url, data=body, method="POST", headers={"Content-Type": tsp.REQUEST_MEDIA_TYPE}
    )
    with urllib.request.urlopen(req, timeout=TSA_TIMEOUT_SECONDS) as response:  # noqa: S310
        answer = response.read()
    token = tsp.token_of_response(answer)
    info = tsp.check_token(token, digest)
    if info.nonce != nonce:
        raise tsp.TspError("le jeton d'horodatage ne reprend pas le nonce de la demande")
    return token


def _stamp(seal: Seal) -> str:
    """Stamp the seal when `PIGP_ORC_TSA_URL` is set; a failure is journaled, the seal stays."""
    url = settings.PIGP_ORC_TSA_URL
    if not url:
        return ""
    digest = hashlib.sha512(payload_of(seal)).digest()
    try:
        token = request_token(url, digest)
    except Exception as exc:  # network, HTTP, refusal, malformed token: all said the same way
        message = f"{type(exc).__name__}: {exc}"
        logger.warning("Horodatage du scellement %s impossible : %s", seal.pk, message)
        journal.record(
            "orc_horodatage_echoue",
            obj=seal,
            actor_label="pigp (scellement)",
            details={"autorite": url, "erreur": message[:500]},
        )
        return message
    Seal.objects.filter(pk=seal.pk).update(tsa_url=url, tsa_token=token)
    seal.tsa_url, seal.tsa_token = url, token
    return ""


# --- Checking --------------------------------------------------------------------------------


def check_signature(seal: Seal, key: Ed25519PublicKey) -> str:
    """Empty when the seal is signed by `key`; otherwise why not, in French."""
    if seal.key_id != key_id_of(key):
        return "le scellement est signé par une autre clé que celle de la plateforme"
    try:
        key.verify(base64.b64decode(seal.signature, validate=True), payload_of(seal))
    except (InvalidSignature, ValueError):
        return "la signature du scellement est invalide"
    return ""


def _count_upto(last_entry_id: int, known: dict[int, int] | None) -> int:
    """Entries up to `last_entry_id`, counted from the nearest bound already counted."""
    if known is None:
        return JournalEntry.objects.filter(pk__lte=last_entry_id).count()
    below = max((bound for bound in known if bound <= last_entry_id), default=0)
    count = (
        known.get(below, 0)
        + JournalEntry.objects.filter(pk__gt=below, pk__lte=last_entry_id).count()
    )
    known[last_entry_id] = count
    return count


def check_against_chain(seal: Seal, known: dict[int, int] | None = None) -> str:
    """Empty when the seal's head hash and count are those of the chain at its last entry
    (`known`: the counts already made by the caller, so checking every seal reads the
    journal's ids about once, not once per seal)."""
    if seal.last_entry_id == 0:
        if seal.count != 0 or seal.head_hash != GENESIS_HASH:
            return "le scellement d'un journal vide annonce des entrées"
        return ""
    entry = JournalEntry.objects.filter(pk=seal.last_entry_id).first()
    if entry is None:
        return f"l'entrée {seal.last_entry_id} qu'il scelle n'existe plus"
    if entry.entry_hash != seal.head_hash:
        return f"l'empreinte de tête ne correspond pas à l'entrée {seal.last_entry_id}"
    count = _count_upto(seal.last_entry_id, known)
    if count != seal.count:
        return (
            f"le journal compte {count} entrées jusqu'à l'entrée {seal.last_entry_id}, "
            f"le scellement en annonce {seal.count}"
        )
    return ""


def check_stamp(seal: Seal) -> str:
    if not seal.tsa_token:
        return ""
    try:
        tsp.check_token(bytes(seal.tsa_token), hashlib.sha512(payload_of(seal)).digest())
    except tsp.TspError as exc:
        return str(exc)
    return ""


def check(seal: Seal, key: Ed25519PublicKey, known: dict[int, int] | None = None) -> str:
    """Every check of one seal; "" when it holds."""
    return check_signature(seal, key) or check_against_chain(seal, known) or check_stamp(seal)


@dataclass(frozen=True)
class Verification:
    entries: int
    seals: int
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


def verify() -> Verification:
    """The chain, then every seal in order; the first failure named, in French."""
    chain = journal.verify_chain()
    if not chain.intact:
        where = (
            f"entrée n° {chain.first_broken.pk} ({chain.first_broken.action}, "
            f"{chain.first_broken.timestamp:%d/%m/%Y %H:%M:%S})"
            if chain.first_broken is not None
            else "fin du journal"
        )
        return Verification(chain.checked, 0, f"Journal rompu à l'{where} : {chain.reason}.")
    key = public_key()
    checked = 0
    known: dict[int, int] = {}
    for seal in Seal.objects.order_by("at", "pk").iterator():
        problem = check(seal, key, known)
        if problem:
            return Verification(
                chain.checked,
                checked,
                f"Scellement n° {seal.pk} du {timezone.localtime(seal.at):%d/%m/%Y %H:%M} "
                f"refusé : {problem}.",
            )
        checked += 1
    return Verification(chain.checked, checked)
