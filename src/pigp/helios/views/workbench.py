"""The comptable's workbench: queue, bordereau, pièce, PJ, and the actions on pièces."""

from __future__ import annotations

from typing import TypeVar

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from pigp.core.http import AuthenticatedHttpRequest
from pigp.helios import controls, documents, workbench
from pigp.helios.access import (
    get_bordereau_for_agent,
    get_collectivite_for_agent,
    get_piece_for_agent,
    get_pj_for_agent,
    pieces_for_agent,
    require_agent,
)
from pigp.helios.forms import (
    PORTEE_SELECTION,
    ActionForm,
    BordereauActionForm,
    QueueFilterForm,
    action_from,
)
from pigp.helios.models import EtatPiece
from pigp.helios.motifs import motifs_for
from pigp.helios.pj import INLINE_TYPES, pj_response, pj_rows
from pigp.helios.workbench import Action

F = TypeVar("F", bound=ActionForm)

QUEUE_PAGE_SIZE = 50
PIECES_PAGE_SIZE = 100


@require_GET
def queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_agent(request.user)
    choices = workbench.collectivite_choices(request.user)
    form = QueueFilterForm(request.GET or None, collectivites=choices)
    collectivite_id, domaine, tri = None, "", ""
    if form.is_bound and form.is_valid():
        collectivite_id = form.cleaned_data["collectivite"] or None
        domaine = form.cleaned_data["domaine"]
        tri = form.cleaned_data["tri"]
    qs = workbench.queue(request.user, collectivite_id=collectivite_id, domaine=domaine, tri=tri)
    page = Paginator(qs, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(b, workbench.age_days(b.recu_le)) for b in page.object_list]
    return render(
        request,
        "helios/workbench_queue.html",
        {
            "title": "File d'attente des bordereaux",
            "form": form,
            "page_obj": page,
            "rows": rows,
            "counts": workbench.counts_by_collectivite(request.user, domaine=domaine),
            "menu": "queue",
        },
    )


