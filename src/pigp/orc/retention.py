"""Retention: the rules as data (`RegleConservation`), the end of an archive unit's DUA, and
the legal hold (gel) that keeps a unit out of every elimination.

A unit's rules are its kind (`mandat` / `titre`), `bordereau`, and one per role of its
documents (`pj`, `facture`, `flux`); the longest applies, and its final action is `Keep` as
soon as one of them says so. A unit whose rule is unknown has no DUA end: it is never
eligible (fail closed).

The hold is set and lifted by the collectivité's archivist (`access.ARCHIVER`), with a
reason, both journaled.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest

from pigp.core import journal
from pigp.core.models import User
from pigp.orc import access
from pigp.orc.models import (
    ActionFinale,
    ArchiveUnit,
    RegleConservation,
    RoleDocument,
    StatutUnite,
)

ROLE_RULES = {
    RoleDocument.PJ: "pj",
    RoleDocument.NUMERISE: "pj",
    RoleDocument.FACTURE: "facture",
    RoleDocument.FLUX: "flux",
    RoleDocument.ACQUIT: "flux",
    RoleDocument.RETOUR: "flux",
}


class RetentionError(Exception):
    """A retention action that cannot be done (message in French, shown to the user)."""


@dataclass(frozen=True)
class Retention:
    """The retention of one unit: the rule that applies, its end, and the final action."""

    code: str
    annees: int
    fin: datetime.date
    action_finale: str

    @property
    def debut(self) -> datetime.date:
        """The rule's start: 1 January after the exercice."""
        return datetime.date(self.fin.year - self.annees + 1, 1, 1)


# The rules migration 0002_regles_conservation seeds (kept in step with it): 10 years after
# the end of the exercice, then destruction.
DEFAULT_RULES = (
    ("mandat", "Mandats de dépense"),
    ("titre", "Titres de recette"),
    ("bordereau", "Bordereaux de mandats et de titres"),
    ("pj", "Pièces justificatives"),
    ("facture", "Factures (Chorus Pro)"),
    ("flux", "Flux PES signés, acquits et retours"),
)


def rules() -> dict[str, RegleConservation]:
    """The rules by code. An empty table (a database flushed after its migrations) gets the
    defaults back: a rule an administrator changed or removed is never touched otherwise."""
    found = {rule.code: rule for rule in RegleConservation.objects.all()}
    if not found:
        for code, libelle in DEFAULT_RULES:
            found[code], _ = RegleConservation.objects.get_or_create(
                code=code,
                defaults={"libelle": libelle, "annees": 10, "action_finale": ActionFinale.DETRUIRE},
            )
    return found


def rule_codes(unit: ArchiveUnit) -> list[str]:
    """The codes of the rules a unit falls under (uses prefetched documents when there)."""
    codes = ["mandat" if unit.domaine == "depense" else "titre"]
    if unit.numero_bordereau:
        codes.append("bordereau")
    for document in unit.documents.all():
        code = ROLE_RULES.get(RoleDocument(document.role)) if document.role else None
        if code and code not in codes:
            codes.append(code)
    return codes


def retention(
    unit: ArchiveUnit, known: dict[str, RegleConservation] | None = None
) -> Retention | None:
    """The longest of the unit's rules; None when one of them is unknown (fail closed)."""
    known = rules() if known is None else known
    found = []
    for code in rule_codes(unit):
        rule = known.get(code)
        if rule is None:
            return None
        found.append(rule)
    longest = max(found, key=lambda rule: rule.annees)
    keep = any(rule.action_finale == ActionFinale.CONSERVER for rule in found)
    return Retention(
        code=longest.code,
        annees=longest.annees,
        fin=datetime.date(unit.annee + longest.annees, 12, 31),
        action_finale=ActionFinale.CONSERVER if keep else ActionFinale.DETRUIRE,
    )


def dua_fin(
    unit: ArchiveUnit, known: dict[str, RegleConservation] | None = None
) -> datetime.date | None:
    """31 December of the exercice plus the longest of the unit's rules."""
    found = retention(unit, known)
    return found.fin if found is not None else None


def refresh_dua(units: Iterable[ArchiveUnit]) -> int:
    """Store each unit's DUA end (`ArchiveUnit.dua_fin`), for search and display."""
    known = rules()
    changed = []
    for unit in units:
        fin = dua_fin(unit, known)
        if unit.dua_fin != fin:
            unit.dua_fin = fin
            changed.append(unit)
    ArchiveUnit.objects.bulk_update(changed, ["dua_fin"])
    return len(changed)


def _require_archivist(user: User, unit: ArchiveUnit) -> None:
    if not access.may_act(user, unit.collectivite, access.ARCHIVER):
        raise PermissionDenied(
            "Seul l'archiviste de la collectivité peut geler ou dégeler une pièce."
        )


def set_gel(
    unit: ArchiveUnit, user: User, motif: str, *, request: HttpRequest | None = None
) -> ArchiveUnit:
    """Put a unit under legal hold: no elimination will touch it until the hold is lifted."""
    _require_archivist(user, unit)
    motif = motif.strip()
    if not motif:
        raise RetentionError("Indiquez le motif du gel.")
    with transaction.atomic():
        locked = ArchiveUnit.objects.select_for_update().get(pk=unit.pk)
        if locked.statut == StatutUnite.ELIMINEE:
            raise RetentionError("Cette pièce a déjà été éliminée : elle ne peut plus être gelée.")
        if locked.gel:
            raise RetentionError("Cette pièce est déjà gelée.")
        ArchiveUnit.objects.filter(pk=unit.pk).update(gel=True, gel_motif=motif[:300])
        journal.record(
            "orc_gel",
            actor=user,
            obj=locked,
            collectivite=locked.collectivite_id,
            request=request,
            details={"motif": motif},
        )
    unit.gel, unit.gel_motif = True, motif[:300]
    return unit


def lift_gel(
    unit: ArchiveUnit, user: User, motif: str, *, request: HttpRequest | None = None
) -> ArchiveUnit:
    """Lift a legal hold, saying why (the reason of the hold stays in the journal)."""
    _require_archivist(user, unit)
    motif = motif.strip()
    if not motif:
        raise RetentionError("Indiquez le motif de la levée du gel.")
    with transaction.atomic():
        locked = ArchiveUnit.objects.select_for_update().get(pk=unit.pk)
        if not locked.gel:
            raise RetentionError("Cette pièce n'est pas gelée.")
        ArchiveUnit.objects.filter(pk=unit.pk).update(gel=False, gel_motif="")
        journal.record(
            "orc_gel_leve",
            actor=user,
            obj=locked,
            collectivite=locked.collectivite_id,
            request=request,
            details={"motif": motif, "motif_du_gel": locked.gel_motif},
        )
    unit.gel, unit.gel_motif = False, ""
    return unit
