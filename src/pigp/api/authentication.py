"""How API callers prove who they are: a portal session (with CSRF) or a service-account token."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django_otp import user_has_device
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from pigp.api import tokens
from pigp.core.models import User
from pigp.passerelle.models import ApiToken, ServiceAccount

if TYPE_CHECKING:
    from drf_spectacular.openapi import AutoSchema

KEYWORD = "Bearer"


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer pigp_…`: the caller is the token's service account."""

    def authenticate(self, request: Request) -> tuple[ServiceAccount, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "En-tête Authorization invalide : attendu « Bearer <jeton> »."
            )
        try:
            clear = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Jeton d'API mal formé.") from exc
        try:
            auth = tokens.authenticate(clear)
        except tokens.TokenRejected as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from exc
        tokens.note_use(auth, request._request)
        return auth.account, auth.token

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) when no or a bad token is given.
        return f'{KEYWORD} realm="api"'


class PortalSessionAuthentication(authentication.SessionAuthentication):
    """The portal session of a signed-in user; unsafe methods need the CSRF token.

    A session that still owes its second factor (a confirmed TOTP device, or a role that
    requires one) does not authenticate API calls: the API never bypasses the second factor.
    """

    def authenticate(self, request: Request) -> tuple[User, None] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        verified = getattr(user, "is_verified", lambda: False)()
        if not verified and (user.requires_second_factor or user_has_device(user, confirmed=True)):
            return None
        return result


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "pigp.api.authentication.BearerTokenAuthentication"
    name = "jeton"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "Jeton d'un compte de service, créé par l'administrateur local de la "
                "collectivité (page « Comptes de service »). En-tête : "
                "`Authorization: Bearer pigp_…`."
            ),
        }


class PortalSessionScheme(OpenApiAuthenticationExtension):
    target_class = "pigp.api.authentication.PortalSessionAuthentication"
    name = "session"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": (
                "Session du portail (après connexion) ; les requêtes POST doivent porter "
                "l'en-tête X-CSRFToken."
            ),
        }
