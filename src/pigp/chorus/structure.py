"""The recipient structure's settings and its services, changed by its entitled users; every
change journaled."""

from __future__ import annotations

from django.db import transaction

from pigp.chorus.models import ServiceDestinataire, StructureDestinataire
from pigp.core import journal
from pigp.core.models import Collectivite, User


def structure_of(collectivite: Collectivite) -> StructureDestinataire:
    """The collectivité's settings (the defaults, unsaved, when it never set them)."""
    found = StructureDestinataire.objects.filter(collectivite=collectivite).first()
    return found or StructureDestinataire(collectivite=collectivite)


@transaction.atomic
def update_structure(
    collectivite: Collectivite, *, actor: User, service_code_requis: bool, engagement_requis: bool
) -> StructureDestinataire:
    structure, _ = StructureDestinataire.objects.update_or_create(
        collectivite=collectivite,
        defaults={
            "service_code_requis": service_code_requis,
            "engagement_requis": engagement_requis,
        },
    )
    journal.record(
        "chorus_structure",
        actor=actor,
        obj=structure,
        collectivite=collectivite,
        details={
            "service_code_requis": service_code_requis,
            "engagement_requis": engagement_requis,
        },
    )
    return structure


@transaction.atomic
def save_service(
    collectivite: Collectivite,
    *,
    actor: User,
    service: ServiceDestinataire | None = None,
    code: str,
    libelle: str,
    engagement_requis: bool = False,
    actif: bool = True,
) -> ServiceDestinataire:
    """Declare a service, or change one (deactivating it is `actif=False`: a service that
    received invoices is never deleted)."""
    if service is None:
        service = ServiceDestinataire(collectivite=collectivite)
    service.code, service.libelle = code, libelle
    service.engagement_requis, service.actif = engagement_requis, actif
    service.save()
    journal.record(
        "chorus_service",
        actor=actor,
        obj=service,
        collectivite=collectivite,
        details={"code": code, "actif": actif, "engagement_requis": engagement_requis},
    )
    return service
