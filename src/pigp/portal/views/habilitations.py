"""Asking for access, and the comptable's decisions."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from pigp.core import habilitations as services
from pigp.core.access import get_habilitation_for_comptable, require_comptable
from pigp.core.http import AuthenticatedHttpRequest
from pigp.core.models import Habilitation, StatutHabilitation
from pigp.portal.forms import DecisionForm, HabilitationRequestForm

PAGE_SIZE = 50
DECISIONS = {"accorder", "refuser", "revoquer"}


@require_http_methods(["GET", "POST"])
def request_access(request: AuthenticatedHttpRequest) -> HttpResponse:
    # Bound on every POST, even an empty one, so that missing fields are reported.
    form = HabilitationRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.request_habilitation(
                requester=request.user,
                collectivite=data["siret"],
                application=data["application"],
                profil=data["profil"],
                beneficiary_email=data["beneficiaire"] or None,
                date_fin=data["date_fin"],
                commentaire=data["commentaire"],
                request=request,
            )
        except services.HabilitationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                "Votre demande est transmise au comptable de la collectivité. "
                "Vous serez prévenu par courriel de sa décision.",
            )
            return redirect("portal:account")
    return render(
        request, "portal/request_access.html", {"title": "Demander un accès", "form": form}
    )


def comptable_demandes(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_comptable(request.user)
    pending = (
        Habilitation.objects.pending()
        .filter(collectivite__poste_id=request.user.poste_id)
        .select_related("user", "collectivite", "demandee_par")
        .order_by("demandee_le")
    )
    page = Paginator(pending, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/comptable_demandes.html",
        {"title": "Demandes d'habilitation", "page_obj": page, "form": DecisionForm()},
    )


def comptable_habilitations(request: AuthenticatedHttpRequest) -> HttpResponse:
    require_comptable(request.user)
    qs = (
        Habilitation.objects.filter(collectivite__poste_id=request.user.poste_id)
        .exclude(statut=StatutHabilitation.DEMANDEE)
        .select_related("user", "collectivite", "decidee_par")
        .order_by("collectivite__nom", "user__email", "application")
    )
    statut = request.GET.get("statut", "")
    if statut in StatutHabilitation.values:
        qs = qs.filter(statut=statut)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/comptable_habilitations.html",
        {
            "title": "Habilitations de mes collectivités",
            "page_obj": page,
            "statut": statut,
            "statuts": StatutHabilitation.choices,
            "form": DecisionForm(),
        },
    )


@require_POST
def decide(request: AuthenticatedHttpRequest, pk: int, decision: str) -> HttpResponse:
    habilitation = get_habilitation_for_comptable(request.user, pk)
    if decision not in DECISIONS:
        # Anything else used to fall through to a revocation.
        raise Http404("Décision inconnue.")
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Formulaire invalide : vérifiez la date de fin.")
        return redirect("portal:comptable_demandes")
    motif = form.cleaned_data["motif"]
    date_fin = form.cleaned_data["date_fin"]
    try:
        if decision == "accorder":
            services.grant(habilitation, comptable=request.user, date_fin=date_fin, request=request)
            messages.success(request, f"Habilitation accordée à {habilitation.user.email}.")
        elif decision == "refuser":
            services.refuse(habilitation, comptable=request.user, motif=motif, request=request)
            messages.success(request, f"Demande de {habilitation.user.email} refusée.")
        else:
            services.revoke(habilitation, comptable=request.user, motif=motif, request=request)
            messages.success(request, f"Habilitation de {habilitation.user.email} révoquée.")
    except services.HabilitationError as exc:
        messages.error(request, str(exc))
    target = (
        "portal:comptable_habilitations" if decision == "revoquer" else "portal:comptable_demandes"
    )
    return redirect(target)
