"""API tokens of service accounts: issue, revoke, authenticate, journal their use.

Issuing and revoking live with the accounts (`pigp.passerelle.accounts`, so the passerelle's
own pages never import the API); this module adds what the API needs on each request.

The use of a token is journaled at most once per minute per token: `last_used_at` is moved
forward by a conditional UPDATE only when it is at least a minute old, and only the request
whose UPDATE matched writes the journal entry. Continuous use therefore gives one entry per
minute, and a busy client does not turn every request into a database write.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from pigp.core import journal
from pigp.passerelle.accounts import find_token, hash_token, issue_token, revoke_token
from pigp.passerelle.models import ApiToken, ServiceAccount

__all__ = [
    "TokenRejected",
    "authenticate",
    "create_token",
    "hash_token",
    "note_use",
    "revoke_token",
]

USE_JOURNAL_INTERVAL = datetime.timedelta(minutes=1)

create_token = issue_token


class TokenRejected(Exception):
    """The token cannot authenticate (message in French, safe to show to the client)."""


@dataclass(frozen=True)
class Authenticated:
    account: ServiceAccount
    token: ApiToken


def authenticate(clear: str) -> Authenticated:
    token = find_token(clear)
    if token is None:
        raise TokenRejected("Jeton d'API inconnu ou mal formé.")
    account = token.account
    if not account.is_active:
        raise TokenRejected("Le compte de service de ce jeton a été révoqué.")
    if token.revoked_at is not None:
        raise TokenRejected("Ce jeton d'API a été révoqué.")
    return Authenticated(account, token)


def note_use(auth: Authenticated, request: HttpRequest | None = None) -> bool:
    """Record that the token was used; True when this use was journaled."""
    now = timezone.now()
    last = auth.token.last_used_at
    if last is not None and last > now - USE_JOURNAL_INTERVAL:
        # Used less than a minute ago (as loaded with the token): no write at all. An UPDATE
        # matching nothing still takes SQLite's write lock, and would make every API call
        # wait behind any long write of the worker.
        return False
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - USE_JOURNAL_INTERVAL)
    if not ApiToken.objects.filter(stale, pk=auth.token.pk).update(last_used_at=now):
        return False
    auth.token.last_used_at = now
    journal.record(
        "api_jeton_utilise",
        actor_label=auth.account.email,
        obj=auth.account,
        request=request,
        details={
            "prefixe": auth.token.prefix,
            "methode": request.method if request is not None else "",
            "chemin": request.path[:200] if request is not None else "",
        },
    )
    return True
