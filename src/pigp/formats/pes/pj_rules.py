"""Rules about the PJ of a PES_Aller and the references to them (part of ``RuleEngine``).

The PJ section comes after the bordereaux: each PJ is checked as it is read (identifier,
content, type against its accounting reference), the references of the pièces (``PJRef``)
at the end of the flow, against the PJ of the flow and, through the platform context,
those received before.
"""

from __future__ import annotations

from collections.abc import Callable

from . import records as r
from .context import PlatformContext
from .report import Finding, Location, NumAnoAck, Scope, Severity

# Class_PJ.xsd, documentation of RefCompta/Domaine: TypePJ allowed for each Domaine.
TYPEPJ_BY_DOMAINE = {
    "01": {"003", "004", "005", "006"},
    "02": {"002", "006", "007", "008", "010", "011"},
    "04": {"001", "012", "013"},
    "06": {"009"},
}
MIME_MAGIC = {
    "application/pdf": (b"%PDF",),
    "application/xml": (b"<", b"\xef\xbb\xbf<"),
    "text/xml": (b"<", b"\xef\xbb\xbf<"),
    "image/png": (b"\x89PNG",),
    "image/jpeg": (b"\xff\xd8",),
}


class PjRules:
    """The PJ checks of :class:`~pigp.formats.pes.rules.RuleEngine`, which owns the state."""

    context: PlatformContext
    findings: list[Finding]
    header: r.FluxHeader | None
    pj_ids: list[str]
    _pj_seen: dict[str, r.Pj]
    _refs: list[tuple[r.PjRef, Location]]
    _ref_ids: set[str]
    _add: Callable[..., None]  # RuleEngine._add: a finding, capped per rule and bordereau

    def _note_refs(self, refs: tuple[r.PjRef, ...], loc: Location) -> None:
        for ref in refs:
            if ref.id_unique:
                self._refs.append((ref, loc))
                self._ref_ids.add(ref.id_unique)

    def pj(self, pj: r.Pj) -> None:
        loc = Location(path=pj.path, line=pj.line, pj=pj.id_unique)
        name = pj.nom_pj or pj.id_unique or f"n° {pj.index}"
        if pj.id_unique:
            if pj.id_unique in self._pj_seen:
                self._add(
                    NumAnoAck.DOUBLON_PJ,
                    f"La PJ d'identifiant {pj.id_unique} (IdUnique) figure plusieurs fois dans "
                    "le flux.",
                    scope=Scope.PJ,
                    location=loc,
                    rule="pj-unique",
                )
            else:
                self._pj_seen[pj.id_unique] = pj
                self.pj_ids.append(pj.id_unique)
            id_coll = self.header.id_coll if self.header else None
            if id_coll and self.context.pj_already_received(id_coll, pj.id_unique) is True:
                self._add(
                    NumAnoAck.DOUBLON_PJ,
                    f"La PJ d'identifiant {pj.id_unique} (IdUnique) a déjà été reçue dans un "
                    "flux précédent.",
                    scope=Scope.PJ,
                    location=loc,
                    rule="pj-already-received",
                )
        if pj.error:
            self._add(
                NumAnoAck.PJ,
                f"Le contenu de la PJ « {name} » est illisible : {pj.error}.",
                scope=Scope.PJ,
                location=loc,
                rule="pj-content",
            )
        elif pj.content is not None and pj.content.size == 0:
            self._add(
                NumAnoAck.PJ,
                f"La PJ « {name} » est vide (Fichier sans contenu).",
                scope=Scope.PJ,
                location=loc,
                rule="pj-empty",
            )
        elif pj.content is not None and not pj.content.gzip:
            self._add(
                NumAnoAck.PJ,
                f"Le contenu de la PJ « {name} » n'est pas compressé avec gzip avant d'être "
                "encodé en base64, comme l'exige le PES.",
                scope=Scope.PJ,
                location=loc,
                rule="pj-gzip",
            )
        elif (
            pj.content is not None
            and pj.mime_type in MIME_MAGIC
            and not pj.content.head.startswith(MIME_MAGIC[pj.mime_type])
        ):
            self._add(
                NumAnoAck.PJ,
                f"La PJ « {name} » est déclarée de type {pj.mime_type} (MIMEType) mais son "
                "contenu ne correspond pas à ce type.",
                scope=Scope.PJ,
                severity=Severity.WARNING,
                location=loc,
                rule="pj-mime",
            )
        for rc in pj.ref_compta:
            allowed = TYPEPJ_BY_DOMAINE.get(rc.domaine or "")
            if pj.type_pj and allowed is not None and pj.type_pj not in allowed:
                self._add(
                    NumAnoAck.PJ,
                    f"La PJ « {name} » est de type {pj.type_pj} (TypePJ), incompatible avec le "
                    f"domaine {rc.domaine} de sa référence comptable (RefCompta/Domaine).",
                    scope=Scope.PJ,
                    location=loc,
                    rule="pj-typepj-domaine",
                )
        if pj.type_pj in ("012", "013") and not pj.ref_compta:
            self._add(
                NumAnoAck.PJ,
                f"La PJ « {name} » de type {pj.type_pj} (CFU) doit avoir une référence "
                "comptable (RefCompta).",
                scope=Scope.PJ,
                location=loc,
                rule="pj-refcompta-cfu",
            )
        if pj.type_pj == "001":
            self._add(
                NumAnoAck.PJ,
                f"La PJ « {name} » est un document budgétaire (TypePJ 001) : son contenu n'est "
                "pas vérifié (le schéma DocumentBudgetaire.xsd de la DGFiP n'est pas "
                "compilable par libxml2).",
                scope=Scope.PJ,
                severity=Severity.INFO,
                location=loc,
                rule="docbudg-not-checked",
            )

    def _check_refs(self) -> None:
        id_coll = self.header.id_coll if self.header else None
        for ref, loc in self._refs:
            present = self._pj_seen.get(ref.id_unique or "")
            if ref.support in ("02", "03"):
                if present is not None:
                    self._add(
                        NumAnoAck.PJ,
                        f"La PJ {ref.id_unique} est référencée sur support {ref.support} (papier "
                        "ou cédérom) mais sa version électronique est jointe au flux.",
                        location=loc,
                        rule="pjref-support",
                    )
                continue
            if present is not None:
                if ref.nom_pj and present.nom_pj and ref.nom_pj != present.nom_pj:
                    self._add(
                        NumAnoAck.PJ,
                        f"La référence à la PJ {ref.id_unique} porte le nom « {ref.nom_pj} » "
                        f"alors que la PJ jointe s'appelle « {present.nom_pj} ».",
                        severity=Severity.WARNING,
                        location=loc,
                        rule="pjref-nom",
                    )
                if ref.type_pj and present.type_pj and ref.type_pj != present.type_pj:
                    self._add(
                        NumAnoAck.PJ,
                        f"La référence à la PJ {ref.id_unique} indique le type {ref.type_pj} "
                        f"alors que la PJ jointe est de type {present.type_pj} (TypePJ).",
                        severity=Severity.WARNING,
                        location=loc,
                        rule="pjref-type",
                    )
                continue
            known = (
                self.context.pj_already_received(id_coll, ref.id_unique or "") if id_coll else None
            )
            if known is False:
                self._add(
                    NumAnoAck.PJ,
                    f"La pièce justificative {ref.id_unique} (PJRef) n'est ni jointe au flux ni "
                    "reçue dans un flux précédent.",
                    location=loc,
                    rule="pjref-missing",
                )
            elif known is None:
                self._add(
                    NumAnoAck.PJ,
                    f"La pièce justificative {ref.id_unique} (PJRef) n'est pas jointe au flux : "
                    "à rapprocher des flux précédents.",
                    severity=Severity.INFO,
                    location=loc,
                    rule="pjref-elsewhere",
                )

    def _check_orphan_pj(self) -> None:
        for pj in self._pj_seen.values():
            if pj.id_unique not in self._ref_ids and not pj.ref_compta:
                self._add(
                    NumAnoAck.PJ,
                    f"La PJ « {pj.nom_pj or pj.id_unique} » n'est référencée par aucune pièce "
                    "du flux (PJRef) et n'a pas de référence comptable (RefCompta).",
                    scope=Scope.PJ,
                    severity=Severity.WARNING,
                    location=Location(path=pj.path, line=pj.line, pj=pj.id_unique),
                    rule="pj-orphan",
                )
