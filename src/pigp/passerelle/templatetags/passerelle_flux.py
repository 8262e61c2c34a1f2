"""Template helpers for a flow: its status badge and whether its status is final."""

from __future__ import annotations

from django import template

from pigp.passerelle.models import Flux
from pigp.passerelle.services import is_settled
from pigp.passerelle.views.common import badge_class

register = template.Library()


@register.filter
def badge(flux: Flux) -> str:
    """``{{ flux|badge }}`` → the DSFR badge class of its status."""
    return badge_class(flux)


@register.filter
def settled(flux: Flux) -> bool:
    """``{{ flux|settled }}`` → whether its status will not change any more."""
    return is_settled(flux)
