"""The supplier's accounts: self-registration, its confirmation by e-mail, its API tokens.

Registration creates the user (no habilitation), the supplier of that SIRET (or joins the
existing one) and an unconfirmed `CompteFournisseur`; a signed link, valid a few hours, confirms
it. Who receives the link:

- a new supplier: the registrant, at the address typed;
- an existing supplier: the supplier's registered address — a stranger who knows a SIRET must
  not read that supplier's invoices; without a registered address, an administrator confirms
  the account in the administration;
- an address that already has an account: no account is made; that address is told (and, if its
  supplier account still waits, sent the link again).

The page answers the same in every case: it never says whether a SIRET or an address is known.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from pigp.chorus.models import CompteFournisseur, Fournisseur
from pigp.core import journal
from pigp.core.models import User
from pigp.core.tasks import send_notification
from pigp.passerelle.accounts import IssuedToken, issue_token, revoke_token
from pigp.passerelle.models import ApiToken, ServiceAccount

SALT = "pigp.chorus.inscription"


class ConfirmationError(Exception):
    """The confirmation link cannot be used (message in French)."""


@dataclass(frozen=True)
class Inscription:
    """What registration did (never shown to the registrant, who sees one answer)."""

    compte: CompteFournisseur | None
    nouveau_fournisseur: bool = False


def _notify(subject: str, body: str, recipients: list[str]) -> None:
    """Enqueued inside the caller's transaction: the mail goes with the account or not at all."""
    recipients = [r for r in recipients if r]
    if recipients:
        send_notification.enqueue(subject=subject, body=body, recipients=recipients)


