"""Findings and reports returned by PES validation.

This module is the contract shared by the validator (which produces findings), the
PES_ACQUIT writer (which turns a report into an acknowledgement) and the platform
(which stores and shows findings). It holds data only.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

log = logging.getLogger("pigp.formats.pes")


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Scope(enum.StrEnum):
    """What a finding blocks when it is an error."""

    FLUX = "flux"  # the whole flow (safety, schema, flow signature)
    SIGNATURE = "signature"  # a flow-level signature element
    BORDEREAU = "bordereau"  # one bordereau (business rule, bordereau signature)
    PJ = "pj"  # one PJ


# NumAnoAck values of CommunAck.xsd (TNumAnoAck) used by the validator.
class NumAnoAck(enum.StrEnum):
    ENCODING = "ERREUR_ENCODING"
    FLUX_VIDE = "ERREUR_FLUX_VIDE"
    SCHEMA_INCOMPLET = "ERREUR_SCHEMA_INCOMPLET"
    CODIFICATION = "ERREUR_CODIFICATION"
    CODIQUE = "ERREUR_CODIQUE"
    SIRET = "ERREUR_SIRET"
    CODE_COLLECTIVITE_BUDGET = "ERREUR_CODE_COLLECTIVITE_BUDGET"
    VERSION_PES = "ERREUR_VERSION_PES"
    VERSION_PJ = "ERREUR_VERSION_PJ"
    SIGNATURE_INVALIDE = "ERREUR_SIGNATURE_INVALIDE"
    SIGNATURE_ILLISIBLE = "ERREUR_SIGNATURE_ILLISIBLE"
    SIGNATURE_INCOMPLETE = "ERREUR_SIGNATURE_INCOMPLETE"
    DOUBLON_BORDEREAU = "ERREUR_DOUBLON_BORDEREAU"
    DOUBLON_PIECE = "ERREUR_DOUBLON_PIECE"
    DOUBLON_LIGNE = "ERREUR_DOUBLON_LIGNE"
    DOUBLON_PJ = "ERREUR_DOUBLON_PJ"
    PES_PARAM = "ERREUR_PES_PARAM"
    PES_SIGNATURE = "ERREUR_PES_SIGNATURE"
    CERTIFICAT = "ERREUR_CERTIFICAT"
    TAILLE_BORDEREAUX = "ERREUR_TAILLE_BORDEREAUX"
    TAILLE_PIECE = "ERREUR_TAILLE_PIECE"
    TAILLE_LIGNE = "ERREUR_TAILLE_LIGNE"
    AUTRE = "ERREUR_AUTRE"
    SIGNATURE_BORDEREAU_INVALIDE = "ERREUR_SIGNATURE_BORDEREAU_INVALIDE"
    SIGNATURE_BORDEREAU_ILLISIBLE = "ERREUR_SIGNATURE_BORDEREAU_ILLISIBLE"
    SIGNATURE_BORDEREAU_INCOMPLETE = "ERREUR_SIGNATURE_BORDEREAU_INCOMPLETE"
    MONTANT_TVA_ZERO_NEGATIF = "ERREUR_MONTANT_TVA_ZERO_NEGATIF"
    PJ = "ERREUR_PJ"
    CUMUL_MONTANTS = "ERREUR_CUMUL_MONTANTS"


class Layer(enum.StrEnum):
    """A layer of the validation, as named to users when it could not finish."""

    ENVELOPE = "contrôle de l'enveloppe"
    SCHEMA = "contrôle du schéma"
    READING = "lecture du flux"
    SIGNATURES = "vérification des signatures"
    RULES = "contrôle des règles métier"


INTERRUPTED_RULE = "controle-interrompu"


@dataclass(frozen=True, slots=True)
class Location:
    """Where a finding is: element path and line, and the business objects it concerns."""

    path: str = (
        ""  # e.g. /PES_Aller/PES_DepenseAller/Bordereau[2]/Piece[5]/LigneDePiece[1]/BlocLignePiece
    )
    line: int | None = None
    bordereau: str | None = None  # IdBord
    bordereau_id: str | None = None  # Bordereau/@Id (the XML id signatures refer to)
    domaine: str | None = None  # "depense" | "recette" | None
    piece: str | None = None  # IdPce
    ligne: str | None = None  # IdLigne
    pj: str | None = None  # PJ IdUnique


@dataclass(frozen=True, slots=True)
class Finding:
    code: NumAnoAck
    severity: Severity
    scope: Scope
    message: str  # French, for a finance officer
    location: Location = field(default_factory=Location)
    rule: str = ""  # short machine name of the check, e.g. "nbr-pce", "xsd", "dtd-forbidden"

    @property
    def blocking(self) -> bool:
        return self.severity is Severity.ERROR


def interrupted_finding(layer: Layer, exc: BaseException) -> Finding:
    """The error that stands for a layer that could not finish: there is no verdict, so the
    flow cannot be accepted (fail closed). The exception is logged for the operators."""
    log.warning("PES validation: %s interrupted", layer, exc_info=exc)
    return Finding(
        NumAnoAck.AUTRE,
        Severity.ERROR,
        Scope.FLUX,
        f"Contrôle interrompu : {layer} n'a pas pu aller au bout ({type(exc).__name__}) ; "
        "le flux ne peut pas être accepté en l'état.",
        Location(),
        INTERRUPTED_RULE,
    )


@dataclass(frozen=True, slots=True)
class SignatureInfo:
    """What a verified (or failed) XAdES signature says about itself."""

    target: str  # "flux" or the IdBord / Bordereau @Id it signs
    valid: bool
    signer: str | None = None  # certificate subject, RFC 4514
    signing_time: str | None = None  # ISO 8601 as declared in SigningTime
    policy_oid: str | None = None
    algorithm: str | None = None  # signature method URI
    weak_algorithm: bool = False  # rsa-sha1
    trusted: bool | None = None  # None: no trust store configured


@dataclass(frozen=True, slots=True)
class BordereauSummary:
    id_bord: str
    xml_id: str | None
    domaine: str  # "depense" | "recette"
    exercice: str | None
    typ_bord: str | None
    nbr_pce: int
    pieces: tuple[str, ...]  # IdPce in document order


@dataclass(frozen=True, slots=True)
class Report:
    """Result of one validation call."""

    schema_version: str  # the version applied, e.g. "v5.17"
    root: str | None  # local name of the root element, None when unreadable
    findings: tuple[Finding, ...]
    bordereaux: tuple[BordereauSummary, ...] = ()
    pj_ids: tuple[str, ...] = ()  # IdUnique of every PJ in the flow
    signatures: tuple[SignatureInfo, ...] = ()
    nom_fic: str | None = None
    id_post: str | None = None
    id_coll: str | None = None
    cod_col: str | None = None
    cod_bud: str | None = None
    # Layers that could not finish, each with its INTERRUPTED_RULE error among the findings:
    # the report is then no verdict on the flow (a caller may retry it), and never valid.
    interrupted: tuple[Layer, ...] = ()

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def flux_blocked(self) -> bool:
        return any(f.blocking and f.scope in (Scope.FLUX, Scope.SIGNATURE) for f in self.findings)

    @property
    def valid(self) -> bool:
        return not self.errors

    def blocked_bordereaux(self) -> set[str]:
        """IdBord of bordereaux rejected by an error (all of them when the flow is blocked)."""
        if self.flux_blocked:
            return {b.id_bord for b in self.bordereaux}
        return {
            f.location.bordereau
            for f in self.findings
            if f.blocking and f.scope is Scope.BORDEREAU and f.location.bordereau
        }

    def accepted_bordereaux(self) -> tuple[BordereauSummary, ...]:
        blocked = self.blocked_bordereaux()
        return tuple(b for b in self.bordereaux if b.id_bord not in blocked)


def merge(*groups: Iterable[Finding]) -> tuple[Finding, ...]:
    return tuple(f for g in groups for f in g)
