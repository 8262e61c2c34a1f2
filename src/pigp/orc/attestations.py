"""Attestations d'archivage: per covered unit, and the monthly recapitulative one.

A unit's attestation is issued once every document of the unit is archived on every copy of
`silo.copies()`: each copy's row must be sound AND its content re-read now must have the
expected SHA-512 (never assumed from the rows alone). It lists the PJ now kept with legal value
(role pj, facture or numerise) so that their paper originals may be destroyed. A document
deposited after the unit's attestation (a digitised paper PJ) gets a complementary attestation
listing only the documents no earlier attestation of the unit lists: `issue_for` is idempotent
per set of documents.

The content is canonical JSON (sorted keys, no spaces, UTF-8) and `empreinte` is its SHA-512:
anyone holding the JSON can recompute it.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from pigp.core import journal
from pigp.core.models import Collectivite
from pigp.orc import adhesion, silo
from pigp.orc.models import (
    Adhesion,
    ArchiveDocument,
    ArchiveUnit,
    Attestation,
    EtatCopie,
    KindAttestation,
    ObjectCopy,
    RoleDocument,
    StatutUnite,
)
from pigp.passerelle import mailbox
from pigp.passerelle.models import KindFlux

LEGAL_ROLES = (RoleDocument.PJ, RoleDocument.FACTURE, RoleDocument.NUMERISE)
MAILBOX_KIND = KindFlux.ATTESTATION_ORC
DECLARATION = (
    "La plateforme atteste que les pièces justificatives listées ci-dessous sont archivées "
    "sur chacune de ses copies, chaque copie relue et son empreinte SHA-512 vérifiée. "
    "Conformément à la convention d'adhésion à l'offre de destruction anticipée, les "
    "originaux papier de ces pièces peuvent être détruits."
)
DECLARATION_MENSUELLE = (
    "Récapitulatif des attestations d'archivage émises au cours du mois pour la collectivité. "
    "Chaque attestation listée atteste que les originaux papier des pièces justificatives "
    "qu'elle énumère peuvent être détruits."
)


def canonical(content: dict[str, Any]) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def empreinte_of(content: dict[str, Any]) -> str:
    return hashlib.sha512(canonical(content)).hexdigest()


@dataclass
class Eligibility:
    """Whether a unit's documents may be attested now, and why not."""

    documents: list[ArchiveDocument] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.reasons and bool(self.documents)


def attested_document_ids(unit: ArchiveUnit) -> set[int]:
    ids: set[int] = set()
    for contenu in Attestation.objects.filter(unit=unit, kind=KindAttestation.PIECE).values_list(
        "contenu", flat=True
    ):
        ids.update(d["id"] for d in contenu.get("documents", []))
    return ids


def eligibility(unit: ArchiveUnit) -> Eligibility:
    """The documents an attestation of `unit` would list now, or the reasons it cannot."""
    result = Eligibility()
    if not unit.couverte:
        result.reasons.append(
            "La pièce n'est pas couverte par l'adhésion à l'offre de destruction anticipée "
            "(reçue avant l'adhésion, ou collectivité non adhérente)."
        )
        return result
    if unit.statut == StatutUnite.ELIMINEE or unit.eliminee_le is not None:
        result.reasons.append("La pièce a été éliminée.")
        return result
    documents = list(unit.documents.select_related("obj").order_by("pk"))
    names = silo.copies()
    sound: dict[int, set[str]] = {}
    for obj_id, storage in ObjectCopy.objects.filter(
        obj_id__in=[d.obj_id for d in documents], etat=EtatCopie.SAINE
    ).values_list("obj_id", "storage"):
        sound.setdefault(obj_id, set()).add(storage)
    for doc in documents:
        if doc.obj.eliminated_at is not None:
            result.reasons.append(f"« {doc.nom} » a été éliminé.")
            continue
        for name in names:
            if name not in sound.get(doc.obj_id, set()):
                result.reasons.append(f"« {doc.nom} » n'est pas enregistré sain sur « {name} ».")
                continue
            seen = silo.digest_of(name, doc.obj.sha512)
            if seen is None:
                result.reasons.append(f"« {doc.nom} » est absent de la copie « {name} ».")
            elif seen != doc.obj.sha512:
                result.reasons.append(f"« {doc.nom} » est altéré sur la copie « {name} ».")
    if result.reasons:
        return result
    done = attested_document_ids(unit)
    result.documents = [d for d in documents if d.role in LEGAL_ROLES and d.pk not in done]
    if not result.documents:
        result.reasons.append(
            "Toutes les pièces justificatives de cette pièce figurent déjà sur une attestation."
            if done
            else "Cette pièce n'a aucune pièce justificative archivée."
        )
    return result


