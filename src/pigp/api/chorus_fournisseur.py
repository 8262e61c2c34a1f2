"""Chorus API, the supplier's services: deposit an invoice (with its compte rendu de dépôt),
follow its invoices, resubmit one À recycler, complete one suspended.

A supplier is a portal user acting for it, or the service account holding its API tokens
(`pigp.api.chorus_access`); it reaches only its own invoices (404 for any other). What a
deposit checks is `pigp.chorus.depot`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from pigp.api import chorus_access
from pigp.api.chorus_serializers import (
    CompletionSerializer,
    DepotFormSerializer,
    DepotSerializer,
    FactureDetailSerializer,
    FacturePageSerializer,
    FactureSerializer,
    ResoumissionSerializer,
    StatutField,
)
from pigp.api.chorus_views import (
    FORM_PARSERS,
    PageFilters,
    file_responses,
    original_response,
    paginate,
    pdf_response,
)
from pigp.api.serializers import ErrorSerializer
from pigp.api.views import E400, E401, E404, ApiView, Conflict, FileView, LengthRequired
from pigp.chorus import depot, statuts
from pigp.chorus.models import Depot, Facture, IssueDepot, StatutFacture
from pigp.core.files import FileTooLargeError

TAG = ["Chorus Pro — fournisseurs"]
S = StatutFacture
# Room for the multipart envelope and the typed fields around the file.
ENVELOPE = 256 * 1024
TYPED_FIELDS = {
    "numero": "numero",
    "type": "kind",
    "date_emission": "date_emission",
    "date_echeance": "date_echeance",
    "siret_acheteur": "siret_acheteur",
    "montant_ht": "montant_ht",
    "montant_tva": "montant_tva",
    "montant_ttc": "montant_ttc",
    "code_service": "code_service",
    "numero_engagement": "numero_engagement",
    "numero_marche": "numero_marche",
}
E422 = OpenApiResponse(
    DepotSerializer, description="Dépôt refusé : le compte rendu dit quel contrôle a échoué."
)
E409 = OpenApiResponse(ErrorSerializer, description="La facture n'est pas dans le bon statut.")


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


def max_size() -> int:
    """The same bound as the web deposit's (`PIGP_CHORUS_DEPOT_MAX_SIZE`)."""
    return int(settings.PIGP_CHORUS_DEPOT_MAX_SIZE)


def _too_large() -> PayloadTooLarge:
    return PayloadTooLarge(str(FileTooLargeError(max_size())) + " Rien n'a été déposé.")


def supplier_actions(facture: Facture) -> list[str]:
    if facture.statut == S.A_RECYCLER:
        return [S.DEPOSEE]
    if facture.statut == S.SUSPENDUE:
        return [S.COMPLETEE]
    return []


def emise_detail(request: Request, facture: Facture) -> dict[str, Any]:
    context = {
        "request": request,
        "actions": supplier_actions(facture),
        "detail_view": "api:chorus-emise",
        "original_view": "api:chorus-emise-original",
        "pdf_view": "api:chorus-emise-pdf",
    }
    return FactureDetailSerializer(facture, context=context).data


# --- deposit -------------------------------------------------------------------------------

DEPOT_DESCRIPTION = """Dépose une facture (formulaire multipart, champ `fichier`) : UBL 2.1,
UN/CEFACT CII, Factur-X, ou PDF simple — un PDF sans données structurées doit être accompagné
des champs saisis `numero`, `date_emission`, `siret_acheteur`, `montant_ht`, `montant_tva`,
`montant_ttc` (et, au besoin, `code_service`, `numero_engagement`, `type=avoir`).

Les contrôles s'enchaînent (lisibilité, XSD, Schematron, montants, fournisseur, doublon, puis
adressage) et le **compte rendu de dépôt** les décrit un à un :
- **201** : la facture est créée, « Mise à disposition » (03) du destinataire, ou « À recycler »
  (04) quand son adressage est à corriger (le `motif` dit pourquoi) ;
- **422** : le dépôt est refusé (fichier illisible, non conforme, montants faux, doublon…) ; le
  compte rendu dit quel contrôle a échoué. Le fichier est conservé.

Taille maximale : 20 Mo par fichier par défaut, `PIGP_CHORUS_DEPOT_MAX_SIZE` (413 au-delà)."""


