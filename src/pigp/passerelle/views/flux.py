"""Lists of flows, a flow's page, its downloads and its cancellation."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from pigp.core.http import AuthenticatedHttpRequest
from pigp.core.models import Collectivite
from pigp.passerelle import access, mailbox, services
from pigp.passerelle.forms import FluxFilterForm
from pigp.passerelle.models import KindFlux, MailboxItem, StatutFlux
from pigp.passerelle.views.common import (
    PAGE_SIZE,
    stored_file_response,
)


def _list(
    request: AuthenticatedHttpRequest, collectivite: Collectivite | None = None
) -> HttpResponse:
    user = request.user
    qs = access.flux_for(user)
    if collectivite is not None:
        qs = qs.filter(collectivite=collectivite)
    form = FluxFilterForm(
        request.GET,
        collectivites=access.collectivites_for(user) if collectivite is None else None,
        fixed=collectivite,
    )
    qs = (
        form.apply(qs)
        .select_related("collectivite", "sender_user", "sender_account")
        .order_by("-created_at", "-id")
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    title = f"Flux — {collectivite.nom}" if collectivite else "Flux de toutes mes collectivités"
    return render(
        request,
        "passerelle/flux_list.html",
        {
            "title": title,
            "collectivite": collectivite,
            "form": form,
            "page_obj": page,
            "can_deposit": collectivite is not None
            and collectivite.pk in access.writable_collectivite_ids(user),
        },
    )


@require_GET
def flux_list(request: AuthenticatedHttpRequest, coll_pk: int) -> HttpResponse:
    return _list(request, access.get_collectivite(request.user, coll_pk))


@require_GET
def flux_list_all(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _list(request)


@require_GET
def flux_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    flux = access.get_flux(request.user, pk)
    groups, hidden = services.grouped_findings(flux)
    writable = flux.collectivite_id in access.writable_collectivite_ids(request.user)
    acquit_item = (
        MailboxItem.objects.filter(related_flux=flux, kind=KindFlux.PES_ACQUIT).first()
        if flux.acquit_id
        else None
    )
    return render(
        request,
        "passerelle/flux_detail.html",
        {
            "title": f"Flux {flux.original_name}",
            "flux": flux,
            "collectivite": flux.collectivite,
            "sender": services.sender_label(flux),
            "events": flux.events.order_by("at", "id"),
            "groups": groups,
            "hidden_findings": hidden,
            "bordereaux": (flux.summary or {}).get("bordereaux", []),
            "summary": flux.summary or {},
            "acquit_item": acquit_item,
            "can_cancel": writable
            and flux.statut == StatutFlux.POSTE
            and flux.sender_user_id == request.user.pk,
            "final": services.is_settled(flux),
        },
    )


@require_GET
def flux_original(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    flux = access.get_flux(request.user, pk)
    # Until the kind is recognised, what was sent is just bytes.
    known = flux.kind != KindFlux.INCONNU
    return stored_file_response(flux.fichier, flux.original_name, request, xml=known)


@require_GET
def flux_acquit(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    flux = access.get_flux(request.user, pk)
    if flux.acquit is None:
        raise Http404("Ce flux n'a pas (encore) d'acquittement.")
    item = MailboxItem.objects.filter(related_flux=flux, fichier=flux.acquit).first()
    if item is None:
        return stored_file_response(flux.acquit, f"ACQUIT_{flux.nom_fic or flux.pk}.xml", request)
    # The same file as in the mailbox: taking it from here is picking it up too.
    mailbox.mark_read(item, request.user.email)
    return stored_file_response(flux.acquit, item.name, request)


@require_POST
def flux_cancel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    flux = access.get_flux(request.user, pk, write=True)
    try:
        services.cancel_flux(flux, request.user)
    except services.CancelError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Le flux est annulé : il ne sera pas traité.")
    return redirect("passerelle:flux", pk=flux.pk)