def _site(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def confirmation_token(compte: CompteFournisseur) -> str:
    # The user's e-mail is signed with the account: the link is for that account only.
    return signing.dumps({"c": compte.pk, "e": compte.user.email}, salt=SALT)


def confirmation_link(compte: CompteFournisseur) -> str:
    return _site(reverse("chorus:inscription_confirmer", args=[confirmation_token(compte)]))


def compte_du_lien(token: str) -> CompteFournisseur:
    """The account a confirmation link names, if the link is genuine and not expired."""
    max_age = settings.PIGP_CHORUS_CONFIRMATION_HOURS * 3600
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise ConfirmationError(
            "Ce lien de confirmation a expiré. Inscrivez-vous à nouveau avec la même adresse "
            "électronique : un nouveau lien vous sera envoyé."
        ) from None
    except signing.BadSignature:
        raise ConfirmationError("Ce lien de confirmation n'est pas valide.") from None
    pk = data.get("c") if isinstance(data, dict) else None
    compte = (
        CompteFournisseur.objects.select_related("user", "fournisseur")
        .filter(pk=pk, user__email=data.get("e"))
        .first()
        if isinstance(pk, int)
        else None
    )
    if compte is None:
        raise ConfirmationError("Ce lien de confirmation n'est pas valide.")
    return compte


@transaction.atomic
def confirmer(
    compte: CompteFournisseur, request: HttpRequest | None = None, *, by: User | None = None
) -> bool:
    """Confirm the account (through the link, or `by` an administrator); False when it already
    was (the link used twice)."""
    if not CompteFournisseur.objects.filter(pk=compte.pk, confirme=False).update(confirme=True):
        return False
    compte.confirme = True
    journal.record(
        "chorus_fournisseur_confirme",
        actor=by,
        actor_label="" if by is not None else compte.user.email,
        obj=compte,
        request=request,
        details={"siret": compte.fournisseur.siret, "utilisateur": compte.user.email},
    )
    _notify(
        "[PIGP] Votre compte fournisseur est confirmé",
        f"Le compte {compte.user.email} peut désormais déposer et suivre les factures de "
        f"{compte.fournisseur.raison_sociale} (SIRET {compte.fournisseur.siret}) :\n"
        f"{_site(reverse('chorus:fournisseur_depot'))}\n",
        [compte.user.email],
    )
    return True


def _send_confirmation(compte: CompteFournisseur) -> None:
    fournisseur = compte.fournisseur
    link = confirmation_link(compte)
    hours = settings.PIGP_CHORUS_CONFIRMATION_HOURS
    if fournisseur.email.lower() == compte.user.email.lower():
        _notify(
            "[PIGP] Confirmez votre inscription de fournisseur",
            f"Vous avez demandé un compte pour déposer les factures de "
            f"{fournisseur.raison_sociale} (SIRET {fournisseur.siret}) sur Chorus Pro.\n"
            f"Confirmez votre adresse avec ce lien (valable {hours} heures) :\n{link}\n\n"
            "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message.\n",
            [compte.user.email],
        )
        return
    if fournisseur.email:
        _notify(
            "[PIGP] Un nouveau compte demande à déposer vos factures",
            f"{compte.user.email} demande à déposer et suivre les factures de "
            f"{fournisseur.raison_sociale} (SIRET {fournisseur.siret}) sur Chorus Pro.\n"
            f"Si cette personne agit pour vous, confirmez son compte avec ce lien "
            f"(valable {hours} heures) :\n{link}\n\n"
            "Sinon, ignorez ce message : le compte ne verra rien.\n",
            [fournisseur.email],
        )
        waiting = "à l'adresse électronique que ce fournisseur a enregistrée"
    else:
        waiting = "par un administrateur du portail"
    _notify(
        "[PIGP] Votre inscription de fournisseur attend sa confirmation",
        f"{fournisseur.raison_sociale} (SIRET {fournisseur.siret}) est déjà inscrit sur "
        f"Chorus Pro : votre compte doit être confirmé {waiting}. Vous serez prévenu par "
        "courriel dès qu'il l'est.\n",
        [compte.user.email],
    )


@transaction.atomic
def inscrire(
    *,
    siret: str,
    raison_sociale: str,
    email: str,
    password: str,
    request: HttpRequest | None = None,
) -> Inscription:
    """Register a supplier's user (the form checked the SIRET and the password)."""
    email = email.strip().lower()
    existing = User.objects.filter(email__iexact=email).first()
    user = None
    if existing is None:
        try:
            with transaction.atomic():
                user = User.objects.create_user(email, password)
        except IntegrityError:  # registered at the same moment
            existing = User.objects.filter(email__iexact=email).first()
    if user is None:
        _already(existing, email)
        return Inscription(None)
    fournisseur, created = Fournisseur.objects.get_or_create(
        siret=siret, defaults={"raison_sociale": raison_sociale.strip()[:200], "email": email}
    )
    compte = CompteFournisseur.objects.create(user=user, fournisseur=fournisseur, confirme=False)
    journal.record(
        "chorus_fournisseur_inscrit",
        actor=user,
        obj=compte,
        request=request,
        details={"siret": siret, "utilisateur": email, "nouveau_fournisseur": created},
    )
    _send_confirmation(compte)
    return Inscription(compte, created)


def _already(user: User | None, email: str) -> None:
    compte = (
        CompteFournisseur.objects.select_related("user", "fournisseur").filter(user=user).first()
        if user is not None
        else None
    )
    if compte is not None and not compte.confirme:
        _send_confirmation(compte)
        return
    _notify(
        "[PIGP] Inscription avec votre adresse",
        "Une inscription de fournisseur a été demandée avec votre adresse électronique, qui a "
        "déjà un compte sur le portail. Connectez-vous, ou utilisez « Mot de passe oublié » :\n"
        f"{_site(reverse('portal:password_reset'))}\n\n"
        "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message.\n",
        [email],
    )


def too_many(request: HttpRequest) -> bool:
    """Registrations from one address are bounded per hour (counted in the cache)."""
    ip = journal.client_ip(request) or "?"
    key = "chorus-inscription:" + hashlib.sha256(ip.encode()).hexdigest()[:32]
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.set(key, 1, timeout=3600)
        count = 1
    return count > settings.PIGP_CHORUS_INSCRIPTIONS_PER_HOUR


# --- API tokens -----------------------------------------------------------------------------


def jetons(fournisseur: Fournisseur) -> QuerySet[ApiToken]:
    if fournisseur.compte_service_id is None:
        return ApiToken.objects.none()
    return ApiToken.objects.filter(account_id=fournisseur.compte_service_id).order_by(
        "-created_at", "-pk"
    )


@transaction.atomic
def creer_jeton(
    compte: CompteFournisseur, label: str, request: HttpRequest | None = None
) -> IssuedToken:
    """A new token for the supplier (its clear value is shown once)."""
    fournisseur = Fournisseur.objects.select_for_update().get(pk=compte.fournisseur_id)
    if fournisseur.compte_service is None:
        fournisseur.compte_service = ServiceAccount.objects.create(
            name=f"Fournisseur {fournisseur.raison_sociale}"[:105] + f" ({fournisseur.siret})",
            applications=[],
            can_write=True,
            created_by=compte.user,
        )
        fournisseur.save(update_fields=["compte_service"])
    issued = issue_token(compte.user, fournisseur.compte_service, label=label, request=request)
    journal.record(
        "api_jeton_cree",
        actor=compte.user,
        obj=fournisseur,
        request=request,
        details={"prefixe": issued.token.prefix, "libelle": issued.token.label},
    )
    return issued


@transaction.atomic
def revoquer_jeton(
    compte: CompteFournisseur, token: ApiToken, request: HttpRequest | None = None
) -> ApiToken:
    was_active = token.revoked_at is None
    token = revoke_token(compte.user, token, request=request)
    if was_active:
        journal.record(
            "api_jeton_revoque",
            actor=compte.user,
            obj=compte.fournisseur,
            request=request,
            details={"prefixe": token.prefix, "le": timezone.now().isoformat()},
        )
    return token
