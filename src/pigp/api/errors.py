"""Every API error has the same shape: `{"detail": "<French message>"}`, plus `erreurs` (the
messages by field) when a request did not validate.

An unexpected exception in an API view is logged and answered with a JSON 500 (never Django's
HTML page, nor its debug page under DEBUG); errors raised outside the views get JSON from the
root handlers (`pigp.ui.views`) under /api/ too.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from pigp.ui.views import API_MESSAGES

GENERAL_KEYS = {"detail", "non_field_errors"}
INTERNAL = API_MESSAGES[500]
log = logging.getLogger("pigp.api")


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def _messages(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [m for v in value.values() for m in _messages(v)]
    if isinstance(value, list):
        return [m for v in value for m in _messages(v)]
    return [str(value)]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = drf_exception_handler(exc, context)
    if response is None:
        request = context.get("request")
        log.error(
            "Erreur interne de l'API (%s %s)",
            getattr(request, "method", "?"),
            getattr(request, "path", "?"),
            exc_info=exc,
        )
        set_rollback()
        return Response({"detail": INTERNAL}, status=500)
    if not isinstance(exc, ValidationError):
        return response
    errors = response.data
    if isinstance(errors, dict):
        parts = []
        for field, value in errors.items():
            text = " ".join(_messages(value))
            parts.append(text if field in GENERAL_KEYS else f"{field} : {text}")
        detail = " ; ".join(parts)
        fields = {k: _messages(v) for k, v in errors.items() if k not in GENERAL_KEYS}
    else:
        detail = " ".join(_messages(errors))
        fields = {}
    response.data = {"detail": detail or "Requête invalide."}
    if fields:
        response.data["erreurs"] = fields
    return response
