"""How django-axes names the identifier it counts failures against."""

from __future__ import annotations

from typing import Any


def username_of(request: Any, credentials: dict[str, Any] | None) -> str | None:
    """The e-mail typed, lower-cased, so "Marie@x.fr" and "marie@x.fr" share one counter.

    The login form posts it as ``username``; the SFTP server passes it in ``credentials``.
    """
    value = None
    if credentials:
        value = credentials.get("username") or credentials.get("email")
    if not value and request is not None:
        data = getattr(request, "POST", None) or {}
        value = data.get("username")
    return value.strip().lower() if isinstance(value, str) and value.strip() else None
