"""Second factor enforcement.

A user who has a confirmed TOTP device must pass it after the password; comptable agents and
national administrators must set one up before using the portal.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_otp import user_has_device

EXEMPT_URL_NAMES = {
    "portal:login",
    "portal:logout",
    "portal:otp_setup",
    "portal:otp_verify",
    "portal:accessibilite",
    "portal:mentions",
}


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[object, ...],
        view_kwargs: dict[str, object],
    ) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        match = request.resolver_match
        name = f"{match.namespace}:{match.url_name}" if match and match.namespace else ""
        if name in EXEMPT_URL_NAMES or request.path.startswith(("/static/", "/api/")):
            return None
        if user_has_device(user, confirmed=True):
            return redirect(f"{reverse('portal:otp_verify')}?next={quote(request.get_full_path())}")
        if user.requires_second_factor:
            return redirect(reverse("portal:otp_setup"))
        return None


SESSION_EXPIRED = (
    "Votre session a expiré après une période d'inactivité : reconnectez-vous pour continuer."
)


class SessionExpiredMiddleware:
    """Say « session expirée » when a browser comes back with a session that no longer exists.

    A session cookie whose session holds nothing was an authenticated session that timed out
    (or was closed by a revocation): logging out deletes the cookie, so it cannot be that. The
    message is shown once, on the login page the visitor is sent to.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.COOKIES.get(settings.SESSION_COOKIE_NAME)
            and not request.user.is_authenticated
            and not request.session.keys()
            and not request.path.startswith(("/static/", "/api/"))
        ):
            messages.info(request, SESSION_EXPIRED)
        return self.get_response(request)
