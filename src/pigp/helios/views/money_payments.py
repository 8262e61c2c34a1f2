"""Payment runs of the comptable: mandats to pay, runs, pain.001 files (agents of the poste)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from pigp.helios import payments, recovery
from pigp.helios.access import (
    collectivites_for_agent,
    get_collectivite_for_agent,
    get_run_for_agent,
    require_agent,
)
from pigp.helios.forms_money import PaymentRunForm
from pigp.helios.models import PaymentRun
from pigp.helios.views.money_access import (
    PAGE_SIZE,
    check_posted_collectivite,
    collectivite_choices,
    collectivite_filter,
    download_xml,
)


def _paiements_page(
    request: HttpRequest, form: PaymentRunForm | None = None, status: int = 200
) -> HttpResponse:
    filter_form, selected, query = collectivite_filter(request)
    colls = collectivites_for_agent(request.user)
    if selected:
        colls = colls.filter(pk=selected)
    runs = (
        PaymentRun.objects.filter(collectivite__in=colls)
        .select_related("collectivite", "fichier")
        .order_by("-cree_le", "-pk")
    )
    page = Paginator(runs, PAGE_SIZE).get_page(request.GET.get("page"))
    # The same mandats a run pays, per exercice of origin (a closed one's restes included).
    a_payer = (
        payments.payable(colls)
        .values("collectivite__nom", "exercice__annee", "exercice__cloture")
        .annotate(nombre=Count("pk"), total=Sum("mt_ttc"))
        .order_by("collectivite__nom", "exercice__annee")
    )
    excluded = []
    for coll in colls.order_by("nom")[:20]:
        excluded += [(coll, e) for e in payments.excluded(coll, limit=50)]
    form = form or PaymentRunForm(
        collectivites=collectivite_choices(request.user),
        prefix="run",
        initial={"date_execution": timezone.localdate(), "collectivite": selected},
    )
    return render(
        request,
        "helios/money_paiements.html",
        {
            "title": "Paiements",
            "page": page,
            "query": query,
            "filter_form": filter_form,
            "form": form,
            "a_payer": a_payer,
            "excluded": excluded,
        },
        status=status,
    )


@require_GET
def paiements(request: HttpRequest) -> HttpResponse:
    require_agent(request.user)
    return _paiements_page(request)


@require_POST
def paiements_lancer(request: HttpRequest) -> HttpResponse:
    require_agent(request.user)
    check_posted_collectivite(request, "run-collectivite")
    form = PaymentRunForm(
        request.POST, collectivites=collectivite_choices(request.user), prefix="run"
    )
    if not form.is_valid():
        return _paiements_page(request, form, status=400)
    data = form.cleaned_data
    coll = get_collectivite_for_agent(request.user, data["collectivite"])
    try:
        result = payments.run_payments(
            coll, data["date_execution"], actor=request.user.email, version=data["version"]
        )
    except (payments.PaymentError, payments.states.TransitionError) as exc:
        form.add_error(None, str(exc))
        return _paiements_page(request, form, status=400)
    if result.run is None:
        messages.info(request, f"Aucun mandat à payer par virement pour {coll.nom}.")
    else:
        messages.success(
            request,
            f"Campagne n° {result.run.pk} : {result.paid} mandat{'s' if result.paid > 1 else ''} "
            f"payé{'s' if result.paid > 1 else ''} pour {recovery.euros(result.total)}. "
            "Le fichier de virement est prêt à être téléchargé.",
        )
    if result.excluded:
        messages.warning(
            request,
            f"{len(result.excluded)} mandat{'s' if len(result.excluded) > 1 else ''} écarté"
            f"{'s' if len(result.excluded) > 1 else ''} (coordonnées bancaires à corriger) : "
            "voir la liste ci-dessous.",
        )
    return redirect("helios_money:paiements")


@require_GET
def paiement_fichier(request: HttpRequest, pk: int) -> FileResponse:
    run = get_run_for_agent(request.user, PaymentRun, pk)
    name = f"virements_{run.collectivite.siret}_{run.date_execution:%Y%m%d}_{run.pk}.xml"
    return download_xml(run.fichier, name)
