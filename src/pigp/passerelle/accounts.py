"""Service accounts, their API tokens and SSH keys: what a local administrator manages.

A local administrator holds the "administration" profile on the passerelle of a collectivité.
Rules (docs/api.md):
- an administrator sees the accounts that reach at least one collectivité they administer, and
  may revoke them or their tokens (cutting access is always safe);
- issuing a token, registering a key or creating an account needs the administration profile
  on *every* collectivité of the account, for every application it is scoped to: nobody hands
  out access they do not hold.

Tokens are shown once: only a prefix (to find the row) and the SHA-256 of the whole token are
stored. The token model lives here, with the accounts; `pigp.api.tokens` authenticates with it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

import asyncssh
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone

from pigp.core import journal
from pigp.core.access import habilitations_in_force
from pigp.core.models import Application, Collectivite, Profil, User
from pigp.passerelle.models import ApiToken, ServiceAccount, SshKey

TOKEN_SCHEME = "pigp"  # noqa: S105 (a prefix, not a secret)
_TOKEN_RE = re.compile(r"^pigp_([0-9a-f]{10})_([A-Za-z0-9_-]{30,100})$")
MIN_RSA_BITS = 2048


class AccountError(Exception):
    """A request on service accounts that cannot be honoured (message in French)."""


# --- who administers what ----------------------------------------------------------------


def administered(user: User) -> dict[int, set[str]]:
    """Collectivité id → applications on which `user` holds the administration profile."""
    result: dict[int, set[str]] = {}
    rows = (
        habilitations_in_force(user)
        .filter(profil=Profil.ADMINISTRATION)
        .values_list("collectivite_id", "application")
    )
    for coll_id, app in rows:
        result.setdefault(coll_id, set()).add(app)
    return result


def administered_collectivites(user: User) -> QuerySet[Collectivite]:
    """Collectivités whose passerelle `user` administers: where service accounts are made."""
    ids = [cid for cid, apps in administered(user).items() if Application.PASSERELLE in apps]
    return Collectivite.objects.filter(id__in=ids).order_by("nom")


def is_account_admin(user: User) -> bool:
    return administered_collectivites(user).exists()


def accounts_for(user: User) -> QuerySet[ServiceAccount]:
    ids = administered_collectivites(user).values_list("id", flat=True)
    return (
        ServiceAccount.objects.filter(collectivites__in=ids)
        .distinct()
        .prefetch_related("collectivites")
        .order_by("revoked_at", "name", "id")
    )


def may_manage(user: User, account: ServiceAccount) -> bool:
    """Issue tokens and keys: the administration profile on all its collectivités and apps."""
    admin = administered(user)
    apps = set(account.applications) or {Application.PASSERELLE}
    return all(
        apps <= admin.get(cid, set())
        for cid in account.collectivites.all().values_list("id", flat=True)
    )


def get_account(user: User, pk: int, *, manage: bool = False) -> ServiceAccount:
    """404 outside the administrator's collectivités; 403 when they may only revoke it."""
    account = accounts_for(user).filter(pk=pk).first()
    if account is None:
        raise Http404("Compte de service introuvable.")
    if manage and not may_manage(user, account):
        raise PermissionDenied(
            "Ce compte de service atteint aussi des collectivités ou applications que vous "
            "n'administrez pas : vous pouvez le révoquer, pas lui délivrer d'accès."
        )
    return account


# --- accounts ------------------------------------------------------------------------------


