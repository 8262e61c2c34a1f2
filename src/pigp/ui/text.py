"""French wording helpers."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation


def pluriel(count: object, forms: str) -> str:
    """« 0 pièce », « 1 pièce », « 2 pièces »: French takes the singular below 2.

    ``forms`` is the singular, or "singular,plural" when the plural is not the singular + s.
    The number is written with a narrow no-break space between thousands.
    """
    try:
        number = Decimal(str(count))
    except (InvalidOperation, ValueError):
        return f"{count} {_forms(forms)[0]}"
    text = f"{number:,}".replace(",", "\u202f") if number == number.to_integral() else str(count)
    return f"{text} {accord(number, forms)}"


def accord(count: object, forms: str) -> str:
    """The word(s) alone, agreed with ``count`` by the same rule: « traitée », « traitées ». For a word
    that does not follow the number (« 2 pièces sur 5 traitées »)."""
    singular, plural = _forms(forms)
    try:
        return plural if abs(Decimal(str(count))) >= 2 else singular
    except (InvalidOperation, ValueError):
        return singular


def _forms(forms: str) -> tuple[str, str]:
    singular, _, plural = forms.partition(",")
    return singular, plural or f"{singular}s"


def duree(seconds: float) -> str:
    """A duration as a person says it: « 15 minutes », « 1 heure », « 1 heure 30 minutes », « 40 secondes »."""
    total = max(0, round(seconds))
    if total < 60:
        return pluriel(max(total, 1), "seconde")
    minutes = -(-total // 60)  # a lockout of 14 min 10 s is told as 15 minutes
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(pluriel(hours, "heure"))
    if minutes:
        parts.append(pluriel(minutes, "minute"))
    return " ".join(parts)
