from __future__ import annotations

from typing import Any

from django.http import HttpRequest

SITE_CONFIG = {
    "site_title": "Portail de la gestion publique",
    "site_tagline": "Collectivités locales et comptables publics",
}


def portal(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    authenticated = bool(user and user.is_authenticated)
    skiplinks = [{"link": "#content", "label": "Contenu"}]
    if authenticated:
        skiplinks.append({"link": "#fr-navigation", "label": "Menu"})
    skiplinks.append({"link": "#footer", "label": "Pied de page"})
    return {
        "SITE_CONFIG": SITE_CONFIG,
        "is_comptable": authenticated and bool(user.poste_id),
        "skiplinks": skiplinks,
    }
