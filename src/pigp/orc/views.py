"""ORC's search and consultation pages: thin views over `access`, `search` and the silo.
Everything is read-only (GET); every search, view and download is journaled."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from pigp.core import journal
from pigp.core.http import AuthenticatedHttpRequest
from pigp.helios.models import EtatPiece
from pigp.orc import access, search, silo
from pigp.orc.forms import RechercheForm

# Result columns: (sort key, header).
COLUMNS = [
    ("collectivite", "Collectivité"),
    ("exercice", "Exercice"),
    ("numero", "N°"),
    ("bordereau", "Bordereau"),
    ("tiers", "Tiers"),
    ("objet", "Objet"),
    ("montant", "Montant TTC"),
    ("emission", "Émis le"),
    ("paiement", "Payé ou pris en charge le"),
]


def sort_columns(request: AuthenticatedHttpRequest, tri: str) -> list[dict[str, str]]:
    """Each column header's link: sort by it, ascending, or descending when it is the sort."""
    columns = []
    for key, label in COLUMNS:
        current = tri.removeprefix("-") == key
        descending = tri.startswith("-")
        params = request.GET.copy()
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


def _page_number(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


@require_GET
def recherche(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not access.has_orc(request.user):
        raise Http404("Page introuvable.")
    form = RechercheForm(request.GET or None, user=request.user)
    context: dict[str, object] = {"title": "Recherche dans les archives (ORC)", "form": form}
    if form.is_bound:
        form.is_valid()
        criteria = search.Criteria.from_data(form.cleaned_data)
        results = search.search(
            request.user,
            criteria,
            tri=form.cleaned_data.get("tri") or search.DEFAULT_SORT,
            page=_page_number(request.GET.get("page")),
        )
        journal.record(
            "orc_recherche",
            actor=request.user,
            request=request,
            details={"criteres": criteria.as_details(), "resultats": results.count},
        )
        context.update(
            results=results,
            page_obj=results,
            columns=sort_columns(request, results.tri),
            full_text=bool(criteria.texte),
        )
    return render(request, "orc/recherche.html", context)


@require_GET
def piece(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    unit = access.get_unit(request.user, pk)
    documents = list(unit.documents.select_related("obj").order_by("role", "nom", "pk"))
    journal.record(
        "orc_consultation",
        actor=request.user,
        obj=unit,
        collectivite=unit.collectivite,
        request=request,
    )
    kind = "Mandat" if unit.domaine == "depense" else "Titre"
    return render(
        request,
        "orc/piece.html",
        {
            "title": f"{kind} n° {unit.numero} ({unit.annee}) — {unit.collectivite.nom}",
            "unit": unit,
            "kind": kind,
            "etat": dict(EtatPiece.choices).get(unit.etat, unit.etat),
            "documents": documents,
            "tables": search.metadata_tables(unit),
            "facts": search.metadata_facts(unit),
        },
    )


def _send(request: AuthenticatedHttpRequest, pk: int, *, inline: bool) -> HttpResponseBase:
    document = access.get_document(request.user, pk)
    unit = document.unit
    if document.obj.eliminated_at is not None:
        messages.error(
            request,
            f"Ce document a été éliminé le {document.obj.eliminated_at:%d/%m/%Y} : "
            "seules ses métadonnées sont conservées.",
        )
        return redirect("orc:piece", pk=unit.pk)
    try:
        stream = silo.open_object(document.obj)
    except silo.SiloError:
        messages.error(
            request,
            "Ce document ne peut pas être lu pour le moment (aucune copie saine n'a pu être "
            "ouverte). L'incident est signalé ; réessayez plus tard.",
        )
        journal.record(
            "orc_lecture_impossible",
            actor=request.user,
            obj=document,
            collectivite=unit.collectivite,
            request=request,
        )
        return redirect("orc:piece", pk=unit.pk)
    journal.record(
        "orc_telechargement" if not inline else "orc_consultation",
        actor=request.user,
        obj=document,
        collectivite=unit.collectivite,
        request=request,
        details={"unite": unit.pk, "sha512": document.obj.sha512, "nom": document.nom},
    )
    mime = (document.media_type or document.obj.media_type).split(";")[0].strip().lower()
    shown = inline and mime == "application/pdf"
    response = FileResponse(
        stream,
        content_type="application/pdf" if shown else "application/octet-stream",
        as_attachment=not shown,
        filename=document.nom or f"document-{document.pk}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    if not shown:
        response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@require_GET
@xframe_options_sameorigin
def document(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    """A document shown in the browser when it is a PDF, downloaded otherwise."""
    return _send(request, pk, inline=True)


@require_GET
def telecharger(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    return _send(request, pk, inline=False)
