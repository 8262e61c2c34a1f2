"""JSON shapes of the Chorus API (field names in French, after the models; Chorus Pro's own
names — `numeroFacture`, `statutCourantCode`, `histoStatut…` — are mapped in docs/chorus.md)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from pigp.chorus import statuts
from pigp.chorus.models import Depot, Facture, FactureEvent, StatutFacture
from pigp.chorus.models.factures import DELAI_GLOBAL, IssueDepot

STATUT_HELP = "Code du statut (CPPStatutPivot) : " + " ; ".join(
    f"{code} {label}" for code, label in StatutFacture.choices
)
RECIPIENT_CHOICES = [(c, StatutFacture(c).label) for c in sorted(statuts.RECIPIENT_ACTIONS)]


class StatutField(serializers.ChoiceField):
    """A status code, documented as the enum of CPPStatutPivot's codes."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", STATUT_HELP)
        super().__init__(choices=StatutFacture.choices, **kwargs)


class ControleSerializer(serializers.Serializer):
    controle = serializers.CharField(help_text="Le contrôle (« Facture lisible », « Doublon »…).")
    resultat = serializers.ChoiceField(
        choices=[("ok", "ok"), ("avertissement", "avertissement"), ("erreur", "erreur")],
        help_text="Son issue.",
    )
    message = serializers.CharField(help_text="Ce qu'il a constaté, en français.")


class ConstatSerializer(serializers.Serializer):
    regle = serializers.CharField(help_text="Règle (`xsd`, `BR-CO-10`…).")
    gravite = serializers.CharField(help_text="`error` (bloquant) ou `warning`.")
    chemin = serializers.CharField(help_text="Élément concerné.", allow_blank=True)
    ligne = serializers.IntegerField(allow_null=True, help_text="Ligne du fichier.")
    message = serializers.CharField(help_text="Le constat, en français.")


class LigneSerializer(serializers.Serializer):
    id = serializers.CharField(allow_null=True, help_text="Identifiant de la ligne (BT-126).")
    description = serializers.CharField(allow_null=True, help_text="Désignation (BT-153).")
    quantite = serializers.CharField(allow_null=True, help_text="Quantité (décimal, en texte).")
    unite = serializers.CharField(allow_null=True, help_text="Unité (BT-130).")
    prix_unitaire = serializers.CharField(allow_null=True, help_text="Prix unitaire net.")
    montant_ht = serializers.CharField(allow_null=True, help_text="Montant net de la ligne.")
    categorie_tva = serializers.CharField(allow_null=True, help_text="Catégorie de TVA.")
    taux_tva = serializers.CharField(allow_null=True, help_text="Taux de TVA (%).")


class EvenementSerializer(serializers.ModelSerializer):
    """One step of the history (Chorus Pro: `histoStatut`)."""

    statut = StatutField()
    statut_libelle = serializers.CharField(source="get_statut_display", help_text="Libellé.")
    date = serializers.DateTimeField(source="at", help_text="Date du passage à ce statut.")
    par = serializers.CharField(source="actor_label", help_text="Qui l'a fait passer.")
    motif = serializers.CharField(help_text="Motif ou commentaire (peut être vide).")

    class Meta:
        model = FactureEvent
        fields = ["statut", "statut_libelle", "date", "par", "motif"]
        read_only_fields = fields


class FactureSerializer(serializers.ModelSerializer):
    """An invoice in a list (Chorus Pro: one row of `listeFactures`)."""

    statut = StatutField()
    statut_libelle = serializers.CharField(source="get_statut_display", help_text="Libellé.")
    type = serializers.CharField(source="kind", help_text="`facture` ou `avoir`.")
    fournisseur_siret = serializers.CharField(source="fournisseur.siret")
    fournisseur_nom = serializers.CharField(source="fournisseur.raison_sociale")
    destinataire = serializers.IntegerField(
        source="collectivite_id", allow_null=True, help_text="Collectivité destinataire."
    )
    destinataire_nom = serializers.SerializerMethodField(help_text="Son nom.")
    montant_ht = serializers.DecimalField(max_digits=16, decimal_places=2)
    montant_tva = serializers.DecimalField(max_digits=16, decimal_places=2)
    montant_ttc = serializers.DecimalField(max_digits=16, decimal_places=2)
    montant_a_payer = serializers.DecimalField(max_digits=16, decimal_places=2)
    jours_ecoules = serializers.SerializerMethodField(
        help_text=f"Jours décomptés du délai global de paiement ({DELAI_GLOBAL.days} jours)."
    )
    jours_restants = serializers.SerializerMethodField(
        help_text="Jours restants (négatif : dépassé)."
    )
    en_retard = serializers.SerializerMethodField(help_text="Délai de paiement dépassé.")
    url = serializers.SerializerMethodField(help_text="Adresse de cette facture dans l'API.")

    class Meta:
        model = Facture
        fields = [
            "id",
            "numero",
            "type",
            "format",
            "date_emission",
            "date_echeance",
            "date_reception",
            "devise",
            "montant_ht",
            "montant_tva",
            "montant_ttc",
            "montant_a_payer",
            "fournisseur_siret",
            "fournisseur_nom",
            "destinataire",
            "destinataire_nom",
            "siret_acheteur",
            "code_service",
            "numero_engagement",
            "numero_marche",
            "statut",
            "statut_libelle",
            "statut_le",
            "motif",
            "numero_mandat",
            "date_paiement",
            "jours_ecoules",
            "jours_restants",
            "en_retard",
            "url",
        ]
        read_only_fields = fields

    def _now(self) -> Any:
        # One instant for every row of a page.
        if not hasattr(self, "_instant"):
            self._instant = self.context.get("now") or timezone.now()
        return self._instant

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_destinataire_nom(self, obj: Facture) -> str | None:
        return obj.collectivite.nom if obj.collectivite is not None else None

    def get_jours_ecoules(self, obj: Facture) -> int:
        return obj.jours_ecoules(self._now())

    def get_jours_restants(self, obj: Facture) -> int:
        return obj.jours_restants(self._now())

    def get_en_retard(self, obj: Facture) -> bool:
        return obj.en_retard(self._now())

    def get_url(self, obj: Facture) -> str:
        view = self.context.get("detail_view", "api:chorus-recue")
        return reverse(view, args=[obj.pk])


