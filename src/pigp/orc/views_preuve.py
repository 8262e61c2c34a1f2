"""The proof report of an archive unit: page, JSON and PDF. Each consultation is journaled
(`orc_preuve_consultee`) before the report is built, so it appears in it, not yet sealed."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from pigp.core import journal
from pigp.core.http import AuthenticatedHttpRequest
from pigp.formats.orcproof import pdf
from pigp.orc import access, proof
from pigp.orc.models import ArchiveUnit


def _consulted(request: AuthenticatedHttpRequest, pk: int, fmt: str) -> ArchiveUnit:
    unit = access.get_unit(request.user, pk)
    journal.record(
        "orc_preuve_consultee",
        actor=request.user,
        obj=unit,
        collectivite=unit.collectivite,
        request=request,
        details={"format": fmt},
    )
    return unit


def _filename(unit: ArchiveUnit, ext: str) -> str:
    kind = "mandat" if unit.domaine == "depense" else "titre"
    return f"releve-valeur-probante-{kind}-{unit.annee}-{unit.numero}.{ext}".replace("/", "-")


@require_GET
def preuve(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    unit = _consulted(request, pk, "page")
    report = proof.build(unit)
    return render(
        request,
        "orc/preuve.html",
        {"title": f"Relevé de valeur probante — {unit}", "unit": unit, "report": report},
    )


@require_GET
def preuve_json(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    unit = _consulted(request, pk, "json")
    response = HttpResponse(
        proof.to_json(proof.build(unit)), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(unit, "json")}"'
    return response


@require_GET
def preuve_pdf(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    unit = _consulted(request, pk, "pdf")
    response = HttpResponse(pdf.to_pdf(proof.build(unit)), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_filename(unit, "pdf")}"'
    return response
