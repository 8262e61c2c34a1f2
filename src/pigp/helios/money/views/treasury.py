"""Treasury pages of the comptable: daily balance, chart, CSV, opening balance and the
poste's account at the Trésor (agents of the poste only)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pigp.core.http import AuthenticatedHttpRequest
from pigp.core.models import Budget
from pigp.helios.access import get_budget_for_agent, require_agent
from pigp.helios.models import CompteTresor, Exercice
from pigp.helios.money import recovery, treasury
from pigp.helios.money.forms import CompteTresorForm, SoldeOuvertureForm, TreasuryFilterForm


def _treasury_context(
    request: AuthenticatedHttpRequest, query: QueryDict
) -> tuple[TreasuryFilterForm, Budget | None, int]:
    require_agent(request.user)
    budgets = list(
        Budget.objects.filter(collectivite__poste_id=request.user.poste_id)
        .select_related("collectivite")
        .order_by("collectivite__nom", "cod_col", "cod_bud")
    )
    this_year = timezone.localdate().year
    years = set(
        Exercice.objects.filter(budget__in=budgets).values_list("annee", flat=True).distinct()
    )
    annees = sorted(years | {this_year}, reverse=True)
    choices = [
        (b.pk, f"{b.collectivite.nom} — {b.libelle} ({b.cod_col}/{b.cod_bud})") for b in budgets
    ]
    form = TreasuryFilterForm(query or None, budgets=choices, annees=annees)
    budget, annee = (budgets[0] if budgets else None), this_year
    if form.is_bound:
        if not form.is_valid():
            return form, None, annee
        budget = get_budget_for_agent(request.user, form.cleaned_data["budget"])
        annee = form.cleaned_data["annee"]
    elif budget is not None:
        form = TreasuryFilterForm(
            initial={"budget": budget.pk, "annee": annee}, budgets=choices, annees=annees
        )
    return form, budget, annee


def _tresorerie_page(
    request: AuthenticatedHttpRequest,
    query: QueryDict | None = None,
    solde_form: SoldeOuvertureForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The page for `query` (the request's own by default)."""
    query = request.GET if query is None else query
    form, budget, annee = _treasury_context(request, query)
    balance = treasury.daily_balance(budget, annee) if budget else None
    if solde_form is None and balance is not None:
        solde_form = SoldeOuvertureForm(
            prefix="solde",
            initial={"montant": balance.ouverture, "date": balance.date_ouverture},
        )
    return render(
        request,
        "helios/money_tresorerie.html",
        {
            "title": "Trésorerie",
            "form": form,
            "budget": budget,
            "annee": annee,
            "balance": balance,
            "chart": treasury.chart_svg(balance) if balance else "",
            "solde_form": solde_form,
        },
        status=status,
    )


@require_GET
def tresorerie(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _tresorerie_page(request)


@require_GET
def tresorerie_csv(request: AuthenticatedHttpRequest) -> HttpResponse:
    _form, budget, annee = _treasury_context(request, request.GET)
    if budget is None:
        raise Http404("Budget introuvable.")
    balance = treasury.daily_balance(budget, annee)
    response = HttpResponse(
        "\ufeff" + treasury.to_csv(balance), content_type="text/csv; charset=utf-8"
    )
    name = f"tresorerie_{budget.cod_col}_{budget.cod_bud}_{annee}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
def tresorerie_solde(request: AuthenticatedHttpRequest, budget_pk: int, annee: int) -> HttpResponse:
    budget = get_budget_for_agent(request.user, budget_pk)
    if not 1990 <= annee <= 2100:
        raise Http404("Exercice introuvable.")
    form = SoldeOuvertureForm(request.POST, prefix="solde")
    url = f"{reverse('helios_money:tresorerie')}?budget={budget.pk}&annee={annee}"
    if form.is_valid():
        try:
            treasury.set_opening(
                budget,
                annee,
                form.cleaned_data["montant"],
                form.cleaned_data["date"],
                actor=request.user.email,
            )
        except treasury.TreasuryError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                f"Solde d'ouverture {annee} enregistré : "
                f"{recovery.euros(form.cleaned_data['montant'])}.",
            )
            return redirect(url)
    query = request.GET.copy()
    query.update({"budget": str(budget.pk), "annee": str(annee)})
    return _tresorerie_page(request, query, solde_form=form, status=400)


@require_http_methods(["GET", "POST"])
def compte(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The poste's account at the Trésor: debtor of the transfers, creditor of direct debits."""
    require_agent(request.user)
    current = CompteTresor.objects.filter(poste_id=request.user.poste_id).first()
    initial = (
        {
            "titulaire": current.titulaire,
            "iban": current.iban,
            "bic": current.bic,
            "ics": current.ics,
        }
        if current
        else {}
    )
    posted = request.method == "POST"
    form = CompteTresorForm(request.POST if posted else None, initial=initial)
    if posted and form.is_valid():
        poste = request.user.poste
        assert poste is not None  # an agent (`require_agent` above)
        treasury.set_compte(poste, actor=request.user.email, **form.cleaned_data)
        messages.success(request, "Compte au Trésor du poste enregistré.")
        return redirect("helios_money:compte")
    return render(
        request,
        "helios/money_compte.html",
        {"title": "Compte au Trésor du poste", "form": form, "compte": current},
        status=400 if posted else 200,
    )
