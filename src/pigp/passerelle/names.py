"""The one rule for the name of a deposited file, whatever the channel (web, API, SFTP, an
entry of an archive).

A name is shown to agents and collectivités and offered back as a download name: it keeps no
directory (`/` or `\\`), no control character and no invisible formatting character — a
right-to-left override (U+202E) between « facture » and « gpj.xml » displays as
« facturelmx.jpg ». It is NFC-normalised and at most 255 characters long.
"""

from __future__ import annotations

import unicodedata

MAX_LENGTH = 255
FALLBACK = "fichier"

# Unicode categories dropped: Cc (controls, C0 and C1), Cf (format characters: the bidi
# marks, embeddings, overrides and isolates U+200E/F, U+202A–E, U+2066–9, U+061C, zero-width
# characters, the BOM), Cs (lone surrogates of a badly decoded name), Co/Cn (private use and
# unassigned code points, invisible or meaningless in a name).
_DROPPED = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def clean_filename(name: object, fallback: str = FALLBACK) -> str:
    """The last component of `name` on either separator, without control or formatting
    characters; `fallback` when nothing printable remains (or only dots)."""
    text = unicodedata.normalize("NFC", str(name or ""))
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch) not in _DROPPED)
    text = " ".join(text.split())  # no leading, trailing or repeated blanks
    if not text.strip("."):
        return fallback
    if len(text) > MAX_LENGTH:
        stem, dot, ext = text.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            text = stem[: MAX_LENGTH - len(ext) - 1] + "." + ext
        else:
            text = text[:MAX_LENGTH]
    return text