def create_account(
    user: User,
    *,
    name: str,
    collectivites: Iterable[Collectivite],
    applications: Iterable[str],
    can_write: bool,
    request: HttpRequest | None = None,
) -> ServiceAccount:
    colls = list(collectivites)
    apps = sorted(set(applications))
    if not name.strip():
        raise AccountError("Donnez un nom au compte de service.")
    if not colls:
        raise AccountError("Choisissez au moins une collectivité.")
    if not apps:
        raise AccountError("Choisissez au moins une application.")
    unknown = set(apps) - set(Application.values)
    if unknown:
        raise AccountError(f"Application inconnue : {', '.join(sorted(unknown))}.")
    admin = administered(user)
    for coll in colls:
        missing = set(apps) - admin.get(coll.pk, set())
        if Application.PASSERELLE not in admin.get(coll.pk, set()):
            raise PermissionDenied(f"Vous n'administrez pas la passerelle de {coll.nom}.")
        if missing:
            labels = ", ".join(Application(a).label for a in sorted(missing))
            raise AccountError(
                f"Vous n'avez pas le profil « administration locale » sur {labels} "
                f"pour {coll.nom} : vous ne pouvez pas y donner accès."
            )
    with transaction.atomic():
        account = ServiceAccount.objects.create(
            name=name.strip()[:120], applications=apps, can_write=can_write, created_by=user
        )
        account.collectivites.set(colls)
        for coll in colls:
            journal.record(
                "compte_service_cree",
                actor=user,
                obj=account,
                collectivite=coll,
                request=request,
                details={"applications": apps, "peut_deposer": can_write},
            )
    return account


def revoke_account(
    user: User, account: ServiceAccount, *, request: HttpRequest | None = None
) -> ServiceAccount:
    """Revoke the account and all its tokens; its SSH keys stop working with it."""
    now = timezone.now()
    with transaction.atomic():
        updated = ServiceAccount.objects.filter(pk=account.pk, revoked_at__isnull=True).update(
            revoked_at=now
        )
        ApiToken.objects.filter(account=account, revoked_at__isnull=True).update(revoked_at=now)
        if updated:
            for coll_id in account.collectivites.values_list("id", flat=True):
                journal.record(
                    "compte_service_revoque",
                    actor=user,
                    obj=account,
                    collectivite=coll_id,
                    request=request,
                )
    account.refresh_from_db()
    return account


# --- tokens --------------------------------------------------------------------------------


