"""Payment runs of the comptable: mandats to pay, runs, pain.001 files (agents of the poste)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import FileResponse, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pigp.core.http import AuthenticatedHttpRequest
from pigp.helios import states
from pigp.helios.access import (
    get_collectivite_for_agent,
    get_run_for_agent,
    require_agent,
)
from pigp.helios.models import PaymentRun
from pigp.helios.money import payment_preview, payments, recovery
from pigp.helios.money.forms import PaymentRunForm
from pigp.helios.money.views.access import (
    PAGE_SIZE,
    check_posted_collectivite,
    collectivite_choices,
    collectivite_filter,
    download_run_file,
)

PREVIEW_PAGE_SIZE = 100


def _paiements_page(
    request: AuthenticatedHttpRequest, form: PaymentRunForm | None = None, status: int = 200
) -> HttpResponse:
    filter_form, selected, colls = collectivite_filter(request)
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
            "page_obj": page,
            "filter_form": filter_form,
            "form": form,
            "a_payer": a_payer,
            "excluded": excluded,
        },
        status=status,
    )


@require_GET
def paiements(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_agent(request.user)
    return _paiements_page(request)


def _run_form(request: AuthenticatedHttpRequest, data) -> PaymentRunForm:
    return PaymentRunForm(data, collectivites=collectivite_choices(request.user), prefix="run")


def _preview_page(
    request: AuthenticatedHttpRequest,
    form: PaymentRunForm,
    exclude: list[int],
    *,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    """The preview of the run `form` describes (already valid), or the payments page with the
    reason it cannot be made."""
    data = form.cleaned_data
    coll = get_collectivite_for_agent(request.user, data["collectivite"])
    try:
        preview = payment_preview.preview(
            coll, data["date_execution"], version=data["version"], exclude=exclude
        )
    except payments.PaymentError as exc:
        form.add_error(None, str(exc))
        return _paiements_page(request, form, status=400)
    if not preview.lines:
        messages.info(request, f"Aucun mandat à payer par virement pour {coll.nom}.")
        return redirect("helios_money:paiements")
    number = (request.POST if request.method == "POST" else request.GET).get("page")
    page = Paginator(preview.lines, PREVIEW_PAGE_SIZE).get_page(number)
    shown = {line.piece_id for line in page.object_list}
    query = QueryDict(mutable=True)
    query.update(
        {
            "run-collectivite": str(coll.pk),
            "run-date_execution": data["date_execution"].isoformat(),
            "run-version": data["version"],
        }
    )
    query.setlist("exclure", [str(pk) for pk in preview.excluded_ids])
    return render(
        request,
        "helios/money_paiements_apercu.html",
        {
            "title": "Aperçu de la campagne de paiement",
            "preview": preview,
            "page_obj": page,
            "page_query": query,  # reached by POST too: the links carry the run, not request.GET
            # Exclusions on the other pages travel as hidden fields.
            "hidden_excluded": [pk for pk in preview.excluded_ids if pk not in shown],
            "error": error,
            "accepted": request.POST.get("solde_negatif") == "oui",
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def paiements_apercu(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Step 1 of a run: what it would pay, the treasury after it; nothing is written.

    GET from the payments page and the preview's page links; POST from the preview's « update »
    button (its form is the confirmation's, which carries the CSRF token: never in a URL)."""
    require_agent(request.user)
    data = request.POST if request.method == "POST" else request.GET
    check_posted_collectivite(request, "run-collectivite", data)
    form = _run_form(request, data)
    if not form.is_valid():
        return _paiements_page(request, form, status=400)
    try:
        exclude = payment_preview.excluded_from(data.getlist("exclure"))
    except payments.PaymentError as exc:
        form.add_error(None, str(exc))
        return _paiements_page(request, form, status=400)
    return _preview_page(request, form, exclude)


@require_POST
def paiements_lancer(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Step 2: the run confirmed from its preview, made with exactly the previewed selection."""
    require_agent(request.user)
    check_posted_collectivite(request, "run-collectivite")
    form = _run_form(request, request.POST)
    if not form.is_valid():
        return _paiements_page(request, form, status=400)
    data = form.cleaned_data
    coll = get_collectivite_for_agent(request.user, data["collectivite"])
    try:
        exclude = payment_preview.excluded_from(request.POST.getlist("exclure"))
    except payments.PaymentError as exc:
        form.add_error(None, str(exc))
        return _paiements_page(request, form, status=400)
    digest = request.POST.get("selection", "")
    if not digest:
        return _preview_page(
            request,
            form,
            exclude,
            error="Vérifiez l'aperçu de la campagne, puis confirmez-la.",
            status=400,
        )
    try:
        result = payments.run_payments(
            coll,
            data["date_execution"],
            actor=request.user.email,
            version=data["version"],
            exclude=exclude,
            expected_digest=digest,
            negative_ok=request.POST.get("solde_negatif") == "oui",
        )
    except payments.SelectionChanged as exc:
        return _preview_page(request, form, exclude, error=str(exc), status=409)
    except payments.NegativeBalance as exc:
        return _preview_page(request, form, exclude, error=str(exc), status=400)
    except (payments.PaymentError, states.TransitionError) as exc:
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
    if exclude:
        n = len(exclude)
        messages.info(
            request,
            f"{n} mandat{'s' if n > 1 else ''} exclu{'s' if n > 1 else ''} de la campagne : "
            f"{'ils restent' if n > 1 else 'il reste'} à payer.",
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
def paiement_fichier(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    run = get_run_for_agent(request.user, PaymentRun, pk)
    return download_run_file(run, "virements", run.date_execution)
