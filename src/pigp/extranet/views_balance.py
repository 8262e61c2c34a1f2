"""Balance des comptes of a budget and exercice, and its exports in the DGFiP open-data layout."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.views.decorators.http import require_GET

from pigp.core.http import AuthenticatedHttpRequest
from pigp.core.models import Collectivite, Nomenclature, User
from pigp.extranet import access
from pigp.extranet.nomenclature import SOURCE
from pigp.extranet.queries import balance as bq
from pigp.extranet.queries import dashboard as dash
from pigp.formats.balance import COLUMNS
from pigp.helios.models import Exercice, SoldeOuverture

# The columns of the DGFiP open-data "balances comptables", in their order and spelling.
OPEN_DATA = [
    "exer", "ident", "ndept", "lbudg", "insee", "cbudg", "ctype", "cstyp", "nomen", "siren",
    "cregi", "cacti", "secteur", "finess", "codbud1", "categ", "bal", "compte",
    *COLUMNS[:6], "oobdeb", "oobcre", *COLUMNS[6:],
]  # fmt: skip


def chosen(
    user: User, query: QueryDict, pk: int
) -> tuple[Collectivite, list[Exercice], Exercice | None]:
    collectivite = access.get_collectivite(user, pk)
    exercices, exercice = dash.chosen_exercice(collectivite, query.get("exercice", ""))
    return collectivite, exercices, exercice


@require_GET
def balance(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    collectivite, exercices, exercice = chosen(request.user, request.GET, pk)
    context: dict[str, Any] = dict(
        collectivite=collectivite, exercices=exercices, exercice=exercice, source=SOURCE
    )
    context.update(title=f"Balance des comptes — {collectivite.nom}", menu="balance")
    if exercice is not None:
        context.update(
            balance=bq.balance(exercice),
            ouverture=SoldeOuverture.objects.filter(exercice=exercice).first(),
            m52=exercice.budget.nomenclature == Nomenclature.M52,
        )
    return render(request, "extranet/balance.html", context)


def open_data_rows(collectivite: Collectivite, exercice: Exercice) -> list[list[Any]]:
    """One row per account; the identification columns Hélios does not hold stay empty."""
    budget = exercice.budget
    head = [exercice.annee, collectivite.siret, "", collectivite.nom, "", budget.cod_bud, "", ""]
    head += [budget.nomenclature, collectivite.siret[:9], "", "", "", "", "", "", ""]
    return [
        [
            *head,
            ligne.compte.numero,
            *ligne.mouvements.row()[:6],
            None,
            None,
            *ligne.mouvements.row()[6:],
        ]
        for ligne in bq.balance(exercice).lignes
    ]
