"""Who may call the API at all; what each caller may see is decided by `passerelle.access`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.permissions import BasePermission

from pigp.core.models import User
from pigp.passerelle.models import ServiceAccount

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView


class IsPrincipal(BasePermission):
    """A signed-in portal user or an active service account."""

    message = "Authentification requise : session du portail ou jeton d'API."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if isinstance(user, ServiceAccount):
            return user.is_active
        return isinstance(user, User) and user.is_authenticated and user.is_active
