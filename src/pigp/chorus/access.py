"""Who may see and do what in Chorus: the one choke point for invoices and recipient structures.

- Users of a collectivité with a chorus habilitation in force see its invoices; a write profile
  (transmission, administration) may process them, a consultation profile only reads (403 on
  any action).
- The comptable's agents see the invoices of their poste's collectivités, read-only.
- A supplier's user (`CompteFournisseur`, confirmed) sees only its supplier's invoices, never
  acts as the recipient.
- Anyone else — a juge des comptes, another collectivité, another supplier — gets a 404: an
  invoice outside one's perimeter does not exist.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from pigp.chorus.models import CompteFournisseur, Depot, Facture, ServiceDestinataire
from pigp.core.access import ended_access_message, habilitations_in_force
from pigp.core.models import Application, Collectivite, Habilitation, User
from pigp.core.models.habilitations import WRITE_PROFILES

READ_ONLY = "Votre profil sur Chorus Pro ne permet que la consultation des factures."
NOT_RECIPIENT = "Cette action est réservée à la structure destinataire de la facture."


def compte_fournisseur(user: User) -> CompteFournisseur | None:
    """The user's confirmed supplier account, if the user acts for a supplier."""
    if not user.is_authenticated:
        return None
    return (
        CompteFournisseur.objects.select_related("fournisseur")
        .filter(user=user, confirme=True)
        .first()
    )


def _habilitations(user: User, *, write: bool = False) -> QuerySet[Habilitation, int]:
    found = habilitations_in_force(user).filter(application=Application.CHORUS)
    if write:
        found = found.filter(profil__in=WRITE_PROFILES)
    return found.values_list("collectivite_id", flat=True)


def _recipient_perimeter(user: User) -> Q:
    """The collectivités whose invoices the user reads, as a filter on `Collectivite`."""
    if not user.is_authenticated or user.is_juge:
        return Q(pk__in=[])
    granted = Q(pk__in=_habilitations(user))
    if user.poste_id is not None:
        return granted | Q(poste_id=user.poste_id)
    return granted


def collectivites_for(user: User) -> QuerySet[Collectivite]:
    return Collectivite.objects.filter(_recipient_perimeter(user)).order_by("nom")


def can_process(user: User, collectivite_id: int | None) -> bool:
    """May the user act as the recipient on this collectivité's invoices?"""
    if collectivite_id is None or not user.is_authenticated or user.is_juge:
        return False
    return (
        habilitations_in_force(user)
        .filter(
            application=Application.CHORUS,
            profil__in=WRITE_PROFILES,
            collectivite_id=collectivite_id,
        )
        .exists()
    )


def get_collectivite(user: User, pk: int, *, write: bool = False) -> Collectivite:
    collectivite = collectivites_for(user).select_related("poste").filter(pk=pk).first()
    if collectivite is None:
        ended = None if user.is_juge else ended_access_message(user, pk, Application.CHORUS)
        if ended:
            raise PermissionDenied(ended)
        raise Http404("Collectivité introuvable.")
    if write and not can_process(user, pk):
        raise PermissionDenied(READ_ONLY)
    return collectivite


def factures_for(user: User) -> QuerySet[Facture]:
    """Every invoice the user may see: its supplier's, or its collectivités'."""
    compte = compte_fournisseur(user)
    if compte is not None:
        return Facture.objects.filter(fournisseur_id=compte.fournisseur_id)
    if not user.is_authenticated or user.is_juge:
        return Facture.objects.none()
    return Facture.objects.filter(
        collectivite_id__in=collectivites_for(user).order_by().values("pk")
    )


def get_facture(user: User, pk: int, *, write: bool = False) -> Facture:
    """The invoice `pk` if the user may see it (404 otherwise); with `write`, only for a user
    who may process it as its recipient (403 for a read-only profile, a comptable, a supplier)."""
    facture = (
        factures_for(user)
        .select_related("collectivite", "collectivite__poste", "fournisseur", "service")
        .filter(pk=pk)
        .first()
    )
    if facture is None:
        raise Http404("Facture introuvable.")
    if write and not can_process(user, facture.collectivite_id):
        supplier = facture.fournisseur_id and compte_fournisseur(user) is not None
        raise PermissionDenied(NOT_RECIPIENT if supplier else READ_ONLY)
    return facture


def _mandat_readers(user: User) -> Q:
    """The invoices the user reads as documents of a mandat it sees in Hélios or the Extranet:
    those linked to a mandat of its poste's collectivités or of a collectivité where it has an
    Extranet habilitation in force (the Hélios link, `lien_helios`)."""
    if not user.is_authenticated or user.is_juge:
        return Q(pk__in=[])
    extranet = habilitations_in_force(user).filter(application=Application.EXTRANET)
    found = Q(mandat__collectivite_id__in=extranet.values("collectivite_id"))
    if user.poste_id is not None:
        found |= Q(mandat__collectivite__poste_id=user.poste_id)
    return found


def get_facture_document(user: User, pk: int) -> Facture:
    """An invoice's files: for whoever sees the invoice (`get_facture`), and for whoever sees
    the mandat that pays it. 404 otherwise."""
    facture = factures_for(user).filter(pk=pk).first()
    if facture is None and compte_fournisseur(user) is None:
        facture = Facture.objects.filter(_mandat_readers(user), pk=pk).first()
    if facture is None:
        raise Http404("Facture introuvable.")
    return facture


def get_facture_of_supplier(user: User, pk: int) -> Facture:
    """For the supplier's own actions (resubmit a 04, complete a 06): its invoice, or 404."""
    compte = compte_fournisseur(user)
    facture = (
        Facture.objects.filter(pk=pk, fournisseur_id=compte.fournisseur_id).first()
        if compte is not None
        else None
    )
    if facture is None:
        raise Http404("Facture introuvable.")
    return facture


def get_service(user: User, collectivite: Collectivite, pk: int) -> ServiceDestinataire:
    """A service of a collectivité the caller already got with `get_collectivite(write=True)`."""
    service = ServiceDestinataire.objects.filter(collectivite=collectivite, pk=pk).first()
    if service is None:
        raise Http404("Service introuvable.")
    return service


def get_compte_fournisseur(user: User) -> CompteFournisseur:
    """The supplier pages' gate: the user's confirmed supplier account, or 404 for anyone else
    (a collectivité's user, an account not yet confirmed)."""
    compte = compte_fournisseur(user)
    if compte is None:
        raise Http404("Page introuvable.")
    return compte


def get_depot_of_supplier(compte: CompteFournisseur, pk: int) -> Depot:
    """A deposit receipt of the supplier's, or 404."""
    depot = (
        Depot.objects.select_related("facture", "fichier")
        .filter(pk=pk, fournisseur_id=compte.fournisseur_id)
        .first()
    )
    if depot is None:
        raise Http404("Dépôt introuvable.")
    return depot
