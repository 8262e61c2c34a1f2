"""Depositing files on the web: one XMLHttpRequest per file with a progress bar, or a plain
multipart form when JavaScript is off. Both spool their uploads once (`passerelle.uploads`)
and hand them to the intake."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pigp.core.http import AuthenticatedHttpRequest
from pigp.core.models import Collectivite
from pigp.passerelle import access, intake, uploads
from pigp.passerelle.models import Canal, Flux
from pigp.passerelle.names import clean_filename
from pigp.passerelle.views.common import flux_json

FIELD = "fichiers"


def _receive(
    request: AuthenticatedHttpRequest, collectivite: Collectivite, upload: UploadedFile
) -> list[tuple[Flux, bool]]:
    """Store one upload; the flows are re-read so that their status is the latest one.

    Each flow comes with whether this upload created it (``False``: it was already received)."""
    received = uploads.receive(
        upload,
        filename=clean_filename(upload.name),
        collectivite=collectivite,
        canal=Canal.WEB,
        sender_user=request.user,
    )
    flows = {
        f.pk: f
        for f in Flux.objects.select_related("collectivite").filter(
            pk__in=[r.flux.pk for r in received]
        )
    }
    return [(flows[r.flux.pk], r.created) for r in received]


def _context(collectivite: Collectivite, **extra: Any) -> dict[str, Any]:
    return {
        "title": f"Déposer des fichiers — {collectivite.nom}",
        "collectivite": collectivite,
        "max_size_mo": settings.PIGP_PASSERELLE_MAX_SIZE // 1_000_000,
        "max_size": settings.PIGP_PASSERELLE_MAX_SIZE,
        **extra,
    }


@uploads.spool_uploads
@require_http_methods(["GET", "POST"])
def deposit(request: AuthenticatedHttpRequest, coll_pk: int) -> HttpResponse:
    collectivite = access.get_collectivite(request.user, coll_pk, write=True)
    if request.method == "GET":
        return render(request, "passerelle/deposit.html", _context(collectivite))
    sent = request.FILES.getlist(FIELD)
    if not sent:
        return render(
            request,
            "passerelle/deposit.html",
            _context(collectivite, error="Choisissez au moins un fichier à déposer."),
            status=400,
        )
    results = []
    for upload in sent:
        try:
            results.append({"name": upload.name, "flows": _receive(request, collectivite, upload)})
        except intake.IntakeError as exc:
            results.append({"name": upload.name, "error": str(exc)})
    status = 400 if all("error" in r for r in results) else 200
    return render(
        request,
        "passerelle/deposit_results.html",
        {**_context(collectivite), "results": results},
        status=status,
    )


@uploads.spool_uploads
@require_POST
def deposit_file(request: AuthenticatedHttpRequest, coll_pk: int) -> JsonResponse:
    """One file per request (the page sends them one by one to show each one's progress)."""
    try:
        collectivite = access.get_collectivite(request.user, coll_pk, write=True)
    except Http404:
        return JsonResponse({"erreur": "Collectivité introuvable."}, status=404)
    except PermissionDenied as exc:
        return JsonResponse({"erreur": str(exc)}, status=403)
    sent = request.FILES.getlist(FIELD) or request.FILES.getlist("fichier")
    if len(sent) != 1:
        return JsonResponse({"erreur": "Envoyez un fichier par requête."}, status=400)
    try:
        flows = _receive(request, collectivite, sent[0])
    except intake.IntakeError as exc:
        return JsonResponse({"erreur": str(exc), "nom": sent[0].name}, status=400)
    return JsonResponse(
        {
            "nom": sent[0].name,
            "flux": [flux_json(f, created=created) for f, created in flows],
        },
        status=201 if any(created for _, created in flows) else 200,
    )


@require_GET
def flux_status(request: AuthenticatedHttpRequest, pk: int) -> JsonResponse:
    try:
        flux = access.get_flux(request.user, pk)
    except Http404:
        return JsonResponse({"erreur": "Flux introuvable."}, status=404)
    response = JsonResponse(flux_json(flux))
    response["Cache-Control"] = "no-store"
    return response