@require_GET
def collectivite(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    coll = get_collectivite_for_agent(request.user, pk)
    return redirect(f"{reverse('helios:queue')}?collectivite={coll.pk}")


@require_GET
def bordereau(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    b = get_bordereau_for_agent(request.user, pk)
    page = Paginator(workbench.pieces_of(b), PIECES_PAGE_SIZE).get_page(request.GET.get("page"))
    pieces = list(page.object_list)
    hints = controls.hints_for_pieces(pieces)
    rows = [(p, hints[p.pk], controls.summarize(hints[p.pk])) for p in pieces]
    bulk = workbench.latest_bulk(b)
    return render(
        request,
        "helios/workbench_bordereau.html",
        {
            "title": str(b),
            "bordereau": b,
            "collectivite": b.exercice.budget.collectivite,
            "page_obj": page,
            "rows": rows,
            "etats": workbench.etat_counts(b),
            "age": workbench.age_days(b.recu_le),
            "form": BordereauActionForm(domaine=b.domaine),
            "actions": workbench.ACTIONS.values(),
            "bulk": bulk,
            "bulk_summary": workbench.bulk_summary(bulk) if bulk else "",
            "bulk_skips": workbench.bulk_skips(bulk) if bulk else "",
            "bulk_stalled": bulk is not None and workbench.is_stalled(bulk),
            "bulk_inline_max": settings.PIGP_HELIOS_BULK_INLINE_MAX,
            "menu": "queue",
        },
    )


@require_POST
def bordereau_action(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    b = get_bordereau_for_agent(request.user, pk)
    target = redirect("helios:bordereau", pk=b.pk)
    posted = _posted_action(request, BordereauActionForm, b.domaine)
    if posted is None:
        return target
    action, form = posted
    motifs, commentaire = form.cleaned_data["motifs"], form.cleaned_data["commentaire"].strip()
    pieces = b.pieces.order_by("id")
    try:
        workbench.ensure_no_bulk_running(b)
        if form.cleaned_data["portee"] != PORTEE_SELECTION and workbench.runs_in_background(
            n := pieces.count()
        ):
            workbench.request_bulk(request.user, b, action, motifs=motifs, commentaire=commentaire)
            messages.info(
                request,
                f"Traitement de {n} pièces en cours… Le résultat s'affichera sur cette page : "
                "rechargez-la pour suivre l'avancement.",
            )
            return target
    except workbench.BulkRefused as exc:
        messages.error(request, str(exc))
        return target
    if form.cleaned_data["portee"] == PORTEE_SELECTION:
        ids = [int(v) for v in request.POST.getlist("pieces") if v.isdigit()]
        if not ids:
            messages.error(request, "Cochez au moins une pièce, ou choisissez toutes les pièces.")
            return target
        pieces = pieces.filter(pk__in=ids)
    outcome = workbench.apply(
        request.user.email, pieces, action, motifs=motifs, commentaire=commentaire
    )
    _report(request, outcome)
    return target


@require_POST
def bordereau_action_reprendre(
    request: AuthenticatedHttpRequest, pk: int, bulk_pk: int
) -> HttpResponse:
    """Resume a bordereau-wide decision stopped by an error or by the death of its worker."""
    b = get_bordereau_for_agent(request.user, pk)
    bulk = get_object_or_404(b.actions_groupees, pk=bulk_pk)
    try:
        workbench.resume_bulk(request.user, bulk)
    except workbench.BulkRefused as exc:
        messages.error(request, str(exc))
    else:
        rest = bulk.n_pieces - bulk.n_traitees
        messages.info(
            request,
            f"Traitement repris : {rest} pièce{'s' if rest > 1 else ''} restant à traiter…",
        )
    return redirect("helios:bordereau", pk=b.pk)


@require_GET
def piece(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    p = get_piece_for_agent(request.user, pk)
    events = list(p.events.order_by("at", "id"))
    extra = documents.documents_for([p], user=request.user, audience=documents.HELIOS)
    return render(
        request,
        "helios/workbench_piece.html",
        {
            "title": str(p),
            "piece": p,
            "bordereau": p.bordereau,
            "collectivite": p.collectivite,
            "lignes": list(p.lignes.order_by("id")),
            "pj_rows": pj_rows(p),
            "inline_types": INLINE_TYPES,
            "documents": extra.of(p),
            "documents_failed": bool(extra.failed),
            "events": events,
            "reception_event": any(e.etat == EtatPiece.RECUE for e in events),
            "hints": controls.hints_for_piece(p),
            "motifs": [(c, motifs_for(p.domaine).get(c, "")) for c in p.motif_code.split()],
            "form": ActionForm(domaine=p.domaine),
            "actions": workbench.available_actions(p),
            "menu": "queue",
        },
    )


@require_POST
def piece_action(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    p = get_piece_for_agent(request.user, pk)
    target = redirect("helios:piece", pk=p.pk)
    posted = _posted_action(request, ActionForm, p.domaine)
    if posted is None:
        return target
    action, form = posted
    outcome = workbench.apply(
        request.user.email,
        [p],
        action,
        motifs=form.cleaned_data["motifs"],
        commentaire=form.cleaned_data["commentaire"].strip(),
        skip_decided=False,
    )
    _report(request, outcome)
    return target


@require_GET
@xframe_options_sameorigin
def pj(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    """The stored PJ, shown in the browser when its type is safe to show, else downloaded."""
    item = get_pj_for_agent(request.user, pk)
    if item.fichier is None:
        messages.error(request, "Cette pièce justificative n'a pas pu être décodée.")
        owner = (
            pieces_for_agent(request.user)
            .filter(collectivite_id=item.collectivite_id, pj_refs__id_unique=item.id_unique)
            .first()
        )
        return redirect("helios:piece", pk=owner.pk) if owner else redirect("helios:queue")
    return pj_response(item)


def _report(request: AuthenticatedHttpRequest, outcome: workbench.Outcome) -> None:
    if outcome.moved:
        messages.success(request, outcome.summary())
    elif not outcome.refused:
        messages.info(request, outcome.summary())
    if outcome.skipped:
        messages.info(request, outcome.skips())
    if outcome.refused:
        level = messages.WARNING if outcome.moved else messages.ERROR
        messages.add_message(request, level, outcome.refusals())


def _posted_action(
    request: AuthenticatedHttpRequest, form_class: type[F], domaine: str
) -> tuple[Action, F] | None:
    """The action a POST names and its valid form; None once the user is told what is wrong."""
    action = action_from(request.POST.get("action"))
    if action is None:
        messages.error(request, "Action inconnue.")
        return None
    form = form_class(request.POST, domaine=domaine, action=action)
    if not form.is_valid():
        errors = [str(e) for errs in form.errors.values() for e in errs]
        messages.error(request, "Action non appliquée : " + " ".join(errors))
        return None
    return action, form