class FactureDetailSerializer(FactureSerializer):
    """One invoice whole (Chorus Pro: « Consulter facture »)."""

    profil = serializers.CharField(help_text="Profil du format (EN 16931, BASIC…).")
    lignes = LigneSerializer(many=True, help_text="Lignes de la facture (vides pour un PDF).")
    rapport = ConstatSerializer(many=True, help_text="Rapport de validation (constats).")
    service = serializers.SerializerMethodField(help_text="Service destinataire reconnu.")
    mandat = serializers.IntegerField(
        source="mandat_id",
        allow_null=True,
        help_text="Pièce Hélios du mandat, quand elle est liée.",
    )
    reference_paiement = serializers.CharField(help_text="Référence du virement.")
    jours_suspendus = serializers.SerializerMethodField(help_text="Jours passés suspendue.")
    actions = serializers.SerializerMethodField(
        help_text="Statuts où l'appelant peut faire passer la facture maintenant."
    )
    historique = serializers.SerializerMethodField(help_text="Historique des statuts.")
    original_url = serializers.SerializerMethodField(help_text="Téléchargement de l'original.")
    pdf_url = serializers.SerializerMethodField(help_text="Téléchargement du PDF.")

    class Meta(FactureSerializer.Meta):
        fields = [
            *FactureSerializer.Meta.fields,
            "profil",
            "service",
            "mandat",
            "reference_paiement",
            "jours_suspendus",
            "lignes",
            "rapport",
            "actions",
            "historique",
            "original_url",
            "pdf_url",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_service(self, obj: Facture) -> str | None:
        return str(obj.service) if obj.service is not None else None

    def get_jours_suspendus(self, obj: Facture) -> int:
        return obj.delai_suspendu.days

    @extend_schema_field(serializers.ListField(child=StatutField()))
    def get_actions(self, obj: Facture) -> list[str]:
        return list(self.context.get("actions", []))

    @extend_schema_field(EvenementSerializer(many=True))
    def get_historique(self, obj: Facture) -> list[dict[str, object]]:
        events = obj.events.order_by("at", "pk")
        # many=True makes a ListSerializer, whose data is a list; the stubs only know one object.
        return EvenementSerializer(events, many=True).data  # type: ignore[return-value]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_original_url(self, obj: Facture) -> str | None:
        name = self.context.get("original_view")
        return reverse(name, args=[obj.pk]) if name else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_pdf_url(self, obj: Facture) -> str | None:
        name = self.context.get("pdf_view")
        return reverse(name, args=[obj.pk]) if name else None


class HistoriqueSerializer(serializers.Serializer):
    """Chorus Pro: « Consulter historique » (`statutCourantCode`, `historiquesDesStatuts`)."""

    id = serializers.IntegerField(help_text="Identifiant de la facture.")
    numero = serializers.CharField(help_text="Numéro de la facture.")
    statut = StatutField(help_text="Statut courant (CPPStatutPivot).")
    statut_libelle = serializers.CharField()
    historique = EvenementSerializer(many=True, help_text="Du plus ancien au plus récent.")


class FacturePageSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="Nombre de factures correspondant à la recherche.")
    page = serializers.IntegerField(help_text="Numéro de cette page (à partir de 1).")
    pages = serializers.IntegerField(help_text="Nombre de pages.")
    next = serializers.CharField(allow_null=True, help_text="Page suivante.")
    previous = serializers.CharField(allow_null=True, help_text="Page précédente.")
    results = FactureSerializer(many=True)