def hash_token(clear: str) -> str:
    return hashlib.sha256(clear.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    clear: str  # shown once to the administrator, never stored


def issue_token(
    user: User, account: ServiceAccount, *, label: str = "", request: HttpRequest | None = None
) -> IssuedToken:
    if not account.is_active:
        raise AccountError("Ce compte de service est révoqué : il ne peut plus recevoir de jeton.")
    for _ in range(5):
        prefix = secrets.token_hex(5)
        clear = f"{TOKEN_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
        try:
            with transaction.atomic():
                token = ApiToken.objects.create(
                    account=account,
                    prefix=prefix,
                    token_hash=hash_token(clear),
                    label=label.strip()[:120],
                )
                for coll_id in account.collectivites.values_list("id", flat=True):
                    journal.record(
                        "api_jeton_cree",
                        actor=user,
                        obj=account,
                        collectivite=coll_id,
                        request=request,
                        details={"prefixe": prefix, "libelle": token.label},
                    )
            return IssuedToken(token, clear)
        except IntegrityError:  # a prefix collision: draw again
            continue
    raise AccountError("Impossible de créer un jeton pour l'instant : réessayez.")


def get_token(user: User, account: ServiceAccount, pk: int) -> ApiToken:
    token = ApiToken.objects.filter(account=account, pk=pk).first()
    if token is None:
        raise Http404("Jeton introuvable.")
    return token


def revoke_token(
    user: User | None, token: ApiToken, *, request: HttpRequest | None = None
) -> ApiToken:
    with transaction.atomic():
        updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if updated:
            for coll_id in token.account.collectivites.values_list("id", flat=True):
                journal.record(
                    "api_jeton_revoque",
                    actor=user,
                    obj=token.account,
                    collectivite=coll_id,
                    request=request,
                    details={"prefixe": token.prefix},
                )
    token.refresh_from_db()
    return token


def find_token(clear: str) -> ApiToken | None:
    """The token row matching `clear`, whatever its state (the caller checks revocation)."""
    match = _TOKEN_RE.match(clear.strip())
    if match is None:
        return None
    token = ApiToken.objects.select_related("account").filter(prefix=match.group(1)).first()
    if token is None or not hmac.compare_digest(token.token_hash, hash_token(clear.strip())):
        return None
    return token


# --- SSH keys ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedKey:
    openssh: str
    fingerprint: str
    algorithm: str


def parse_public_key(text: str) -> ParsedKey:
    """Check an OpenSSH public key and compute its SHA-256 fingerprint (French errors)."""
    text = (text or "").strip()
    if not text:
        raise AccountError(
            "Collez la clé publique (une ligne commençant par « ssh-ed25519 », « ssh-rsa » ou « ecdsa-… »)."
        )
    if "PRIVATE KEY" in text:
        raise AccountError(
            "Ceci est une clé PRIVÉE : ne la communiquez jamais. Collez le contenu du fichier "
            "« .pub » correspondant."
        )
    if "\n" in text or not re.match(r"^(ssh-|ecdsa-|sk-)", text):
        raise AccountError(
            "Format non reconnu : collez une seule ligne au format OpenSSH, par exemple "
            "« ssh-ed25519 AAAA… commentaire »."
        )
    try:
        key = asyncssh.import_public_key(text)
    except (asyncssh.KeyImportError, ValueError) as exc:
        raise AccountError(f"Clé publique invalide : {exc}.") from exc
    algorithm = key.algorithm.decode("ascii", "replace")
    if algorithm == "ssh-dss":
        raise AccountError("Les clés DSA ne sont plus acceptées : utilisez une clé Ed25519.")
    bits = getattr(key.pyca_key, "key_size", None)
    if algorithm == "ssh-rsa" and bits is not None and bits < MIN_RSA_BITS:
        raise AccountError(
            f"Clé RSA de {bits} bits : trop courte (au moins {MIN_RSA_BITS} bits ; "
            "Ed25519 recommandé)."
        )
    openssh = key.export_public_key("openssh").decode("ascii").strip()
    return ParsedKey(openssh, key.get_fingerprint("sha256"), algorithm)


def register_ssh_key(
    actor: User,
    text: str,
    *,
    label: str = "",
    owner_user: User | None = None,
    owner_account: ServiceAccount | None = None,
    request: HttpRequest | None = None,
) -> SshKey:
    if (owner_user is None) == (owner_account is None):
        raise ValueError("exactly one owner")
    if owner_account is not None and not owner_account.is_active:
        raise AccountError("Ce compte de service est révoqué.")
    parsed = parse_public_key(text)
    if SshKey.objects.filter(fingerprint=parsed.fingerprint).exists():
        raise AccountError(
            f"Cette clé ({parsed.fingerprint}) est déjà enregistrée : une clé ne peut servir "
            "qu'à un seul compte."
        )
    try:
        with transaction.atomic():
            key = SshKey.objects.create(
                user=owner_user,
                account=owner_account,
                public_key=parsed.openssh,
                fingerprint=parsed.fingerprint,
                label=label.strip()[:120],
            )
            _journal_key("cle_ssh_ajoutee", actor, key, request)
    except IntegrityError as exc:
        raise AccountError(f"Cette clé ({parsed.fingerprint}) est déjà enregistrée.") from exc
    return key


def keys_of_user(user: User) -> QuerySet[SshKey]:
    return SshKey.objects.filter(user=user).order_by("created_at", "id")


def get_own_key(user: User, pk: int) -> SshKey:
    key = SshKey.objects.filter(user=user, pk=pk).first()
    if key is None:
        raise Http404("Clé introuvable.")
    return key


def remove_ssh_key(actor: User, key: SshKey, *, request: HttpRequest | None = None) -> None:
    with transaction.atomic():
        _journal_key("cle_ssh_supprimee", actor, key, request)
        key.delete()


def _journal_key(action: str, actor: User, key: SshKey, request: HttpRequest | None) -> None:
    details: dict[str, object] = {"empreinte": key.fingerprint, "libelle": key.label}
    if key.account is not None:
        details["compte_service"] = key.account.pk
        for coll_id in key.account.collectivites.values_list("id", flat=True):
            journal.record(
                action, actor=actor, obj=key, collectivite=coll_id, request=request, details=details
            )
    else:
        assert key.user is not None  # sshkey_un_seul_titulaire: a user's key when not an account's
        details["utilisateur"] = key.user.email
        journal.record(action, actor=actor, obj=key, request=request, details=details)
