"""PES_Retour and clôture pages of the comptable (/helios/retours/, /helios/cloture/).

Agents of the poste only: every page and action goes through the access helpers (404 otherwise).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pigp.core import files
from pigp.core.http import AuthenticatedHttpRequest
from pigp.helios import cloture, retours
from pigp.helios.access import (
    collectivites_for_agent,
    exercices_for_agent,
    get_collectivite_for_agent,
    get_exercice_for_agent,
    get_retour_for_agent,
    require_agent,
    retours_for_agent,
)
from pigp.helios.models import EtatPiece, Piece

PAGE_SIZE = 50


@require_GET
def retour_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_agent(request.user)
    qs = retours_for_agent(request.user).select_related("budget__collectivite", "mailbox_item")
    collectivites = list(collectivites_for_agent(request.user).order_by("nom"))
    chosen = request.GET.get("collectivite", "")
    if chosen.isdigit():
        qs = qs.filter(budget__collectivite_id=int(chosen))
    page = Paginator(qs.order_by("-jusqua", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "helios/retour_list.html",
        {
            "title": "PES_Retour émis",
            "page_obj": page,
            "collectivites": collectivites,
            "chosen": chosen,
        },
    )


@require_GET
def retour_download(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    retour = get_retour_for_agent(request.user, pk)
    response = FileResponse(
        files.open_stored(retour.mailbox_item.fichier),
        content_type="application/xml",
        as_attachment=True,
        filename=retour.nom,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
def retour_generate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    coll = get_collectivite_for_agent(request.user, pk)
    retours.generer_retours.enqueue(collectivite_id=coll.pk)
    messages.success(
        request,
        f"Génération des PES_Retour demandée pour {coll.nom} : les fichiers apparaîtront ici "
        "dans quelques instants (aucun fichier si rien n'a changé depuis le précédent).",
    )
    return redirect("helios_retour:list")


def _counts(exercice_ids: list[int]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = {pk: {} for pk in exercice_ids}
    rows = (
        Piece.objects.filter(exercice_id__in=exercice_ids)
        .values_list("exercice_id", "etat")
        .annotate(n=Count("id"))
        .values_list("exercice_id", "etat", "n")
    )
    for exercice_id, etat, n in rows:
        counts[exercice_id][etat] = n
    return counts


@require_GET
def cloture_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_agent(request.user)
    qs = exercices_for_agent(request.user).select_related("budget__collectivite")
    page = Paginator(
        qs.order_by("cloture", "-annee", "budget__collectivite__nom", "budget__cod_bud"),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    counts = _counts([e.pk for e in page])
    rows = []
    for exercice in page:
        c = counts[exercice.pk]
        rows.append(
            {
                "exercice": exercice,
                "etats": [(label, c.get(value, 0)) for value, label in EtatPiece.choices],
                "total": sum(c.values()),
                "bloquees": c.get(EtatPiece.RECUE, 0) + c.get(EtatPiece.EN_INSTANCE, 0),
            }
        )
    return render(
        request,
        "helios/retour_cloture_list.html",
        {
            "title": "Clôture des exercices",
            "page_obj": page,
            "rows": rows,
            "etats": EtatPiece.labels,
        },
    )


@require_http_methods(["GET", "POST"])
def cloture_confirm(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    exercice = get_exercice_for_agent(request.user, pk)
    if request.method == "POST":
        if request.POST.get("confirmation") != "oui":
            messages.error(request, "Cochez la case de confirmation pour clore l'exercice.")
            return redirect("helios_retour:cloture_confirm", pk=exercice.pk)
        try:
            cloture.close(exercice, actor=request.user.email)
        except cloture.ClotureError as exc:
            messages.error(request, str(exc))
            return redirect("helios_retour:cloture_confirm", pk=exercice.pk)
        messages.success(
            request,
            f"L'exercice {exercice.annee} de {exercice.budget} est clos : ses pièces sont "
            "verrouillées et partent à l'archivage.",
        )
        return redirect("helios_retour:cloture")
    c = _counts([exercice.pk])[exercice.pk]
    return render(
        request,
        "helios/retour_cloture_confirm.html",
        {
            "title": f"Clore l'exercice {exercice.annee}",
            "exercice": exercice,
            "etats": [(label, c.get(value, 0)) for value, label in EtatPiece.choices],
            "blockers": cloture.blockers(exercice),
            "restes": cloture.restes(exercice),
        },
    )
