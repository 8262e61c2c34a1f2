"""The user's notification preferences (one digest e-mail when files arrive)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from pigp.core import journal
from pigp.core.http import AuthenticatedHttpRequest
from pigp.passerelle.forms import PreferencesForm
from pigp.passerelle.models import NotificationPreference


@require_http_methods(["GET", "POST"])
def preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    current = NotificationPreference.objects.filter(user=request.user).first()
    initial = {
        "acquittements": current.acquittements if current else True,
        "retours": current.retours if current else True,
    }
    form = PreferencesForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        pref, _ = NotificationPreference.objects.update_or_create(
            user=request.user, defaults=form.cleaned_data
        )
        journal.record(
            "passerelle_preferences",
            actor=request.user,
            obj=pref,
            request=request,
            details=form.cleaned_data,
        )
        messages.success(request, "Vos préférences de notification sont enregistrées.")
        return redirect("passerelle:preferences")
    return render(
        request,
        "passerelle/preferences.html",
        {"title": "Avis par courriel de la passerelle", "form": form},
    )
