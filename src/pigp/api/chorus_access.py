"""Who calls the Chorus API, and which invoices that caller reaches.

Built on `pigp.chorus.access` (the choke point of the web pages) for portal users, and extends
it to the API's service accounts:

- a **recipient** is a portal user with a Chorus habilitation in force (same perimeter as the
  web), or a service account scoped to the « chorus » application on its collectivités (it may
  act on the invoices when it may write, otherwise it only reads: 403 on every action);
- a **supplier** is a portal user with a confirmed `CompteFournisseur`, or the service account
  holding the supplier's API tokens (`Fournisseur.compte_service`, created from the supplier's
  pages);
- a supplier never reaches the recipient endpoints, a recipient never the supplier ones: both
  get a 404, as does anyone outside the perimeter.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from pigp.chorus import access
from pigp.chorus.models import Facture, Fournisseur
from pigp.core.models import Application, User
from pigp.passerelle.models import ServiceAccount

Principal = User | ServiceAccount
NOT_FOUND = "Facture introuvable."


@dataclass(frozen=True)
class Actor:
    """Who an action is recorded against: a user, or a label (a service account)."""

    user: User | None
    label: str


def actor(principal: Principal) -> Actor:
    if isinstance(principal, User):
        return Actor(principal, principal.email)
    return Actor(None, f"compte de service « {principal.name} »")


def fournisseur_of(principal: Principal) -> Fournisseur | None:
    """The supplier the caller acts for, if any."""
    if isinstance(principal, User):
        compte = access.compte_fournisseur(principal)
        return compte.fournisseur if compte is not None else None
    if not principal.is_active:
        return None
    if not _linked():
        return None
    return Fournisseur.objects.filter(**{"compte_service": principal}).first()


def _linked() -> bool:
    """Whether suppliers may hold a service account (their token pages)."""
    return any(f.name == "compte_service" for f in Fournisseur._meta.get_fields())


def _is_recipient_account(account: ServiceAccount) -> bool:
    return account.is_active and Application.CHORUS in (account.applications or [])


# --- recipient -----------------------------------------------------------------------------


def factures_recues(principal: Principal) -> QuerySet[Facture]:
    """The invoices the caller receives (none for a supplier)."""
    if isinstance(principal, User):
        if access.compte_fournisseur(principal) is not None:
            return Facture.objects.none()
        return access.factures_for(principal)
    if not _is_recipient_account(principal) or fournisseur_of(principal) is not None:
        return Facture.objects.none()
    return Facture.objects.filter(
        collectivite_id__in=principal.collectivites.order_by().values("pk")
    )


def can_process(principal: Principal, facture: Facture) -> bool:
    if isinstance(principal, User):
        return access.can_process(principal, facture.collectivite_id)
    return principal.can_write and _is_recipient_account(principal)


def get_facture_recue(principal: Principal, pk: int, *, write: bool = False) -> Facture:
    """A received invoice in the caller's perimeter (404), that it may process with `write`
    (403 for a read-only profile or account)."""
    facture = (
        factures_recues(principal)
        .select_related("collectivite", "fournisseur", "service", "original", "pdf", "mandat")
        .filter(pk=pk)
        .first()
    )
    if facture is None:
        raise Http404(NOT_FOUND)
    if write and not can_process(principal, facture):
        raise PermissionDenied(access.READ_ONLY)
    return facture


# --- supplier ------------------------------------------------------------------------------


def factures_emises(principal: Principal) -> QuerySet[Facture]:
    """The caller's supplier's invoices (none for a recipient)."""
    fournisseur = fournisseur_of(principal)
    if fournisseur is None:
        return Facture.objects.none()
    return Facture.objects.filter(fournisseur=fournisseur)


def get_facture_emise(principal: Principal, pk: int) -> Facture:
    facture = (
        factures_emises(principal)
        .select_related("collectivite", "fournisseur", "service", "original", "pdf")
        .filter(pk=pk)
        .first()
    )
    if facture is None:
        raise Http404(NOT_FOUND)
    return facture


def require_fournisseur(principal: Principal) -> Fournisseur:
    """The supplier a deposit is made for; a caller acting for none gets a 404."""
    fournisseur = fournisseur_of(principal)
    if fournisseur is None:
        raise Http404("Aucun compte fournisseur n'est associé à cet accès.")
    return fournisseur
