"""Chorus API, the recipient's services (after Chorus Pro's « Rechercher facture par
récipiendaire », « Consulter facture », « Consulter historique », « Traiter facture reçue »).

Views stay thin: who reaches which invoice is `pigp.api.chorus_access` (built on
`pigp.chorus.access`), what a decision does is `pigp.chorus.traitement`.
"""

from __future__ import annotations

import datetime
import math
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBase
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from pigp.api import chorus_access
from pigp.api.chorus_serializers import (
    FactureDetailSerializer,
    FacturePageSerializer,
    FactureSerializer,
    HistoriqueSerializer,
    StatutChangeSerializer,
    StatutField,
)
from pigp.api.serializers import ErrorSerializer
from pigp.api.views import E400, E401, E403, E404, ApiView, Conflict, FileView
from pigp.chorus import inbox, statuts, traitement
from pigp.chorus.models import Facture, StatutFacture
from pigp.core import files
from pigp.core.models import StoredFile
from pigp.formats import invoice as einvoice
from pigp.formats.invoice.render import to_pdf

TAG = ["Chorus Pro — factures reçues"]
S = StatutFacture
# An action's fields: JSON, or a form (`curl -d` / `-F`).
FORM_PARSERS = [JSONParser, FormParser, MultiPartParser]
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
SORTS = {**inbox.SORTS, "statut_le": ("statut_le", "pk")}
SORT_HELP = "Tri : " + ", ".join(sorted(SORTS)) + " ; préfixe « - » pour décroissant."


# --- common to both sides ------------------------------------------------------------------


class PageFilters(serializers.Serializer):
    page = serializers.IntegerField(
        required=False, min_value=1, max_value=10**6, help_text="Page demandée (1 par défaut)."
    )
    page_size = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_PAGE_SIZE,
        help_text=f"Factures par page ({PAGE_SIZE} par défaut, {MAX_PAGE_SIZE} au plus).",
    )
    tri = serializers.ChoiceField(
        choices=[k for key in sorted(SORTS) for k in (key, f"-{key}")],
        required=False,
        help_text=SORT_HELP + " Par défaut : -reception (les plus récentes d'abord).",
    )


def paginate(request: Request, qs: QuerySet[Facture], values: dict[str, Any]) -> dict[str, Any]:
    """One page of `qs`, sorted by `tri`, with its total: a count and one query for the rows."""
    qs, _ = inbox.sort(qs, values.get("tri") or inbox.DEFAULT_SORT)
    if (tri := values.get("tri")) and tri.removeprefix("-") == "statut_le":
        qs = qs.order_by(*[f"-{f}" if tri.startswith("-") else f for f in SORTS["statut_le"]])
    size = values.get("page_size") or PAGE_SIZE
    page = values.get("page") or 1
    total = qs.count()
    pages = max(1, math.ceil(total / size))
    rows = list(qs[(page - 1) * size : page * size]) if page <= pages else []
    url = request.build_absolute_uri()
    return {
        "total": total,
        "page": page,
        "pages": pages,
        "next": replace_query_param(url, "page", page + 1) if page < pages else None,
        "previous": (
            None
            if page == 1
            else (
                remove_query_param(url, "page")
                if page == 2
                else replace_query_param(url, "page", min(page - 1, pages))
            )
        ),
        "rows": rows,
    }


def _day(day: datetime.date, *, after: bool = False) -> datetime.datetime:
    """Midnight (Paris) of `day`, or of the day after; dates out of range are clamped."""
    day = min(max(day, datetime.date(1900, 1, 1)), datetime.date(9000, 1, 1))
    if after:
        day += datetime.timedelta(days=1)
    return datetime.datetime.combine(day, datetime.time(), timezone.get_current_timezone())


