"""After a bank statement: the import's result (its credit lines and how each was matched to a
titre, its debit lines and how each was reconciled with the payment runs), the manual
reconciliation of a waiting debit line, and the page of a payment run with the debit of each
payment. Agents of the poste only (404 for anyone else)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from pigp.core.http import AuthenticatedHttpRequest
from pigp.helios.access import (
    get_camt_debit_for_agent,
    get_camt_import_for_agent,
    get_run_for_agent,
)
from pigp.helios.models import CamtDebit, CamtLine, Paiement, PaymentRun
from pigp.helios.money import manual_debits, recovery
from pigp.helios.money.forms import DebitMatchForm

LINES_PAGE_SIZE = 100


@require_GET
def releve(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    camt = get_camt_import_for_agent(request.user, pk)
    # Lines waiting for the comptable first (credits: then the repeats of lines already seen).
    lines = camt.debit_lines.select_related("run").order_by("rapprochee", "date", "pk")
    page = Paginator(lines, LINES_PAGE_SIZE).get_page(request.GET.get("page"))
    credit_lines = camt.entries.select_related("piece__exercice").order_by(
        F("piece").asc(nulls_first=True), "methode", "date", "pk"
    )
    credits = Paginator(credit_lines, LINES_PAGE_SIZE).get_page(request.GET.get("credits"))
    deja = camt.entries.filter(methode=CamtLine.Methode.DEJA).count()
    return render(
        request,
        "helios/money_releve.html",
        {
            "title": f"Relevé « {camt.nom} »",
            "camt": camt,
            "page_obj": page,
            "credits": credits,
            "credits_deja": deja,
            "credits_titres": camt.rapprochees - deja,
            "credits_waiting": camt.lignes - camt.rapprochees,
        },
    )


@require_http_methods(["GET", "POST"])
def debit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    line = get_camt_debit_for_agent(request.user, pk)
    if line.rapprochee:
        messages.info(request, "Cette ligne au débit est déjà rapprochée.")
        return redirect("helios_money:releve", pk=line.camt_id)
    choices = [(c.value, c.label) for c in manual_debits.debit_choices(line)]
    posted = request.method == "POST"
    form = DebitMatchForm(request.POST if posted else None, choices=choices)
    if posted and form.is_valid():
        kind, _, value = form.cleaned_data["choix"].partition("-")
        try:
            if kind == "run":
                run = get_run_for_agent(request.user, PaymentRun, int(value))
                count = manual_debits.match_debit(line, run=run, actor=request.user.email)
            else:
                paiement = _paiement_of_line(line, int(value))
                count = manual_debits.match_debit(line, paiement=paiement, actor=request.user.email)
        except recovery.RecoveryError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                f"Ligne de {recovery.euros(line.montant)} rapprochée : {count} paiement"
                f"{'s' if count > 1 else ''} constaté{'s' if count > 1 else ''} débité"
                f"{'s' if count > 1 else ''}.",
            )
            return redirect("helios_money:releve", pk=line.camt_id)
    return render(
        request,
        "helios/money_debit.html",
        {"title": "Rapprocher une ligne au débit", "line": line, "form": form},
        status=400 if posted else 200,
    )


def _paiement_of_line(line: CamtDebit, pk: int) -> Paiement:
    paiement = (
        Paiement.objects.select_related("piece")
        .filter(pk=pk, piece__collectivite_id=line.camt.collectivite_id)
        .first()
    )
    if paiement is None:
        raise Http404("Paiement introuvable.")
    return paiement


@require_GET
def campagne(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    run = get_run_for_agent(request.user, PaymentRun, pk)
    paiements = run.paiements.select_related("piece__tiers", "debit__camt").order_by("pk")
    page = Paginator(paiements, LINES_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "helios/money_campagne.html",
        {
            "title": f"Campagne de paiement n° {run.pk}",
            "run": run,
            "page_obj": page,
            "debit_lines": run.debit_lines.select_related("camt").order_by("date", "pk")[:20],
        },
    )
