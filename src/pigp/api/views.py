"""API v1 of the passerelle: deposit and follow flows, pick up the mailbox.

Views stay thin: access goes through `pigp.passerelle.access` (404 outside the caller's
perimeter, 403 for read-only profiles), deposits through `pigp.passerelle.intake` (multipart
uploads are spooled once, as they arrive, by `pigp.passerelle.uploads`).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponseBase
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from pigp.api.parsers import BODY_PARSERS
from pigp.api.serializers import (
    AcquitRetourFormSerializer,
    DepositFormSerializer,
    DepositResultSerializer,
    ErrorSerializer,
    FluxDetailSerializer,
    FluxPageSerializer,
    FluxSerializer,
    MailboxItemSerializer,
    MailboxPageSerializer,
)
from pigp.core import files
from pigp.core.models import Collectivite, StoredFile, User
from pigp.passerelle import access, intake, mailbox, services, uploads
from pigp.passerelle.models import (
    Canal,
    Flux,
    KindFlux,
    MailboxItem,
    ServiceAccount,
    StatutFlux,
)
from pigp.passerelle.names import clean_filename

FLUX_RELATED = ("collectivite", "budget", "fichier", "sender_user", "sender_account")

E401 = OpenApiResponse(ErrorSerializer, description="Non authentifié, jeton inconnu ou révoqué.")
E403 = OpenApiResponse(ErrorSerializer, description="Profil en consultation seule.")
E404 = OpenApiResponse(ErrorSerializer, description="Introuvable ou hors de votre périmètre.")
E400 = OpenApiResponse(ErrorSerializer, description="Requête invalide (message en français).")


# --- common --------------------------------------------------------------------------------


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Opération impossible dans l'état actuel."
    default_code = "conflict"


class NewestFirst(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    invalid_cursor_message = "Curseur de pagination invalide."


class ApiView(APIView):
    """Base of the API views: the caller is `request.user` (a User or a ServiceAccount)."""

    def principal(self) -> User | ServiceAccount:
        user = self.request.user
        if isinstance(user, (User, ServiceAccount)):
            return user
        raise exceptions.NotAuthenticated()  # `IsPrincipal` lets no one else reach a view


class DepositView(ApiView):
    """Views taking a multipart upload: it is written once, into the intake spool.

    The handler is installed before DRF reads the body (authentication's CSRF check of a portal
    session parses it); raw bodies keep streaming through `_StreamParser`.
    """

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        with uploads.spooling(request):
            return super().dispatch(request, *args, **kwargs)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if request.method == "POST":
            _refuse_unsized_body(request)


class LengthRequired(exceptions.APIException):
    status_code = 411
    default_code = "length_required"


def _refuse_unsized_body(request: Request) -> None:
    """A body sent without Content-Length (`Transfer-Encoding: chunked`) is refused by name.

    Django reads a request body up to its Content-Length: without one it sees an empty body
    (and the development server cannot read a chunked one at all), which was answered « Le
    fichier est vide ». The transfer encoding is named instead, before anything is read.
    """
    encoding = request.META.get("HTTP_TRANSFER_ENCODING", "").strip().lower()
    if encoding and encoding != "identity" and not request.META.get("CONTENT_LENGTH"):
        raise LengthRequired(
            f"Envoi refusé à cause de son encodage de transfert (Transfer-Encoding: {encoding}) : "
            "le portail n'accepte qu'un corps de longueur annoncée. Envoyez le fichier avec "
            "l'en-tête Content-Length (curl --data-binary le fait). Rien n'a été déposé."
        )


class NotFoundView(APIView):
    """Unknown API addresses (and malformed ids in them) answer a JSON 404."""

    authentication_classes: list = []
    permission_classes: list = []
    schema = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return super().dispatch(request)

    # DRF's stubs type this argument as a DRF Request where Django's View has an HttpRequest
    # (they silence the same clash in APIView itself).
    def http_method_not_allowed(  # type: ignore[override]
        self, request: Request, *args: Any, **kwargs: Any
    ) -> Response:
        raise exceptions.NotFound("Adresse inconnue dans l'API.")

    def get(self, request: Request) -> Response:
        raise exceptions.NotFound("Adresse inconnue dans l'API.")

    post = put = patch = delete = get


class FileView(ApiView):
    """Views answering a file: errors stay JSON whatever the client's Accept header."""

    def perform_content_negotiation(
        self, request: Request, force: bool = False
    ) -> tuple[BaseRenderer, str]:
        return super().perform_content_negotiation(request, force=True)

    @staticmethod
    def attachment(
        stored: StoredFile, name: str, content_type: str = "application/xml"
    ) -> FileResponse:
        return FileResponse(
            files.open_stored(stored),
            as_attachment=True,
            filename=_clean_name(name),
            content_type=content_type,
        )


