"""« Mes alertes »: a user's own subscriptions. Any profile of the collectivité may subscribe:
an alert is the user's own preference and changes none of the collectivité's data."""

from __future__ import annotations

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from pigp.core import journal
from pigp.core.http import AuthenticatedHttpRequest
from pigp.extranet import access, alerts
from pigp.extranet.forms_alertes import AbonnementForm
from pigp.extranet.models import Abonnement, KindAlerte
from pigp.extranet.queries import alertes as aq


def _journal(request: AuthenticatedHttpRequest, action: str, abonnement: Abonnement) -> None:
    journal.record(
        action,
        actor=request.user,
        obj=abonnement,
        collectivite=abonnement.collectivite_id,
        request=request,
        details={"alerte": abonnement.kind},
    )


@require_http_methods(["GET", "POST"])
def alertes(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    collectivite = access.get_collectivite(request.user, pk)
    form = AbonnementForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            abonnement = alerts.subscribe(
                request.user,
                collectivite,
                kind=data["kind"],
                seuil=data["seuil"],
                delai_jours=data["delai_jours"],
                request=request,
            )
        except IntegrityError:
            messages.error(
                request,
                f"Vous êtes déjà abonné à l'alerte « {KindAlerte(data['kind']).label} » : "
                "supprimez-la d'abord pour en changer les réglages.",
            )
        else:
            messages.success(request, f"Alerte « {abonnement.get_kind_display()} » créée.")
        return redirect("extranet:alertes", pk=collectivite.pk)
    return render(
        request,
        "extranet/alertes.html",
        {
            "title": f"Mes alertes — {collectivite.nom}",
            "collectivite": collectivite,
            "abonnements": aq.abonnements_of(request.user, collectivite),
            "form": form,
            "menu": "alertes",
        },
    )


@require_POST
def alerte_supprimer(request: AuthenticatedHttpRequest, pk: int, abonnement: int) -> HttpResponse:
    collectivite = access.get_collectivite(request.user, pk)
    found = aq.abonnements_of(request.user, collectivite).filter(pk=abonnement).first()
    if found is None:
        raise Http404("Alerte introuvable.")
    with transaction.atomic():
        _journal(request, "extranet_alerte_desabonnement", found)
        found.delete()
    messages.success(request, f"Alerte « {found.get_kind_display()} » supprimée.")
    return redirect("extranet:alertes", pk=collectivite.pk)
