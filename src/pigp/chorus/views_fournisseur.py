"""The supplier's pages: deposit, « Mes factures » (and an invoice's corrections), « Mes dépôts ».
Thin views over `access` (every page starts with `get_compte_fournisseur`: 404 for anyone but a
confirmed supplier account) and the deposit service."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pigp.chorus import access, depot, statuts
from pigp.chorus.forms_fournisseur import (
    AdressageForm,
    ChampsPdfForm,
    ComplementForm,
    MesFacturesFilterForm,
)
from pigp.chorus.models import CompteFournisseur, Depot, Facture, StatutFacture
from pigp.chorus.views import _file
from pigp.core import files
from pigp.core.http import AuthenticatedHttpRequest
from pigp.ui.text import pluriel

PAGE_SIZE = 50


def _context(compte: CompteFournisseur, menu: str, title: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": title,
        "compte": compte,
        "fournisseur": compte.fournisseur,
        "menu": menu,
        **extra,
    }


def _limits() -> dict[str, int]:
    size = settings.PIGP_CHORUS_DEPOT_MAX_SIZE
    return {
        "max_size": size,
        "max_size_mo": max(size // 1_000_000, 1),
        "max_files": settings.PIGP_CHORUS_DEPOT_MAX_FILES,
    }


def _deposit_one(
    compte: CompteFournisseur, request: AuthenticatedHttpRequest, upload: Any, champs: dict
) -> Depot | str:
    """One uploaded file through `deposer`: its receipt, or why it could not even be received."""
    nom = (upload.name or "facture")[:255]
    max_size = settings.PIGP_CHORUS_DEPOT_MAX_SIZE
    if upload.size > max_size:
        return f"{nom} : le fichier dépasse la taille maximale de {max_size // 1_000_000} Mo."
    if upload.size == 0:
        return f"{nom} : le fichier est vide."
    try:
        with files.spool(upload, max_size=max_size) as spooled:
            return depot.deposer(
                compte.fournisseur, request.user, spooled, nom, champs_saisis=champs or None
            )
    except files.FileTooLargeError:
        return f"{nom} : le fichier dépasse la taille maximale de {max_size // 1_000_000} Mo."
    except depot.DepotError as exc:
        return f"{nom} : {exc}"


@require_http_methods(["GET", "POST"])
def deposer(request: AuthenticatedHttpRequest) -> HttpResponse:
    compte = access.get_compte_fournisseur(request.user)
    title = "Déposer des factures"
    if request.method == "GET":
        form = ChampsPdfForm()
        return render(
            request,
            "chorus/fournisseur/depot_form.html",
            _context(compte, "depot", title, form=form, **_limits()),
        )
    uploads = request.FILES.getlist("fichiers")
    # The typed fields go to the service as typed: it says in the receipt what is missing or
    # malformed, and the file is kept whatever they hold.
    champs = {
        name: request.POST.get(name, "").strip()
        for name in ChampsPdfForm.base_fields
        if request.POST.get(name, "").strip()
    }
    error = ""
    if not uploads:
        error = "Choisissez au moins un fichier à déposer."
    elif len(uploads) > settings.PIGP_CHORUS_DEPOT_MAX_FILES:
        error = (
            f"Vous avez choisi {len(uploads)} fichiers : déposez-en "
            f"{settings.PIGP_CHORUS_DEPOT_MAX_FILES} au plus à la fois."
        )
    if error:
        form = ChampsPdfForm(initial=champs)
        return render(
            request,
            "chorus/fournisseur/depot_form.html",
            _context(compte, "depot", title, form=form, error=error, **_limits()),
            status=400,
        )
    results = [_deposit_one(compte, request, upload, champs) for upload in uploads]
    depots = [r for r in results if isinstance(r, Depot)]
    return render(
        request,
        "chorus/fournisseur/depot_resultat.html",
        _context(
            compte,
            "depot",
            f"Résultat du dépôt — {pluriel(len(uploads), 'fichier')}",
            depots=depots,
            erreurs=[r for r in results if isinstance(r, str)],
        ),
    )


@require_GET
def factures(request: AuthenticatedHttpRequest) -> HttpResponse:
    compte = access.get_compte_fournisseur(request.user)
    form = MesFacturesFilterForm(request.GET or None)
    filters = form.filters()
    qs = Facture.objects.filter(fournisseur_id=compte.fournisseur_id)
    if filters.get("statut"):
        qs = qs.filter(statut=filters["statut"])
    if filters.get("numero"):
        qs = qs.filter(numero__icontains=filters["numero"])
    qs = qs.select_related("collectivite").order_by("-date_reception", "-pk")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "chorus/fournisseur/factures.html",
        _context(compte, "factures", "Mes factures", form=form, page_obj=page),
    )


def _facture(request: AuthenticatedHttpRequest, pk: int) -> tuple[CompteFournisseur, Facture]:
    compte = access.get_compte_fournisseur(request.user)
    item = access.get_facture_of_supplier(request.user, pk)
    return compte, item


@require_GET
def facture(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    compte, item = _facture(request, pk)
    item = Facture.objects.select_related("collectivite", "service", "pdf", "original").get(
        pk=item.pk
    )
    return render(
        request,
        "chorus/fournisseur/facture.html",
        _context(
            compte,
            "factures",
            f"{item} — Mes factures",
            facture=item,
            events=item.events.order_by("at", "pk"),
            depots=item.depots.order_by("recu_le", "pk"),
            adressage_form=AdressageForm(
                initial={
                    "siret_acheteur": item.siret_acheteur,
                    "code_service": item.code_service,
                    "numero_engagement": item.numero_engagement,
                }
            )
            if item.statut == StatutFacture.A_RECYCLER
            else None,
            complement_form=ComplementForm() if item.statut == StatutFacture.SUSPENDUE else None,
        ),
    )


@require_POST
def resoumettre(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _compte, item = _facture(request, pk)
    form = AdressageForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("chorus:fournisseur_facture", pk=item.pk)
    try:
        receipt = depot.resoumettre(
            item,
            request.user,
            siret_acheteur=form.cleaned_data["siret_acheteur"],
            code_service=form.cleaned_data["code_service"],
            numero_engagement=form.cleaned_data["numero_engagement"],
        )
    except statuts.TransitionError as exc:
        messages.error(request, str(exc))
        return redirect("chorus:fournisseur_facture", pk=item.pk)
    if receipt.issue == "acceptee":
        messages.success(request, "La facture est de nouveau soumise : son destinataire la reçoit.")
    else:
        messages.warning(
            request, "L'adressage n'est toujours pas accepté : la facture reste à recycler."
        )
    return redirect("chorus:fournisseur_facture", pk=item.pk)


@require_POST
def completer(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _compte, item = _facture(request, pk)
    form = ComplementForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Dites ce que vous apportez pour compléter la facture.")
        return redirect("chorus:fournisseur_facture", pk=item.pk)
    try:
        depot.completer(item, request.user, commentaire=form.cleaned_data["commentaire"])
    except statuts.TransitionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, "La facture est complétée : son destinataire reprend son traitement."
        )
    return redirect("chorus:fournisseur_facture", pk=item.pk)


@require_GET
def depots(request: AuthenticatedHttpRequest) -> HttpResponse:
    compte = access.get_compte_fournisseur(request.user)
    qs = (
        Depot.objects.filter(fournisseur_id=compte.fournisseur_id)
        .select_related("facture")
        .order_by("-recu_le", "-pk")
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "chorus/fournisseur/depots.html",
        _context(compte, "depots", "Mes dépôts", page_obj=page),
    )


@require_GET
def depot_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    compte = access.get_compte_fournisseur(request.user)
    item = access.get_depot_of_supplier(compte, pk)
    return render(
        request,
        "chorus/fournisseur/depot.html",
        _context(compte, "depots", f"Compte rendu de dépôt — {item.nom_fichier}", depot=item),
    )


@require_GET
def depot_fichier(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    compte = access.get_compte_fournisseur(request.user)
    item = access.get_depot_of_supplier(compte, pk)
    return _file(item.fichier, item.nom_fichier, inline=False)