def _file_responses(description: str) -> dict[int | tuple[int, str], OpenApiResponse]:
    """The OpenAPI answers of a view that hands out a file (an XML one, most of the time)."""
    return {
        (200, "application/xml"): OpenApiResponse(OpenApiTypes.BINARY, description=description),
        401: E401,
        404: E404,
    }


def _int_param(value: Any, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value))
    except ValueError:
        raise exceptions.ValidationError({name: "Un identifiant numérique est attendu."}) from None
    if not 0 < number < 2**63:
        raise exceptions.ValidationError({name: "Identifiant hors limites."})
    return number


def _clean_name(name: str) -> str:
    return clean_filename(name, fallback="")


def _choose_collectivite(principal: User | ServiceAccount, pk: int | None) -> Collectivite:
    if pk is not None:
        return access.get_collectivite(principal, pk, write=True)
    writable = list(access.collectivites_for(principal, write=True)[:2])
    if len(writable) == 1:
        return writable[0]
    if writable:
        raise exceptions.ValidationError(
            {
                "collectivite": "Vous pouvez déposer pour plusieurs collectivités : précisez laquelle."
            }
        )
    if access.readable_collectivite_ids(principal):
        raise exceptions.PermissionDenied("Votre profil ne permet que la consultation des flux.")
    raise exceptions.PermissionDenied("Vous n'êtes habilité à déposer pour aucune collectivité.")


def _read_upload(request: Request, default_name: str) -> tuple[Any, str]:
    """The deposited stream and its name, from a multipart form or a raw body."""
    if request.content_type.startswith("multipart/form-data"):
        upload = request.FILES.get("fichier")
        if upload is None:
            raise exceptions.ValidationError(
                {"fichier": "Joignez le fichier dans le champ « fichier »."}
            )
        return upload, _clean_name(upload.name or default_name)
    length = request.META.get("CONTENT_LENGTH") or "0"
    limit = settings.PIGP_PASSERELLE_MAX_SIZE
    if length.isdigit() and int(length) > limit:
        # Refused before reading a byte of it.
        raise exceptions.ValidationError({"detail": str(files.FileTooLargeError(limit))})
    data = request.data
    if not hasattr(data, "read"):
        # DRF gives an empty dict when there is no body at all.
        raise exceptions.ValidationError({"detail": "Le fichier est vide : rien n'a été déposé."})
    name = _clean_name(request.query_params.get("filename", ""))
    return data, name or default_name


def _deposit(
    request: Request,
    principal: User | ServiceAccount,
    collectivite: Collectivite,
    stream: Any,
    name: str,
) -> Response:
    try:
        received = uploads.receive(
            stream,
            filename=name,
            collectivite=collectivite,
            canal=Canal.API,
            sender_user=principal if isinstance(principal, User) else None,
            sender_account=principal if isinstance(principal, ServiceAccount) else None,
        )
    except intake.IntakeError as exc:
        raise exceptions.ValidationError({"detail": str(exc)}) from exc
    first = Flux.objects.select_related(*FLUX_RELATED).get(pk=received[0].flux.pk)
    lot = [
        {"id": r.flux.pk, "cree": r.created, "original_name": r.flux.original_name}
        for r in received
    ]
    any_new = any(r.created for r in received)
    data = DepositResultSerializer(first, context={"request": request, "lot": lot}).data
    return Response(data, status=status.HTTP_201_CREATED if any_new else status.HTTP_200_OK)


