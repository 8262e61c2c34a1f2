"""Bank and company identifiers of a PES flow: IBAN, BIC, SIRET.

Fast paths: a flow may carry a different IBAN and SIRET on each of its 100 000 pièces, so
the checks run in C-level string operations first; a value they cannot vouch for goes to
schwifty / python-stdnum, whose verdict is the reference
(``tests/formats/pes/test_fast_paths.py`` checks that they agree).
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from schwifty import BIC, IBAN
from schwifty import registry as schwifty_registry
from schwifty.exceptions import SchwiftyException
from stdnum.fr import siret

_IBAN_CHARS = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]+")
_NUMERIFY = str.maketrans({c: str(ord(c) - 55) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"})


@cache
def _iban_spec(country: str) -> tuple[int, re.Pattern[str], str] | None:
    try:
        spec = schwifty_registry.get_iban_spec(country)
    except SchwiftyException:
        return None
    return spec.iban_length, spec.regex, country.translate(_NUMERIFY)


def _iban_fast(value: str) -> bool:
    """True when ``value`` is certainly a valid IBAN (same checks as schwifty's)."""
    if not _IBAN_CHARS.fullmatch(value):
        return False
    spec = _iban_spec(value[:2])
    if spec is None or spec[0] != len(value):
        return False
    bban = value[4:]
    if not spec[1].match(bban):
        return False
    # schwifty: check digits == 98 - (numerify(bban + country) * 100) % 97, never 00/01/99
    digits = bban if bban.isdigit() else bban.translate(_NUMERIFY)
    return int(value[2:4]) == 98 - int(digits + spec[2]) * 100 % 97


@lru_cache(maxsize=8192)
def _iban_slow(value: str) -> bool:
    try:
        IBAN(value)
    except (SchwiftyException, ValueError):
        return False
    return True


def iban_valid(value: str) -> bool:
    return _iban_fast(value) or _iban_slow(value)


@lru_cache(maxsize=8192)
def bic_valid(value: str) -> bool:
    try:
        BIC(value)
    except (SchwiftyException, ValueError):
        return False
    return True


_DIGITS14 = re.compile(r"[0-9]{14}")
_LUHN_DOUBLE = bytes.maketrans(b"0123456789", b"0246813579")  # digit sum of 2 × d


def _luhn_ok(digits: str) -> bool:
    b = digits.encode("ascii")[::-1]
    kept, doubled = b[0::2], b[1::2].translate(_LUHN_DOUBLE)
    return (sum(kept) + sum(doubled) - 48 * len(b)) % 10 == 0


def _siret_fast(value: str) -> bool:
    """True when ``value`` is certainly a valid SIRET (same checks as python-stdnum's)."""
    return (
        _DIGITS14.fullmatch(value) is not None
        and not value.startswith("356000000")  # La Poste: another rule, left to stdnum
        and _luhn_ok(value)
        and _luhn_ok(value[:9])
    )


@lru_cache(maxsize=8192)
def _siret_slow(value: str) -> bool:
    return bool(siret.is_valid(value))


def siret_valid(value: str) -> bool:
    return _siret_fast(value) or _siret_slow(value)
