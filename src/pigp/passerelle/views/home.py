"""The passerelle's home for one collectivité: mailbox, latest flows, deposit."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from pigp.core.access import habilitations_in_force
from pigp.core.http import AuthenticatedHttpRequest
from pigp.core.models import Application, Profil
from pigp.passerelle import access

LATEST = 10
PROFILE_RANK: dict[str, int] = {
    Profil.CONSULTATION: 1,
    Profil.TRANSMISSION: 2,
    Profil.ADMINISTRATION: 3,
}


@require_GET
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    return redirect("passerelle:flux_all")


@require_GET
def collectivite_home(request: AuthenticatedHttpRequest, coll_pk: int) -> HttpResponse:
    user = request.user
    collectivite = access.get_collectivite(user, coll_pk)
    # The strongest profile in force, should the user hold more than one.
    habilitation = max(
        habilitations_in_force(user).filter(
            collectivite=collectivite, application=Application.PASSERELLE
        ),
        key=lambda h: PROFILE_RANK.get(h.profil, 0),
        default=None,
    )
    latest = list(
        access.flux_for(user)
        .filter(collectivite=collectivite)
        .select_related("collectivite", "sender_user", "sender_account")
        .order_by("-created_at", "-id")[:LATEST]
    )
    unread = access.mailbox_for(user).filter(collectivite=collectivite, read_at__isnull=True)
    return render(
        request,
        "passerelle/home.html",
        {
            "title": f"Passerelle — {collectivite.nom}",
            "collectivite": collectivite,
            "habilitation": habilitation,
            "latest": latest,
            "unread": unread.count(),
            "can_deposit": collectivite.pk in access.writable_collectivite_ids(user),
            "supervises": access.supervises(user),
        },
    )