# --- flows ---------------------------------------------------------------------------------


class FluxFilters(serializers.Serializer):
    statut = serializers.ChoiceField(
        choices=StatutFlux.choices, required=False, help_text="Statut du flux."
    )
    kind = serializers.ChoiceField(
        choices=KindFlux.choices, required=False, help_text="Type de flux."
    )
    collectivite = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="Identifiant de collectivité."
    )
    since = serializers.DateField(
        required=False, help_text="Déposés ce jour ou après (AAAA-MM-JJ, heure de Paris)."
    )
    until = serializers.DateField(
        required=False, help_text="Déposés ce jour ou avant (AAAA-MM-JJ, heure de Paris)."
    )


def _day_start(day: datetime.date) -> datetime.datetime | None:
    """Midnight in Paris, or None for dates too far out to compare sensibly."""
    if not 1900 <= day.year <= 9000:
        return None
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _day_after(day: datetime.date) -> datetime.datetime | None:
    if day.year > 9000:
        return None
    return _day_start(day + datetime.timedelta(days=1))


FLUX_TAG = ["Flux"]
DEPOSIT_DESCRIPTION = """Dépose un fichier (PES_Aller, PES_ACQUIT_RETOUR, SEPA pain.001 /
pain.008, ou une archive .gz / .zip de ces fichiers).

Deux façons d'envoyer le fichier :
- **formulaire multipart** : champ `fichier` (et `collectivite`) ;
- **corps brut** : `Content-Type: application/xml` (ou `application/octet-stream`,
  `application/gzip`, `application/zip`), avec `?filename=...&collectivite=...`.

`collectivite` est facultatif si vous ne pouvez déposer que pour une seule collectivité.

Réponse **201** pour un nouveau flux, **200** si ce contenu exact a déjà été reçu pour cette
collectivité (le flux existant est renvoyé, rien n'est traité deux fois). Le contrôle se fait
ensuite en arrière-plan : suivez le `statut` du flux (`GET /api/v1/flux/{id}/`)."""


class FluxListView(DepositView):
    parser_classes = BODY_PARSERS

    @extend_schema(
        tags=FLUX_TAG,
        operation_id="flux_liste",
        summary="Lister les flux",
        description=(
            "Flux des collectivités de votre périmètre, du plus récent au plus ancien, "
            "par pages (pagination par curseur : suivez `next`)."
        ),
        parameters=[
            FluxFilters,
            OpenApiParameter(
                "page_size", int, description="Flux par page (50 par défaut, 200 au plus)."
            ),
        ],
        responses={200: FluxPageSerializer, 400: E400, 401: E401},
    )
    def get(self, request: Request) -> Response:
        filters = FluxFilters(data=request.query_params)
        filters.is_valid(raise_exception=True)
        values = filters.validated_data
        qs = access.flux_for(self.principal()).select_related(*FLUX_RELATED)
        if "statut" in values:
            qs = qs.filter(statut=values["statut"])
        if "kind" in values:
            qs = qs.filter(kind=values["kind"])
        if "collectivite" in values:
            qs = qs.filter(collectivite_id=values["collectivite"])
        if values.get("since") and (start := _day_start(values["since"])):
            qs = qs.filter(created_at__gte=start)
        if values.get("until") and (end := _day_after(values["until"])):
            qs = qs.filter(created_at__lt=end)
        paginator = NewestFirst()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(FluxSerializer(page, many=True).data)

    @extend_schema(
        tags=FLUX_TAG,
        operation_id="flux_depot",
        summary="Déposer un flux",
        description=DEPOSIT_DESCRIPTION,
        parameters=[
            OpenApiParameter("filename", str, description="Nom du fichier (corps brut seulement)."),
            OpenApiParameter(
                "collectivite", int, description="Identifiant de la collectivité (corps brut)."
            ),
        ],
        request={
            "multipart/form-data": DepositFormSerializer,
            "application/xml": OpenApiTypes.BINARY,
            "application/octet-stream": OpenApiTypes.BINARY,
        },
        responses={
            201: OpenApiResponse(DepositResultSerializer, description="Nouveau flux reçu."),
            200: OpenApiResponse(
                DepositResultSerializer, description="Contenu déjà reçu : le flux existant."
            ),
            400: E400,
            401: E401,
            403: E403,
            404: E404,
        },
        examples=[
            OpenApiExample(
                "Corps brut",
                description="curl -H 'Authorization: Bearer pigp_…' -H 'Content-Type: application/xml' "
                "--data-binary @flux.xml 'https://…/api/v1/flux/?filename=flux.xml&collectivite=3'",
                value=None,
                request_only=True,
                media_type="application/xml",
            )
        ],
    )
    def post(self, request: Request) -> Response:
        principal = self.principal()
        multipart = request.content_type.startswith("multipart/form-data")
        data = request.data  # a QueryDict for a multipart body
        raw_pk = (
            data.get("collectivite") if multipart and isinstance(data, dict) else None
        ) or request.query_params.get("collectivite")
        collectivite = _choose_collectivite(principal, _int_param(raw_pk, "collectivite"))
        stream, name = _read_upload(request, "depot-api.xml")
        return _deposit(request, principal, collectivite, stream, name)


