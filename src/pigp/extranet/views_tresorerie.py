"""The Trésorerie page of a collectivité: the daily balance of a budget's Trésor account over a
period (chart and table), the movements behind it. Read-only (GET)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET

from pigp.core.http import AuthenticatedHttpRequest
from pigp.core.models import Budget, Collectivite, User
from pigp.extranet import access, charts, snapshots
from pigp.extranet.forms import TresorerieFilterForm
from pigp.extranet.queries import dashboard as dash
from pigp.extranet.queries import tresorerie as tq
from pigp.helios.models import MouvementTresorerie
from pigp.ui.templatetags.ui import jour, montant

PAGE_SIZE = 50


@dataclass(frozen=True)
class Choice:
    """What the request asks for: a budget of the collectivité, a period, maybe one day."""

    collectivite: Collectivite
    form: TresorerieFilterForm
    budget: Budget | None
    debut: datetime.date
    fin: datetime.date
    jour: datetime.date | None

    def mouvements(self) -> QuerySet[MouvementTresorerie]:
        assert self.budget is not None
        day = self.jour
        return tq.mouvements(self.budget, day or self.debut, day or self.fin)


def choice_for(user: User, query: QueryDict, pk: int) -> Choice:
    """What `query` (the page's query string) asks of the user."""
    collectivite = access.get_collectivite(user, pk)
    form = TresorerieFilterForm(query or None, collectivite=collectivite)
    filters = form.filters()
    budgets = {b.pk: b for b in collectivite.budgets.order_by("cod_bud", "libelle")}
    budget = budgets.get(filters.get("budget", 0)) or _default_budget(collectivite, budgets)
    today = timezone.localdate()
    fin = filters.get("au") or max(today, filters.get("du", today))
    debut = filters.get("du") or tq.default_period(fin)[0]
    fin = min(fin, debut + datetime.timedelta(days=tq.MAX_DAYS))
    jour = filters.get("jour")
    if not form.is_bound:
        form = TresorerieFilterForm(
            initial={"budget": budget.pk if budget else None, "du": debut, "au": fin},
            collectivite=collectivite,
        )
    return Choice(
        collectivite, form, budget, debut, fin, jour if jour and debut <= jour <= fin else None
    )


def _default_budget(collectivite: Collectivite, budgets: dict[int, Budget]) -> Budget | None:
    """The budget of the tableau de bord's default exercice (where the comptable worked last),
    else the first one."""
    exercice = dash.chosen_exercice(collectivite, "")[1]
    if exercice is not None and exercice.budget_id in budgets:
        return budgets[exercice.budget_id]
    return next(iter(budgets.values()), None)


def chart(periode: tq.Periode, *, sparkline: bool = False) -> SafeString:
    """The period's balance as an SVG line, described in words for screen readers."""
    svg = charts.balance_chart(
        periode.points(),
        title=f"Solde du compte au Trésor — {periode.budget.libelle}",
        desc=(
            f"Du {periode.debut:%d/%m/%Y} au {periode.fin:%d/%m/%Y}, le solde passe de "
            f"{charts.euros(periode.ouverture)} à {charts.euros(periode.solde)} ; "
            "le détail jour par jour est dans le tableau des soldes."
        ),
        ident="apercu-tresorerie" if sparkline else "graphique-tresorerie",
        end=periode.fin,
        sparkline=sparkline,
        height=60 if sparkline else 260,
        width=300 if sparkline else 720,
    )
    # Dates, amounts and escaped text only (charts.balance_chart escapes every text).
    return mark_safe(svg)


def soldes_rows(periode: tq.Periode, period_query: str) -> SafeString:
    """The rows of the table of daily balances (a year is ~365 rows of four cells: written here
    once per ledger version, not by the template engine at each view), each date linking to
    its movements."""
    prefix = f"?{period_query}&jour=" if period_query else "?jour="
    return format_html_join(
        "\n",
        '<tr><td><a href="{}{}#mouvements" title="Mouvements du {}">{}</a></td>'
        '<td class="fr-cell--right">{} €</td><td class="fr-cell--right">{} €</td>'
        '<td class="fr-cell--right">{} €</td></tr>',
        (
            (prefix, d.date.isoformat(), day, day, *map(montant, amounts))
            for d in periode.days
            for day, amounts in [(jour(d.date), (d.encaissements, d.paiements, d.solde))]
        ),
    )


@require_GET
def tresorerie(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    choice = choice_for(request.user, request.GET, pk)
    context: dict[str, object] = {
        "title": f"Trésorerie — {choice.collectivite.nom}",
        "collectivite": choice.collectivite,
        "form": choice.form,
        "choice": choice,
        "menu": "tresorerie",
    }
    if choice.budget is not None:
        budget = choice.budget
        version = snapshots.of_budget(budget.pk)
        key = (budget.pk, choice.debut, choice.fin)

        query = request.GET.copy()
        query.pop("page", None)
        period_query = query.copy()
        period_query.pop("jour", None)  # the balance table's links add their own day
        link = period_query.urlencode()

        def compute() -> tuple[tq.Periode, SafeString, SafeString]:
            periode = tq.periode(budget, choice.debut, choice.fin)
            return periode, chart(periode), soldes_rows(periode, link)

        periode, svg, soldes = snapshots.kept("tresorerie", (*key, link), version, compute)
        paginator = Paginator(choice.mouvements(), PAGE_SIZE)
        paginator.count = snapshots.kept(
            "mouvements", (*key, choice.jour), version, lambda: choice.mouvements().count()
        )
        context.update(
            periode=periode,
            chart=svg,
            soldes=soldes,
            page_obj=paginator.get_page(request.GET.get("page")),
            query=query.urlencode(),
            period_query=period_query.urlencode(),
        )
    return render(request, "extranet/tresorerie.html", context)


@dataclass(frozen=True)
class Apercu:
    """The tableau de bord's treasury: the balance today and the last twelve months' line."""

    periode: tq.Periode
    chart: SafeString


def apercu(budget: Budget, version: snapshots.Version) -> Apercu:
    """`version`: the budget's (`snapshots.of_budget`)."""
    debut, fin = tq.default_period(timezone.localdate())

    def compute() -> Apercu:
        periode = tq.periode(budget, debut, fin)
        return Apercu(periode, chart(periode, sparkline=True))

    return snapshots.kept("apercu", (budget.pk, debut, fin), version, compute)
