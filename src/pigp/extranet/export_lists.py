"""Each exporting list, as one function of (user, query string, collectivité): the rows it
exports, their count and the file's name.

The export view and the background task both go through `build`, so that a file written by
the worker holds exactly what the list showed the user, with his rights checked again: a user
who lost his access gets the list's 404 (or 403), whoever asks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import Http404, QueryDict

from pigp.core.models import Collectivite, User
from pigp.extranet import exports, views, views_balance, views_tresorerie
from pigp.extranet.forms import RestesFilterForm
from pigp.extranet.models import ListeExport
from pigp.extranet.queries import recouvrement as rq
from pigp.extranet.queries import restes as restes_q
from pigp.extranet.queries import tresorerie as tresorerie_q


@dataclass(frozen=True)
class ListExport:
    """A list ready to export: `count` (one COUNT query) decides whether it is written at once
    or by the worker; `table` reads the rows (lazily, once)."""

    collectivite: Collectivite
    filename: str
    count: Callable[[], int]
    table: Callable[[], exports.Table]


def _paiements(user: User, query: QueryDict, pk: int) -> ListExport:
    collectivite, _form, qs, _tri = views.mandats_list(user, query, pk)
    return ListExport(
        collectivite,
        f"etat-des-paiements-{collectivite.siret}",
        qs.count,
        lambda: exports.mandats_table(qs),
    )


def _recouvrement(user: User, query: QueryDict, pk: int) -> ListExport:
    found = views.titres(user, query, pk)
    return ListExport(
        found.collectivite,
        f"recouvrement-{found.collectivite.siret}",
        found.filtered.count,
        lambda: exports.Table(
            "Titres", rq.EXPORT_HEADERS, rq.export_rows(found.sorted, found.today)
        ),
    )


def _restes(user: User, query: QueryDict, pk: int) -> ListExport:
    found = views.titres(user, query, pk, RestesFilterForm, restes_q.DEFAULT_SORT)
    debiteurs = restes_q.par_debiteur(found.filtered, found.today, found.tri)
    return ListExport(
        found.collectivite,
        f"restes-a-recouvrer-{found.collectivite.siret}",
        debiteurs.count,
        lambda: exports.Table("Restes", restes_q.HEADERS, restes_q.export_rows(debiteurs)),
    )


def _tresorerie(user: User, query: QueryDict, pk: int) -> ListExport:
    choice = views_tresorerie.choice_for(user, query, pk)
    if choice.budget is None:
        raise Http404("Budget introuvable.")
    mouvements = choice.mouvements()
    filename = (
        f"mouvements-tresorerie-{choice.collectivite.siret}-{choice.budget.cod_bud}-"
        f"{choice.jour or choice.debut:%Y%m%d}-{choice.jour or choice.fin:%Y%m%d}"
    )
    return ListExport(
        choice.collectivite,
        filename,
        mouvements.count,
        lambda: exports.Table("Mouvements", tresorerie_q.HEADERS, tresorerie_q.rows(mouvements)),
    )


def _balance(user: User, query: QueryDict, pk: int) -> ListExport:
    # One row per account: a few hundred at most, computed at once as the page does.
    collectivite, _exercices, exercice = views_balance.chosen(user, query, pk)
    rows = views_balance.open_data_rows(collectivite, exercice) if exercice is not None else []
    annee = exercice.annee if exercice is not None else ""
    return ListExport(
        collectivite,
        f"balance-{collectivite.siret}-{annee}",
        lambda: len(rows),
        lambda: exports.Table("Balance", views_balance.OPEN_DATA, rows),
    )


LISTS: dict[str, Callable[[User, QueryDict, int], ListExport]] = {
    ListeExport.PAIEMENTS: _paiements,
    ListeExport.RECOUVREMENT: _recouvrement,
    ListeExport.RESTES: _restes,
    ListeExport.TRESORERIE: _tresorerie,
    ListeExport.BALANCE: _balance,
}


def build(page: str, user: User, query: QueryDict, pk: int) -> ListExport:
    """The export of list `page` of collectivité `pk` as `query` asks it of `user`; raises the
    list's own Http404 / PermissionDenied when the user may not see it."""
    return LISTS[page](user, query, pk)
