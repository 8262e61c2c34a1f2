"""Template helpers every app shares."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import QueryDict
from django.template.defaulttags import querystring

from pigp.ui.text import accord as _accord
from pigp.ui.text import duree as _duree
from pigp.ui.text import pluriel as _pluriel

register = template.Library()


@register.filter
def pluriel(count: object, forms: str) -> str:
    """``{{ n|pluriel:"pièce" }}`` → « 1 pièce », « 3 pièces »; ``"bordereau,bordereaux"`` for irregulars."""
    return _pluriel(count, forms)


@register.filter
def accord(count: object, forms: str) -> str:
    """``{{ n|accord:"traitée" }}`` → « traitée » or « traitées », without the number."""
    return _accord(count, forms)


@register.filter
def duree(value: object) -> str:
    """``{{ delta|duree }}`` for a timedelta or a number of seconds → « 15 minutes »."""
    seconds = value.total_seconds() if hasattr(value, "total_seconds") else value
    try:
        return _duree(float(seconds))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""


@register.simple_tag(takes_context=True)
def page_querystring(
    context: Any, number: int, param: str = "page", query: QueryDict | str | None = None
) -> str:
    """Django's ``{% querystring %}`` with ``param`` set to ``number``: the tag's own syntax cannot take
    the parameter's name from a variable, which a page with two paginated lists needs. ``query`` (a
    QueryDict) is the base instead of request.GET when given; an unset template variable comes as ""."""
    base = query if isinstance(query, QueryDict) else None
    return querystring(context, base, **{param: number})