class FluxDetailView(ApiView):
    @extend_schema(
        tags=FLUX_TAG,
        operation_id="flux_detail",
        summary="Lire un flux",
        description="Le flux, son historique de statuts et les anomalies relevées au contrôle.",
        responses={200: FluxDetailSerializer, 401: E401, 404: E404},
    )
    def get(self, request: Request, pk: int) -> Response:
        flux = access.get_flux(self.principal(), pk)
        return Response(FluxDetailSerializer(flux, context={"request": request}).data)


class FluxAcquitView(FileView):
    @extend_schema(
        tags=FLUX_TAG,
        operation_id="flux_acquittement",
        summary="Télécharger l'acquittement (PES_ACQUIT) d'un flux",
        description=(
            "Le PES_ACQUIT produit au contrôle du flux. 404 tant qu'il n'existe pas encore. "
            "Le télécharger le marque comme lu dans la boîte aux lettres."
        ),
        responses=_file_responses("PES_ACQUIT"),
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        principal = self.principal()
        flux = access.get_flux(principal, pk)
        acquit = flux.acquit
        if acquit is None:
            raise exceptions.NotFound("Aucun acquittement n'est encore disponible pour ce flux.")
        item = (
            access.mailbox_for(principal)
            .filter(related_flux=flux, fichier_id=flux.acquit_id)
            .select_related("collectivite")
            .first()
        )
        name = item.name if item else f"ACQUIT_{flux.pk}.xml"
        if item is not None:
            mailbox.mark_read(item, principal.email)
        return self.attachment(acquit, name)


class FluxCancelView(ApiView):
    @extend_schema(
        tags=FLUX_TAG,
        operation_id="flux_annuler",
        summary="Annuler un flux",
        description=(
            "Annule un flux que le contrôle n'a pas encore pris en charge (statut « Posté »). "
            "Seul l'expéditeur du flux peut l'annuler. 409 si le flux est déjà en cours ou traité."
        ),
        request=None,
        responses={
            200: FluxSerializer,
            401: E401,
            403: E403,
            404: E404,
            409: OpenApiResponse(ErrorSerializer, description="Le flux ne peut plus être annulé."),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        principal = self.principal()
        flux = access.get_flux(principal, pk, write=True)
        try:
            services.cancel_flux(flux, principal)
        except services.NotSenderError as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        except services.CancelError as exc:
            raise Conflict(str(exc)) from exc
        flux = Flux.objects.select_related(*FLUX_RELATED).get(pk=flux.pk)
        return Response(FluxSerializer(flux, context={"request": request}).data)


# --- mailbox -------------------------------------------------------------------------------

BOITE_TAG = ["Boîte aux lettres"]


class MailboxFilters(serializers.Serializer):
    non_lus = serializers.BooleanField(
        required=False, default=False, help_text="1 pour ne lister que les fichiers non lus."
    )
    kind = serializers.ChoiceField(choices=KindFlux.choices, required=False, help_text="Type.")
    collectivite = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="Identifiant de collectivité."
    )


class MailboxListView(ApiView):
    @extend_schema(
        tags=BOITE_TAG,
        operation_id="boite_liste",
        summary="Lister la boîte aux lettres",
        description=(
            "Acquittements (PES_ACQUIT) et retours (PES_Retour) des collectivités de votre "
            "périmètre, du plus récent au plus ancien. `non_lus=1` : seulement ceux qui n'ont "
            "pas encore été retirés."
        ),
        parameters=[
            MailboxFilters,
            OpenApiParameter("page_size", int, description="Fichiers par page (50 par défaut)."),
        ],
        responses={200: MailboxPageSerializer, 400: E400, 401: E401},
    )
    def get(self, request: Request) -> Response:
        filters = MailboxFilters(data=request.query_params)
        filters.is_valid(raise_exception=True)
        values = filters.validated_data
        qs = access.mailbox_for(self.principal()).select_related("collectivite", "fichier")
        if values.get("non_lus"):
            qs = qs.filter(read_at__isnull=True)
        if "kind" in values:
            qs = qs.filter(kind=values["kind"])
        if "collectivite" in values:
            qs = qs.filter(collectivite_id=values["collectivite"])
        paginator = NewestFirst()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(MailboxItemSerializer(page, many=True).data)


class MailboxFileView(FileView):
    @extend_schema(
        tags=BOITE_TAG,
        operation_id="boite_fichier",
        summary="Retirer un fichier de la boîte aux lettres",
        description="Le contenu du fichier ; le retirer le marque comme lu.",
        responses=_file_responses("Le fichier."),
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        principal = self.principal()
        item = access.get_mailbox_item(principal, pk)
        mailbox.mark_read(item, principal.email)
        return self.attachment(
            item.fichier, item.name, item.fichier.media_type or "application/xml"
        )


class MailboxAcknowledgeView(DepositView):
    parser_classes = BODY_PARSERS

    @extend_schema(
        tags=BOITE_TAG,
        operation_id="boite_acquitter",
        summary="Acquitter un PES_Retour",
        description=(
            "Répond à un PES_Retour par un fichier PES_ACQUIT_RETOUR (formulaire multipart, "
            "champ `fichier`, ou corps brut `application/xml`). Le fichier est déposé comme un "
            "flux (même contrôle que tout dépôt) ; une fois contrôlé, le PES_Retour qu'il cite "
            "(`NomFichierRetour`) est marqué acquitté (`acquitte_par`). Réponse : le flux, "
            "201 s'il est nouveau, 200 si ce contenu avait déjà été reçu."
        ),
        parameters=[
            OpenApiParameter("filename", str, description="Nom du fichier (corps brut seulement).")
        ],
        request={
            "multipart/form-data": AcquitRetourFormSerializer,
            "application/xml": OpenApiTypes.BINARY,
        },
        responses={
            201: DepositResultSerializer,
            200: DepositResultSerializer,
            400: E400,
            401: E401,
            403: E403,
            404: E404,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        principal = self.principal()
        item: MailboxItem = access.get_mailbox_item(principal, pk, write=True)
        if item.kind != KindFlux.PES_RETOUR:
            raise exceptions.ValidationError(
                {"detail": "Seul un PES_Retour s'acquitte (par un PES_ACQUIT_RETOUR)."}
            )
        stream, name = _read_upload(request, f"ACQUIT_RETOUR_{item.name}")
        return _deposit(request, principal, item.collectivite, stream, name)
