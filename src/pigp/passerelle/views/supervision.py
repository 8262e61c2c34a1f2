"""Supervision for comptables (their poste's collectivités) and national administrators."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from pigp.core.http import AuthenticatedHttpRequest
from pigp.passerelle import access, services


@require_GET
def supervision(request: AuthenticatedHttpRequest) -> HttpResponse:
    qs = access.supervised_flux(request.user)  # 404 for anyone else
    stuck = list(services.stuck_flux(qs))
    return render(
        request,
        "passerelle/supervision.html",
        {
            "title": "Supervision de la passerelle",
            "counts": services.counts_by_status(qs),
            "stuck": stuck,
            "integration_counts": services.integration_counts(qs),
            "integration_problems": list(services.integration_problems(qs)),
            "threshold": settings.PIGP_PASSERELLE_STUCK_MINUTES,
            "scope": "Flux de toutes les collectivités."
            if request.user.is_national_admin
            else f"Flux des collectivités de votre poste : {request.user.poste}.",
        },
    )
