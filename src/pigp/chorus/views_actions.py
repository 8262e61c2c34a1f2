"""The recipient's actions on invoices (POST only): each goes through `access` (write) and the
`traitement` service; a refusal is said on the invoice's page, nothing is lost."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from pigp.chorus import access, traitement
from pigp.chorus.forms import MandatForm, MotifForm
from pigp.chorus.models import StatutFacture
from pigp.chorus.statuts import TransitionError
from pigp.core.http import AuthenticatedHttpRequest
from pigp.ui.text import pluriel

S = StatutFacture
DONE: dict[str, str] = {
    S.SERVICE_FAIT: "Le service fait est constaté",
    S.SUSPENDUE: "La facture est suspendue",
    S.REJETEE: "La facture est rejetée",
    S.MANDATEE: "La facture est marquée mandatée",
}


def _act(request: AuthenticatedHttpRequest, pk: int, to: str) -> HttpResponse:
    item = access.get_facture(request.user, pk, write=True)
    motif, numero_mandat, mandat = "", "", None
    if to in (S.SUSPENDUE, S.REJETEE):
        form = MotifForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Un motif est obligatoire pour suspendre ou rejeter.")
            return redirect("chorus:facture", pk=item.pk)
        motif = form.cleaned_data["motif"]
    if to == S.MANDATEE:
        mandat_form = MandatForm(request.POST)
        if not mandat_form.is_valid():
            messages.error(request, "Le numéro du mandat est obligatoire.")
            return redirect("chorus:facture", pk=item.pk)
        numero_mandat = mandat_form.cleaned_data["numero_mandat"]
        # A mandat picked among the collectivité's in Hélios (`_mandats_helios.html`).
        picked = request.POST.get("mandat", "")
        mandat = int(picked) if picked.isdigit() else None
    try:
        traitement.traiter(
            item,
            to,
            actor=request.user,
            motif=motif,
            numero_mandat=numero_mandat,
            mandat=mandat,
        )
    except TransitionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{DONE[to]} ; le fournisseur en est informé par courriel.")
    return redirect("chorus:facture", pk=item.pk)


@require_POST
def service_fait(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, S.SERVICE_FAIT)


@require_POST
def suspendre(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, S.SUSPENDUE)


@require_POST
def rejeter(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, S.REJETEE)


@require_POST
def mandater(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, S.MANDATEE)


@require_POST
def service_fait_selection(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """« Service fait » on the invoices ticked in the inbox (only those of this collectivité)."""
    collectivite = access.get_collectivite(request.user, pk, write=True)
    ids = [int(v) for v in request.POST.getlist("factures") if v.isdigit()]
    back = request.POST.get("retour", "")
    # The inbox as it was (its filters), on this collectivité's inbox only.
    target = reverse("chorus:inbox", args=[collectivite.pk]) + (f"?{back}" if back else "")
    if not ids:
        messages.warning(request, "Aucune facture n'est sélectionnée.")
        return redirect(target)
    selection = (
        access.factures_for(request.user)
        .filter(collectivite=collectivite, pk__in=ids)
        .select_related("fournisseur", "collectivite")
        .order_by("pk")
    )
    result = traitement.service_fait_en_masse(selection, actor=request.user)
    if result.done:
        messages.success(
            request,
            f"Service fait constaté sur {pluriel(len(result.done), 'facture')} ; "
            "les fournisseurs en sont informés.",
        )
    for _item, reason in result.refused:
        messages.error(request, reason)
    return redirect(target)
