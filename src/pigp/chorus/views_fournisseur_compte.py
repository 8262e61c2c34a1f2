"""The supplier's account: self-registration and its confirmation (public pages, like the
portal's login and password reset), and the supplier's API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pigp.chorus import access, fournisseurs
from pigp.chorus.forms_fournisseur import InscriptionForm, JetonForm
from pigp.chorus.views_fournisseur import _context
from pigp.core.http import AuthenticatedHttpRequest
from pigp.passerelle.accounts import AccountError

TOO_MANY = (
    "Trop d'inscriptions ont été demandées depuis votre connexion : réessayez dans une heure."
)


@login_not_required
@require_http_methods(["GET", "POST"])
def inscription(request: HttpRequest) -> HttpResponse:
    form = InscriptionForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        if fournisseurs.too_many(request):
            error = TOO_MANY
        else:
            fournisseurs.inscrire(
                siret=form.cleaned_data["siret"],
                raison_sociale=form.cleaned_data["raison_sociale"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                request=request,
            )
            # One answer whatever happened: it never says whether the SIRET or the address
            # was known.
            return redirect("chorus:inscription_envoyee")
    return render(
        request,
        "chorus/fournisseur/inscription.html",
        {"title": "Inscription d'un fournisseur", "form": form, "error": error},
        status=429 if error else 200,
    )


@login_not_required
@require_GET
def inscription_envoyee(request: HttpRequest) -> HttpResponse:
    return render(
        request, "chorus/fournisseur/inscription_envoyee.html", {"title": "Inscription enregistrée"}
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def inscription_confirmer(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the button (a mail scanner opening the link confirms nothing); POST confirms."""
    try:
        compte = fournisseurs.compte_du_lien(token)
    except fournisseurs.ConfirmationError as exc:
        return render(
            request,
            "chorus/fournisseur/confirmation.html",
            {"title": "Confirmation impossible", "error": str(exc)},
            status=400,
        )
    done = compte.confirme
    if request.method == "POST" and not done:
        fournisseurs.confirmer(compte, request)
        done = True
    return render(
        request,
        "chorus/fournisseur/confirmation.html",
        {"title": "Confirmation du compte fournisseur", "compte": compte, "done": done},
    )


@require_http_methods(["GET", "POST"])
def jetons(request: AuthenticatedHttpRequest) -> HttpResponse:
    compte = access.get_compte_fournisseur(request.user)
    form = JetonForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = fournisseurs.creer_jeton(compte, form.cleaned_data["label"], request)
        except AccountError as exc:
            messages.error(request, str(exc))
        else:
            form = JetonForm()
    return render(
        request,
        "chorus/fournisseur/jetons.html",
        _context(
            compte,
            "jetons",
            "Jetons d'API",
            form=form,
            issued=issued,
            jetons=fournisseurs.jetons(compte.fournisseur),
        ),
    )


@require_POST
def jeton_revoquer(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    compte = access.get_compte_fournisseur(request.user)
    token = fournisseurs.jetons(compte.fournisseur).filter(pk=pk).first()
    if token is None:
        raise Http404("Jeton introuvable.")
    fournisseurs.revoquer_jeton(compte, token, request)
    messages.success(request, f"Le jeton {token.prefix}… est révoqué : il ne permet plus rien.")
    return redirect("chorus:fournisseur_jetons")
