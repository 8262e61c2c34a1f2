"""The Extranet's pages: thin views over `access` and `queries`. Everything is read-only (GET)."""

from __future__ import annotations

import datetime
from typing import NamedTuple, TypedDict

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from pigp.core.http import AuthenticatedHttpRequest
from pigp.core.models import Collectivite, User
from pigp.extranet import access, snapshots, views_tresorerie
from pigp.extranet.forms import MandatFilterForm, RestesFilterForm, TitreFilterForm
from pigp.extranet.paging import ListPaginator
from pigp.extranet.queries import alertes as aq
from pigp.extranet.queries import dashboard as dash
from pigp.extranet.queries import mandats as mq
from pigp.extranet.queries import recouvrement as rq
from pigp.extranet.queries import tiers as tq
from pigp.helios import documents
from pigp.helios.models import Domaine, Piece
from pigp.helios.pj import INLINE_TYPES, pj_response

PAGE_SIZE = 50
TIERS_PAGE_SIZE = 25

# Columns of the État des paiements: (sort key, header).
COLUMNS = [
    ("numero", "N°"),
    ("bordereau", "Bordereau"),
    ("exercice", "Exercice"),
    ("tiers", "Tiers"),
    ("objet", "Objet"),
    ("montant", "Montant TTC"),
    ("etat", "État"),
    ("emission", "Émis le"),
    ("prise_en_charge", "Pris en charge le"),
    ("paiement", "Payé le"),
]


@require_GET
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    collectivites = list(access.collectivites_for(request.user))
    if not collectivites:
        raise Http404("Page introuvable.")
    if len(collectivites) == 1:
        return redirect("extranet:tableau_de_bord", pk=collectivites[0].pk)
    return render(
        request,
        "extranet/index.html",
        {"title": "Extranet Hélios", "collectivites": collectivites},
    )


