"""Every API error has the same shape: `{"detail": "<French message>"}`, plus `erreurs` (the
messages by field) when a request did not validate."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

GENERAL_KEYS = {"detail", "non_field_errors"}


def _messages(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [m for v in value.values() for m in _messages(v)]
    if isinstance(value, list):
        return [m for v in value for m in _messages(v)]
    return [str(value)]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, ValidationError):
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
