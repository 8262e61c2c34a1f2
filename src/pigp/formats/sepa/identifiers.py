"""Checks of SEPA identifiers: IBAN, BIC (``schwifty``) and creditor identifier (ICS)."""

from __future__ import annotations

import functools
import warnings

from schwifty import BIC, IBAN
from schwifty.exceptions import NationalChecksumNotVerified, SchwiftyException
from stdnum.eu import at_02
from stdnum.exceptions import ValidationError


@functools.lru_cache(maxsize=4096)
def iban_problem(value: str) -> str | None:
    """Why ``value`` is not a valid IBAN (French), or None."""
    try:
        with warnings.catch_warnings():
            # Countries whose national key schwifty cannot check: the IBAN key still is.
            warnings.simplefilter("ignore", NationalChecksumNotVerified)
            IBAN(value, validate_bban=True)
    except SchwiftyException as exc:
        return _schwifty_reason(exc)
    return None


@functools.lru_cache(maxsize=4096)
def bic_problem(value: str) -> str | None:
    try:
        BIC(value)
    except SchwiftyException as exc:
        return _schwifty_reason(exc)
    return None


@functools.lru_cache(maxsize=4096)
def creditor_id_problem(value: str) -> str | None:
    """Why ``value`` is not a valid SEPA creditor identifier (ICS), or None."""
    try:
        at_02.validate(value)
    except ValidationError as exc:
        return {
            "InvalidChecksum": "clé de contrôle erronée",
            "InvalidLength": "longueur incorrecte",
            "InvalidFormat": "format incorrect",
            "InvalidComponent": "code pays ou format incorrect",
        }.get(type(exc).__name__, "identifiant invalide")
    return None


def _schwifty_reason(exc: SchwiftyException) -> str:
    name = type(exc).__name__
    return {
        "InvalidChecksumDigits": "clé de contrôle erronée",
        "InvalidLength": "longueur incorrecte",
        "InvalidStructure": "structure incorrecte",
        "InvalidCountryCode": "code pays inconnu",
        "InvalidBBANChecksum": "clé RIB (BBAN) erronée",
        "InvalidBankCode": "code banque inconnu",
        "InvalidBranchCode": "code guichet incorrect",
        "InvalidAccountCode": "numéro de compte incorrect",
    }.get(name, "format incorrect")
