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
from functools import cache
from pathlib import Path

from . import records as r
from .context import NullContext, PlatformContext
from .identifiers import bic_valid, iban_valid, siret_valid
from .pj_rules import PjRules
from .report import BordereauSummary, Finding, Location, NumAnoAck, Scope, Severity

MAX_FINDINGS_PER_RULE = 100  # per bordereau
_ZERO = Decimal(0)
TRIPLETS_CSV = Path(__file__).resolve().parent / "data" / "triplets.csv"
IDPOST_RE = re.compile(r"(02[A-B][0-9]{3,4}|[0-9]{6,7})")
DOMAINE_LABEL = {"depense": "dépense", "recette": "recette"}
PIECE_LABEL = {"depense": "mandat", "recette": "titre"}


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


class RuleEngine(PjRules):
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

    def _check_triplet(self, b: r.Bordereau, p: r.Piece | r.PieceLite, loc: Location) -> None:
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

    def _check_tiers(self, t: r.Tiers | r.TiersLite, loc: Location) -> None:
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

    def bordereau_end(self, e: r.BordereauEnd) -> None:
        st = self._state
        if st is None:
            return
        b = st.bord
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
        self._state = None

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
        self._check_orphan_pj()
        return self.findings

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
