"""Who may open an SFTP session: portal users (password or key) and service accounts (key).

Passwords go through `django.contrib.auth.authenticate` with a small request carrying the
peer address, so django-axes counts and locks exactly as for the web login, and the
`user_login_failed` / `user_logged_in` signals journal the attempt as for the web.

Users who need a second factor (comptables, administrators) cannot prove it over SFTP: their
password alone is refused; a registered SSH key is accepted, a key being itself a strong,
non-guessable credential held by the software that deposits.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest

from pigp.core import journal
from pigp.core.models import User
from pigp.passerelle.access import Principal
from pigp.passerelle.models import ServiceAccount, SshKey

log = logging.getLogger("pigp.sftp")

ACCOUNT_LOGIN = re.compile(r"^compte-(\d{1,18})$")
SECOND_FACTOR_REFUSAL = (
    "Connexion SFTP par mot de passe refusée : votre rôle exige une double authentification. "
    "Utilisez une clé SSH enregistrée sur votre compte."
)


def login_name(principal: Principal) -> str:
    """The name to type at the SFTP prompt: the e-mail, or ``compte-<id>`` for software."""
    if isinstance(principal, ServiceAccount):
        return f"compte-{principal.pk}"
    return principal.email


def actor_label(principal: Principal) -> str:
    return principal.email


def sftp_request(peer: str, client_version: str = "") -> HttpRequest:
    """What django-axes and the journal read from a request: the peer address, a path."""
    request = HttpRequest()
    request.method = "POST"
    request.path = request.path_info = "/sftp"
    request.META = {
        "REMOTE_ADDR": peer or "",
        "PATH_INFO": "/sftp",
        "HTTP_USER_AGENT": (client_version or "sftp")[:255],
        "HTTP_ACCEPT": "sftp",
    }
    return request


def check_password(
    username: str, password: str, peer: str, client_version: str = ""
) -> Principal | None:
    if ACCOUNT_LOGIN.match(username or ""):
        return None  # service accounts have no password: keys only
    request = sftp_request(peer, client_version)
    user = authenticate(request, username=username, password=password)
    if user is None:
        return None
    if user.requires_second_factor:
        journal.record(
            "connexion_echouee",
            actor_label=user.email,
            request=request,
            details={"identifiant": user.email, "canal": "sftp", "motif": SECOND_FACTOR_REFUSAL},
        )
        log.info("SFTP: mot de passe refusé pour %s (double authentification requise)", user)
        return None
    return user


def fingerprint(public_key_text: str) -> str:
    """The OpenSSH SHA-256 fingerprint (``SHA256:…``) of a public key line."""
    parts = public_key_text.strip().split()
    if len(parts) < 2:
        raise ValueError(
            "Clé publique SSH illisible : format « type base64 [commentaire] » attendu."
        )
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except ValueError as exc:
        raise ValueError("Clé publique SSH illisible : base64 invalide.") from exc
    return blob_fingerprint(blob)


def blob_fingerprint(blob: bytes) -> str:
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return f"SHA256:{digest}"


def _principal_for_login(username: str) -> Principal | None:
    match = ACCOUNT_LOGIN.match(username or "")
    if match:
        account = ServiceAccount.objects.filter(pk=int(match.group(1))).first()
        return account if account is not None and account.is_active else None
    user = User.objects.filter(email__iexact=(username or "").strip()).first()
    return user if user is not None and user.is_active else None


def check_key(username: str, key_fingerprint: str) -> Principal | None:
    """The principal named by `username`, if the key is registered on it and it may log in."""
    principal = _principal_for_login(username)
    if principal is None:
        return None
    keys = SshKey.objects.filter(fingerprint=key_fingerprint)
    if isinstance(principal, ServiceAccount):
        keys = keys.filter(account=principal)
    else:
        keys = keys.filter(user=principal)
    return principal if keys.exists() else None


def record_login(principal: Principal, method: str, peer: str, client_version: str = "") -> None:
    """Journal a successful login; for users, the same signal as a web login (axes resets)."""
    request = sftp_request(peer, client_version)
    if isinstance(principal, User):
        user_logged_in.send(sender=User, request=request, user=principal)
    else:
        journal.record(
            "connexion",
            actor_label=principal.email,
            obj=principal,
            request=request,
            details={"canal": "sftp", "methode": method},
        )
    log.info("SFTP: %s connecté (%s) depuis %s", principal.email, method, peer)
