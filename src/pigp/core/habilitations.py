"""The habilitation life cycle: request, grant, refuse, revoke. Every step is journaled."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from pigp.core import journal
from pigp.core.access import is_local_admin
from pigp.core.models import (
    Application,
    Collectivite,
    Habilitation,
    Profil,
    StatutHabilitation,
    User,
)
from pigp.core.tasks import send_notification


class HabilitationError(Exception):
    """A request or decision that the rules refuse; the message is for the user, in French."""


def _notify(subject: str, body: str, recipients: list[str]) -> None:
    """Enqueue the mail; with the database backend the task row commits with the decision
    (every public function here runs in one transaction, `@transaction.atomic`)."""
    recipients = [r for r in recipients if r]
    if recipients:
        send_notification.enqueue(subject=subject, body=body, recipients=recipients)


def _set_password_link(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("portal:password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    return settings.SITE_URL.rstrip("/") + path


@transaction.atomic
def request_habilitation(
    *,
    requester: User,
    collectivite: Collectivite,
    application: str,
    profil: str,
    beneficiary_email: str | None = None,
    date_fin: datetime.date | None = None,
    commentaire: str = "",
    request: HttpRequest | None = None,
) -> Habilitation:
    """Ask for access for oneself, or for a colleague when the requester is local administrator."""
    Application(application)
    Profil(profil)
    if date_fin is not None and date_fin < timezone.localdate():
        raise HabilitationError("La date de fin ne peut pas être dans le passé.")
    email = (beneficiary_email or "").strip().lower()
    for_colleague = bool(email) and email != requester.email.lower()
    if for_colleague and not is_local_admin(requester, collectivite):
        raise HabilitationError(
            "Seul l'administrateur local de la collectivité peut demander une habilitation "
            "pour un collègue."
        )
    with transaction.atomic():
        beneficiary = requester
        created_account = False
        if for_colleague:
            known = User.objects.filter(email__iexact=email).first()
            if known is not None:
                beneficiary = known
            else:
                beneficiary = User.objects.create_user(email=email, password=None)
                created_account = True
                journal.record(
                    "compte_cree",
                    actor=requester,
                    obj=beneficiary,
                    collectivite=collectivite,
                    request=request,
                )
        try:
            with transaction.atomic():
                habilitation = Habilitation.objects.create(
                    user=beneficiary,
                    collectivite=collectivite,
                    application=application,
                    profil=profil,
                    demandee_par=requester,
                    date_fin=date_fin,
                    motif=commentaire,
                )
        except IntegrityError:
            raise HabilitationError(
                "Une demande ou une habilitation est déjà ouverte pour cette application "
                "de cette collectivité."
            ) from None
        journal.record(
            "habilitation_demandee",
            actor=requester,
            obj=habilitation,
            collectivite=collectivite,
            request=request,
            details={
                "application": application,
                "profil": profil,
                "beneficiaire": beneficiary.email,
            },
        )
    agents = list(collectivite.poste.agents.filter(is_active=True).values_list("email", flat=True))
    _notify(
        "[PIGP] Nouvelle demande d'habilitation",
        f"{beneficiary.email} demande l'accès à {habilitation.get_application_display()} "
        f"({habilitation.get_profil_display()}) pour {collectivite.nom}.\n\n"
        f"Pour décider : {settings.SITE_URL.rstrip('/')}{reverse('portal:comptable_demandes')}",
        agents,
    )
    if created_account:
        _notify(
            "[PIGP] Votre compte sur le portail de la gestion publique",
            f"{requester.email} a demandé pour vous un accès au portail ({collectivite.nom}).\n"
            f"Choisissez votre mot de passe avec ce lien (valable une heure) :\n"
            f"{_set_password_link(beneficiary)}\n",
            [beneficiary.email],
        )
    return habilitation


def _decide(
    habilitation: Habilitation,
    *,
    comptable: User,
    statut: str,
    motif: str,
    action: str,
    request: HttpRequest | None,
    date_fin: datetime.date | None = None,
) -> Habilitation:
    if comptable.poste_id is None or comptable.poste_id != habilitation.collectivite.poste_id:
        raise HabilitationError("Cette habilitation ne relève pas de votre poste comptable.")
    if habilitation.user_id == comptable.pk:
        raise HabilitationError(
            "Vous ne pouvez pas décider d'une habilitation qui vous concerne : un autre agent "
            "du poste doit le faire."
        )
    with transaction.atomic():
        locked = Habilitation.objects.select_for_update().get(pk=habilitation.pk)
        if not locked.can_become(statut):
            raise HabilitationError(
                f"Impossible : l'habilitation est « {locked.get_statut_display().lower()} »."
            )
        locked.statut = statut
        locked.decidee_par = comptable
        locked.decidee_le = timezone.now()
        if motif:
            locked.motif = motif
        if date_fin is not None:
            locked.date_fin = date_fin
        locked.save(update_fields=["statut", "decidee_par", "decidee_le", "motif", "date_fin"])
        journal.record(
            action,
            actor=comptable,
            obj=locked,
            collectivite=locked.collectivite_id,
            request=request,
            details={"motif": motif, "statut": statut},
        )
    return locked


@transaction.atomic
def grant(
    habilitation: Habilitation,
    *,
    comptable: User,
    date_fin: datetime.date | None = None,
    request: HttpRequest | None = None,
) -> Habilitation:
    if date_fin is not None and date_fin < timezone.localdate():
        raise HabilitationError("La date de fin ne peut pas être dans le passé.")
    result = _decide(
        habilitation,
        comptable=comptable,
        statut=StatutHabilitation.ACTIVE,
        motif="",
        action="habilitation_accordee",
        request=request,
        date_fin=date_fin,
    )
    _notify(
        "[PIGP] Habilitation accordée",
        f"Votre accès à {result.get_application_display()} ({result.get_profil_display()}) "
        f"pour {result.collectivite.nom} est ouvert.",
        [result.user.email],
    )
    return result


@dataclass(frozen=True)
class _Closing:
    """What differs between a refusal and a revocation: both need a motif and tell the user."""

    statut: str
    action: str
    motif_missing: str
    subject: str
    body: str  # formatted with application, collectivite, motif


_REFUSAL = _Closing(
    statut=StatutHabilitation.REFUSEE,
    action="habilitation_refusee",
    motif_missing="Indiquez le motif du refus.",
    subject="[PIGP] Demande d'habilitation refusée",
    body="Votre demande d'accès à {application} pour {collectivite} a été refusée.\nMotif : {motif}",
)
_REVOCATION = _Closing(
    statut=StatutHabilitation.REVOQUEE,
    action="habilitation_revoquee",
    motif_missing="Indiquez le motif de la révocation.",
    subject="[PIGP] Habilitation révoquée",
    body="Votre accès à {application} pour {collectivite} a été révoqué.\nMotif : {motif}",
)


def _close(
    habilitation: Habilitation,
    closing: _Closing,
    *,
    comptable: User,
    motif: str,
    request: HttpRequest | None,
) -> Habilitation:
    if not motif.strip():
        raise HabilitationError(closing.motif_missing)
    result = _decide(
        habilitation,
        comptable=comptable,
        statut=closing.statut,
        motif=motif.strip(),
        action=closing.action,
        request=request,
    )
    body = closing.body.format(
        application=result.get_application_display(),
        collectivite=result.collectivite.nom,
        motif=result.motif,
    )
    _notify(closing.subject, body, [result.user.email])
    return result


@transaction.atomic
def refuse(
    habilitation: Habilitation, *, comptable: User, motif: str, request: HttpRequest | None = None
) -> Habilitation:
    return _close(habilitation, _REFUSAL, comptable=comptable, motif=motif, request=request)


@transaction.atomic
def revoke(
    habilitation: Habilitation, *, comptable: User, motif: str, request: HttpRequest | None = None
) -> Habilitation:
    return _close(habilitation, _REVOCATION, comptable=comptable, motif=motif, request=request)
