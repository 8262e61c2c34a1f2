"""A request id for every request: in the response, in every log line, on the error pages.

A reverse proxy's ``X-Request-ID`` is kept when it looks like an id (so one id follows a request
across hosts); otherwise a new one is made. Log records carry it as ``request_id``.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
_VALID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_current: contextvars.ContextVar[str] = contextvars.ContextVar("pigp_request_id", default="-")


def current() -> str:
    """The id of the request being served in this context, or « - » outside any request."""
    return _current.get()


def new_id() -> str:
    return uuid.uuid4().hex[:16]


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get(HEADER, "")
        request_id = given if _VALID.match(given) else new_id()
        request.request_id = request_id  # type: ignore[attr-defined]
        token = _current.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response[HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Adds ``record.request_id`` so formatters can print it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            # Django logs a response's status after the middleware: it passes the request.
            request = getattr(record, "request", None)
            record.request_id = getattr(request, "request_id", None) or current()
        return True
