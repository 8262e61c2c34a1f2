"""Journal the authentication events."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from pigp.core import journal


def _canal(request: Any) -> dict[str, str]:
    # The SFTP server authenticates with a small HttpRequest whose path is "/sftp".
    return {"canal": "sftp"} if getattr(request, "path", "") == "/sftp" else {"canal": "web"}


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    journal.record("connexion", actor=user, obj=user, request=request, details=_canal(request))


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        journal.record("deconnexion", actor=user, obj=user, request=request)


@receiver(user_login_failed)
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    identifier = str(credentials.get("username") or credentials.get("email") or "")[:254]
    journal.record(
        "connexion_echouee",
        actor_label=identifier,
        request=request,
        details={"identifiant": identifier, **_canal(request)},
    )
