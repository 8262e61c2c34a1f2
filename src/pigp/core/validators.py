"""Validators of the identifiers the domain uses (codique, SIRET, CodCol, CodBud)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from stdnum.fr import siret

CODIQUE_RE = re.compile(r"(02[A-B][0-9]{3,4}|[0-9]{6,7})")
COD_COL_RE = re.compile(r"[0-9]{3}")
COD_BUD_RE = re.compile(r"[0-9A-Z][0-9]")
DEPARTEMENT_RE = re.compile(r"(0[1-9]|[1-8][0-9]|9[0-5]|2A|2B|97[1-6])")


def validate_codique(value: str) -> None:
    if not CODIQUE_RE.fullmatch(value or ""):
        raise ValidationError(
            "Le codique « %(value)s » n'est pas valide : 6 ou 7 chiffres "
            "(ou 02A/02B suivi de 3 ou 4 chiffres) sont attendus.",
            code="codique",
            params={"value": value},
        )


def validate_siret(value: str) -> None:
    if not siret.is_valid(value or ""):
        raise ValidationError(
            "Le SIRET « %(value)s » n'est pas valide : 14 chiffres dont la clé de contrôle "
            "est juste sont attendus.",
            code="siret",
            params={"value": value},
        )


def validate_cod_col(value: str) -> None:
    if not COD_COL_RE.fullmatch(value or ""):
        raise ValidationError(
            "Le code collectivité (CodCol) « %(value)s » n'est pas valide : 3 chiffres sont attendus.",
            code="cod_col",
            params={"value": value},
        )


def validate_cod_bud(value: str) -> None:
    if not COD_BUD_RE.fullmatch(value or ""):
        raise ValidationError(
            "Le code budget (CodBud) « %(value)s » n'est pas valide : un chiffre ou une majuscule "
            "suivi d'un chiffre est attendu (ex. 00, 01, A1).",
            code="cod_bud",
            params={"value": value},
        )


def validate_departement(value: str) -> None:
    if not DEPARTEMENT_RE.fullmatch(value or ""):
        raise ValidationError(
            "Le code département « %(value)s » n'est pas valide (ex. 01, 2A, 974).",
            code="departement",
            params={"value": value},
        )