def _document_entry(doc: ArchiveDocument) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": doc.pk,
        "nom": doc.nom,
        "role": doc.role,
        "role_libelle": doc.get_role_display(),
        "sha512": doc.obj.sha512,
        "taille": doc.obj.size,
        "archive_le": doc.archive_le.isoformat(),
        "copie_numerisee": doc.role == RoleDocument.NUMERISE,
    }
    if doc.role == RoleDocument.NUMERISE:
        entry["numerisation"] = doc.numerisation
    return entry


def _unit_content(
    unit: ArchiveUnit, docs: list[ArchiveDocument], adh: Adhesion | None, rang: int
) -> dict[str, Any]:
    coll = unit.collectivite
    return {
        "type": "attestation_archivage",
        "version": 1,
        "rang": rang,  # 1 for the unit's first attestation, then its complements
        "emise_le": timezone.now().isoformat(),
        "collectivite": {"id": coll.pk, "nom": coll.nom, "siret": coll.siret},
        "piece": {
            "unite": unit.pk,
            "nature": "mandat" if unit.domaine == "depense" else "titre",
            "numero": unit.numero,
            "bordereau": unit.numero_bordereau,
            "exercice": unit.annee,
            "objet": unit.objet,
        },
        "adhesion": (
            {
                "signee_le": adh.signee_le.isoformat(),
                "signataire": adh.signataire,
                "qualite": adh.qualite,
            }
            if adh
            else None
        ),
        "copies": list(silo.copies()),
        "documents": [_document_entry(d) for d in docs],
        "declaration": DECLARATION,
    }


def issue_for(unit: ArchiveUnit) -> Attestation | None:
    """Issue the attestation of `unit`'s documents not yet attested, all checked on every copy.

    Returns the unit's latest attestation when every PJ is already attested, None when nothing
    may be attested (`eligibility(unit).reasons` says why).
    """
    with transaction.atomic():
        # Serialise issuers of the same unit (a row lock on PostgreSQL; SQLite's write lock).
        locked = ArchiveUnit.objects.select_for_update().filter(pk=unit.pk).first()
        if locked is None:
            return None
        unit = ArchiveUnit.objects.select_related("collectivite").get(pk=unit.pk)
        verdict = eligibility(unit)
        if not verdict.ok:
            if unit.couverte and attested_document_ids(unit) and not verdict.documents:
                return latest_for(unit)
            return None
        rang = Attestation.objects.filter(unit=unit, kind=KindAttestation.PIECE).count() + 1
        content = _unit_content(
            unit, verdict.documents, _adhesion_covering(unit.collectivite_id), rang
        )
        attestation = Attestation.objects.create(
            collectivite=unit.collectivite,
            kind=KindAttestation.PIECE,
            unit=unit,
            contenu=content,
            empreinte=empreinte_of(content),
        )
        journal.record(
            "orc_attestation",
            actor_label="orc",
            obj=attestation,
            collectivite=unit.collectivite_id,
            details={
                "unite": unit.pk,
                "rang": rang,
                "documents": [d.obj.sha512 for d in verdict.documents],
                "empreinte": attestation.empreinte,
            },
        )
    return attestation


def _adhesion_covering(collectivite_id: int) -> Adhesion | None:
    return adhesion.in_force(collectivite_id) or (
        Adhesion.objects.filter(collectivite_id=collectivite_id).order_by("-enregistree_le").first()
    )


def latest_for(unit: ArchiveUnit) -> Attestation | None:
    return Attestation.objects.filter(unit=unit, kind=KindAttestation.PIECE).order_by("-pk").first()


def for_unit(unit: ArchiveUnit) -> list[Attestation]:
    return list(Attestation.objects.filter(unit=unit, kind=KindAttestation.PIECE).order_by("pk"))


def issue_pending() -> int:
    """The sweep: attest every covered unit with a PJ no attestation lists yet. Returns how
    many attestations were issued; a unit that cannot be attested now (a copy missing) is
    tried again at the next sweep."""
    issued = 0
    covered = ArchiveUnit.objects.filter(couverte=True, eliminee_le__isnull=True).exclude(
        statut=StatutUnite.ELIMINEE
    )
    legal = ArchiveDocument.objects.filter(unit=OuterRef("pk"), role__in=LEGAL_ROLES)
    never = covered.filter(Exists(legal)).exclude(attestations__kind=KindAttestation.PIECE)
    # Complements: a PJ archived after the unit's latest attestation (a digitised paper PJ).
    latest = (
        Attestation.objects.filter(unit=OuterRef("pk"), kind=KindAttestation.PIECE)
        .order_by("-emise_le")
        .values("emise_le")[:1]
    )
    late = (
        covered.annotate(derniere=Subquery(latest))
        .filter(derniere__isnull=False)
        .filter(Exists(legal.filter(archive_le__gte=OuterRef("derniere"))))
    )
    for queryset in (never, late):
        for pk in list(queryset.order_by("pk").values_list("pk", flat=True)):
            unit = ArchiveUnit.objects.get(pk=pk)
            before = latest_for(unit)
            current = issue_for(unit)
            if current is not None and current != before:
                issued += 1
    return issued


# The monthly recapitulative attestation ------------------------------------------------------


