"""The canonical forms both the platform and a third party compute: a journal entry's hash
(exactly as `pigp.core.models.journal.JournalEntry.compute_hash`), a seal's signed payload
and a key's identifier. Kept free of Django so `pigp orc check-proof` runs anywhere."""

from __future__ import annotations

import hashlib
import json
from typing import Any

SEAL_VERSION = 1
SEAL_FIELDS = ("version", "at", "head_hash", "count", "last_entry_id", "key_id")


def entry_hash(previous_hash: str, content: dict[str, Any]) -> str:
    """SHA-256 of the previous hash followed by the entry's content as sorted JSON."""
    payload = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256((previous_hash + payload).encode("utf-8")).hexdigest()


def seal_payload(fields: dict[str, Any]) -> bytes:
    """The bytes a seal's signature covers: its fields as compact JSON, keys sorted."""
    missing = [name for name in SEAL_FIELDS if name not in fields]
    if missing:
        raise ValueError(f"champs de scellement manquants : {', '.join(missing)}")
    data = {name: fields[name] for name in SEAL_FIELDS}
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def key_id(raw_public_key: bytes) -> str:
    """A public key's identifier: the SHA-256 of its 32 raw bytes (Ed25519)."""
    return hashlib.sha256(raw_public_key).hexdigest()
