"""The request a view behind the login sees: its user is a portal user, never anonymous.

``LoginRequiredMiddleware`` makes it so for every view not marked ``login_not_required``;
annotating those views with this type says it to the type checker too.
"""

from __future__ import annotations

from django.http import HttpRequest

from pigp.core.models import User


class AuthenticatedHttpRequest(HttpRequest):
    user: User
