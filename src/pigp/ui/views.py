"""Error pages: in French, in the portal's layout, saying what happened and where to go.

Under ``/api/`` the answer is JSON, as every API answer is. The 500 page must render even
when the database is what failed, so it is drawn without the menu when its context fails.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

log = logging.getLogger(__name__)

PAGES: dict[int, dict[str, str]] = {
    400: {
        "title": "Requête incorrecte",
        "text": "Le portail n'a pas pu lire la demande envoyée par votre navigateur.",
        "advice": "Revenez à la page précédente et recommencez ; si le problème persiste, "
        "fermez puis rouvrez votre navigateur.",
    },
    403: {
        "title": "Accès refusé",
        "text": "Vous n'avez pas le droit d'effectuer cette action ou de consulter cette page.",
        "advice": "Si vous pensez devoir y accéder, demandez une habilitation à votre comptable "
        "public depuis « Demander un accès ».",
    },
    404: {
        "title": "Page introuvable",
        "text": "La page demandée n'existe pas, a été déplacée, ou ne fait pas partie de votre "
        "périmètre.",
        "advice": "Vérifiez l'adresse, ou repartez de la page d'accueil.",
    },
    500: {
        "title": "Erreur du portail",
        "text": "Une erreur inattendue s'est produite de notre côté. Rien de ce que vous avez "
        "déposé n'est perdu ; l'équipe d'exploitation est prévenue.",
        "advice": "Réessayez dans quelques instants. Si vous contactez l'assistance, donnez-lui "
        "l'identifiant de la requête ci-dessous.",
    },
}
CSRF_PAGE = {
    "title": "Formulaire expiré",
    "text": "Ce formulaire n'a pas pu être vérifié : il a sans doute été ouvert il y a longtemps, "
    "ou dans un autre onglet avant une reconnexion.",
    "advice": "Revenez à la page précédente, rechargez-la, puis envoyez le formulaire à nouveau.",
}
API_MESSAGES = {
    400: "Requête incorrecte.",
    403: "Accès refusé.",
    404: "Adresse inconnue dans l'API.",
    500: (
        "Erreur interne du portail : la requête n'a pas abouti. Rien n'a été perdu de ce qui a "
        "déjà été reçu ; réessayez plus tard, l'équipe d'exploitation est prévenue."
    ),
}


def _detail(exception: BaseException | None) -> str:
    """The French message an access helper gave its 404/403 (never Django's own English)."""
    if exception is None or not exception.args:
        return ""
    message = exception.args[0]
    if not isinstance(message, str):
        return ""
    # get_object_or_404 says "No Flux matches the given query.": not for French users.
    if "matches the given query" in message:
        return ""
    return message


def _render(
    request: HttpRequest, status: int, page: dict[str, str], detail: str = ""
) -> HttpResponse:
    request_id = getattr(request, "request_id", "")
    if request.path.startswith("/api/"):
        body: dict[str, Any] = {"detail": detail or API_MESSAGES.get(status, page["title"])}
        if request_id:
            body["request_id"] = request_id
        return JsonResponse(body, status=status)
    context = {**page, "status": status, "detail": detail, "request_id": request_id}
    template = loader.get_template("ui/errors/error.html")
    try:
        html = template.render(context, request)
    except Exception:  # the failure may be the one that brought us here (database down…)
        log.exception("error page %s rendered without the portal's context", status)
        html = loader.get_template("ui/errors/error_bare.html").render(context)
    return HttpResponse(html, status=status)


def bad_request(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    return _render(request, 400, PAGES[400])


def permission_denied(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    return _render(request, 403, PAGES[403], _detail(exception))


def page_not_found(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    return _render(request, 404, PAGES[404], _detail(exception))


def server_error(request: HttpRequest) -> HttpResponse:
    return _render(request, 500, PAGES[500])


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _render(request, 403, CSRF_PAGE)
