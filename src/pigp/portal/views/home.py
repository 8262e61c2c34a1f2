"""Home ("mes applications"), account, application entry pages and public pages."""

from __future__ import annotations

from collections import OrderedDict

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_otp import user_has_device

from pigp.chorus.models import CompteFournisseur
from pigp.core.access import get_collectivite_for_user, habilitations_in_force
from pigp.core.http import AuthenticatedHttpRequest
from pigp.core.models import Application, Habilitation
from pigp.helios import overview

SESSION_KEY = "collectivite_courante"

APPLICATION_TEXTS = {
    Application.PASSERELLE: "Déposer et recevoir vos flux PES et fichiers SEPA, accusés de réception et retours.",
    Application.EXTRANET: "Consulter l'état des paiements, du recouvrement et de la trésorerie.",
    Application.CHORUS: "Recevoir et traiter les factures électroniques de vos fournisseurs.",
    Application.ORC: "Rechercher et consulter les pièces archivées des exercices clos.",
}


def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    habilitations = list(
        habilitations_in_force(request.user)
        .select_related("collectivite")
        .order_by("collectivite__nom", "application")
    )
    by_collectivite: OrderedDict[int, dict] = OrderedDict()
    for hab in habilitations:
        entry = by_collectivite.setdefault(
            hab.collectivite_id, {"collectivite": hab.collectivite, "applications": []}
        )
        entry["applications"].append(
            {
                "code": hab.application,
                "label": hab.get_application_display(),
                "profil": hab.get_profil_display(),
                "text": APPLICATION_TEXTS[Application(hab.application)],
            }
        )
    current_id = request.session.get(SESSION_KEY)
    if current_id not in by_collectivite:
        current_id = next(iter(by_collectivite), None)
    pending = Habilitation.objects.pending().filter(user=request.user).count()
    context: dict[str, object] = {
        "title": "Mes applications",
        "collectivites": list(by_collectivite.values()),
        "current": by_collectivite.get(current_id) if current_id is not None else None,
        "pending_count": pending,
    }
    if not habilitations and not request.user.poste_id:
        # A supplier's user holds no habilitation: its home is the supplier space.
        context["compte_fournisseur"] = (
            CompteFournisseur.objects.select_related("fournisseur")
            .filter(user=request.user)
            .first()
        )
    if request.user.poste_id:
        # A comptable's home is his work: the queue, what remains to pay and to recover, the
        # habilitation requests of his collectivités.
        context["title"] = "Mon poste comptable"
        context["poste"] = overview.for_comptable(request.user)
        context["demandes"] = (
            Habilitation.objects.pending()
            .filter(collectivite__poste_id=request.user.poste_id)
            .count()
        )
    return render(request, "portal/home.html", context)


@require_POST
def switch_collectivite(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        pk = int(request.POST.get("collectivite", ""))
    except ValueError:
        raise Http404("Collectivité introuvable.") from None
    if not habilitations_in_force(request.user).filter(collectivite_id=pk).exists():
        raise Http404("Collectivité introuvable.")
    request.session[SESSION_KEY] = pk
    return redirect("portal:home")


def application_entry(
    request: AuthenticatedHttpRequest, application: str, collectivite_pk: int
) -> HttpResponse:
    """Entry page of one application for one collectivité; each application fills it in later."""
    try:
        app = Application(application)
    except ValueError:
        raise Http404("Application inconnue.") from None
    collectivite, habilitation = get_collectivite_for_user(request.user, collectivite_pk, app)
    if app is Application.PASSERELLE:
        return redirect("passerelle:home", coll_pk=collectivite.pk)
    if app is Application.EXTRANET:
        return redirect("extranet:tableau_de_bord", pk=collectivite.pk)
    if app is Application.CHORUS:
        return redirect("chorus:inbox", pk=collectivite.pk)
    if app is Application.ORC:
        return redirect(f"{reverse('orc:recherche')}?collectivite={collectivite.pk}")
    return render(
        request,
        "portal/application.html",
        {
            "title": f"{app.label} — {collectivite.nom}",
            "application": app,
            "collectivite": collectivite,
            "habilitation": habilitation,
            "text": APPLICATION_TEXTS[app],
        },
    )


def account(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    habilitations = (
        Habilitation.objects.filter(user=user)
        .select_related("collectivite", "decidee_par")
        .order_by("collectivite__nom", "application", "-demandee_le")
    )
    return render(
        request,
        "portal/account.html",
        {
            "title": "Mon compte",
            "habilitations": habilitations,
            "has_otp": user_has_device(user, confirmed=True),
        },
    )


@login_not_required
def accessibilite(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/accessibilite.html", {"title": "Accessibilité"})


@login_not_required
def mentions(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/mentions.html", {"title": "Mentions légales"})
