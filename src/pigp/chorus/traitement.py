"""What the recipient does with an invoice: service fait, suspendre, rejeter, mandater — each a
transition of the life cycle, and an e-mail to the supplier sent with it (same transaction)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from pigp.chorus import statuts
from pigp.chorus.models import CompteFournisseur, Facture, StatutFacture
from pigp.chorus.statuts import TransitionError
from pigp.core.models import User
from pigp.core.tasks import send_notification

S = StatutFacture


def supplier_recipients(facture: Facture) -> list[str]:
    emails = [facture.fournisseur.email] if facture.fournisseur.email else []
    emails += CompteFournisseur.objects.filter(
        fournisseur_id=facture.fournisseur_id, confirme=True, user__is_active=True
    ).values_list("user__email", flat=True)
    return sorted({e.lower() for e in emails if e})


def notify_supplier(facture: Facture) -> None:
    """Tell the supplier its invoice changed status (enqueued in the caller's transaction)."""
    recipients = supplier_recipients(facture)
    if not recipients:
        return
    destinataire = facture.collectivite.nom if facture.collectivite else "le destinataire"
    lines = [
        f"Votre facture n° {facture.numero} du {facture.date_emission:%d/%m/%Y} "
        f"adressée à {destinataire} est désormais « {facture.get_statut_display()} ».",
    ]
    if facture.motif:
        lines.append(f"Motif : {facture.motif}")
    if facture.statut == S.MANDATEE and facture.numero_mandat:
        lines.append(f"Numéro de mandat : {facture.numero_mandat}")
    lines.append(
        f"\nDétail : {settings.SITE_URL.rstrip('/')}{reverse('chorus:facture', args=[facture.pk])}"
    )
    send_notification.enqueue(
        subject=f"[Chorus Pro] Facture n° {facture.numero} : {facture.get_statut_display()}",
        body="\n".join(lines),
        recipients=recipients,
    )


def traiter(
    facture: Facture,
    to: str,
    *,
    actor: User | None,
    motif: str = "",
    numero_mandat: str = "",
    actor_label: str = "",
    mandat: int | None = None,
) -> Facture:
    """One recipient action on `facture`; the caller checked access (`get_facture(write=True)`).
    `actor` is None for an API service account, named by `actor_label`. « Mandatée » may name
    the Hélios pièce (`mandat`, its id) picked among the collectivité's: it must be a dépense of
    the invoice's collectivité, not rejected, of that number."""
    if to not in statuts.RECIPIENT_ACTIONS:
        raise TransitionError("Cette action n'est pas une décision du destinataire.")
    fields: dict[str, Any] = {}
    if to == S.MANDATEE:
        numero_mandat = (numero_mandat or "").strip()
        if not numero_mandat:
            raise TransitionError("Le numéro du mandat est obligatoire pour marquer « Mandatée ».")
        fields["numero_mandat"] = numero_mandat[:40]
    with transaction.atomic():
        statuts.transition(facture, to, actor=actor, actor_label=actor_label, motif=motif, **fields)
        notify_supplier(facture)
        if to == S.MANDATEE:
            # The mandat already in Hélios' ledger: linked at once (09, and where it stands).
            from pigp.chorus import lien_helios  # it notifies through this module

            lien_helios.link_on_mandater(facture, mandat)
    return facture


@dataclass
class Bulk:
    done: list[Facture] = field(default_factory=list)
    refused: list[tuple[Facture, str]] = field(default_factory=list)


def service_fait_en_masse(factures: Iterable[Facture], *, actor: User) -> Bulk:
    """« Service fait » on each invoice of a selection; one that cannot be is said, the others
    are done (each in its own transaction)."""
    result = Bulk()
    for facture in factures:
        try:
            traiter(facture, S.SERVICE_FAIT, actor=actor)
        except TransitionError as exc:
            result.refused.append((facture, str(exc)))
        else:
            result.done.append(facture)
    return result
