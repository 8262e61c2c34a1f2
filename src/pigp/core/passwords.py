"""Password rules beyond Django's: ANSSI puts length first, so we only refuse obvious patterns."""

from __future__ import annotations

import functools
import gzip
import re
import unicodedata
from pathlib import Path

from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError

FRENCH_LIST = Path(__file__).parent / "data" / "mots_de_passe_courants.txt"


class RepeatedCharacterValidator:
    """Refuse passwords made of one character repeated (``aaaaaaaaaaaa``)."""

    def validate(self, password: str, user: object = None) -> None:
        if password and len(set(password)) < 4:
            raise ValidationError(
                "Ce mot de passe contient trop peu de caractères différents.",
                code="password_too_repetitive",
            )

    def get_help_text(self) -> str:
        return "Votre mot de passe doit contenir au moins quatre caractères différents."


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@functools.cache
def _common_stems() -> frozenset[str]:
    words = {
        line.strip()
        for line in FRENCH_LIST.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    with gzip.open(
        CommonPasswordValidator().DEFAULT_PASSWORD_LIST_PATH, "rt", encoding="utf-8"
    ) as f:
        words.update(line.strip() for line in f if len(line.strip()) >= 5)
    return frozenset(words)


class CommonStemValidator:
    """Refuse a common word dressed up with digits or symbols ("Azerty2024!")."""

    def validate(self, password: str, user: object = None) -> None:
        stem = re.sub(r"^[\W\d_]+|[\W\d_]+$", "", _fold(password or ""))
        if stem and stem in _common_stems():
            raise ValidationError(
                "Ce mot de passe est un mot courant auquel on a ajouté des chiffres ou des "
                "symboles : il est trop facile à deviner. Préférez une phrase de plusieurs mots.",
                code="password_common_stem",
            )

    def get_help_text(self) -> str:
        return "Votre mot de passe ne doit pas être un mot courant complété de chiffres."
