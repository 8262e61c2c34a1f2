"""Pages of retention and elimination (bordereaux, visa, execution, legal hold) and of SEDA
transfers. Thin: access through `access`, rules in `retention`, `elimination` and `seda`."""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pigp.core import files, journal
from pigp.core.http import AuthenticatedHttpRequest
from pigp.orc import access, elimination, retention
from pigp.orc import seda as orc_seda
from pigp.orc.elimination_pdf import render as elimination_pdf_render
from pigp.orc.forms_elimination import MotifForm, RefusForm, ReponseForm, TransfertForm
from pigp.orc.models import ArchiveUnit, StatutElimination

UNITS_SHOWN = 500


@require_GET
def eliminations(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    bordereaux = (
        access.eliminations_for(user)
        .select_related("collectivite")
        .annotate(nb_unites=Count("units"))
        .order_by("-cree_le", "-pk")[:200]
    )
    return render(
        request,
        "orc/eliminations.html",
        {
            "title": "Éliminations et transferts",
            "bordereaux": bordereaux,
            "archivables": access.collectivites_acting(user, access.ARCHIVER),
            "lisibles": access.collectivites_for(user),
        },
    )


@require_http_methods(["GET", "POST"])
def elimination_eligibles(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    collectivite = access.require_act(request.user, pk, access.ARCHIVER)
    today = timezone.localdate()
    if request.method == "POST":
        try:
            bordereau = elimination.etablir(collectivite, request.user, today, request=request)
        except elimination.EliminationError as exc:
            messages.error(request, str(exc))
            return redirect("orc:elimination_eligibles", pk=collectivite.pk)
        messages.success(request, f"Bordereau {bordereau.numero} établi.")
        return redirect("orc:elimination", pk=bordereau.pk)
    found = elimination.eligible(collectivite, today)
    return render(
        request,
        "orc/elimination_eligibles.html",
        {
            "title": f"Pièces éliminables — {collectivite.nom}",
            "collectivite": collectivite,
            "found": found,
            "eligibles": found.eligibles[:UNITS_SHOWN],
        },
    )


@require_GET
def elimination_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    bordereau = access.get_elimination(request.user, pk)
    units = bordereau.units.order_by("annee", "domaine", "numero_bordereau", "numero", "pk")
    archivist = access.may_act(request.user, bordereau.collectivite, access.ARCHIVER)
    agent = access.may_vise(request.user, bordereau)
    return render(
        request,
        "orc/elimination.html",
        {
            "title": f"Bordereau d'élimination {bordereau.numero}",
            "bordereau": bordereau,
            "units": units[:UNITS_SHOWN],
            "nb_units": units.count(),
            "can_approve": archivist and bordereau.statut == StatutElimination.PROJET,
            "can_execute": archivist and bordereau.statut == StatutElimination.VISE,
            "can_vise": agent and bordereau.statut == StatutElimination.APPROUVE,
            "refus_form": RefusForm(),
        },
    )


def _step(request: AuthenticatedHttpRequest, pk: int, step: str) -> HttpResponse:
    bordereau = access.get_elimination(request.user, pk)
    try:
        if step == "approuver":
            elimination.approuver(bordereau, request.user, request=request)
            messages.success(
                request, "Bordereau approuvé : il attend le visa du service d'archives."
            )
        elif step == "viser":
            elimination.viser(bordereau, request.user, request=request)
            messages.success(request, "Visa donné : l'archiviste peut exécuter l'élimination.")
        elif step == "refuser":
            form = RefusForm(request.POST)
            if not form.is_valid():
                messages.error(request, "Indiquez le motif du refus (500 caractères au plus).")
                return redirect("orc:elimination", pk=pk)
            elimination.refuser(
                bordereau, request.user, form.cleaned_data["motif"], request=request
            )
            messages.success(request, "Bordereau refusé.")
        else:
            done = elimination.executer(
                bordereau, request.user, timezone.localdate(), request=request
            )
            messages.success(
                request,
                f"Élimination exécutée : {done.units.count()} pièce(s) éliminée(s), "
                f"{len(done.ecartees)} écartée(s).",
            )
    except elimination.EliminationError as exc:
        messages.error(request, str(exc))
    except (elimination.silo.SiloError, OSError) as exc:
        messages.error(
            request,
            f"La destruction n'a pas pu être achevée ({exc}) ; elle sera reprise automatiquement.",
        )
    return redirect("orc:elimination", pk=pk)


@require_POST
def elimination_approuver(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _step(request, pk, "approuver")


@require_POST
def elimination_viser(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _step(request, pk, "viser")


@require_POST
def elimination_refuser(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _step(request, pk, "refuser")


@require_POST
def elimination_executer(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _step(request, pk, "executer")


@require_GET
def elimination_csv(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    bordereau = access.get_elimination(request.user, pk)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["Bordereau", bordereau.numero, bordereau.get_statut_display()])
    writer.writerow(["Collectivité", bordereau.collectivite.nom, bordereau.collectivite.siret])
    writer.writerow([])
    writer.writerow(
        [
            "Exercice",
            "Nature",
            "Bordereau",
            "Pièce",
            "Objet",
            "Tiers",
            "Montant TTC",
            "Fin de DUA",
            "Statut",
        ]
    )
    for unit in bordereau.units.order_by("annee", "domaine", "numero_bordereau", "numero", "pk"):
        writer.writerow(
            [
                unit.annee,
                "Mandat" if unit.domaine == "depense" else "Titre",
                unit.numero_bordereau,
                unit.numero,
                unit.objet,
                unit.tiers_nom,
                unit.mt_ttc,
                unit.dua_fin.isoformat() if unit.dua_fin else "",
                unit.get_statut_display(),
            ]
        )
    for ecartee in bordereau.ecartees:
        writer.writerow(
            [
                ecartee.get("annee"),
                "Écartée",
                ecartee.get("bordereau"),
                ecartee.get("numero"),
                ecartee.get("raison"),
            ]
        )
    response = HttpResponse(
        ("\ufeff" + out.getvalue()).encode(), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{bordereau.numero}.csv"'
    return response


@require_GET
def elimination_pdf(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    bordereau = access.get_elimination(request.user, pk)
    response = HttpResponse(elimination_pdf_render(bordereau), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{bordereau.numero}.pdf"'
    return response


@require_http_methods(["GET", "POST"])
def gel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    unit = access.get_unit(request.user, pk)
    if not access.may_act(request.user, unit.collectivite, access.ARCHIVER):
        raise PermissionDenied(
            "Seul l'archiviste de la collectivité peut geler ou dégeler une pièce."
        )
    form = MotifForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            if request.POST.get("lever"):
                retention.lift_gel(unit, request.user, form.cleaned_data["motif"], request=request)
                messages.success(request, "Gel levé.")
            else:
                retention.set_gel(unit, request.user, form.cleaned_data["motif"], request=request)
                messages.success(request, "Pièce gelée : aucune élimination ne la touchera.")
        except retention.RetentionError as exc:
            messages.error(request, str(exc))
        return redirect("orc:gel", pk=unit.pk)
    return render(
        request,
        "orc/gel.html",
        {"title": f"Gel — {unit}", "unit": unit, "form": form, "dua_fin": retention.dua_fin(unit)},
    )


@require_http_methods(["GET", "POST"])
def transferts(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    collectivite = access.get_collectivite(request.user, pk)
    archivist = access.may_act(request.user, collectivite, access.ARCHIVER)
    form = TransfertForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not archivist:
            raise PermissionDenied(
                "Seul l'archiviste de la collectivité peut préparer un transfert."
            )
        if form.is_valid():
            data = form.cleaned_data
            pieces: tuple[int, ...] = ()
            if data["kind"] == "pieces":
                found = dict(
                    ArchiveUnit.objects.filter(
                        collectivite=collectivite, annee=data["annee"], numero__in=data["numeros"]
                    ).values_list("numero", "pk")
                )
                missing = [n for n in data["numeros"] if n not in found]
                if missing:
                    form.add_error(
                        "pieces", f"Pièce(s) introuvable(s) : {', '.join(missing[:10])}."
                    )
                pieces = tuple(found.values())
            if form.is_valid():
                selection = orc_seda.Selection(
                    data["kind"],
                    annee=data["annee"],
                    bordereau=data.get("bordereau") or "",
                    domaine=data.get("domaine") or "",
                    pieces=pieces,
                )
                try:
                    transfert = orc_seda.exporter(
                        collectivite, request.user, selection, request=request
                    )
                except orc_seda.TransfertError as exc:
                    messages.error(request, str(exc))
                else:
                    messages.success(request, f"Transfert {transfert.identifiant} préparé.")
                    return redirect("orc:transfert", pk=transfert.pk)
    return render(
        request,
        "orc/transferts.html",
        {
            "title": f"Transferts SEDA — {collectivite.nom}",
            "collectivite": collectivite,
            "transferts": access.transferts_for(request.user)
            .filter(collectivite=collectivite)
            .select_related("cree_par")
            .annotate(nb_unites=Count("units"))
            .order_by("-cree_le", "-pk")[:200],
            "form": form if archivist else None,
        },
    )


@require_GET
def transfert(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    found = access.get_transfert(request.user, pk)
    archivist = access.may_act(request.user, found.collectivite, access.ARCHIVER)
    return render(
        request,
        "orc/transfert.html",
        {
            "title": f"Transfert {found.identifiant}",
            "transfert": found,
            "nb_units": found.units.count(),
            "archivist": archivist,
            "form": ReponseForm() if archivist and found.statut == "envoye" else None,
        },
    )


@require_GET
def transfert_paquet(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    found = access.get_transfert(request.user, pk)
    if not access.may_act(request.user, found.collectivite, access.ARCHIVER):
        raise PermissionDenied("Seul l'archiviste de la collectivité peut télécharger le paquet.")
    journal.record(
        "orc_transfert_telecharge",
        actor=request.user,
        obj=found,
        collectivite=found.collectivite_id,
        request=request,
        details={"identifiant": found.identifiant},
    )
    return FileResponse(
        files.open_stored(found.paquet),
        as_attachment=True,
        filename=f"{found.identifiant}.zip",
        content_type="application/zip",
    )


@require_POST
def transfert_reponse(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    found = access.get_transfert(request.user, pk)
    if not access.may_act(request.user, found.collectivite, access.ARCHIVER):
        raise PermissionDenied("Seul l'archiviste de la collectivité peut importer la réponse.")
    form = ReponseForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("orc:transfert", pk=pk)
    try:
        done = orc_seda.importer_reponse(
            found, request.user, form.cleaned_data["fichier"], request=request
        )
    except orc_seda.TransfertError as exc:
        messages.error(request, f"Réponse refusée : {exc}")
    else:
        messages.success(
            request, f"Réponse importée : transfert {done.get_statut_display().lower()}."
        )
    return redirect("orc:transfert", pk=pk)
