"""JSON shapes of the API (field names follow the models; descriptions in French)."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from pigp.passerelle.models import (
    Flux,
    FluxEvent,
    FluxFinding,
    IntegrationFlux,
    MailboxItem,
)

FINDINGS_IN_DETAIL = 1000


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="Explication de l'erreur, en français.")
    erreurs = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Pour une requête invalide : les messages par champ.",
    )


class FluxSerializer(serializers.ModelSerializer):
    statut_libelle = serializers.CharField(
        source="get_statut_display", help_text="Libellé du statut."
    )
    kind_libelle = serializers.CharField(source="get_kind_display", help_text="Libellé du type.")
    collectivite_nom = serializers.CharField(source="collectivite.nom")
    budget = serializers.SerializerMethodField(help_text="CodCol/CodBud du budget, s'il est connu.")
    sha256 = serializers.CharField(
        source="fichier.sha256", help_text="Empreinte SHA-256 du fichier."
    )
    taille = serializers.IntegerField(source="fichier.size", help_text="Taille en octets.")
    deposant = serializers.SerializerMethodField(help_text="Qui a déposé le flux.")
    acquittement_disponible = serializers.SerializerMethodField(
        help_text="Vrai quand le PES_ACQUIT peut être téléchargé."
    )
    url = serializers.SerializerMethodField(help_text="Adresse de ce flux dans l'API.")
    integration = serializers.ChoiceField(
        choices=[("", "sans objet"), *IntegrationFlux.choices],
        help_text=(
            "Intégration d'un PES_Aller acquitté dans la comptabilité du comptable : "
            "« en_attente », « integree », « echec » (vide pour les autres flux)."
        ),
    )
    integration_libelle = serializers.CharField(
        source="get_integration_display", help_text="Libellé de l'intégration."
    )
    integration_tentatives = serializers.IntegerField(
        source="integration_attempts", help_text="Tentatives d'intégration faites."
    )
    integration_prochaine_tentative = serializers.DateTimeField(
        source="integration_due_at",
        allow_null=True,
        help_text="En attente : date après laquelle l'intégration est relancée.",
    )
    integre_le = serializers.DateTimeField(
        source="integrated_at", allow_null=True, help_text="Date de l'intégration."
    )

    class Meta:
        model = Flux
        fields = [
            "id",
            "intake_id",
            "collectivite",
            "collectivite_nom",
            "budget",
            "kind",
            "kind_libelle",
            "direction",
            "canal",
            "original_name",
            "nom_fic",
            "sha256",
            "taille",
            "schema_version",
            "statut",
            "statut_libelle",
            "message",
            "acquit_total",
            "acquittement_disponible",
            "deposant",
            "created_at",
            "status_changed_at",
            "integration",
            "integration_libelle",
            "integration_tentatives",
            "integration_prochaine_tentative",
            "integre_le",
            "url",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_budget(self, obj: Flux) -> str | None:
        budget = obj.budget
        return f"{budget.cod_col}/{budget.cod_bud}" if budget is not None else None

    def get_deposant(self, obj: Flux) -> str:
        if obj.sender_user is not None:
            return obj.sender_user.email
        if obj.sender_account is not None:
            return f"compte de service « {obj.sender_account.name} »"
        return obj.get_canal_display()

    def get_acquittement_disponible(self, obj: Flux) -> bool:
        return obj.acquit_id is not None

    def get_url(self, obj: Flux) -> str:
        return reverse("api:flux-detail", args=[obj.pk])


class DepositLotSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Identifiant du flux.")
    cree = serializers.BooleanField(help_text="Faux si ce contenu avait déjà été reçu.")
    original_name = serializers.CharField(
        help_text="Nom du fichier (entrée d'archive le cas échéant)."
    )


class DepositResultSerializer(FluxSerializer):
    lot = serializers.SerializerMethodField(
        help_text=(
            "Tous les flux issus de ce dépôt (plusieurs quand une archive .zip contient "
            "plusieurs fichiers) ; le flux décrit par les autres champs est le premier."
        )
    )

    class Meta(FluxSerializer.Meta):
        fields = [*FluxSerializer.Meta.fields, "lot"]
        read_only_fields = fields

    @extend_schema_field(DepositLotSerializer(many=True))
    def get_lot(self, obj: Flux) -> list[dict[str, object]]:
        return self.context.get("lot", [])


class FluxEventSerializer(serializers.ModelSerializer):
    statut_libelle = serializers.CharField(source="get_statut_display")

    class Meta:
        model = FluxEvent
        fields = ["statut", "statut_libelle", "at", "message", "actor"]
        read_only_fields = fields


class FluxFindingSerializer(serializers.ModelSerializer):
    class Meta:
        model = FluxFinding
        fields = [
            "code",
            "severity",
            "scope",
            "message",
            "path",
            "line",
            "bordereau",
            "piece",
            "ligne",
            "pj",
        ]
        read_only_fields = fields


class FluxDetailSerializer(FluxSerializer):
    historique = serializers.SerializerMethodField(help_text="Historique des statuts.")
    anomalies = serializers.SerializerMethodField(
        help_text=f"Anomalies relevées au contrôle (au plus {FINDINGS_IN_DETAIL})."
    )
    nombre_anomalies = serializers.SerializerMethodField(help_text="Nombre total d'anomalies.")
    resume = serializers.JSONField(source="summary", help_text="Bordereaux, PJ, signatures.")

    class Meta(FluxSerializer.Meta):
        fields = [
            *FluxSerializer.Meta.fields,
            "resume",
            "historique",
            "nombre_anomalies",
            "anomalies",
        ]
        read_only_fields = fields

    @extend_schema_field(FluxEventSerializer(many=True))
    def get_historique(self, obj: Flux) -> list[dict[str, object]]:
        # many=True makes a ListSerializer, whose data is a list; the stubs only know the one-object case.
        return FluxEventSerializer(obj.events.order_by("at", "id"), many=True).data  # type: ignore[return-value]

    @extend_schema_field(FluxFindingSerializer(many=True))
    def get_anomalies(self, obj: Flux) -> list[dict[str, object]]:
        qs = obj.findings.order_by("id")[:FINDINGS_IN_DETAIL]
        # many=True makes a ListSerializer, whose data is a list; the stubs only know the one-object case.
        return FluxFindingSerializer(qs, many=True).data  # type: ignore[return-value]

    def get_nombre_anomalies(self, obj: Flux) -> int:
        return obj.findings.count()


class MailboxItemSerializer(serializers.ModelSerializer):
    kind_libelle = serializers.CharField(source="get_kind_display")
    collectivite_nom = serializers.CharField(source="collectivite.nom")
    lu = serializers.SerializerMethodField(help_text="Vrai quand le fichier a déjà été retiré.")
    sha256 = serializers.CharField(source="fichier.sha256")
    taille = serializers.IntegerField(source="fichier.size")
    acquitte_par: serializers.PrimaryKeyRelatedField[Flux] = serializers.PrimaryKeyRelatedField(
        source="acknowledged_by",
        read_only=True,
        allow_null=True,
        help_text="Flux PES_ACQUIT_RETOUR qui a acquitté ce PES_Retour.",
    )
    flux_lie: serializers.PrimaryKeyRelatedField[Flux] = serializers.PrimaryKeyRelatedField(
        source="related_flux",
        read_only=True,
        allow_null=True,
        help_text="Flux auquel ce fichier répond.",
    )
    fichier_url = serializers.SerializerMethodField(help_text="Adresse du contenu du fichier.")

    class Meta:
        model = MailboxItem
        fields = [
            "id",
            "collectivite",
            "collectivite_nom",
            "kind",
            "kind_libelle",
            "name",
            "sha256",
            "taille",
            "created_at",
            "lu",
            "read_at",
            "read_by",
            "flux_lie",
            "acquitte_par",
            "fichier_url",
        ]
        read_only_fields = fields

    def get_lu(self, obj: MailboxItem) -> bool:
        return obj.read_at is not None

    def get_fichier_url(self, obj: MailboxItem) -> str:
        return reverse("api:boite-fichier", args=[obj.pk])


class DepositFormSerializer(serializers.Serializer):
    """Documentation of the multipart body of a deposit."""

    fichier = serializers.FileField(help_text="Le fichier (PES_Aller, SEPA, .gz ou .zip).")
    collectivite = serializers.IntegerField(
        required=False,
        help_text=(
            "Identifiant de la collectivité destinataire ; facultatif quand vous ne pouvez "
            "déposer que pour une seule collectivité."
        ),
    )


class AcquitRetourFormSerializer(serializers.Serializer):
    fichier = serializers.FileField(help_text="Le fichier PES_ACQUIT_RETOUR.")


class FluxPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="Page suivante (plus anciens).")
    previous = serializers.URLField(allow_null=True, help_text="Page précédente.")
    results = FluxSerializer(many=True)


class MailboxPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="Page suivante (plus anciens).")
    previous = serializers.URLField(allow_null=True, help_text="Page précédente.")
    results = MailboxItemSerializer(many=True)
