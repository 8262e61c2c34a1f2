"""Pages of the early-destruction offer: the adhesion, the attestations (page, JSON, PDF), the
deposit of digitised paper PJ. Every object goes through `orc.access`; rules live in
`adhesion`, `attestations` and `numerisation`."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pigp.core import journal
from pigp.core.http import AuthenticatedHttpRequest
from pigp.orc import access, adhesion, attestations, attestations_pdf, numerisation, silo
from pigp.orc.forms_adhesion import AdhesionForm, NumerisationForm
from pigp.orc.models import Adhesion, Attestation, KindAttestation, RoleDocument


def _adhesion_context(request: AuthenticatedHttpRequest, collectivite: Any) -> dict[str, Any]:
    user = request.user
    return {
        "title": f"Offre de destruction anticipée — {collectivite.nom}",
        "collectivite": collectivite,
        "adhesions": adhesion.history(collectivite.pk),
        "en_vigueur": adhesion.in_force(collectivite.pk),
        "peut_adherer": access.may_act(user, collectivite, access.ADHERER),
        "mensuelles": list(
            Attestation.objects.filter(
                collectivite=collectivite, kind=KindAttestation.MENSUELLE
            ).order_by("-periode")[:36]
        ),
    }


@require_http_methods(["GET", "POST"])
def adhesion_page(request: AuthenticatedHttpRequest, collectivite_pk: int) -> HttpResponse:
    if request.method == "POST":
        collectivite = access.require_act(request.user, collectivite_pk, access.ADHERER)
        form = AdhesionForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                adhesion.adherer(
                    collectivite,
                    request.user,
                    signee_le=data["signee_le"],
                    signataire=data["signataire"],
                    qualite=data["qualite"],
                    convention=data.get("convention"),
                    request=request,
                )
            except adhesion.AdhesionError as exc:
                form.add_error(None, str(exc))
            except silo.SiloError as exc:
                form.add_error(None, f"La convention n'a pas pu être archivée : {exc}.")
            else:
                messages.success(
                    request,
                    "L'adhésion est enregistrée : les pièces justificatives reçues à partir de "
                    "maintenant sont couvertes.",
                )
                return redirect("orc:adhesion", collectivite_pk=collectivite.pk)
        context = _adhesion_context(request, collectivite)
        return render(request, "orc/adhesion.html", {**context, "form": form}, status=400)
    collectivite = access.get_collectivite(request.user, collectivite_pk)
    context = _adhesion_context(request, collectivite)
    blank = AdhesionForm() if context["peut_adherer"] and not context["en_vigueur"] else None
    return render(request, "orc/adhesion.html", {**context, "form": blank})


@require_POST
def adhesion_resilier(request: AuthenticatedHttpRequest, collectivite_pk: int) -> HttpResponse:
    collectivite = access.require_act(request.user, collectivite_pk, access.ADHERER)
    if request.POST.get("confirmer") != "1":
        messages.error(request, "Cochez la case de confirmation pour résilier l'adhésion.")
    else:
        try:
            adhesion.resilier(collectivite, request.user, request=request)
        except adhesion.AdhesionError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                "L'adhésion est résiliée : les pièces reçues à partir de maintenant ne sont plus "
                "couvertes ; les attestations déjà émises restent valables.",
            )
    return redirect("orc:adhesion", collectivite_pk=collectivite.pk)


@require_GET
def adhesion_convention(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    """The signed convention's PDF (pk = Adhesion pk), for the collectivité's readers."""
    item = (
        Adhesion.objects.filter(
            pk=pk,
            collectivite_id__in=access.readable_ids(request.user),
            convention__isnull=False,
        )
        .select_related("convention", "collectivite")
        .first()
    )
    if item is None or item.convention is None:
        raise Http404("Convention introuvable.")
    journal.record(
        "orc_attestation_consultee",
        actor=request.user,
        obj=item,
        collectivite=item.collectivite_id,
        request=request,
        details={"document": "convention", "sha512": item.convention.sha512},
    )
    return FileResponse(
        silo.open_object(item.convention),
        as_attachment=True,
        filename=f"convention-destruction-anticipee-{item.collectivite.siret}.pdf",
        content_type="application/pdf",
    )


def _viewed(request: AuthenticatedHttpRequest, obj: Any, collectivite_id: int, form: str) -> None:
    journal.record(
        "orc_attestation_consultee",
        actor=request.user,
        obj=obj,
        collectivite=collectivite_id,
        request=request,
        details={"format": form},
    )


# Per unit ---------------------------------------------------------------------------------


@require_GET
def attestation(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    unit = access.get_unit(request.user, pk)
    items = attestations.for_unit(unit)
    # Re-reading every copy is for a unit not attested yet; once attested, only the documents
    # no attestation lists yet are named (from the database).
    verdict = None if items else attestations.eligibility(unit)
    done = attestations.attested_document_ids(unit) if items else set()
    documents = list(unit.documents.select_related("obj").order_by("pk"))
    _viewed(request, unit, unit.collectivite_id, "page")
    return render(
        request,
        "orc/attestation.html",
        {
            "title": f"Attestation d'archivage — {unit}",
            "collectivite": unit.collectivite,
            "unit": unit,
            "attestations": items,
            "verdict": verdict,
            "peut_deposer": access.may_act(request.user, unit.collectivite, access.DEPOSER),
            "numerises": [d for d in documents if d.role == RoleDocument.NUMERISE],
            "en_attente": [
                d
                for d in documents
                if items and d.role in attestations.LEGAL_ROLES and d.pk not in done
            ],
        },
    )


def _json(payload: dict[str, Any], filename: str) -> JsonResponse:
    response = JsonResponse(payload, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
def attestation_json(request: AuthenticatedHttpRequest, pk: int) -> JsonResponse:
    unit = access.get_unit(request.user, pk)
    items = attestations.for_unit(unit)
    _viewed(request, unit, unit.collectivite_id, "json")
    return _json(
        {
            "unite": unit.pk,
            "attestations": [
                {"empreinte": a.empreinte, "contenu": a.contenu, "algorithme": "SHA-512"}
                for a in items
            ],
        },
        f"attestation-archivage-{unit.pk}.json",
    )


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
def attestation_pdf(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    unit = access.get_unit(request.user, pk)
    items = attestations.for_unit(unit)
    if not items:
        messages.error(request, "Cette pièce n'a pas encore d'attestation d'archivage.")
        return redirect("orc:attestation", pk=unit.pk)
    n = request.GET.get("rang", "")
    chosen = items[int(n) - 1] if n.isdigit() and 1 <= int(n) <= len(items) else items[-1]
    _viewed(request, chosen, unit.collectivite_id, "pdf")
    return _pdf(attestations_pdf.render(chosen), f"attestation-archivage-{unit.pk}-{chosen.pk}.pdf")


# Monthly ------------------------------------------------------------------------------------


@require_GET
def attestation_mensuelle(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = access.get_attestation(request.user, pk, KindAttestation.MENSUELLE)
    _viewed(request, item, item.collectivite_id, "page")
    assert item.periode is not None
    return render(
        request,
        "orc/attestation_mensuelle.html",
        {
            "title": f"Attestation récapitulative — {attestations.month_label(item.periode)}",
            "collectivite": item.collectivite,
            "item": item,
            "mois": attestations.month_label(item.periode),
        },
    )


@require_GET
def attestation_mensuelle_json(request: AuthenticatedHttpRequest, pk: int) -> JsonResponse:
    item = access.get_attestation(request.user, pk, KindAttestation.MENSUELLE)
    _viewed(request, item, item.collectivite_id, "json")
    return _json(
        {"empreinte": item.empreinte, "contenu": item.contenu, "algorithme": "SHA-512"},
        f"attestation-mensuelle-{item.contenu.get('mois', item.pk)}.json",
    )


@require_GET
def attestation_mensuelle_pdf(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = access.get_attestation(request.user, pk, KindAttestation.MENSUELLE)
    _viewed(request, item, item.collectivite_id, "pdf")
    return _pdf(attestations_pdf.render(item), attestations.mailbox_name(item).replace("/", "-"))


# Digitised paper PJ -------------------------------------------------------------------------


def _numerisation_context(unit: Any, **extra: Any) -> dict[str, Any]:
    size = settings.PIGP_ORC_NUMERISATION_MAX_SIZE
    return {
        "title": f"Déposer une PJ papier numérisée — {unit}",
        "collectivite": unit.collectivite,
        "unit": unit,
        "max_size_mo": max(size // 1_000_000, 1),
        **extra,
    }


@require_http_methods(["GET", "POST"])
def numerisation_depot(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    unit = access.get_unit(request.user, pk)
    access.require_act(request.user, unit.collectivite_id, access.DEPOSER)
    if request.method == "GET":
        form = NumerisationForm()
        return render(request, "orc/numerisation.html", _numerisation_context(unit, form=form))
    form = NumerisationForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        upload = data["fichier"]
        try:
            numerisation.deposer(
                unit,
                request.user,
                upload,
                nom=upload.name or "",
                size=upload.size,
                meta={k: v for k, v in data.items() if k != "fichier"},
                request=request,
            )
        except numerisation.NumerisationError as exc:
            form.add_error("fichier", str(exc))
        except silo.SiloError as exc:
            form.add_error(None, f"Le document n'a pas pu être archivé : {exc}.")
        else:
            attestation_issued = unit.couverte and attestations.issue_for(unit) is not None
            messages.success(
                request,
                "Le document numérisé est archivé"
                + (" et figure sur une attestation d'archivage." if attestation_issued else "."),
            )
            return redirect("orc:attestation", pk=unit.pk)
    return render(
        request, "orc/numerisation.html", _numerisation_context(unit, form=form), status=400
    )