@require_GET
def tableau_de_bord(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    collectivite = access.get_collectivite(request.user, pk)
    exercices, exercice = dash.chosen_exercice(collectivite, request.GET.get("exercice", ""))
    context: dict[str, object] = {
        "title": f"Tableau de bord — {collectivite.nom}",
        "collectivite": collectivite,
        "exercices": exercices,
        "exercice": exercice,
        "menu": "tableau_de_bord",
        "alertes": aq.latest(request.user, collectivite),
    }
    if exercice is not None:
        # The exercice's figures and the budget's treasury, kept while their ledger holds.
        budget = snapshots.of_budget(exercice.budget_id)
        version = tuple(v for v in budget if v[0] == exercice.pk)
        context.update(
            etats=snapshots.kept("etats", exercice.pk, version, lambda: dash.etats(exercice)),
            delai=snapshots.kept("delai", exercice.pk, version, lambda: dash.delai(exercice)),
            delai_legal=dash.DELAI_LEGAL_DAYS,
            rejets=snapshots.kept("rejets", exercice.pk, version, lambda: dash.rejets(exercice)),
            tresorerie=views_tresorerie.apercu(exercice.budget, budget),
        )
    return render(request, "extranet/tableau_de_bord.html", context)


def mandats_list(
    user: User, query: QueryDict, pk: int
) -> tuple[Collectivite, MandatFilterForm, QuerySet[Piece], str]:
    """The collectivité, the filter form and the filtered, sorted mandats that `query` (the
    list's query string) asks of the user (an export in the background rebuilds it so)."""
    collectivite = access.get_collectivite(user, pk)
    form = MandatFilterForm(query or None, collectivite=collectivite)
    filters = form.filters()
    qs = mq.apply_filters(mq.mandats_of(collectivite), filters)
    tri = filters.get("tri") or mq.DEFAULT_SORT
    return collectivite, form, mq.sort(qs, tri), tri


def sort_columns(
    query: QueryDict, tri: str, headers: list[tuple[str, str]] = COLUMNS
) -> list[dict[str, str]]:
    """Each column header's link: sort by it, ascending, or descending when it is the sort."""
    columns = []
    for key, label in headers:
        current = tri.removeprefix("-") == key
        descending = tri.startswith("-")
        params = query.copy()
        params["tri"] = f"-{key}" if current and not descending else key
        columns.append(
            {
                "label": label,
                "url": f"?{params.urlencode()}",
                "sort": ("descending" if descending else "ascending") if current else "",
            }
        )
    return columns


class Listing(TypedDict):
    page_obj: Page[Piece]
    columns: list[dict[str, str]]
    query: str


def _listing(
    request: AuthenticatedHttpRequest,
    qs: QuerySet[Piece],
    tri: str,
    keep: snapshots.Keeper,
    headers: list[tuple[str, str]] = COLUMNS,
) -> Listing:
    """The page of the sorted list `qs`, its column headers and the query string of its links;
    its count and its pages' ids kept by `keep`."""
    query = request.GET.copy()
    query.pop("page", None)
    paginator = ListPaginator(mq.for_list(qs), PAGE_SIZE, keep=keep)
    return {
        "page_obj": paginator.get_page(request.GET.get("page")),
        "columns": sort_columns(query, tri, headers),
        "query": query.urlencode(),
    }


@require_GET
def paiements(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    collectivite, form, qs, tri = mandats_list(request.user, request.GET, pk)
    return render(
        request,
        "extranet/paiements.html",
        {
            "title": f"État des paiements — {collectivite.nom}",
            "collectivite": collectivite,
            "form": form,
            "search": mq.classify(form.cleaned_data.get("q", "")) if form.is_bound else None,
            **_listing(request, qs, tri, snapshots.Keeper(collectivite.pk, request.GET)),
            "menu": "paiements",
        },
    )


@require_GET
def mandat(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    piece = access.get_mandat(request.user, pk)
    extra = documents.documents_for([piece], user=request.user, audience=documents.EXTRANET)
    return render(
        request,
        "extranet/mandat.html",
        {
            "title": f"Mandat n° {piece.id_pce} — {piece.collectivite.nom}",
            "collectivite": piece.collectivite,
            "mandat": piece,
            "detail": mq.detail(piece),
            "inline_types": INLINE_TYPES,
            "documents": extra.of(piece),
            "documents_failed": bool(extra.failed),
            "menu": "paiements",
        },
    )


TITRE_COLUMNS = [
    ("numero", "N°"),
    ("exercice", "Exercice"),
    ("tiers", "Débiteur"),
    ("montant", "Montant TTC"),
    ("reste", "Reste à recouvrer"),
    ("stade", "Stade"),
    ("prise_en_charge", "Pris en charge le"),
]


class Titres(NamedTuple):
    collectivite: Collectivite
    form: TitreFilterForm | RestesFilterForm
    filtered: QuerySet[Piece]
    tri: str
    today: datetime.date

    @property
    def sorted(self) -> QuerySet[Piece]:
        return mq.sort(self.filtered, self.tri, rq.SORTS, rq.DEFAULT_SORT)


def titres(
    user: User,
    query: QueryDict,
    pk: int,
    form_class: type[TitreFilterForm | RestesFilterForm] = TitreFilterForm,
    default_sort: str = rq.DEFAULT_SORT,
) -> Titres:
    """The collectivité, the filter form (of the recouvrement list or of the restes à
    recouvrer) and the filtered titres à recouvrer that `query` asks of the user."""
    collectivite = access.get_collectivite(user, pk)
    form = form_class(query or None, collectivite=collectivite)
    filters = form.filters()
    today = timezone.localdate()
    qs = rq.apply_filters(rq.titres_a_recouvrer(collectivite), filters, today)
    return Titres(collectivite, form, qs, filters.get("tri") or default_sort, today)


@require_GET
def recouvrement(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    collectivite, form, qs, tri, today = found = titres(request.user, request.GET, pk)
    keep = snapshots.Keeper(collectivite.pk, request.GET, today)
    listing = _listing(request, found.sorted, tri, keep, TITRE_COLUMNS)
    return render(
        request,
        "extranet/recouvrement.html",
        {
            "title": f"Recouvrement — {collectivite.nom}",
            "collectivite": collectivite,
            "form": form,
            "tranches": keep("tranches", None, lambda: rq.tranches(qs, today)),
            **listing,
            "rows": [(t, rq.age_days(t, today)) for t in listing["page_obj"].object_list],
            "menu": "recouvrement",
        },
    )


@require_GET
def tiers(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = access.get_tiers(request.user, pk)
    mandats = Paginator(tq.pieces_of(item, Domaine.DEPENSE), TIERS_PAGE_SIZE)
    titres = Paginator(tq.pieces_of(item, Domaine.RECETTE), TIERS_PAGE_SIZE)
    return render(
        request,
        "extranet/tiers.html",
        {
            "title": f"{item} — {item.collectivite.nom}",
            "collectivite": item.collectivite,
            "tiers": item,
            "summary": tq.summary(item),
            "mandats": mandats.get_page(request.GET.get("mandats")),
            "titres": titres.get_page(request.GET.get("titres")),
            "menu": "paiements",
        },
    )


@require_GET
@xframe_options_sameorigin
def pj(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    item = access.get_pj(request.user, pk)
    if item.fichier is None:
        messages.error(request, "Cette pièce justificative n'a pas pu être décodée.")
        owner = (
            access.pieces_for(request.user)
            .filter(collectivite_id=item.collectivite_id, pj_refs__id_unique=item.id_unique)
            .first()
        )
        if owner is not None:
            page = "extranet:mandat" if owner.domaine == Domaine.DEPENSE else "extranet:titre"
            return redirect(page, pk=owner.pk)
        return redirect("extranet:tableau_de_bord", pk=item.collectivite_id)
    return pj_response(item)