def download(stored: StoredFile, filename: str, content_type: str) -> FileResponse:
    """A file as an attachment that the browser must not sniff nor keep."""
    response = FileResponse(
        files.open_stored(stored),
        as_attachment=True,
        filename=filename,
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def pdf_response(facture: Facture) -> HttpResponseBase:
    """The invoice's PDF: the deposited one (Factur-X, plain PDF), or rendered from its XML."""
    name = f"facture-{_safe(facture.numero)}.pdf"
    if facture.pdf is not None:
        return download(facture.pdf, name, "application/pdf")
    with files.open_stored(facture.original) as fh:
        data = fh.read()
    try:
        report = einvoice.read(data)
    except einvoice.InvoiceError:
        report = None
    if report is None or report.invoice is None:
        raise Http404("Le PDF de cette facture n'a pas pu être produit.")
    response = HttpResponse(to_pdf(report.invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def original_response(facture: Facture) -> FileResponse:
    ext = {"application/pdf": "pdf", "application/xml": "xml"}.get(
        facture.original.media_type, "bin"
    )
    return download(
        facture.original, f"facture-{_safe(facture.numero)}.{ext}", "application/octet-stream"
    )


def _safe(numero: str) -> str:
    kept = "".join(c if c.isalnum() or c in "-_." else "_" for c in numero)
    return kept.strip("._")[:80] or "facture"


def file_responses(media_type: str, description: str) -> dict[Any, OpenApiResponse]:
    return {
        (200, media_type): OpenApiResponse(OpenApiTypes.BINARY, description=description),
        401: E401,
        404: E404,
    }


# --- search --------------------------------------------------------------------------------


class RechercheFilters(PageFilters):
    statut = StatutField(required=False, help_text="Statut courant (code CPPStatutPivot).")
    fournisseur = serializers.CharField(
        required=False, max_length=14, help_text="SIRET du fournisseur (ou son début)."
    )
    numero = serializers.CharField(required=False, max_length=100, help_text="N° de facture.")
    destinataire = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="Collectivité destinataire."
    )
    depose_du = serializers.DateField(required=False, help_text="Reçues ce jour ou après.")
    depose_au = serializers.DateField(required=False, help_text="Reçues ce jour ou avant.")
    emise_du = serializers.DateField(required=False, help_text="Émises ce jour ou après.")
    emise_au = serializers.DateField(required=False, help_text="Émises ce jour ou avant.")
    montant_min = serializers.DecimalField(
        required=False, max_digits=16, decimal_places=2, help_text="Montant TTC minimum."
    )
    montant_max = serializers.DecimalField(
        required=False, max_digits=16, decimal_places=2, help_text="Montant TTC maximum."
    )
    code_service = serializers.CharField(required=False, max_length=100, help_text="Code service.")
    engagement = serializers.CharField(
        required=False, max_length=100, help_text="N° d'engagement (ou une partie)."
    )
    en_retard = serializers.BooleanField(
        required=False, default=False, help_text="1 : seulement celles dont le délai est dépassé."
    )


def apply_filters(qs: QuerySet[Facture], values: dict[str, Any]) -> QuerySet[Facture]:
    if statut := values.get("statut"):
        qs = qs.filter(statut=statut)
    if fournisseur := values.get("fournisseur", "").replace(" ", ""):
        qs = qs.filter(fournisseur__siret__startswith=fournisseur)
    if numero := values.get("numero", "").strip():
        qs = qs.filter(numero__icontains=numero)
    if destinataire := values.get("destinataire"):
        qs = qs.filter(collectivite_id=destinataire)
    if du := values.get("depose_du"):
        qs = qs.filter(date_reception__gte=_day(du))
    if au := values.get("depose_au"):
        qs = qs.filter(date_reception__lt=_day(au, after=True))
    if du := values.get("emise_du"):
        qs = qs.filter(date_emission__gte=du)
    if au := values.get("emise_au"):
        qs = qs.filter(date_emission__lte=au)
    if (low := values.get("montant_min")) is not None:
        qs = qs.filter(montant_ttc__gte=low)
    if (high := values.get("montant_max")) is not None:
        qs = qs.filter(montant_ttc__lte=high)
    if code := values.get("code_service", "").strip():
        qs = qs.filter(code_service=code)
    if engagement := values.get("engagement", "").strip():
        qs = qs.filter(numero_engagement__icontains=engagement)
    if values.get("en_retard"):
        qs = qs.filter(inbox.overdue())
    return qs


LIST_RELATED = ("fournisseur", "collectivite")


class RecuesListView(ApiView):
    @extend_schema(
        tags=TAG,
        operation_id="chorus_recues_recherche",
        summary="Rechercher les factures reçues",
        description=(
            "Factures adressées aux collectivités de votre périmètre (habilitation Chorus Pro "
            "en vigueur, ou compte de service ouvert à l'application « chorus »), filtrées et "
            "triées, par pages (`page`, `page_size`). Équivaut au service Chorus Pro "
            "« Rechercher facture par récipiendaire »."
        ),
        parameters=[RechercheFilters],
        responses={200: FacturePageSerializer, 400: E400, 401: E401},
        examples=[
            OpenApiExample(
                "À traiter, en retard",
                description="curl -H 'Authorization: Bearer pigp_…' "
                "'https://…/api/v1/chorus/factures-recues/?statut=03&en_retard=1'",
                value=None,
                request_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        filters = RechercheFilters(data=request.query_params)
        filters.is_valid(raise_exception=True)
        values = filters.validated_data
        qs = chorus_access.factures_recues(self.principal()).select_related(*LIST_RELATED)
        found = paginate(request, apply_filters(qs, values), values)
        rows = FactureSerializer(found.pop("rows"), many=True).data
        return Response({**found, "results": rows})


# --- one invoice ---------------------------------------------------------------------------


def recipient_actions(principal: Any, facture: Facture) -> list[str]:
    if not chorus_access.can_process(principal, facture):
        return []
    return sorted(to for to in statuts.RECIPIENT_ACTIONS if statuts.can(facture, to))


def recue_detail(request: Request, principal: Any, facture: Facture) -> dict[str, Any]:
    context = {
        "request": request,
        "actions": recipient_actions(principal, facture),
        "original_view": "api:chorus-recue-original",
        "pdf_view": "api:chorus-recue-pdf",
    }
    return FactureDetailSerializer(facture, context=context).data


class RecueDetailView(ApiView):
    @extend_schema(
        tags=TAG,
        operation_id="chorus_recue_detail",
        summary="Consulter une facture reçue",
        description=(
            "Toutes les données de la facture : montants, lignes, rapport de validation, "
            "adressage, mandat (numéro, pièce Hélios liée), paiement, délai global de paiement "
            "(jours écoulés, restants, retard), historique, et les `actions` (statuts) que vous "
            "pouvez lui donner maintenant."
        ),
        responses={200: FactureDetailSerializer, 401: E401, 404: E404},
    )
    def get(self, request: Request, pk: int) -> Response:
        principal = self.principal()
        facture = chorus_access.get_facture_recue(principal, pk)
        return Response(recue_detail(request, principal, facture))


def historique(facture: Facture) -> dict[str, Any]:
    from pigp.api.chorus_serializers import EvenementSerializer

    return {
        "id": facture.pk,
        "numero": facture.numero,
        "statut": facture.statut,
        "statut_libelle": facture.get_statut_display(),
        "historique": EvenementSerializer(facture.events.order_by("at", "pk"), many=True).data,
    }


class RecueHistoriqueView(ApiView):
    @extend_schema(
        tags=TAG,
        operation_id="chorus_recue_historique",
        summary="Consulter l'historique d'une facture reçue",
        description=(
            "Le statut courant et chaque passage d'un statut à l'autre : date, auteur, motif "
            "(Chorus Pro : « Consulter historique »)."
        ),
        responses={200: HistoriqueSerializer, 401: E401, 404: E404},
    )
    def get(self, request: Request, pk: int) -> Response:
        facture = chorus_access.get_facture_recue(self.principal(), pk)
        return Response(historique(facture))


STATUT_DESCRIPTION = """Traite la facture (Chorus Pro : « Traiter facture reçue ») :

- `07` **Service fait** ;
- `06` **Suspendue** (motif obligatoire : la pièce ou l'information qui manque ; le délai de
  paiement est suspendu jusqu'à ce que le fournisseur la complète) ;
- `05` **Rejetée** (motif obligatoire ; définitif) ;
- `08` **Mandatée** (`numero_mandat` obligatoire).

Seuls les passages permis par le cycle de vie sont acceptés (409 sinon). Le fournisseur est
prévenu par courriel. Profil en consultation seule : 403."""


class RecueStatutView(ApiView):
    parser_classes = FORM_PARSERS

    @extend_schema(
        tags=TAG,
        operation_id="chorus_recue_traiter",
        summary="Traiter une facture reçue (changer son statut)",
        description=STATUT_DESCRIPTION,
        request=StatutChangeSerializer,
        responses={
            200: FactureDetailSerializer,
            400: E400,
            401: E401,
            403: E403,
            404: E404,
            409: OpenApiResponse(
                ErrorSerializer, description="Passage refusé par le cycle de vie."
            ),
        },
        examples=[
            OpenApiExample("Service fait", value={"statut": "07"}, request_only=True),
            OpenApiExample(
                "Suspendre",
                value={"statut": "06", "motif": "Bon de livraison manquant."},
                request_only=True,
            ),
            OpenApiExample(
                "Mandater", value={"statut": "08", "numero_mandat": "2026-1542"}, request_only=True
            ),
        ],
    )
    def post(self, request: Request, pk: int) -> Response:
        principal = self.principal()
        facture = chorus_access.get_facture_recue(principal, pk, write=True)
        data = StatutChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        to = data.validated_data["statut"]
        motif = data.validated_data.get("motif", "").strip()
        numero_mandat = data.validated_data.get("numero_mandat", "").strip()
        if statuts.motif_required(facture.statut, to) and not motif:
            raise exceptions.ValidationError(
                {"motif": f"Un motif est obligatoire pour passer à « {S(to).label} »."}
            )
        if to == S.MANDATEE and not numero_mandat:
            raise exceptions.ValidationError(
                {"numero_mandat": "Le numéro du mandat est obligatoire pour marquer « Mandatée »."}
            )
        who = chorus_access.actor(principal)
        try:
            traitement.traiter(
                facture,
                to,
                actor=who.user,
                actor_label=who.label,
                motif=motif,
                numero_mandat=numero_mandat,
            )
        except statuts.TransitionError as exc:
            raise Conflict(str(exc)) from exc
        facture = chorus_access.get_facture_recue(principal, pk)
        return Response(recue_detail(request, principal, facture))


class RecueOriginalView(FileView):
    @extend_schema(
        tags=TAG,
        operation_id="chorus_recue_original",
        summary="Télécharger l'original d'une facture reçue",
        description="Le fichier tel que le fournisseur l'a déposé (XML UBL/CII, ou PDF).",
        responses=file_responses("application/octet-stream", "Le fichier déposé."),
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        return original_response(chorus_access.get_facture_recue(self.principal(), pk))


class RecuePdfView(FileView):
    @extend_schema(
        tags=TAG,
        operation_id="chorus_recue_pdf",
        summary="Télécharger le PDF d'une facture reçue",
        description=(
            "Le PDF déposé (Factur-X, PDF simple), ou, pour une facture XML (UBL, CII), sa "
            "présentation lisible produite par le portail."
        ),
        responses=file_responses("application/pdf", "La facture en PDF."),
    )
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        return pdf_response(chorus_access.get_facture_recue(self.principal(), pk))
