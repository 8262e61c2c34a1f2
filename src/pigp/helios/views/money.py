"""Payment runs, recovery and treasury pages of the comptable (agents of the poste only)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Model, Sum
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pigp.core import files
from pigp.core.models import Budget, User
from pigp.helios import payments, recovery, treasury
from pigp.helios.access import (
    collectivites_for_agent,
    get_collectivite_for_agent,
    get_piece_for_agent,
    require_agent,
)
from pigp.helios.forms_money import (
    CamtImportForm,
    CollectiviteFilterForm,
    CompteTresorForm,
    DirectDebitRunForm,
    EncaissementForm,
    MatchForm,
    PaymentRunForm,
    SoldeOuvertureForm,
    StadeForm,
    TreasuryFilterForm,
)
from pigp.helios.models import (
    CamtImport,
    CamtLine,
    CompteTresor,
    Domaine,
    Exercice,
    PaymentRun,
    Piece,
    PrelevementRun,
)

PAGE_SIZE = 50
MATCH_CHOICES = 200


# --- access to this module's objects (same rule as pigp.helios.access: 404 outside the poste)


def _choices(user: User) -> list[tuple[int, str]]:
    return list(collectivites_for_agent(user).order_by("nom").values_list("pk", "nom"))


def _get_run_for_agent(user: User, model: type[Model], pk: int) -> Any:
    require_agent(user)
    run = (
        model.objects.select_related("collectivite", "fichier")
        .filter(pk=pk, collectivite__poste_id=user.poste_id)
        .first()
    )
    if run is None:
        raise Http404("Campagne introuvable.")
    return run


def _get_line_for_agent(user: User, pk: int) -> CamtLine:
    require_agent(user)
    line = (
        CamtLine.objects.select_related("camt__collectivite")
        .filter(pk=pk, camt__collectivite__poste_id=user.poste_id)
        .first()
    )
    if line is None:
        raise Http404("Ligne de relevé introuvable.")
    return line


def _get_titre_for_agent(user: User, pk: int) -> Piece:
    piece = get_piece_for_agent(user, pk)
    if piece.domaine != Domaine.RECETTE:
        raise Http404("Titre introuvable.")
    return piece


def _get_budget_for_agent(user: User, pk: int) -> Budget:
    require_agent(user)
    budget = (
        Budget.objects.select_related("collectivite")
        .filter(pk=pk, collectivite__poste_id=user.poste_id)
        .first()
    )
    if budget is None:
        raise Http404("Budget introuvable.")
    return budget


def _filter(request: HttpRequest) -> tuple[CollectiviteFilterForm, int | None, str]:
    choices = _choices(request.user)
    form = CollectiviteFilterForm(request.GET or None, collectivites=choices, prefix="f")
    selected = None
    if form.is_bound and form.is_valid():
        selected = form.cleaned_data["collectivite"] or None
    query = request.GET.copy()
    query.pop("page", None)
    return form, selected, query.urlencode()


def _check_posted_collectivite(request: HttpRequest, field: str) -> None:
    """A collectivité outside the poste named in a POST is a 404, as everywhere else."""
    value = request.POST.get(field, "")
    if value.strip().isdigit():
        get_collectivite_for_agent(request.user, int(value))


def _download(stored: Any, name: str) -> FileResponse:
    if stored is None:
        raise Http404("Fichier introuvable.")
    return FileResponse(
        files.open_stored(stored),
        as_attachment=True,
        filename=name,
        content_type="application/xml",
    )


# --- payments -----------------------------------------------------------------------------


def _paiements_page(
    request: HttpRequest, form: PaymentRunForm | None = None, status: int = 200
) -> HttpResponse:
    filter_form, selected, query = _filter(request)
    colls = collectivites_for_agent(request.user)
    if selected:
        colls = colls.filter(pk=selected)
    runs = (
        PaymentRun.objects.filter(collectivite__in=colls)
        .select_related("collectivite", "fichier")
        .order_by("-cree_le", "-pk")
    )
    page = Paginator(runs, PAGE_SIZE).get_page(request.GET.get("page"))
    a_payer = (
        Piece.objects.filter(
            collectivite__in=colls, domaine=Domaine.DEPENSE, etat="prise_en_charge"
        )
        .filter(payments.by_transfer())
        .values("collectivite__nom")
        .annotate(nombre=Count("pk"), total=Sum("mt_ttc"))
        .order_by("collectivite__nom")
    )
    excluded = []
    for coll in colls.order_by("nom")[:20]:
        excluded += [(coll, e) for e in payments.excluded(coll, limit=50)]
    form = form or PaymentRunForm(
        collectivites=_choices(request.user),
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
    _check_posted_collectivite(request, "run-collectivite")
    form = PaymentRunForm(request.POST, collectivites=_choices(request.user), prefix="run")
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
    run = _get_run_for_agent(request.user, PaymentRun, pk)
    name = f"virements_{run.collectivite.siret}_{run.date_execution:%Y%m%d}_{run.pk}.xml"
    return _download(run.fichier, name)


# --- recovery -----------------------------------------------------------------------------


def _recouvrement_page(
    request: HttpRequest,
    *,
    camt_form: CamtImportForm | None = None,
    debit_form: DirectDebitRunForm | None = None,
    status: int = 200,
) -> HttpResponse:
    filter_form, selected, query = _filter(request)
    colls = collectivites_for_agent(request.user)
    if selected:
        colls = colls.filter(pk=selected)
    titres = (
        recovery.titres_dus(colls)
        .select_related("collectivite", "tiers", "exercice", "bordereau")
        .order_by("date_prise_en_charge", "pk")
    )
    page = Paginator(titres, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = [(t, recovery.ageing(t.date_prise_en_charge, today)) for t in page.object_list]
    totals = recovery.titres_dus(colls).aggregate(
        nombre=Count("pk"), reste=Sum("reste_a_recouvrer")
    )
    choices = _choices(request.user)
    initial = {"collectivite": selected, "date_echeance": today}
    return render(
        request,
        "helios/money_recouvrement.html",
        {
            "title": "Recouvrement",
            "page": page,
            "rows": rows,
            "totals": totals,
            "query": query,
            "filter_form": filter_form,
            "camt_form": camt_form
            or CamtImportForm(collectivites=choices, prefix="camt", initial=initial),
            "debit_form": debit_form
            or DirectDebitRunForm(collectivites=choices, prefix="dd", initial=initial),
            "imports": CamtImport.objects.filter(collectivite__in=colls)
            .select_related("collectivite")
            .order_by("-cree_le", "-pk")[:20],
            "unmatched": recovery.unmatched_lines(colls).count(),
            "debit_runs": PrelevementRun.objects.filter(collectivite__in=colls)
            .select_related("collectivite", "fichier")
            .order_by("-cree_le", "-pk")[:20],
        },
        status=status,
    )


@require_GET
def recouvrement(request: HttpRequest) -> HttpResponse:
    require_agent(request.user)
    return _recouvrement_page(request)


@require_POST
def releve_importer(request: HttpRequest) -> HttpResponse:
    require_agent(request.user)
    _check_posted_collectivite(request, "camt-collectivite")
    form = CamtImportForm(
        request.POST, request.FILES, collectivites=_choices(request.user), prefix="camt"
    )
    if not form.is_valid():
        return _recouvrement_page(request, camt_form=form, status=400)
    coll = get_collectivite_for_agent(request.user, form.cleaned_data["collectivite"])
    upload = form.cleaned_data["fichier"]
    try:
        camt = recovery.import_camt(coll, upload.read(), upload.name, actor=request.user.email)
    except recovery.RecoveryError as exc:
        form.add_error("fichier", str(exc))
        return _recouvrement_page(request, camt_form=form, status=400)
    messages.success(
        request,
        f"Relevé « {camt.nom} » importé : {camt.lignes} ligne{'s' if camt.lignes > 1 else ''} "
        f"au crédit, {camt.rapprochees} rapprochée{'s' if camt.rapprochees > 1 else ''}, "
        f"{camt.lignes - camt.rapprochees} à rapprocher à la main.",
    )
    return redirect("helios_money:recouvrement")


@require_GET
def lignes(request: HttpRequest) -> HttpResponse:
    require_agent(request.user)
    filter_form, selected, query = _filter(request)
    colls = collectivites_for_agent(request.user)
    if selected:
        colls = colls.filter(pk=selected)
    qs = recovery.unmatched_lines(colls).select_related("camt__collectivite").order_by("date", "pk")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "helios/money_lignes.html",
        {
            "title": "Lignes de relevé à rapprocher",
            "page": page,
            "query": query,
            "filter_form": filter_form,
        },
    )


def _match_choices(line: CamtLine) -> list[tuple[int, str]]:
    qs = (
        recovery.titres_dus([line.camt.collectivite_id])
        .filter(reste_a_recouvrer__gte=line.montant)
        .select_related("tiers", "exercice")
        .order_by("reste_a_recouvrer", "pk")[:MATCH_CHOICES]
    )
    return [
        (
            t.pk,
            f"Titre n° {t.id_pce} ({t.exercice.annee}) — {t.tiers or 'sans tiers'} — "
            f"reste {recovery.euros(t.reste_a_recouvrer)}",
        )
        for t in qs
    ]


@require_http_methods(["GET", "POST"])
def ligne(request: HttpRequest, pk: int) -> HttpResponse:
    line = _get_line_for_agent(request.user, pk)
    if line.piece_id is not None:
        messages.info(request, "Cette ligne est déjà rapprochée.")
        return redirect("helios_money:lignes")
    form = MatchForm(
        request.POST if request.method == "POST" else None, titres=_match_choices(line)
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            titre = _get_titre_for_agent(request.user, form.cleaned_data["titre"])
            try:
                recovery.match_line(line, titre, actor=request.user.email)
            except recovery.RecoveryError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    f"Ligne de {recovery.euros(line.montant)} rapprochée du titre n° {titre.id_pce}.",
                )
                return redirect("helios_money:lignes")
        status = 400
    return render(
        request,
        "helios/money_ligne.html",
        {"title": "Rapprocher une ligne de relevé", "line": line, "form": form},
        status=status,
    )


def _titre_page(
    request: HttpRequest,
    titre: Piece,
    *,
    enc_form: EncaissementForm | None = None,
    stade_form: StadeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "helios/money_titre.html",
        {
            "title": f"Titre n° {titre.id_pce}",
            "titre": titre,
            "due": titre.etat in recovery.DUE and not titre.verrouillee,
            "encaissements": titre.encaissements.order_by("date", "pk"),
            "enc_form": enc_form
            or EncaissementForm(prefix="enc", initial={"date": timezone.localdate()}),
            "stade_form": stade_form
            or StadeForm(prefix="stade", initial={"stade": titre.stade or "amiable"}),
            "ageing": recovery.ageing(titre.date_prise_en_charge, timezone.localdate()),
        },
        status=status,
    )


@require_GET
def titre(request: HttpRequest, pk: int) -> HttpResponse:
    return _titre_page(request, _get_titre_for_agent(request.user, pk))


@require_POST
def titre_encaissement(request: HttpRequest, pk: int) -> HttpResponse:
    piece = _get_titre_for_agent(request.user, pk)
    form = EncaissementForm(request.POST, prefix="enc")
    if form.is_valid():
        data = form.cleaned_data
        try:
            recovery.record_encaissement(
                piece,
                data["montant"],
                data["date"],
                actor=request.user.email,
                reference=data["reference"],
            )
        except recovery.RecoveryError as exc:
            form.add_error("montant", str(exc))
        else:
            messages.success(
                request, f"Encaissement de {recovery.euros(data['montant'])} enregistré."
            )
            return redirect("helios_money:titre", pk=piece.pk)
    return _titre_page(request, piece, enc_form=form, status=400)


@require_POST
def titre_stade(request: HttpRequest, pk: int) -> HttpResponse:
    piece = _get_titre_for_agent(request.user, pk)
    form = StadeForm(request.POST, prefix="stade")
    if form.is_valid():
        try:
            recovery.set_stade(
                piece,
                form.cleaned_data["stade"],
                actor=request.user.email,
                commentaire=form.cleaned_data["commentaire"],
            )
        except recovery.RecoveryError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Stade de recouvrement : {piece.get_stade_display()}.")
            return redirect("helios_money:titre", pk=piece.pk)
    return _titre_page(request, piece, stade_form=form, status=400)


@require_POST
def prelevements_lancer(request: HttpRequest) -> HttpResponse:
    require_agent(request.user)
    _check_posted_collectivite(request, "dd-collectivite")
    form = DirectDebitRunForm(request.POST, collectivites=_choices(request.user), prefix="dd")
    if not form.is_valid():
        return _recouvrement_page(request, debit_form=form, status=400)
    data = form.cleaned_data
    coll = get_collectivite_for_agent(request.user, data["collectivite"])
    try:
        result = recovery.run_direct_debits(
            coll, data["date_echeance"], actor=request.user.email, version=data["version"]
        )
    except recovery.RecoveryError as exc:
        form.add_error(None, str(exc))
        return _recouvrement_page(request, debit_form=form, status=400)
    if result.run is None:
        messages.info(request, f"Aucun titre à prélever pour {coll.nom}.")
    else:
        messages.success(
            request,
            f"Campagne de prélèvement n° {result.run.pk} : {result.count} titre"
            f"{'s' if result.count > 1 else ''} pour {recovery.euros(result.total)}.",
        )
    for piece, reason in result.excluded[:20]:
        messages.warning(request, f"Titre n° {piece.id_pce} écarté : {reason}.")
    return redirect("helios_money:recouvrement")


@require_GET
def prelevement_fichier(request: HttpRequest, pk: int) -> FileResponse:
    run = _get_run_for_agent(request.user, PrelevementRun, pk)
    name = f"prelevements_{run.collectivite.siret}_{run.date_echeance:%Y%m%d}_{run.pk}.xml"
    return _download(run.fichier, name)


@require_POST
def prelevement_regle(request: HttpRequest, pk: int) -> HttpResponse:
    run = _get_run_for_agent(request.user, PrelevementRun, pk)
    try:
        count = recovery.settle_direct_debits(run, actor=request.user.email)
    except recovery.RecoveryError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"Campagne n° {run.pk} réglée : {count} encaissement{'s' if count > 1 else ''} "
            "enregistré" + ("s." if count > 1 else "."),
        )
    return redirect("helios_money:recouvrement")


# --- treasury -----------------------------------------------------------------------------


def _treasury_context(request: HttpRequest) -> tuple[TreasuryFilterForm, Budget | None, int]:
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
    form = TreasuryFilterForm(request.GET or None, budgets=choices, annees=annees)
    budget, annee = (budgets[0] if budgets else None), this_year
    if form.is_bound:
        if not form.is_valid():
            return form, None, annee
        budget = _get_budget_for_agent(request.user, form.cleaned_data["budget"])
        annee = form.cleaned_data["annee"]
    elif budget is not None:
        form = TreasuryFilterForm(
            initial={"budget": budget.pk, "annee": annee}, budgets=choices, annees=annees
        )
    return form, budget, annee


def _tresorerie_page(
    request: HttpRequest, solde_form: SoldeOuvertureForm | None = None, status: int = 200
) -> HttpResponse:
    form, budget, annee = _treasury_context(request)
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
            "query": request.GET.urlencode(),
        },
        status=status,
    )


@require_GET
def tresorerie(request: HttpRequest) -> HttpResponse:
    return _tresorerie_page(request)


@require_GET
def tresorerie_csv(request: HttpRequest) -> HttpResponse:
    _form, budget, annee = _treasury_context(request)
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
def tresorerie_solde(request: HttpRequest, budget_pk: int, annee: int) -> HttpResponse:
    budget = _get_budget_for_agent(request.user, budget_pk)
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
    request.GET = request.GET.copy()
    request.GET.update({"budget": str(budget.pk), "annee": str(annee)})
    return _tresorerie_page(request, solde_form=form, status=400)


@require_http_methods(["GET", "POST"])
def compte(request: HttpRequest) -> HttpResponse:
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
        treasury.set_compte(request.user.poste, actor=request.user.email, **form.cleaned_data)
        messages.success(request, "Compte au Trésor du poste enregistré.")
        return redirect("helios_money:compte")
    return render(
        request,
        "helios/money_compte.html",
        {"title": "Compte au Trésor du poste", "form": form, "compte": current},
        status=400 if posted else 200,
    )
