"""The titre's page, the État des restes à recouvrer and the recouvrement's exports (GET only)."""

from __future__ import annotations

import datetime
from typing import Any, NamedTuple

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from pigp.core.http import AuthenticatedHttpRequest
from pigp.core.models import Collectivite
from pigp.extranet import access, exports, views
from pigp.extranet.forms import RestesFilterForm
from pigp.extranet.queries import recouvrement as rq
from pigp.extranet.queries import restes as restes_q
from pigp.extranet.queries import titre as tq
from pigp.helios.models import Piece
from pigp.helios.pj import INLINE_TYPES


@require_GET
def titre(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    piece = access.get_titre(request.user, pk)
    return render(
        request,
        "extranet/titre.html",
        {
            "title": f"Titre n° {piece.id_pce} — {piece.collectivite.nom}",
            "collectivite": piece.collectivite,
            "titre": piece,
            "detail": tq.detail(piece),
            "inline_types": INLINE_TYPES,
            "menu": "recouvrement",
        },
    )


@require_GET
def recouvrement_export(
    request: AuthenticatedHttpRequest, pk: int, fmt: str
) -> StreamingHttpResponse | FileResponse:
    found = views.titres(request, pk)
    table = exports.Table("Titres", rq.EXPORT_HEADERS, rq.export_rows(found.sorted, found.today))
    return exports.table_response(table, f"recouvrement-{found.collectivite.siret}", fmt)


class Restes(NamedTuple):
    collectivite: Collectivite
    form: RestesFilterForm
    titres: QuerySet[Piece]
    tri: str
    today: datetime.date

    @property
    def debiteurs(self) -> QuerySet[Any]:
        return restes_q.par_debiteur(self.titres, self.today, self.tri)


def _restes(request: AuthenticatedHttpRequest, pk: int) -> Restes:
    """The collectivité, the filter form, the titres due and the sort of the request."""
    collectivite = access.get_collectivite(request.user, pk)
    form = RestesFilterForm(request.GET or None, collectivite=collectivite)
    filters = form.filters()
    today = timezone.localdate()
    qs = rq.apply_filters(rq.titres_a_recouvrer(collectivite), filters, today)
    return Restes(collectivite, form, qs, filters.get("tri") or restes_q.DEFAULT_SORT, today)


@require_GET
def restes(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    found = _restes(request, pk)
    query = request.GET.copy()
    query.pop("page", None)
    tranches = rq.tranches(found.titres, found.today)
    page_obj = Paginator(found.debiteurs, views.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "extranet/restes.html",
        {
            "title": f"État des restes à recouvrer — {found.collectivite.nom}",
            "collectivite": found.collectivite,
            "form": found.form,
            "exercices": restes_q.par_exercice(found.titres),
            "tranches": tranches,
            "total": restes_q.total(found.titres),
            "page_obj": page_obj,
            "rows": [(r, restes_q.nom(r), restes_q.tranches_of(r)) for r in page_obj.object_list],
            "columns": views.sort_columns(query, found.tri, restes_q.DEBITEUR_COLUMNS),
            "query": query.urlencode(),
            "menu": "restes",
        },
    )


@require_GET
def restes_export(
    request: AuthenticatedHttpRequest, pk: int, fmt: str
) -> StreamingHttpResponse | FileResponse:
    found = _restes(request, pk)
    table = exports.Table("Restes", restes_q.HEADERS, restes_q.export_rows(found.debiteurs))
    return exports.table_response(table, f"restes-a-recouvrer-{found.collectivite.siret}", fmt)