class DepotView(ApiView):
    parser_classes = [MultiPartParser]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if request.method != "POST":
            return
        encoding = request.META.get("HTTP_TRANSFER_ENCODING", "").strip().lower()
        length = request.META.get("CONTENT_LENGTH") or ""
        if encoding and encoding != "identity" and not length:
            raise LengthRequired(
                "Envoyez la facture avec l'en-tête Content-Length (pas d'encodage de transfert "
                f"« {encoding} »). Rien n'a été déposé."
            )
        if length.isdigit() and int(length) > max_size() + ENVELOPE:
            raise _too_large()  # before a byte of the body is read

    @extend_schema(
        tags=TAG,
        operation_id="chorus_depot",
        summary="Déposer une facture",
        description=DEPOT_DESCRIPTION,
        request={"multipart/form-data": DepotFormSerializer},
        responses={
            201: OpenApiResponse(DepotSerializer, description="Facture créée (03 ou 04)."),
            400: E400,
            401: E401,
            404: E404,
            413: OpenApiResponse(ErrorSerializer, description="Fichier trop volumineux."),
            422: E422,
        },
        examples=[
            OpenApiExample(
                "Factur-X",
                description="curl -H 'Authorization: Bearer pigp_…' "
                "-F fichier=@facture.pdf https://…/api/v1/chorus/depots/",
                value=None,
                request_only=True,
                media_type="multipart/form-data",
            )
        ],
    )
    def post(self, request: Request) -> Response:
        principal = self.principal()
        fournisseur = chorus_access.require_fournisseur(principal)
        if not request.content_type.startswith("multipart/form-data"):
            raise exceptions.ValidationError(
                {"detail": "Envoyez la facture en formulaire multipart, champ « fichier »."}
            )
        upload = request.FILES.get("fichier")
        if not isinstance(upload, UploadedFile):
            raise exceptions.ValidationError(
                {"fichier": "Joignez la facture dans le champ « fichier »."}
            )
        if upload.size is not None and upload.size > max_size():
            raise _too_large()
        data = upload.read(max_size() + 1)
        if len(data) > max_size():
            raise _too_large()
        form = request.data if isinstance(request.data, dict) else {}
        champs = {
            key: str(form.get(name, ""))
            for name, key in TYPED_FIELDS.items()
            if form.get(name) not in (None, "")
        }
        who = chorus_access.actor(principal)
        try:
            receipt = depot.deposer(fournisseur, who.user, data, upload.name or "facture", champs)
        except depot.DepotError as exc:
            raise exceptions.ValidationError({"fichier": str(exc)}) from exc
        receipt = Depot.objects.select_related("facture").get(pk=receipt.pk)
        body = DepotSerializer(receipt).data
        refused = receipt.issue == IssueDepot.REFUSEE
        return Response(body, status=422 if refused else status.HTTP_201_CREATED)


# --- the supplier's invoices ---------------------------------------------------------------


class EmisesFilters(PageFilters):
    statut = StatutField(required=False, help_text="Statut courant (code CPPStatutPivot).")
    numero = serializers.CharField(required=False, max_length=100, help_text="N° de facture.")
    siret_acheteur = serializers.CharField(
        required=False, max_length=14, help_text="SIRET de l'acheteur."
    )


class EmisesListView(ApiView):
    @extend_schema(
        tags=TAG,
        operation_id="chorus_emises_liste",
        summary="Lister mes factures déposées",
        description=(
            "Les factures de votre entreprise, avec leur statut, filtrées et triées, par pages "
            "(`page`, `page_size`)."
        ),
        parameters=[EmisesFilters],
        responses={200: FacturePageSerializer, 400: E400, 401: E401, 404: E404},
    )
    def get(self, request: Request) -> Response:
        principal = self.principal()
        chorus_access.require_fournisseur(principal)
        filters = EmisesFilters(data=request.query_params)
        filters.is_valid(raise_exception=True)
        values = filters.validated_data
        qs = chorus_access.factures_emises(principal).select_related("fournisseur", "collectivite")
        if statut := values.get("statut"):
            qs = qs.filter(statut=statut)
        if numero := values.get("numero", "").strip():
            qs = qs.filter(numero__icontains=numero)
        if siret := values.get("siret_acheteur", "").replace(" ", ""):
            qs = qs.filter(siret_acheteur=siret)
        found = paginate(request, qs, values)
        context = {"detail_view": "api:chorus-emise"}
        rows = FactureSerializer(found.pop("rows"), many=True, context=context).data
        return Response({**found, "results": rows})


