"""Supervision through the API: flows by status and stuck flows, for comptables and national
administrators (the same perimeter as the web supervision page: `access.supervised_flux`)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import Count
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from pigp.api.serializers import FluxSerializer
from pigp.api.views import E401, E404, FLUX_RELATED, ApiView
from pigp.core.models import User
from pigp.passerelle import access, services
from pigp.passerelle.models import StatutFlux

STUCK_STATUSES = (StatutFlux.POSTE, StatutFlux.EN_COURS, StatutFlux.ERREUR)


class StatusCountSerializer(serializers.Serializer):
    statut = serializers.CharField()
    libelle = serializers.CharField()
    nombre = serializers.IntegerField()


class IntegrationCountSerializer(serializers.Serializer):
    integration = serializers.CharField()
    libelle = serializers.CharField()
    nombre = serializers.IntegerField()


class IntegrationProblemSerializer(FluxSerializer):
    integration_erreur = serializers.CharField(
        source="integration_error", help_text="Dernière erreur de l'intégration."
    )

    class Meta(FluxSerializer.Meta):
        fields = [*FluxSerializer.Meta.fields, "integration_erreur"]
        read_only_fields = fields


class SupervisionSerializer(serializers.Serializer):
    par_statut = StatusCountSerializer(many=True, help_text="Nombre de flux par statut.")
    seuil_minutes = serializers.IntegerField(help_text="Au-delà, un flux est dit bloqué.")
    bloques = FluxSerializer(
        many=True, help_text="Flux bloqués (posté, en cours, erreur) depuis plus que le seuil."
    )
    par_integration = IntegrationCountSerializer(
        many=True,
        help_text="Flux acquittés en attente d'intégration, et en échec d'intégration.",
    )
    integrations_a_traiter = IntegrationProblemSerializer(
        many=True,
        help_text=(
            "Flux en échec d'intégration, ou en attente avec une erreur ou depuis plus que "
            "le seuil, avec leur dernière erreur."
        ),
    )


class SupervisionView(ApiView):
    @extend_schema(
        tags=["Supervision"],
        operation_id="supervision",
        summary="Superviser les flux",
        description=(
            "Pour les comptables (flux des collectivités de leur poste) et les administrateurs "
            "nationaux (tous les flux) : nombre de flux par statut, et flux bloqués dans un "
            "statut d'attente depuis plus que le seuil, avec leur dernier message. 404 pour "
            "les autres utilisateurs et les comptes de service."
        ),
        responses={200: SupervisionSerializer, 401: E401, 404: E404},
    )
    def get(self, request: Request) -> Response:
        principal = self.principal()
        if not isinstance(principal, User):
            raise exceptions.NotFound("Page introuvable.")
        qs = access.supervised_flux(principal)
        counts = dict(qs.order_by().values_list("statut").annotate(n=Count("id")))
        minutes = settings.PIGP_PASSERELLE_STUCK_MINUTES
        threshold = timezone.now() - datetime.timedelta(minutes=minutes)
        stuck = (
            qs.filter(statut__in=STUCK_STATUSES, status_changed_at__lt=threshold)
            .select_related(*FLUX_RELATED)
            .order_by("status_changed_at", "id")[:200]
        )
        data = {
            "par_statut": [
                {"statut": s.value, "libelle": s.label, "nombre": counts.get(s.value, 0)}
                for s in StatutFlux
            ],
            "seuil_minutes": minutes,
            "bloques": FluxSerializer(stuck, many=True).data,
            "par_integration": [
                {"integration": c["integration"], "libelle": c["label"], "nombre": c["count"]}
                for c in services.integration_counts(qs)
            ],
            "integrations_a_traiter": IntegrationProblemSerializer(
                services.integration_problems(qs, related=FLUX_RELATED), many=True
            ).data,
        }
        return Response(data)
