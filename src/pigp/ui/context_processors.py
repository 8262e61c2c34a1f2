from __future__ import annotations

from typing import Any

from django.http import HttpRequest

SITE_CONFIG = {
    "site_title": "Portail de la gestion publique",
    "site_tagline": "Collectivités locales et comptables publics",
}


def _has_passerelle(request: HttpRequest) -> bool:
    # Cached on the request: the menu is rendered once per page, but templates may ask twice.
    cached = getattr(request, "_pigp_has_passerelle", None)
    if cached is None:
        from pigp.core.access import habilitations_in_force

        cached = habilitations_in_force(request.user).filter(application="passerelle").exists()
        request._pigp_has_passerelle = cached  # type: ignore[attr-defined]
    return cached


def portal(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    authenticated = bool(user and user.is_authenticated)
    skiplinks = [{"link": "#content", "label": "Contenu"}]
    if authenticated:
        skiplinks.append({"link": "#fr-navigation", "label": "Menu"})
    skiplinks.append({"link": "#footer", "label": "Pied de page"})
    return {
        "SITE_CONFIG": SITE_CONFIG,
        "has_passerelle": authenticated and _has_passerelle(request),
        "is_comptable": authenticated and bool(user.poste_id),
        "skiplinks": skiplinks,
    }