class EmiseDetailView(ApiView):
    @extend_schema(
        tags=TAG,
        operation_id="chorus_emise_detail",
        summary="Consulter une de mes factures",
        description=(
            "La facture, son statut et son historique (motifs de rejet, de suspension, de "
            "recyclage), le mandat et le paiement. `actions` : `01` quand elle est à recycler "
            "(nouvelle soumission), `12` quand elle est suspendue (la compléter)."
        ),
        responses={200: FactureDetailSerializer, 401: E401, 404: E404},
    )
    def get(self, request: Request, pk: int) -> Response:
        facture = chorus_access.get_facture_emise(self.principal(), pk)
        return Response(emise_detail(request, facture))


class ResoumettreView(ApiView):
    parser_classes = FORM_PARSERS

    @extend_schema(
        tags=TAG,
        operation_id="chorus_emise_resoumettre",
        summary="Soumettre à nouveau une facture à recycler",
        description=(
            "Corrige l'adressage d'une facture « À recycler » (04) — SIRET de l'acheteur, code "
            "service, numéro d'engagement — et la soumet à nouveau : les contrôles d'adressage "
            "sont refaits ; le compte rendu dit si elle est maintenant mise à disposition (03) "
            "ou encore à recycler (04, avec le motif). 409 si elle n'est pas à recycler."
        ),
        request=ResoumissionSerializer,
        responses={200: DepotSerializer, 400: E400, 401: E401, 404: E404, 409: E409},
        examples=[
            OpenApiExample(
                "Code service corrigé", value={"code_service": "SERV-TECH"}, request_only=True
            )
        ],
    )
    def post(self, request: Request, pk: int) -> Response:
        principal = self.principal()
        facture = chorus_access.get_facture_emise(principal, pk)
        data = ResoumissionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            receipt = depot.resoumettre(
                facture,
                chorus_access.actor(principal).user,
                code_service=values.get("code_service"),
                numero_engagement=values.get("numero_engagement"),
                siret_acheteur=values.get("siret_acheteur"),
            )
        except statuts.TransitionError as exc:
            raise Conflict(str(exc)) from exc
        receipt = Depot.objects.select_related("facture").get(pk=receipt.pk)
        return Response(DepotSerializer(receipt).data)


class CompleterView(ApiView):
    parser_classes = FORM_PARSERS

    @extend_schema(
        tags=TAG,
        operation_id="chorus_emise_completer",
        summary="Compléter une facture suspendue",
        description=(
            "Répond à la suspension (06) d'une facture en disant ce que vous apportez : elle "
            "passe « Complétée » (12) et le délai de paiement reprend. 409 si elle n'est pas "
            "suspendue."
        ),
        request=CompletionSerializer,
        responses={200: FactureDetailSerializer, 400: E400, 401: E401, 404: E404, 409: E409},
    )
    def post(self, request: Request, pk: int) -> Response:
        principal = self.principal()
        facture = chorus_access.get_facture_emise(principal, pk)
        data = CompletionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        who = chorus_access.actor(principal)
        try:
            depot.completer(facture, who.user, commentaire=data.validated_data["commentaire"])
        except statuts.TransitionError as exc:
            raise Conflict(str(exc)) from exc
        facture = chorus_access.get_facture_emise(principal, pk)
        return Response(emise_detail(request, facture))


class EmiseOriginalView(FileView):
    @extend_schema(
        tags=TAG,
        operation_id="chorus_emise_original",
        summary="Télécharger l'original d'une de mes factures",
        description="Le fichier déposé.",
        responses=file_responses("application/octet-stream", "Le fichier déposé."),
    )
    def get(self, request: Request, pk: int) -> Any:
        return original_response(chorus_access.get_facture_emise(self.principal(), pk))


class EmisePdfView(FileView):
    @extend_schema(
        tags=TAG,
        operation_id="chorus_emise_pdf",
        summary="Télécharger le PDF d'une de mes factures",
        description="Le PDF déposé, ou la présentation lisible d'une facture XML.",
        responses=file_responses("application/pdf", "La facture en PDF."),
    )
    def get(self, request: Request, pk: int) -> Any:
        return pdf_response(chorus_access.get_facture_emise(self.principal(), pk))