def month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    first = month.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    tz = timezone.get_current_timezone()
    return (
        datetime.datetime.combine(first, datetime.time.min, tzinfo=tz),
        datetime.datetime.combine(following, datetime.time.min, tzinfo=tz),
    )


MOIS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def month_label(month: datetime.date) -> str:
    return f"{MOIS[month.month - 1]} {month.year}"


def monthly(collectivite: Collectivite, month: datetime.date) -> Attestation:
    """The recapitulative attestation of `month` (a finished month) for `collectivite`, issued
    once and delivered in its mailbox in the same transaction."""
    first = month.replace(day=1)
    start, end = month_bounds(first)
    if end > timezone.now():
        raise ValueError("Le récapitulatif d'un mois n'est établi qu'une fois le mois terminé.")
    existing = Attestation.objects.filter(
        collectivite=collectivite, kind=KindAttestation.MENSUELLE, periode=first
    ).first()
    if existing is not None:
        return existing
    attested = list(
        Attestation.objects.filter(
            collectivite=collectivite,
            kind=KindAttestation.PIECE,
            emise_le__gte=start,
            emise_le__lt=end,
        )
        .order_by("emise_le", "pk")
        .only("pk", "emise_le", "empreinte", "contenu", "unit_id")
    )
    content: dict[str, Any] = {
        "type": "attestation_mensuelle",
        "version": 1,
        "mois": first.strftime("%Y-%m"),
        "emise_le": timezone.now().isoformat(),
        "collectivite": {
            "id": collectivite.pk,
            "nom": collectivite.nom,
            "siret": collectivite.siret,
        },
        "attestations": [
            {
                "id": a.pk,
                "unite": a.unit_id,
                "emise_le": a.emise_le.isoformat(),
                "empreinte": a.empreinte,
                "piece": a.contenu.get("piece", {}),
                "documents": [
                    {
                        "nom": d["nom"],
                        "role": d.get("role", ""),
                        "role_libelle": d.get("role_libelle", ""),
                        "sha512": d["sha512"],
                        "copie_numerisee": d.get("copie_numerisee", False),
                    }
                    for d in a.contenu.get("documents", [])
                ],
            }
            for a in attested
        ],
        "nombre_pieces": len({a.unit_id for a in attested}),
        "nombre_documents": sum(len(a.contenu.get("documents", [])) for a in attested),
        "declaration": DECLARATION_MENSUELLE,
    }
    from pigp.orc import attestations_pdf  # fpdf2 loaded only when a PDF is made

    try:
        with transaction.atomic():
            recap = Attestation.objects.create(
                collectivite=collectivite,
                kind=KindAttestation.MENSUELLE,
                periode=first,
                contenu=content,
                empreinte=empreinte_of(content),
            )
            journal.record(
                "orc_attestation_mensuelle",
                actor_label="orc",
                obj=recap,
                collectivite=collectivite,
                details={"mois": content["mois"], "empreinte": recap.empreinte},
            )
            mailbox.deliver(
                collectivite,
                MAILBOX_KIND,
                mailbox_name(recap),
                attestations_pdf.render(recap),
                media_type="application/pdf",
            )
    except IntegrityError:  # issued meanwhile by another worker
        return Attestation.objects.get(
            collectivite=collectivite, kind=KindAttestation.MENSUELLE, periode=first
        )
    return recap


def mailbox_name(recap: Attestation) -> str:
    assert recap.periode is not None
    return f"attestation-archivage-{recap.periode:%Y-%m}-{recap.collectivite.siret}.pdf"


def previous_month(now: datetime.datetime | None = None) -> datetime.date:
    today = timezone.localdate(now)
    return (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


def monthly_due(now: datetime.datetime | None = None) -> list[Attestation]:
    """The periodic task at the start of each month: the previous month's recapitulative
    attestation of every collectivité whose adhesion was in force during it (idempotent)."""
    month = previous_month(now)
    start, end = month_bounds(month)
    done = Attestation.objects.filter(kind=KindAttestation.MENSUELLE, periode=month).values(
        "collectivite_id"
    )
    ids = (
        Adhesion.objects.filter(Q(fin_le__isnull=True) | Q(fin_le__gte=start))
        .filter(enregistree_le__lt=end)
        .exclude(collectivite_id__in=done)
        .values_list("collectivite_id", flat=True)
        .distinct()
    )
    return [monthly(c, month) for c in Collectivite.objects.filter(pk__in=list(ids)).order_by("pk")]


def sweep() -> str:
    """What the worker's periodic sweep does for attestations; a French line, or ""."""
    issued = issue_pending()
    recaps = monthly_due()
    parts = []
    if issued:
        parts.append(f"{issued} attestation(s) d'archivage émise(s)")
    if recaps:
        parts.append(f"{len(recaps)} récapitulatif(s) mensuel(s) déposé(s) en boîte aux lettres")
    return " ; ".join(parts) + ("." if parts else "")