class StatutChangeSerializer(serializers.Serializer):
    """Chorus Pro: « Traiter facture reçue » (`NouveauStatut`, `Motif`)."""

    statut = serializers.ChoiceField(
        choices=RECIPIENT_CHOICES,
        help_text=(
            "Nouveau statut : 05 Rejetée, 06 Suspendue (motif obligatoire), 07 Service fait, "
            "08 Mandatée (avec `numero_mandat`)."
        ),
        error_messages={"invalid_choice": "« {input} » n'est pas une décision du destinataire."},
    )
    motif = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="Motif (obligatoire pour 05, 06).",
    )
    numero_mandat = serializers.CharField(
        required=False, allow_blank=True, max_length=40, help_text="Numéro du mandat (pour 08)."
    )


class DepotSerializer(serializers.ModelSerializer):
    """The compte rendu de dépôt: every check and its outcome."""

    issue = serializers.ChoiceField(choices=IssueDepot.choices, help_text="Issue du dépôt.")
    issue_libelle = serializers.CharField(source="get_issue_display")
    controles = ControleSerializer(many=True, help_text="Contrôles, dans l'ordre.")
    rapport = ConstatSerializer(many=True, help_text="Constats de validation du fichier.")
    facture = serializers.IntegerField(
        source="facture_id", allow_null=True, help_text="Facture créée (absente si refusée)."
    )
    facture_numero = serializers.SerializerMethodField(help_text="Son numéro.")
    statut = serializers.SerializerMethodField(help_text=STATUT_HELP)
    statut_libelle = serializers.SerializerMethodField(help_text="Libellé du statut.")
    motif = serializers.SerializerMethodField(help_text="Motif du statut (À recycler).")
    facture_url = serializers.SerializerMethodField(help_text="Adresse de la facture.")

    class Meta:
        model = Depot
        fields = [
            "id",
            "nom_fichier",
            "recu_le",
            "issue",
            "issue_libelle",
            "controles",
            "rapport",
            "facture",
            "facture_numero",
            "statut",
            "statut_libelle",
            "motif",
            "facture_url",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_facture_numero(self, obj: Depot) -> str | None:
        return obj.facture.numero if obj.facture is not None else None

    @extend_schema_field(StatutField(allow_null=True))
    def get_statut(self, obj: Depot) -> str | None:
        return obj.facture.statut if obj.facture is not None else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_statut_libelle(self, obj: Depot) -> str | None:
        return obj.facture.get_statut_display() if obj.facture is not None else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_motif(self, obj: Depot) -> str | None:
        return obj.facture.motif if obj.facture is not None else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_facture_url(self, obj: Depot) -> str | None:
        if obj.facture is None:
            return None
        return reverse("api:chorus-emise", args=[obj.facture_id])


class DepotFormSerializer(serializers.Serializer):
    """The multipart body of a deposit (the typed fields only for a plain PDF)."""

    fichier = serializers.FileField(
        help_text="La facture : UBL 2.1, CII, Factur-X, ou PDF simple (avec les champs saisis)."
    )
    numero = serializers.CharField(required=False, help_text="PDF simple : numéro de facture.")
    type = serializers.ChoiceField(
        choices=[("facture", "Facture"), ("avoir", "Avoir")],
        required=False,
        help_text="PDF simple : facture (par défaut) ou avoir.",
    )
    date_emission = serializers.CharField(required=False, help_text="PDF simple : AAAA-MM-JJ.")
    date_echeance = serializers.CharField(required=False, help_text="PDF simple : AAAA-MM-JJ.")
    siret_acheteur = serializers.CharField(required=False, help_text="PDF simple : SIRET.")
    montant_ht = serializers.CharField(required=False, help_text="PDF simple : montant HT.")
    montant_tva = serializers.CharField(required=False, help_text="PDF simple : montant TVA.")
    montant_ttc = serializers.CharField(required=False, help_text="PDF simple : montant TTC.")
    code_service = serializers.CharField(required=False, help_text="Code service (BT-10).")
    numero_engagement = serializers.CharField(required=False, help_text="N° d'engagement.")
    numero_marche = serializers.CharField(required=False, help_text="N° de marché.")


class ResoumissionSerializer(serializers.Serializer):
    siret_acheteur = serializers.CharField(
        required=False, max_length=20, help_text="SIRET corrigé de l'acheteur."
    )
    code_service = serializers.CharField(
        required=False, allow_blank=True, max_length=100, help_text="Code service corrigé."
    )
    numero_engagement = serializers.CharField(
        required=False, allow_blank=True, max_length=100, help_text="N° d'engagement corrigé."
    )


class CompletionSerializer(serializers.Serializer):
    commentaire = serializers.CharField(
        max_length=2000, help_text="Ce que vous apportez pour compléter la facture suspendue."
    )
