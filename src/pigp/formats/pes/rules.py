"""Business rules of a PES_Aller (the Guichet XML's "boîte 5"), applied record by record.

The engine is fed by the streaming reader during the same pass as the schema check; it
keeps only what cross-checks need (identifiers seen, PJ references, per-bordereau sums).
A business error blocks its bordereau (``Scope.BORDEREAU``) or its PJ (``Scope.PJ``);
header errors (SIRET, codique, budget) block the whole flow.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path

from schwifty import BIC, IBAN
from schwifty import registry as schwifty_registry
from schwifty.exceptions import SchwiftyException
from stdnum.fr import siret

from . import records as r
from .context import NullContext, PlatformContext
from .report import BordereauSummary, Finding, Location, NumAnoAck, Scope, Severity

MAX_FINDINGS_PER_RULE = 100  # per bordereau
_ZERO = Decimal(0)
TRIPLETS_CSV = Path(__file__).resolve().parent / "data" / "triplets.csv"
IDPOST_RE = re.compile(r"(02[A-B][0-9]{3,4}|[0-9]{6,7})")
DOMAINE_LABEL = {"depense": "dépense", "recette": "recette"}
PIECE_LABEL = {"depense": "mandat", "recette": "titre"}
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


# Fast paths: a flow may carry a different IBAN and SIRET on each of its 100 000 pièces,
# so the checks run in C-level string operations; a value they cannot vouch for goes to
# schwifty / python-stdnum, whose verdict is the reference (tested to agree).
_IBAN_CHARS = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]+")
_NUMERIFY = str.maketrans({c: str(ord(c) - 55) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"})


@cache
def _iban_spec(country: str) -> tuple[int, re.Pattern[str], str] | None:
    try:
        spec = schwifty_registry.get_iban_spec(country)
    except SchwiftyException:
        return None
    return spec.iban_length, spec.regex, country.translate(_NUMERIFY)


def _iban_fast(value: str) -> bool:
    """True when ``value`` is certainly a valid IBAN (same checks as schwifty's)."""
    if not _IBAN_CHARS.fullmatch(value):
        return False
    spec = _iban_spec(value[:2])
    if spec is None or spec[0] != len(value):
        return False
    bban = value[4:]
    if not spec[1].match(bban):
        return False
    # schwifty: check digits == 98 - (numerify(bban + country) * 100) % 97, never 00/01/99
    digits = bban if bban.isdigit() else bban.translate(_NUMERIFY)
    return int(value[2:4]) == 98 - int(digits + spec[2]) * 100 % 97


@lru_cache(maxsize=8192)
def _iban_slow(value: str) -> bool:
    try:
        IBAN(value)
    except (SchwiftyException, ValueError):
        return False
    return True


def iban_valid(value: str) -> bool:
    return _iban_fast(value) or _iban_slow(value)


@lru_cache(maxsize=8192)
def bic_valid(value: str) -> bool:
    try:
        BIC(value)
    except (SchwiftyException, ValueError):
        return False
    return True


_DIGITS14 = re.compile(r"[0-9]{14}")
_LUHN_DOUBLE = bytes.maketrans(b"0123456789", b"0246813579")  # digit sum of 2 × d


def _luhn_ok(digits: str) -> bool:
    b = digits.encode("ascii")[::-1]
    kept, doubled = b[0::2], b[1::2].translate(_LUHN_DOUBLE)
    return (sum(kept) + sum(doubled) - 48 * len(b)) % 10 == 0


def _siret_fast(value: str) -> bool:
    """True when ``value`` is certainly a valid SIRET (same checks as python-stdnum's)."""
    return (
        _DIGITS14.fullmatch(value) is not None
        and not value.startswith("356000000")  # La Poste: another rule, left to stdnum
        and _luhn_ok(value)
        and _luhn_ok(value[:9])
    )


@lru_cache(maxsize=8192)
def _siret_slow(value: str) -> bool:
    return bool(siret.is_valid(value))


def siret_valid(value: str) -> bool:
    return _siret_fast(value) or _siret_slow(value)


@cache
def load_triplets() -> frozenset[tuple[str, str, str, str]]:
    with open(TRIPLETS_CSV, encoding="utf-8", newline="") as fh:
        return frozenset(
            (row["domaine"], row["typ_bord"], row["typ_pce"], row["nat_pce"])
            for row in csv.DictReader(fh)
        )


@dataclass
class _BordState:
    bord: r.Bordereau
    pieces: list[str] = field(default_factory=list)
    id_pces: set[str] = field(default_factory=set)
    total_ht: Decimal = Decimal(0)
    total_tva: Decimal = Decimal(0)


class RuleEngine:
    """Feed it the records of one PES_Aller in order, then call :meth:`finish`."""

    def __init__(
        self, context: PlatformContext | None = None, *, strict_triplets: bool = False
    ) -> None:
        self.context = context or NullContext()
        self.strict_triplets = strict_triplets
        self.findings: list[Finding] = []
        self.header: r.FluxHeader | None = None
        self.summaries: list[BordereauSummary] = []
        self.pj_ids: list[str] = []
        self._pj_seen: dict[str, r.Pj] = {}
        self._demat: dict[str, bool | None] = {}
        self._bord_keys: set[tuple[str | None, ...]] = set()
        self._state: _BordState | None = None
        self._signed_bordereaux = 0
        self._flow_signatures = 0
        # PJRef of support 01 pointing at no PJ seen so far: (ref, location)
        self._refs: list[tuple[r.PjRef, Location]] = []
        self._ref_ids: set[str] = set()
        self._per_rule: dict[tuple[str, str | None, str | None], int] = {}
        self._triplets = load_triplets()

    # -- helpers --------------------------------------------------------------------------
    def _add(
        self,
        code: NumAnoAck,
        message: str,
        *,
        scope: Scope = Scope.BORDEREAU,
        severity: Severity = Severity.ERROR,
        location: Location | None = None,
        rule: str = "",
    ) -> None:
        loc = location or Location()
        # A flow with the same mistake on every pièce must not make a report of a million
        # findings: beyond a few per rule and bordereau, only a count is kept.
        key = (rule, loc.bordereau_id or loc.bordereau, loc.domaine)
        seen = self._per_rule.get(key, 0) + 1
        self._per_rule[key] = seen
        if seen > MAX_FINDINGS_PER_RULE:
            return
        self.findings.append(Finding(code, severity, scope, message, loc, rule))

    def _loc(
        self,
        path: str,
        line: int | None,
        *,
        piece: str | None = None,
        ligne: str | None = None,
        pj: str | None = None,
    ) -> Location:
        bord = self._state.bord if self._state else None
        return Location(
            path=path,
            line=line,
            bordereau=bord.id_bord if bord else None,
            bordereau_id=bord.xml_id if bord else None,
            domaine=bord.domaine if bord else None,
            piece=piece,
            ligne=ligne,
            pj=pj,
        )

    # -- records --------------------------------------------------------------------------
    def feed(self, record: r.PesAllerRecord | r.PieceLite) -> None:
        if isinstance(record, (r.PieceLite, r.Piece)):
            self.piece(record)
        elif isinstance(record, r.Bordereau):
            self.bordereau(record)
        elif isinstance(record, r.BordereauEnd):
            self.bordereau_end(record)
        elif isinstance(record, r.Pj):
            self.pj(record)
        elif isinstance(record, r.FluxHeader):
            self.flux_header(record)
        elif isinstance(record, r.DomaineHeader):
            self._demat[record.domaine] = record.info_dematerialisee
        elif isinstance(record, r.FlowSignature):
            self._flow_signatures += 1

    def flux_header(self, h: r.FluxHeader) -> None:
        self.header = h
        where = Location(path=f"/{h.root}/EnTetePES", line=h.line)
        if h.id_post is not None and not IDPOST_RE.fullmatch(h.id_post):
            self._add(
                NumAnoAck.CODIQUE,
                f"Le codique du poste comptable (IdPost) « {h.id_post} » est mal formé : "
                "attendu 6 ou 7 chiffres, ou 02A/02B suivi de 3 ou 4 chiffres.",
                scope=Scope.FLUX,
                location=Location(path=f"{where.path}/IdPost", line=h.line),
                rule="idpost-format",
            )
        elif h.id_post is not None and self.context.known_poste(h.id_post) is False:
            self._add(
                NumAnoAck.CODIQUE,
                f"Le poste comptable {h.id_post} (IdPost) est inconnu.",
                scope=Scope.FLUX,
                location=Location(path=f"{where.path}/IdPost", line=h.line),
                rule="idpost-unknown",
            )
        if h.id_coll is not None and not siret_valid(h.id_coll):
            self._add(
                NumAnoAck.SIRET,
                f"L'identifiant de la collectivité (IdColl) « {h.id_coll} » n'est pas un SIRET "
                "valide (14 chiffres avec clé de contrôle).",
                scope=Scope.FLUX,
                location=Location(path=f"{where.path}/IdColl", line=h.line),
                rule="idcoll-siret",
            )
        elif (
            h.id_post
            and h.id_coll
            and self.context.collectivite_siret_matches(h.id_post, h.id_coll) is False
        ):
            self._add(
                NumAnoAck.SIRET,
                f"Le SIRET {h.id_coll} (IdColl) n'est pas celui d'une collectivité rattachée "
                f"au poste comptable {h.id_post}.",
                scope=Scope.FLUX,
                location=Location(path=f"{where.path}/IdColl", line=h.line),
                rule="idcoll-poste",
            )
        if (
            h.id_coll
            and h.cod_col
            and h.cod_bud
            and self.context.budget_active(h.id_coll, h.cod_col, h.cod_bud) is False
        ):
            self._add(
                NumAnoAck.CODE_COLLECTIVITE_BUDGET,
                f"Le budget CodCol {h.cod_col} / CodBud {h.cod_bud} n'existe pas ou n'est "
                "pas actif pour cette collectivité.",
                scope=Scope.FLUX,
                location=where,
                rule="budget-active",
            )
        if h.cod_col and h.nom_fic and self.context.nomfic_used(h.cod_col, h.nom_fic) is True:
            self._add(
                NumAnoAck.AUTRE,
                f"Un flux nommé « {h.nom_fic} » (NomFic) a déjà été reçu pour la collectivité "
                f"{h.cod_col} : le nom de fichier doit être unique.",
                scope=Scope.FLUX,
                location=Location(path=f"/{h.root}/Enveloppe/Parametres/NomFic"),
                rule="nomfic-duplicate",
            )

    def bordereau(self, b: r.Bordereau) -> None:
        self._state = _BordState(b)
        loc = self._loc(b.path, b.line)
        label = DOMAINE_LABEL.get(b.domaine, b.domaine)
        key = (b.domaine, b.exercice, b.typ_bord, b.id_bord)
        if key in self._bord_keys:
            self._add(
                NumAnoAck.DOUBLON_BORDEREAU,
                f"Le bordereau de {label} n° {b.id_bord} (exercice {b.exercice}, type "
                f"{b.typ_bord}) figure plusieurs fois dans le flux.",
                location=loc,
                rule="idbord-unique",
            )
        self._bord_keys.add(key)
        h = self.header
        if (
            h
            and h.id_coll
            and h.cod_col
            and h.cod_bud
            and b.exercice
            and b.typ_bord
            and b.id_bord
            and self.context.bordereau_already_accepted(
                h.id_coll,
                h.cod_col,
                h.cod_bud,
                b.exercice,
                b.typ_bord,
                b.id_bord,
                domaine=b.domaine,
            )
            is True
        ):
            self._add(
                NumAnoAck.DOUBLON_BORDEREAU,
                f"Le bordereau de {label} n° {b.id_bord} de l'exercice {b.exercice} a déjà été "
                "pris en charge dans un flux précédent.",
                location=loc,
                rule="idbord-already-accepted",
            )
        if b.typ_bord == "04":
            self._add(
                NumAnoAck.CODIFICATION,
                "Le type de bordereau 04 (TypBord) n'est pas admis dans un PES Aller.",
                location=loc,
                rule="typbord-04",
            )
        if self._demat.get(b.domaine) is True and b.mt_cumul_annuel is None:
            self._add(
                NumAnoAck.AUTRE,
                f"Le bordereau n° {b.id_bord} est dématérialisé (InfoDematerialisee=1) : "
                "le montant cumulé annuel (MtCumulAnnuel) est obligatoire.",
                location=loc,
                rule="mtcumul-demat",
            )

    def piece(self, p: r.Piece | r.PieceLite) -> None:
        # Hot path (once per pièce): locations are built only when a finding needs one.
        st = self._state
        if st is None:
            return
        id_pce = p.id_pce
        if id_pce is not None:
            if id_pce in st.id_pces:
                self._add(
                    NumAnoAck.DOUBLON_PIECE,
                    f"Le {PIECE_LABEL.get(p.domaine, 'pièce')} n° {id_pce} (IdPce) figure "
                    f"plusieurs fois dans le bordereau n° {p.id_bord}.",
                    location=self._loc(p.path, p.line, piece=id_pce),
                    rule="idpce-unique",
                )
            st.id_pces.add(id_pce)
            st.pieces.append(id_pce)
        b = st.bord
        if (
            b.typ_bord
            and p.typ_pce
            and p.nat_pce
            and b.typ_bord != "04"
            and (p.domaine, b.typ_bord, p.typ_pce, p.nat_pce) not in self._triplets
        ):
            self._check_triplet(b, p, self._loc(p.path, p.line, piece=id_pce))
        lignes_vues: set[str] = set()
        depense = p.domaine == "depense"
        zero = _ZERO
        for ligne in p.lignes:
            id_ligne = ligne.id_ligne
            if id_ligne is not None:
                if id_ligne in lignes_vues:
                    self._add(
                        NumAnoAck.DOUBLON_LIGNE,
                        f"La ligne n° {id_ligne} (IdLigne) figure plusieurs fois dans le "
                        f"{PIECE_LABEL.get(p.domaine, 'pièce')} n° {id_pce}.",
                        location=self._ligne_loc(p, ligne),
                        rule="idligne-unique",
                    )
                lignes_vues.add(id_ligne)
            st.total_ht += ligne.mt_ht or zero
            st.total_tva += ligne.mt_tva or zero
            tiers_list = ligne.tiers
            for tiers in tiers_list:
                c = tiers.compte
                if (
                    c is not None
                    and ((c.iban and not iban_valid(c.iban)) or (c.bic and not bic_valid(c.bic)))
                ) or (
                    tiers.nat_id_tiers == "01"
                    and tiers.id_tiers
                    and not siret_valid(tiers.id_tiers)
                ):
                    self._check_tiers(tiers, self._ligne_loc(p, ligne))
            if depense and ligne.mod_regl in ("03", "05") and not any(t.compte for t in tiers_list):
                self._add(
                    NumAnoAck.AUTRE,
                    f"Ligne {id_ligne} du mandat n° {id_pce} : le mode de règlement "
                    f"{ligne.mod_regl} (virement) exige les coordonnées bancaires du tiers "
                    "(bloc CpteBancaire).",
                    location=self._ligne_loc(p, ligne),
                    rule="modregl-cptebancaire",
                )
            if ligne.pj_refs:
                self._note_refs(ligne.pj_refs, self._ligne_loc(p, ligne))
        if p.pj_refs:
            self._note_refs(p.pj_refs, self._loc(p.path, p.line, piece=id_pce))

    def _ligne_loc(self, p: r.Piece | r.PieceLite, ligne: r.Ligne | r.LigneLite) -> Location:
        return self._loc(ligne.path, ligne.line, piece=p.id_pce, ligne=ligne.id_ligne)

    def _check_triplet(self, b: r.Bordereau, p: r.Piece, loc: Location) -> None:
        if not (b.typ_bord and p.typ_pce and p.nat_pce) or b.typ_bord == "04":
            return
        if (p.domaine, b.typ_bord, p.typ_pce, p.nat_pce) in load_triplets():
            return
        severity = Severity.ERROR if self.strict_triplets else Severity.WARNING
        self._add(
            NumAnoAck.CODIFICATION,
            f"Le {PIECE_LABEL.get(p.domaine, 'pièce')} n° {p.id_pce} : la combinaison type de "
            f"bordereau {b.typ_bord} / type de pièce {p.typ_pce} / nature {p.nat_pce} "
            "(TypBord, TypPce, NatPce) ne figure pas dans la grille des triplets.",
            severity=severity,
            location=loc,
            rule="triplet",
        )

    def _check_tiers(self, t: r.Tiers, loc: Location) -> None:
        c = t.compte
        if c is not None and c.iban and not iban_valid(c.iban):
            self._add(
                NumAnoAck.AUTRE,
                f"Domiciliation erronée : l'IBAN « {c.iban} » du tiers {t.nom or ''} n'est "
                "pas valide (clé de contrôle ou longueur).",
                location=loc,
                rule="iban",
            )
        if c is not None and c.bic and not bic_valid(c.bic):
            self._add(
                NumAnoAck.AUTRE,
                f"Domiciliation erronée : le BIC « {c.bic} » du tiers {t.nom or ''} n'est "
                "pas valide.",
                location=loc,
                rule="bic",
            )
        if t.nat_id_tiers == "01" and t.id_tiers and not siret_valid(t.id_tiers):
            self._add(
                NumAnoAck.AUTRE,
                f"Le SIRET « {t.id_tiers} » du tiers {t.nom or ''} (IdTiers, NatIdTiers 01) "
                "n'est pas valide.",
                severity=Severity.WARNING,
                location=loc,
                rule="tiers-siret",
            )

    def _note_refs(self, refs: tuple[r.PjRef, ...], loc: Location) -> None:
        for ref in refs:
            if ref.id_unique:
                self._refs.append((ref, loc))
                self._ref_ids.add(ref.id_unique)

    def bordereau_end(self, e: r.BordereauEnd) -> None:
        st = self._state
        if st is None:
            return
        b = st.bord
        loc = self._loc(b.path, b.line)
        if e.signed:
            self._signed_bordereaux += 1
        if b.nbr_pce is not None and b.nbr_pce != e.piece_count:
            self._add(
                NumAnoAck.AUTRE,
                f"Le bordereau n° {b.id_bord} annonce {b.nbr_pce} pièce(s) (NbrPce) mais en "
                f"contient {e.piece_count}.",
                location=self._loc(f"{b.path}/BlocBordereau/NbrPce", b.line),
                rule="nbr-pce",
            )
        mt_name = "MtBordHT" if b.domaine == "depense" else "MtBordHt"
        if b.mt_bord_ht is not None and b.mt_bord_ht != st.total_ht:
            self._add(
                NumAnoAck.CUMUL_MONTANTS,
                f"Le montant HT du bordereau n° {b.id_bord} ({mt_name} = {b.mt_bord_ht}) "
                f"n'est pas égal à la somme des montants HT de ses lignes ({st.total_ht}).",
                location=self._loc(f"{b.path}/BlocBordereau/{mt_name}", b.line),
                rule="mt-bord-ht",
            )
        if b.mt_bord_tva is not None and b.mt_bord_tva != st.total_tva:
            self._add(
                NumAnoAck.CUMUL_MONTANTS,
                f"Le montant de TVA du bordereau n° {b.id_bord} (MtBordTVA = {b.mt_bord_tva}) "
                f"n'est pas égal à la somme des montants de TVA de ses lignes ({st.total_tva}).",
                location=self._loc(f"{b.path}/BlocBordereau/MtBordTVA", b.line),
                rule="mt-bord-tva",
            )
        self.summaries.append(
            BordereauSummary(
                id_bord=b.id_bord or "",
                xml_id=b.xml_id,
                domaine=b.domaine,
                exercice=b.exercice,
                typ_bord=b.typ_bord,
                nbr_pce=b.nbr_pce if b.nbr_pce is not None else e.piece_count,
                pieces=tuple(st.pieces),
            )
        )
        del loc
        self._state = None

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

    # -- end of flow ----------------------------------------------------------------------
    def finish(self) -> list[Finding]:
        self._check_refs()
        self._check_dematerialisation()
        for (rule, bordereau, domaine), count in self._per_rule.items():
            if count > MAX_FINDINGS_PER_RULE:
                self.findings.append(
                    Finding(
                        NumAnoAck.AUTRE,
                        Severity.INFO,
                        Scope.BORDEREAU,
                        f"{count - MAX_FINDINGS_PER_RULE} autre(s) anomalie(s) du même type "
                        f"({rule}) ne sont pas détaillées.",
                        Location(bordereau_id=bordereau, domaine=domaine),
                        f"{rule}-more",
                    )
                )
        root = self.header.root if self.header else "PES_Aller"
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
        del root
        return self.findings

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

    def _check_dematerialisation(self) -> None:
        signed = self._signed_bordereaux + self._flow_signatures
        root = self.header.root if self.header else "PES_Aller"
        for domaine, demat in self._demat.items():
            entete = "EnTeteDepense" if domaine == "depense" else "EnTeteRecette"
            dom_el = "PES_DepenseAller" if domaine == "depense" else "PES_RecetteAller"
            loc = Location(path=f"/{root}/{dom_el}/{entete}/InfoDematerialisee", domaine=domaine)
            if demat is True and not signed:
                self._add(
                    NumAnoAck.PES_SIGNATURE,
                    f"Le flux de {DOMAINE_LABEL[domaine]} est déclaré dématérialisé "
                    "(InfoDematerialisee=1) mais ne porte aucune signature électronique.",
                    scope=Scope.FLUX,
                    location=loc,
                    rule="demat-without-signature",
                )
            elif demat is False and signed:
                self._add(
                    NumAnoAck.PES_SIGNATURE,
                    f"Le flux de {DOMAINE_LABEL[domaine]} porte une signature électronique "
                    "alors qu'il est déclaré non dématérialisé (InfoDematerialisee=0).",
                    scope=Scope.FLUX,
                    location=loc,
                    rule="signature-without-demat",
                )
