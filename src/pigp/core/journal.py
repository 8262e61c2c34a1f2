"""Writing to and checking the journal."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from pigp.core.models.journal import GENESIS_HASH, JournalEntry, JournalHead


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record(
    action: str,
    *,
    actor: Any = None,
    obj: models.Model | None = None,
    collectivite: Any = None,
    request: HttpRequest | None = None,
    details: dict[str, Any] | None = None,
    actor_label: str = "",
    ip: str | None = None,
) -> JournalEntry:
    """Append one entry to the chain.

    The head row is read FOR UPDATE (a row lock on PostgreSQL; on SQLite the IMMEDIATE
    transaction already holds the database's write lock) so two writers never chain onto
    the same previous hash.
    """
    if actor is not None and not getattr(actor, "is_authenticated", True):
        actor = None
    # Round-trip through JSON so the stored details hash the same when read back.
    clean_details = json.loads(json.dumps(details or {}, default=str))
    with transaction.atomic():
        head = JournalHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            head, _ = JournalHead.objects.get_or_create(pk=1)
        entry = JournalEntry(
            timestamp=timezone.now(),
            actor_id=actor.pk if actor is not None else None,
            actor_label=actor_label or (actor.email if actor is not None else ""),
            action=action,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            object_repr=str(obj)[:300] if obj is not None else "",
            collectivite_id=getattr(collectivite, "pk", collectivite),
            ip=ip or client_ip(request),
            details=clean_details,
            previous_hash=head.last_hash,
        )
        entry.entry_hash = entry.compute_hash()
        entry.save()
        JournalHead.objects.filter(pk=1).update(last_hash=entry.entry_hash, count=F("count") + 1)
    return entry


@dataclass(frozen=True)
class ChainCheck:
    checked: int
    first_broken: JournalEntry | None = None
    reason: str = ""

    @property
    def intact(self) -> bool:
        return not self.reason


def verify_chain(batch_size: int = 2000) -> ChainCheck:
    """Recompute every hash in order; name the first entry that does not match."""
    previous = GENESIS_HASH
    checked = 0
    for entry in JournalEntry.objects.order_by("id").iterator(chunk_size=batch_size):
        if entry.previous_hash != previous:
            return ChainCheck(
                checked,
                entry,
                "l'empreinte précédente ne correspond pas à l'entrée qui la précède "
                "(entrée supprimée, insérée ou modifiée)",
            )
        if entry.compute_hash() != entry.entry_hash:
            return ChainCheck(checked, entry, "le contenu de l'entrée a été modifié")
        previous = entry.entry_hash
        checked += 1
    # The head is written in the same transaction as each entry, so a mismatch here means
    # entries were removed from the end of the chain.
    head = JournalHead.objects.filter(pk=1).first()
    last = head.last_hash if head is not None else GENESIS_HASH
    if last != previous:
        return ChainCheck(checked, None, "des entrées ont été supprimées à la fin du journal")
    return ChainCheck(checked)


# What the journal's actions mean, for the people who read it (the admin, the exports).
ACTION_LABELS = {
    "api_jeton_cree": "Jeton d'API créé",
    "api_jeton_revoque": "Jeton d'API révoqué",
    "api_jeton_utilise": "Jeton d'API utilisé",
    "boite_aux_lettres_depot": "Dépôt dans la boîte aux lettres",
    "boite_aux_lettres_lu": "Document de la boîte aux lettres lu",
    "chorus_depot": "Chorus : dépôt de facture",
    "chorus_facture_deposee": "Chorus : facture déposée",
    "chorus_facture_statut": "Chorus : statut de facture modifié",
    "chorus_fournisseur_confirme": "Chorus : compte fournisseur confirmé",
    "chorus_fournisseur_inscrit": "Chorus : inscription d'un fournisseur",
    "chorus_service": "Chorus : service destinataire modifié",
    "chorus_structure": "Chorus : paramètres de la structure modifiés",
    "compte_cree": "Compte créé",
    "compte_service_cree": "Compte de service créé",
    "compte_service_revoque": "Compte de service révoqué",
    "connexion": "Connexion",
    "connexion_echouee": "Connexion échouée",
    "deconnexion": "Déconnexion",
    "demo": "Données de démonstration chargées",
    "double_authentification_activee": "Double authentification activée",
    "double_authentification_echouee": "Double authentification échouée",
    "double_authentification_reussie": "Double authentification réussie",
    "extranet_alerte_abonnement": "Extranet : alerte créée",
    "extranet_alerte_desabonnement": "Extranet : alerte supprimée",
    "flux_acquitte": "Flux acquitté",
    "flux_annule": "Flux annulé",
    "flux_en_cours": "Flux en cours de contrôle",
    "flux_erreur": "Flux : erreur technique",
    "flux_information": "Flux : information disponible",
    "flux_poste": "Flux posté",
    "flux_refuse": "Flux refusé",
    "flux_transmis": "Flux transmis au comptable",
    "habilitation_accordee": "Habilitation accordée",
    "habilitation_demandee": "Habilitation demandée",
    "habilitation_refusee": "Habilitation refusée",
    "habilitation_revoquee": "Habilitation révoquée",
    "helios_compte_tresor": "Hélios : compte au Trésor modifié",
    "helios_debit_rapproche": "Hélios : débit rapproché",
    "helios_encaissement": "Hélios : encaissement",
    "helios_exercice_clos": "Hélios : exercice clos",
    "helios_paiements": "Hélios : campagne de paiement",
    "helios_prelevements": "Hélios : campagne de prélèvement",
    "helios_prelevements_regles": "Hélios : prélèvements réglés",
    "helios_reception": "Hélios : flux intégré",
    "helios_releve": "Hélios : relevé bancaire importé",
    "helios_releve_debits": "Hélios : débits d'un relevé rapprochés",
    "helios_retour_emis": "Hélios : PES_Retour émis",
    "helios_solde_ouverture": "Hélios : solde d'ouverture",
    "helios_stade_recouvrement": "Hélios : stade de recouvrement",
    "import_collectivites": "Import de collectivités",
    "mot_de_passe_reinitialise": "Mot de passe réinitialisé",
    "orc_audit": "ORC : audit des copies du silo",
    "orc_audit_planifie": "ORC : audit périodique planifié",
    "orc_horodatage_echoue": "ORC : horodatage d'un scellement impossible",
    "orc_preuve_consultee": "ORC : relevé de valeur probante consulté",
    "orc_scellement": "ORC : journal scellé",
    "passerelle_preferences": "Passerelle : préférences modifiées",
    "orc_gel": "ORC : pièce gelée (gel juridique)",
    "orc_gel_leve": "ORC : gel d'une pièce levé",
    "orc_elimination_etablie": "ORC : bordereau d'élimination établi",
    "orc_elimination_approuvee": "ORC : bordereau d'élimination approuvé",
    "orc_elimination_visee": "ORC : bordereau d'élimination visé",
    "orc_elimination_refusee": "ORC : bordereau d'élimination refusé",
    "orc_elimination_executee": "ORC : bordereau d'élimination exécuté",
    "orc_elimination": "ORC : preuve de destruction",
    "orc_transfert": "ORC : transfert SEDA préparé",
    "orc_transfert_telecharge": "ORC : transfert SEDA téléchargé",
    "orc_transfert_reponse": "ORC : réponse au transfert SEDA importée",
    "orc_archivage": "ORC : pièce archivée",
    "orc_exercice_scelle": "ORC : exercice clos complété et scellé",
    "orc_adhesion": "Adhésion à l'offre de destruction anticipée (ORC)",
    "orc_adhesion_resiliee": "Adhésion à l'offre de destruction anticipée résiliée (ORC)",
    "orc_attestation": "Attestation d'archivage émise (ORC)",
    "orc_attestation_mensuelle": "Attestation récapitulative mensuelle émise (ORC)",
    "orc_attestation_consultee": "Attestation d'archivage consultée (ORC)",
    "orc_depot_numerise": "PJ papier numérisée déposée (ORC)",
    "orc_recherche": "ORC : recherche dans les archives",
    "orc_consultation": "ORC : consultation d'une pièce ou d'un document archivé",
    "orc_telechargement": "ORC : téléchargement d'un document archivé",
    "orc_lecture_impossible": "ORC : document archivé illisible (aucune copie saine)",
}


def action_label(action: str) -> str:
    """« habilitation_accordee » → « Habilitation accordée »; an unknown action keeps its words."""
    return ACTION_LABELS.get(action) or action.replace("_", " ").capitalize()
