"""The recipient's pages: the inbox, its CSV export, an invoice's page and its files. Thin views
over `access`, `inbox` and the services."""

from __future__ import annotations

from typing import NamedTuple

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from pigp.chorus import access, inbox, lien_helios, rendu, statuts
from pigp.chorus.forms import InboxFilterForm, MandatForm
from pigp.chorus.models import Facture, StatutFacture
from pigp.chorus.models.factures import DELAI_GLOBAL
from pigp.core import files
from pigp.core.http import AuthenticatedHttpRequest
from pigp.core.models import Collectivite, StoredFile, User
from pigp.ui.csv import csv_response

PAGE_SIZE = 50


@require_GET
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    collectivites = list(access.collectivites_for(request.user))
    if not collectivites:
        raise Http404("Page introuvable.")
    if len(collectivites) == 1:
        return redirect("chorus:inbox", pk=collectivites[0].pk)
    return render(
        request, "chorus/index.html", {"title": "Chorus Pro", "collectivites": collectivites}
    )


class Filtered(NamedTuple):
    collectivite: Collectivite
    form: InboxFilterForm
    tri: str
    factures: QuerySet[Facture]


def _filtered(user: User, query: QueryDict, pk: int) -> Filtered:
    """The collectivité, the filter form and the filtered, sorted invoices `query` asks for."""
    collectivite = access.get_collectivite(user, pk)
    form = InboxFilterForm(query or None, collectivite=collectivite)
    filters = form.filters()
    qs = inbox.apply_filters(access.factures_for(user).filter(collectivite=collectivite), filters)
    qs, tri = inbox.sort(qs, filters.get("tri") or inbox.DEFAULT_SORT)
    return Filtered(collectivite, form, tri, qs)


def sort_columns(query: QueryDict, tri: str) -> list[dict[str, str]]:
    """Each column header's link: sort by it, ascending, or descending when it is the sort."""
    columns = []
    for key, label in inbox.COLUMNS:
        current = tri.removeprefix("-") == key
        descending = tri.startswith("-")
        params = query.copy()
        params.pop("page", None)
        params["tri"] = f"-{key}" if current and not descending else key
        columns.append(
            {
                "label": label,
                "url": f"?{params.urlencode()}",
                "sort": ("descending" if descending else "ascending") if current else "",
            }
        )
    return columns


@require_GET
def inbox_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    collectivite, form, tri, qs = _filtered(request.user, request.GET, pk)
    page = Paginator(inbox.for_list(qs), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "chorus/inbox.html",
        {
            "title": f"Factures reçues — {collectivite.nom}",
            "collectivite": collectivite,
            "form": form,
            "page_obj": page,
            "columns": sort_columns(request.GET, tri),
            "query": query.urlencode(),
            "can_process": access.can_process(request.user, collectivite.pk),
            "now": timezone.now(),
            "menu": "inbox",
        },
    )


@require_GET
def inbox_csv(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    found = _filtered(request.user, request.GET, pk)
    stamp = timezone.localdate().strftime("%Y%m%d")
    return csv_response(inbox.CSV_HEADERS, inbox.csv_rows(found.factures), f"factures-{stamp}")


@require_GET
def facture(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = access.get_facture(request.user, pk)
    can_process = access.can_process(request.user, item.collectivite_id)
    supplier = access.compte_fournisseur(request.user) is not None
    now = timezone.now()
    actions = _actions(item) if can_process else {}
    recherche = request.GET.get("mandat", "").strip()[:20]
    mandats = (
        list(lien_helios.mandats_of_collectivite(item.collectivite_id, recherche))
        if actions.get("mandater") and recherche and item.collectivite_id
        else []
    )
    return render(
        request,
        "chorus/facture.html",
        {
            "title": f"{item} — {item.fournisseur.raison_sociale}",
            # The recipient's menu, for the recipient's users only.
            "collectivite": None if supplier else item.collectivite,
            "facture": item,
            "events": item.events.select_related("actor").order_by("at", "pk"),
            "depots": item.depots.order_by("recu_le", "pk"),
            "can_process": can_process,
            "actions": actions,
            # « Mandater » may pick the mandat among the collectivité's in Hélios.
            "recherche_mandat": recherche,
            "mandats": mandats,
            "mandat_form": MandatForm(),
            # An XML invoice shown as HTML inside the page (escaped by the renderer).
            "rendu": mark_safe(rendu.html_of(item)),
            "jours_ecoules": item.jours_ecoules(now),
            "jours_restants": item.jours_restants(now),
            "en_retard": item.en_retard(now),
            "delai": DELAI_GLOBAL.days,
            "menu": "inbox",
        },
    )


def _actions(item: Facture) -> dict[str, bool]:
    S = StatutFacture
    return {
        "service_fait": statuts.can(item, S.SERVICE_FAIT),
        "suspendre": statuts.can(item, S.SUSPENDUE),
        "rejeter": statuts.can(item, S.REJETEE),
        "mandater": statuts.can(item, S.MANDATEE),
    }


def _file(stored: StoredFile, filename: str, *, inline: bool) -> FileResponse:
    response = FileResponse(
        files.open_stored(stored),
        content_type=stored.media_type if inline else "application/octet-stream",
        as_attachment=not inline,
        filename=filename,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@xframe_options_sameorigin
def facture_pdf(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    item = access.get_facture_document(request.user, pk)
    pdf = rendu.pdf_of(item)
    if pdf is None:
        raise Http404("Cette facture n'a pas de PDF.")
    response = _file(pdf, f"facture-{item.numero}.pdf", inline=True)
    response["Content-Type"] = "application/pdf"
    return response


@require_GET
def facture_original(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    item = access.get_facture(request.user, pk)
    ext = {"application/pdf": "pdf", "application/xml": "xml"}.get(item.original.media_type, "bin")
    return _file(item.original, f"facture-{item.numero}.{ext}", inline=False)
