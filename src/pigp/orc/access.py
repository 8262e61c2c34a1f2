"""Who may see and do what in ORC: the one choke point for every ORC view, command and API.

Reading (search, pièces, documents, proofs, attestations):
- users of a collectivité with an ORC habilitation in force (any profile);
- the comptable's agents, for every collectivité of their poste;
- the juges des comptes whose juridiction covers the collectivité's département (read-only).
Anyone else gets a 404: ORC never reveals that an object exists. A user whose own access
ended is told so (403).

Acting, for the collectivité's own users with an ORC habilitation in force:
- `ADHERER` (sign the convention of the early-destruction offer): profile « administration »;
- `DEPOSER` (deposit digitised paper PJ): « transmission » or « administration »;
- `ARCHIVER` (draw up and approve an elimination, set a legal hold, export SEDA): « archiviste ».
The agents of a public archives service (`ServiceArchives`) covering the collectivité's
département see its bordereaux d'élimination and give or refuse their visa (`viser`).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from pigp.core.access import ended_access_message, habilitations_in_force
from pigp.core.models import Application, Collectivite, Profil, User
from pigp.orc.models import (
    ArchiveDocument,
    ArchiveUnit,
    Attestation,
    Elimination,
    ServiceArchives,
    Transfert,
)

ADHERER = frozenset({Profil.ADMINISTRATION})
DEPOSER = frozenset({Profil.TRANSMISSION, Profil.ADMINISTRATION})
ARCHIVER = frozenset({Profil.ARCHIVISTE})


def _perimeter(user: User) -> Q:
    """The collectivités the user may read in ORC, as a filter on `Collectivite`."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    if user.is_juge:
        codes = user.juridiction.departement_codes() if user.juridiction else []
        return Q(departement__in=codes)
    granted = Q(
        pk__in=habilitations_in_force(user)
        .filter(application=Application.ORC)
        .values("collectivite_id")
    )
    if user.poste_id is not None:
        return granted | Q(poste_id=user.poste_id)
    return granted


def collectivites_for(user: User) -> QuerySet[Collectivite]:
    return Collectivite.objects.filter(_perimeter(user)).order_by("nom")


def readable_ids(user: User) -> QuerySet[Collectivite, int]:
    """Ids of the collectivités the user reads, as a subquery (no round trip)."""
    return collectivites_for(user).order_by().values_list("pk", flat=True)


def has_orc(user: User) -> bool:
    return collectivites_for(user).exists()


def get_collectivite(user: User, pk: int) -> Collectivite:
    collectivite = collectivites_for(user).select_related("poste").filter(pk=pk).first()
    if collectivite is None:
        ended = None if user.is_juge else ended_access_message(user, pk, Application.ORC)
        if ended:
            raise PermissionDenied(ended)
        raise Http404("Collectivité introuvable.")
    return collectivite


def units_for(user: User) -> QuerySet[ArchiveUnit]:
    return ArchiveUnit.objects.filter(collectivite_id__in=readable_ids(user))


def get_unit(user: User, pk: int) -> ArchiveUnit:
    unit = (
        units_for(user)
        .filter(pk=pk)
        .select_related("collectivite", "budget", "exercice", "piece")
        .first()
    )
    if unit is None:
        raise Http404("Pièce archivée introuvable.")
    return unit


def get_attestation(user: User, pk: int, kind: str) -> Attestation:
    """An attestation of a collectivité the user reads (404 otherwise, or of another kind)."""
    attestation = (
        Attestation.objects.filter(collectivite_id__in=readable_ids(user), kind=kind, pk=pk)
        .select_related("collectivite")
        .first()
    )
    if attestation is None:
        raise Http404("Attestation introuvable.")
    return attestation


def get_document(user: User, pk: int) -> ArchiveDocument:
    """A document of a unit the user reads (its unit and object loaded)."""
    document = (
        ArchiveDocument.objects.filter(pk=pk, unit__collectivite_id__in=readable_ids(user))
        .select_related("unit__collectivite", "obj")
        .first()
    )
    if document is None:
        raise Http404("Document archivé introuvable.")
    return document


def may_act(user: User, collectivite: Collectivite, profils: frozenset[str]) -> bool:
    """Does the user hold an ORC habilitation in force with one of `profils` here?"""
    if not user.is_authenticated or user.is_juge:
        return False
    return (
        habilitations_in_force(user)
        .filter(application=Application.ORC, collectivite=collectivite, profil__in=profils)
        .exists()
    )


def require_act(user: User, pk: int, profils: frozenset[str]) -> Collectivite:
    """The collectivité `pk` if the user may act on it with one of `profils`: 404 when they
    cannot even read it, 403 (in French) when they read it without that profile."""
    collectivite = get_collectivite(user, pk)
    if not may_act(user, collectivite, profils):
        raise PermissionDenied("Votre habilitation ORC ne permet pas cette action.")
    return collectivite


def services_archives_for(user: User) -> QuerySet[ServiceArchives]:
    if not user.is_authenticated:
        return ServiceArchives.objects.none()
    return ServiceArchives.objects.filter(agents=user)


def _archives_departements(user: User) -> list[str]:
    return sorted(
        {code for service in services_archives_for(user) for code in service.departement_codes()}
    )


def eliminations_for(user: User) -> QuerySet[Elimination]:
    """Bordereaux d'élimination: the collectivité's readers see theirs, the public archives
    services those of the départements they cover."""
    perimeter = Q(collectivite_id__in=readable_ids(user))
    departements = _archives_departements(user)
    if departements:
        perimeter |= Q(collectivite__departement__in=departements)
    return Elimination.objects.filter(perimeter)


def get_elimination(user: User, pk: int) -> Elimination:
    elimination = eliminations_for(user).select_related("collectivite").filter(pk=pk).first()
    if elimination is None:
        raise Http404("Bordereau d'élimination introuvable.")
    return elimination


def may_vise(user: User, elimination: Elimination) -> bool:
    """Is the user an agent of a public archives service covering this collectivité?"""
    return elimination.collectivite.departement in _archives_departements(user)


def transferts_for(user: User) -> QuerySet[Transfert]:
    """SEDA transfers: seen by the collectivité's readers (prepared by its archivist)."""
    return Transfert.objects.filter(collectivite_id__in=readable_ids(user))


def get_transfert(user: User, pk: int) -> Transfert:
    transfert = transferts_for(user).select_related("collectivite", "paquet").filter(pk=pk).first()
    if transfert is None:
        raise Http404("Transfert introuvable.")
    return transfert


def collectivites_acting(user: User, profils: frozenset[str]) -> QuerySet[Collectivite]:
    """The collectivités where the user holds an ORC habilitation in force with `profils`."""
    if not user.is_authenticated or user.is_juge:
        return Collectivite.objects.none()
    ids = (
        habilitations_in_force(user)
        .filter(application=Application.ORC, profil__in=profils)
        .values("collectivite_id")
    )
    return Collectivite.objects.filter(pk__in=ids).order_by("nom")
