from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from pigp.core.http import AuthenticatedHttpRequest

SITE_CONFIG = {
    "site_title": "Portail de la gestion publique",
    "site_tagline": "Collectivités locales et comptables publics",
}


def _has_application(request: AuthenticatedHttpRequest, application: str) -> bool:
    # Cached on the request: the menu is rendered once per page, but templates may ask twice.
    attribute = f"_pigp_has_{application}"
    cached = getattr(request, attribute, None)
    if cached is None:
        from pigp.core.access import habilitations_in_force

        cached = habilitations_in_force(request.user).filter(application=application).exists()
        setattr(request, attribute, cached)
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
        "has_passerelle": authenticated and _has_application(request, "passerelle"),  # type: ignore[arg-type]
        "has_extranet": authenticated and _has_application(request, "extranet"),  # type: ignore[arg-type]
        "is_comptable": authenticated and bool(getattr(user, "poste_id", None)),
        "skiplinks": skiplinks,
    }
