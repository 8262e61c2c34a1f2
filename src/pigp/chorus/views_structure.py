"""The recipient structure's settings page: what invoices must carry, and its services."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from pigp.chorus import access, structure
from pigp.chorus.forms import ServiceForm, StructureForm
from pigp.chorus.models import ServiceDestinataire
from pigp.core.http import AuthenticatedHttpRequest


def settings_page(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    write = request.method == "POST"
    collectivite = access.get_collectivite(request.user, pk, write=write)
    current = structure.structure_of(collectivite)
    form = StructureForm(
        request.POST if write else None,
        initial={
            "service_code_requis": current.service_code_requis,
            "engagement_requis": current.engagement_requis,
        },
    )
    if write and form.is_valid():
        structure.update_structure(collectivite, actor=request.user, **form.cleaned_data)
        messages.success(request, "Les paramètres de la structure sont enregistrés.")
        return redirect("chorus:structure", pk=collectivite.pk)
    return render(
        request,
        "chorus/structure.html",
        {
            "title": f"Paramètres de la structure — {collectivite.nom}",
            "collectivite": collectivite,
            "form": form,
            "services": ServiceDestinataire.objects.filter(collectivite=collectivite),
            "can_process": access.can_process(request.user, collectivite.pk),
            "menu": "structure",
        },
    )


def service_edit(
    request: AuthenticatedHttpRequest, pk: int, service_pk: int | None = None
) -> HttpResponse:
    """Add a service (no `service_pk`) or change one, deactivating it included."""
    collectivite = access.get_collectivite(request.user, pk, write=True)
    service = access.get_service(request.user, collectivite, service_pk) if service_pk else None
    initial = (
        {
            "code": service.code,
            "libelle": service.libelle,
            "engagement_requis": service.engagement_requis,
            "actif": service.actif,
        }
        if service
        else {"actif": True}
    )
    form = ServiceForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        collectivite=collectivite,
        service=service,
    )
    if request.method == "POST" and form.is_valid():
        saved = structure.save_service(
            collectivite, actor=request.user, service=service, **form.cleaned_data
        )
        messages.success(request, f"Le service {saved.code} est enregistré.")
        return redirect("chorus:structure", pk=collectivite.pk)
    return render(
        request,
        "chorus/service.html",
        {
            "title": ("Modifier le service" if service else "Ajouter un service")
            + f" — {collectivite.nom}",
            "collectivite": collectivite,
            "form": form,
            "service": service,
            "menu": "structure",
        },
    )
