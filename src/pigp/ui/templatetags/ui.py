"""Template helpers every app shares."""

from __future__ import annotations

from django import template

from pigp.ui.text import duree as _duree
from pigp.ui.text import pluriel as _pluriel

register = template.Library()


@register.filter
def pluriel(count: object, forms: str) -> str:
    """``{{ n|pluriel:"pièce" }}`` → « 1 pièce », « 3 pièces »; ``"bordereau,bordereaux"`` for irregulars."""
    return _pluriel(count, forms)


@register.filter
def duree(value: object) -> str:
    """``{{ delta|duree }}`` for a timedelta or a number of seconds → « 15 minutes »."""
    seconds = value.total_seconds() if hasattr(value, "total_seconds") else value
    try:
        return _duree(float(seconds))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
