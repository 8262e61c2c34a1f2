"""The titre's page and the État des restes à recouvrer (GET only)."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from pigp.core.http import AuthenticatedHttpRequest
from pigp.extranet import access, snapshots, views
from pigp.extranet.forms import RestesFilterForm
from pigp.extranet.queries import recouvrement as rq
from pigp.extranet.queries import restes as restes_q
from pigp.extranet.queries import titre as tq
from pigp.helios import documents
from pigp.helios.pj import INLINE_TYPES


@require_GET
def titre(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    piece = access.get_titre(request.user, pk)
    extra = documents.documents_for([piece], user=request.user, audience=documents.EXTRANET)
    return render(
        request,
        "extranet/titre.html",
        {
            "title": f"Titre n° {piece.id_pce} — {piece.collectivite.nom}",
            "collectivite": piece.collectivite,
            "titre": piece,
            "detail": tq.detail(piece),
            "inline_types": INLINE_TYPES,
            "documents": extra.of(piece),
            "documents_failed": bool(extra.failed),
            "menu": "recouvrement",
        },
    )


@require_GET
def restes(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    found = views.titres(request.user, request.GET, pk, RestesFilterForm, restes_q.DEFAULT_SORT)
    keep = snapshots.Keeper(found.collectivite.pk, request.GET, found.today)
    debiteurs = restes_q.par_debiteur(found.filtered, found.today, found.tri)
    query = request.GET.copy()
    query.pop("page", None)
    tranches = keep("tranches", None, lambda: rq.tranches(found.filtered, found.today))
    paginator = Paginator(debiteurs, views.PAGE_SIZE)
    # No aggregate to count the rows.
    paginator.count = keep("compte", None, lambda: restes_q.debiteurs_count(found.filtered))
    number = paginator.get_page(request.GET.get("page")).number  # the slice is not read
    bottom = (number - 1) * views.PAGE_SIZE
    rows = keep(
        "debiteurs",
        (number, views.PAGE_SIZE),
        lambda: restes_q.with_names(list(debiteurs[bottom : bottom + views.PAGE_SIZE])),
    )
    page_obj = Page(rows, number, paginator)
    exercices = keep("exercices", None, lambda: restes_q.par_exercice(found.filtered))
    return render(
        request,
        "extranet/restes.html",
        {
            "title": f"État des restes à recouvrer — {found.collectivite.nom}",
            "collectivite": found.collectivite,
            "form": found.form,
            "exercices": exercices,
            "tranches": tranches,
            "total": restes_q.total_of(exercices),
            "page_obj": page_obj,
            "rows": [(r, restes_q.nom(r), restes_q.tranches_of(r)) for r in rows],
            "columns": views.sort_columns(query, found.tri, restes_q.DEBITEUR_COLUMNS),
            "query": query.urlencode(),
            "menu": "restes",
        },
    )
