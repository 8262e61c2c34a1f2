from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from pigp.core.http import AuthenticatedHttpRequest

SITE_CONFIG = {
    "site_title": "Portail de la gestion publique",
    "site_tagline": "Collectivités locales et comptables publics",
}


def _applications(request: AuthenticatedHttpRequest) -> set[str]:
    """The applications the user holds an habilitation in force for, in one query.

    Cached on the request: the menu is rendered once per page, but templates may ask twice."""
    cached = getattr(request, "_pigp_applications", None)
    if cached is None:
        from pigp.core.access import habilitations_in_force

        cached = set(
            habilitations_in_force(request.user)
            .order_by()
            .values_list("application", flat=True)
            .distinct()
        )
        request._pigp_applications = cached  # type: ignore[attr-defined]
    return cached


def portal(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    authenticated = bool(user and user.is_authenticated)
    applications = _applications(request) if authenticated else set()  # type: ignore[arg-type]
    skiplinks = [{"link": "#content", "label": "Contenu"}]
    if authenticated:
        skiplinks.append({"link": "#fr-navigation", "label": "Menu"})
    skiplinks.append({"link": "#footer", "label": "Pied de page"})
    return {
        "SITE_CONFIG": SITE_CONFIG,
        "has_passerelle": authenticated and "passerelle" in applications,
        "has_extranet": authenticated and "extranet" in applications,
        "is_comptable": authenticated and bool(getattr(user, "poste_id", None)),
        # ORC's readers: an ORC habilitation, the comptable's agents, the juges des comptes.
        "has_orc": authenticated
        and (
            "orc" in applications
            or bool(getattr(user, "poste_id", None))
            or bool(getattr(user, "juridiction_id", None))
        ),
        "skiplinks": skiplinks,
    }
