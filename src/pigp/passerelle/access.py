"""Who may see and do what in the passerelle: one helper per kind of object.

A principal is a portal user (through their passerelle habilitations) or a service account
(through its scope). Used alike by the web pages, the API and the SFTP server.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from pigp.core.access import ended_access_message, habilitations_in_force
from pigp.core.models import Application, Collectivite, User
from pigp.core.models.habilitations import WRITE_PROFILES
from pigp.passerelle.models import Flux, MailboxItem, ServiceAccount

Principal = User | ServiceAccount


def readable_collectivite_ids(principal: Principal) -> set[int]:
    if isinstance(principal, ServiceAccount):
        if not principal.is_active or Application.PASSERELLE not in principal.applications:
            return set()
        return set(principal.collectivites.values_list("id", flat=True))
    return set(
        habilitations_in_force(principal)
        .filter(application=Application.PASSERELLE)
        .values_list("collectivite_id", flat=True)
    )


def writable_collectivite_ids(principal: Principal) -> set[int]:
    if isinstance(principal, ServiceAccount):
        return readable_collectivite_ids(principal) if principal.can_write else set()
    return set(
        habilitations_in_force(principal)
        .filter(application=Application.PASSERELLE, profil__in=WRITE_PROFILES)
        .values_list("collectivite_id", flat=True)
    )


def collectivites_for(principal: Principal, *, write: bool = False) -> QuerySet[Collectivite]:
    ids = writable_collectivite_ids(principal) if write else readable_collectivite_ids(principal)
    return Collectivite.objects.filter(id__in=ids).order_by("nom")


def get_collectivite(principal: Principal, pk: int, *, write: bool = False) -> Collectivite:
    if pk not in readable_collectivite_ids(principal):
        ended = None
        if not isinstance(principal, ServiceAccount):
            ended = ended_access_message(principal, pk, Application.PASSERELLE)
        if ended:
            raise PermissionDenied(ended)
        raise Http404("Collectivité introuvable.")
    if write and pk not in writable_collectivite_ids(principal):
        raise PermissionDenied("Votre profil ne permet que la consultation des flux.")
    return Collectivite.objects.get(pk=pk)


def flux_for(principal: Principal) -> QuerySet[Flux]:
    return Flux.objects.filter(collectivite_id__in=readable_collectivite_ids(principal))


def get_flux(principal: Principal, pk: int, *, write: bool = False) -> Flux:
    flux = (
        flux_for(principal)
        .select_related(
            "collectivite", "budget", "fichier", "acquit", "sender_user", "sender_account"
        )
        .filter(pk=pk)
        .first()
    )
    if flux is None:
        raise Http404("Flux introuvable.")
    if write and flux.collectivite_id not in writable_collectivite_ids(principal):
        raise PermissionDenied("Votre profil ne permet que la consultation des flux.")
    return flux


def is_sender(principal: Principal, flux: Flux) -> bool:
    """Did this principal deposit the flow (a user, or a service account, by its own row)?"""
    if isinstance(principal, ServiceAccount):
        return flux.sender_account_id == principal.pk
    return flux.sender_user_id == principal.pk


def mailbox_for(principal: Principal) -> QuerySet[MailboxItem]:
    return MailboxItem.objects.filter(collectivite_id__in=readable_collectivite_ids(principal))


def get_mailbox_item(principal: Principal, pk: int, *, write: bool = False) -> MailboxItem:
    item = mailbox_for(principal).select_related("fichier", "collectivite").filter(pk=pk).first()
    if item is None:
        raise Http404("Fichier introuvable.")
    if write and item.collectivite_id not in writable_collectivite_ids(principal):
        raise PermissionDenied("Votre profil ne permet que la consultation.")
    return item


def supervises(user: User) -> bool:
    """Comptable agents (their poste's flows) and national administrators (all flows)."""
    return bool(user.is_authenticated and (user.poste_id or user.is_national_admin))


def supervised_flux(user: User) -> QuerySet[Flux]:
    if not supervises(user):
        raise Http404("Page introuvable.")
    if user.is_national_admin:
        return Flux.objects.all()
    return Flux.objects.filter(collectivite__poste_id=user.poste_id)
