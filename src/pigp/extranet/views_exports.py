"""Exports of the Extranet's lists: served at once up to a threshold of rows, written by the
worker beyond it; the user's « Mes exports » page and the download of a file he asked for."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from pigp.core import files
from pigp.core.http import AuthenticatedHttpRequest
from pigp.extranet import access, background, export_cache, export_lists, exports, snapshots
from pigp.extranet.models import EtatExport, ExportDemande

PAGE_SIZE = 20


@require_GET
def export(
    request: AuthenticatedHttpRequest, pk: int, fmt: str, page: str
) -> StreamingHttpResponse | FileResponse | HttpResponse:
    """List `page` of the collectivité in `fmt`, filters and sort of the query string applied."""
    found = export_lists.build(page, request.user, request.GET, pk)
    # Counted once per ledger version: the list's own pages ask for the same rows.
    keep = snapshots.Keeper(found.collectivite.pk, request.GET, page, timezone.localdate())
    total = keep("export_compte", None, found.count)
    if total <= background.threshold(fmt):
        if fmt == "csv":  # the same list at the same version: the same file, kept
            lines = exports.table_csv_lines(found.table())
            return export_cache.csv_response(keep.digest(page), lines, found.filename)
        return exports.table_response(found.table(), found.filename, fmt)
    background.request_export(
        request.user, found.collectivite, page, fmt, request.GET.urlencode(), total
    )
    messages.info(
        request,
        f"Votre export de {background.lignes(total)} est en préparation. Il apparaîtra ici "
        "une fois prêt, et vous recevrez un courriel avec le lien pour le télécharger.",
    )
    return redirect("extranet:mes_exports", pk=found.collectivite.pk)


@require_GET
def mes_exports(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    collectivite = access.get_collectivite(request.user, pk)
    demandes = ExportDemande.objects.filter(user=request.user, collectivite=collectivite)
    page_obj = Paginator(demandes.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "extranet/mes_exports.html",
        {
            "title": f"Mes exports — {collectivite.nom}",
            "collectivite": collectivite,
            "page_obj": page_obj,
            "running": any(d.running for d in page_obj.object_list),
            "days": settings.PIGP_EXTRANET_EXPORT_DAYS,
            "menu": "mes_exports",
        },
    )


@require_GET
def export_fichier(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    """The file of the user's own export: anyone else, even of the same collectivité, gets a
    404; so does its owner once he may no longer see the collectivité."""
    demande = (
        ExportDemande.objects.filter(
            pk=pk, user=request.user, etat=EtatExport.PRET, fichier__isnull=False
        )
        .select_related("fichier")
        .first()
    )
    if demande is None or demande.fichier is None:
        raise Http404("Export introuvable.")
    access.get_collectivite(request.user, demande.collectivite_id)
    if demande.downloaded_at is None:
        ExportDemande.objects.filter(pk=demande.pk).update(downloaded_at=timezone.now())
    return FileResponse(
        files.open_stored(demande.fichier),
        as_attachment=True,
        filename=demande.filename,
        content_type=demande.fichier.media_type,
    )
