"""Recovery pages of the comptable: titres due, bank statements and their unmatched lines,
encaissements, recovery stages and direct debits (agents of the poste only)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pigp.core.http import AuthenticatedHttpRequest
from pigp.helios.access import (
    get_camt_line_for_agent,
    get_collectivite_for_agent,
    get_run_for_agent,
    get_titre_for_agent,
    require_agent,
)
from pigp.helios.models import CamtImport, CamtLine, Piece, PrelevementRun
from pigp.helios.money import direct_debits, recovery, statements
from pigp.helios.money.forms import (
    CamtImportForm,
    DirectDebitRunForm,
    EncaissementForm,
    MatchForm,
    StadeForm,
)
from pigp.helios.money.views.access import (
    PAGE_SIZE,
    check_posted_collectivite,
    collectivite_choices,
    collectivite_filter,
    download_run_file,
)

MATCH_CHOICES = 200


def _recouvrement_page(
    request: AuthenticatedHttpRequest,
    *,
    camt_form: CamtImportForm | None = None,
    debit_form: DirectDebitRunForm | None = None,
    status: int = 200,
) -> HttpResponse:
    filter_form, selected, colls = collectivite_filter(request)
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
    # Restes à recouvrer per exercice of origin: a closed exercice's titres stay due.
    par_exercice = (
        recovery.titres_dus(colls)
        .values("collectivite__nom", "exercice__annee", "exercice__cloture")
        .annotate(nombre=Count("pk"), reste=Sum("reste_a_recouvrer"))
        .order_by("collectivite__nom", "exercice__annee")
    )
    choices = collectivite_choices(request.user)
    initial = {"collectivite": selected, "date_echeance": today}
    return render(
        request,
        "helios/money_recouvrement.html",
        {
            "title": "Recouvrement",
            "page_obj": page,
            "rows": rows,
            "totals": totals,
            "par_exercice": par_exercice,
            "filter_form": filter_form,
            "camt_form": camt_form
            or CamtImportForm(collectivites=choices, prefix="camt", initial=initial),
            "debit_form": debit_form
            or DirectDebitRunForm(collectivites=choices, prefix="dd", initial=initial),
            "imports": CamtImport.objects.filter(collectivite__in=colls)
            .select_related("collectivite")
            .order_by("-cree_le", "-pk")[:20],
            "unmatched": statements.unmatched_lines(colls).count(),
            "debit_runs": PrelevementRun.objects.filter(collectivite__in=colls)
            .select_related("collectivite", "fichier")
            .order_by("-cree_le", "-pk")[:20],
        },
        status=status,
    )


@require_GET
def recouvrement(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_agent(request.user)
    return _recouvrement_page(request)


@require_POST
def releve_importer(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_agent(request.user)
    check_posted_collectivite(request, "camt-collectivite")
    form = CamtImportForm(
        request.POST, request.FILES, collectivites=collectivite_choices(request.user), prefix="camt"
    )
    if not form.is_valid():
        return _recouvrement_page(request, camt_form=form, status=400)
    coll = get_collectivite_for_agent(request.user, form.cleaned_data["collectivite"])
    upload = form.cleaned_data["fichier"]
    try:
        camt = statements.import_camt(coll, upload.read(), upload.name, actor=request.user.email)
    except recovery.RecoveryError as exc:
        form.add_error("fichier", str(exc))
        return _recouvrement_page(request, camt_form=form, status=400)
    messages.success(
        request,
        f"Relevé « {camt.nom} » importé : {camt.lignes} ligne{'s' if camt.lignes > 1 else ''} "
        f"au crédit, {camt.rapprochees} rapprochée{'s' if camt.rapprochees > 1 else ''}, "
        f"{camt.lignes - camt.rapprochees} à rapprocher à la main ; {camt.debits} ligne"
        f"{'s' if camt.debits > 1 else ''} au débit, {camt.debits_rapproches} rapprochée"
        f"{'s' if camt.debits_rapproches > 1 else ''}, {camt.debits - camt.debits_rapproches} "
        "à rapprocher à la main.",
    )
    return redirect("helios_money:releve", pk=camt.pk)


@require_GET
def lignes(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_agent(request.user)
    filter_form, _, colls = collectivite_filter(request)
    qs = (
        statements.unmatched_lines(colls)
        .select_related("camt__collectivite")
        .order_by("date", "pk")
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "helios/money_lignes.html",
        {
            "title": "Lignes de relevé à rapprocher",
            "page_obj": page,
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
def ligne(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    line = get_camt_line_for_agent(request.user, pk)
    if line.piece_id is not None:
        messages.info(request, "Cette ligne est déjà rapprochée.")
        return redirect("helios_money:lignes")
    if line.methode == CamtLine.Methode.DEJA:
        messages.info(request, f"Rien à rapprocher : {line.explication}")
        return redirect("helios_money:releve", pk=line.camt_id)
    form = MatchForm(
        request.POST if request.method == "POST" else None, titres=_match_choices(line)
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            titre = get_titre_for_agent(request.user, form.cleaned_data["titre"])
            try:
                statements.match_line(line, titre, actor=request.user.email)
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
    request: AuthenticatedHttpRequest,
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
            "due": titre.etat in recovery.DUE,
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
def titre(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _titre_page(request, get_titre_for_agent(request.user, pk))


@require_POST
def titre_encaissement(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    piece = get_titre_for_agent(request.user, pk)
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
def titre_stade(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    piece = get_titre_for_agent(request.user, pk)
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
def prelevements_lancer(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_agent(request.user)
    check_posted_collectivite(request, "dd-collectivite")
    form = DirectDebitRunForm(
        request.POST, collectivites=collectivite_choices(request.user), prefix="dd"
    )
    if not form.is_valid():
        return _recouvrement_page(request, debit_form=form, status=400)
    data = form.cleaned_data
    coll = get_collectivite_for_agent(request.user, data["collectivite"])
    try:
        result = direct_debits.run_direct_debits(
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
def prelevement_fichier(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    run = get_run_for_agent(request.user, PrelevementRun, pk)
    return download_run_file(run, "prelevements", run.date_echeance)


@require_POST
def prelevement_regle(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    run = get_run_for_agent(request.user, PrelevementRun, pk)
    try:
        count = direct_debits.settle_direct_debits(run, actor=request.user.email)
    except recovery.RecoveryError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"Campagne n° {run.pk} réglée : {count} encaissement{'s' if count > 1 else ''} "
            "enregistré" + ("s." if count > 1 else "."),
        )
    return redirect("helios_money:recouvrement")
