"""The collectivité's mailbox: acknowledgements and returns to pick up."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from pigp.core.http import AuthenticatedHttpRequest
from pigp.passerelle import access, mailbox, retour_table
from pigp.passerelle.models import KindFlux
from pigp.passerelle.views.common import PAGE_SIZE, stored_file_response


@require_GET
def mailbox_list(request: AuthenticatedHttpRequest, coll_pk: int) -> HttpResponse:
    collectivite = access.get_collectivite(request.user, coll_pk)
    items = access.mailbox_for(request.user).filter(collectivite=collectivite)
    unread = items.filter(read_at__isnull=True).count()
    only_unread = request.GET.get("non_lus") == "1"
    if only_unread:
        items = items.filter(read_at__isnull=True)
    items = items.select_related("related_flux", "fichier").order_by("-created_at", "-id")
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "passerelle/mailbox.html",
        {
            "title": f"Boîte aux lettres — {collectivite.nom}",
            "collectivite": collectivite,
            "page_obj": page,
            "unread": unread,
            "only_unread": only_unread,
        },
    )


@require_GET
def mailbox_download(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    """Downloading a file is picking it up: it is marked read (and journaled) the first time."""
    item = access.get_mailbox_item(request.user, pk)
    mailbox.mark_read(item, request.user.email)
    return stored_file_response(item.fichier, item.name, request)


@require_GET
def mailbox_item(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A PES_Retour read as a table; opening it is reading it, as downloading is."""
    item = access.get_mailbox_item(request.user, pk)
    if item.kind != KindFlux.PES_RETOUR:
        raise Http404("Seuls les PES_Retour se consultent en tableau.")
    table = retour_table.read_table(item)
    mailbox.mark_read(item, request.user.email)
    return render(
        request,
        "passerelle/mailbox_item.html",
        {
            "title": f"{item.name} — {item.collectivite.nom}",
            "collectivite": item.collectivite,
            "item": item,
            "table": table,
            "limit": retour_table.MAX_PIECES,
        },
    )
