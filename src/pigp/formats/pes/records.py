"""Typed, frozen records produced by the PES readers.

PES leaves carry their value in a ``V`` attribute; records hold those values as text,
except amounts (``Decimal``) and counts (``int``). ``line`` and ``path`` say where the
record starts in the file, for findings.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .pj import PjContent


@dataclass(frozen=True, slots=True)
class FluxHeader:
    """Enveloppe + EnTetePES of a PES_Aller (also used for PES_ACQUIT)."""

    root: str
    xml_id: str | None
    version: str | None
    typ_fic: str | None
    nom_fic: str | None
    emetteur_sigle: str | None
    emetteur_adresse: str | None
    dte_str: str | None
    id_post: str | None
    libelle_poste: str | None
    id_coll: str | None
    fin_jur: str | None
    cod_col: str | None  # CodCol (aller) or CodColl (retour)
    cod_bud: str | None
    libelle_col_bud: str | None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class DomaineHeader:
    """EnTeteDepense / EnTeteRecette."""

    domaine: str  # "depense" | "recette"
    id_ver: str | None
    info_dematerialisee: bool | None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class PjRef:
    support: str | None  # 01 électronique, 02 papier, 03 cdrom
    id_unique: str | None
    nom_pj: str | None
    type_pj: str | None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class CompteBancaire:
    bic: str | None
    iban: str | None
    code_etab: str | None
    code_guic: str | None
    id_cpte: str | None
    cle_rib: str | None
    tit_cpte: str | None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Adresse:
    adr1: str | None
    adr2: str | None
    adr3: str | None
    cp: str | None
    ville: str | None
    cod_pays: str | None


@dataclass(frozen=True, slots=True)
class Tiers:
    id_tiers: str | None
    nat_id_tiers: str | None
    ref_tiers: str | None
    cat_tiers: str | None
    nat_jur: str | None
    typ_tiers: str | None  # recette only
    civilite: str | None
    nom: str | None
    compl_nom: str | None
    prenom: str | None
    adresse: Adresse | None
    compte: CompteBancaire | None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class PrelevementSepa:
    """InfoPrelevementSEPA of a titre's line: the debtor's SEPA mandate."""

    rum: str | None  # RefUniMdt
    date_signature: str | None  # DateSignMandat
    sequence: str | None  # SequencePres: 01 OOFF, 02 FRST, 03 RCUR, 04 FNAL
    date_prelevement: str | None  # DtePrel
    montant: Decimal | None  # MtPrel
    libelle: str | None  # LibPrel


@dataclass(frozen=True, slots=True)
class Ligne:
    id_ligne: str | None
    nature: str | None
    fonction: str | None
    operation: str | None
    cod_prod_loc: str | None  # recette only
    libelle: str | None  # LibVir1 (dépense) / ObjLignePce (recette)
    mod_regl: str | None
    mt_ht: Decimal | None
    mt_tva: Decimal | None
    pj_refs: tuple[PjRef, ...]
    tiers: tuple[Tiers, ...]
    line: int | None = None
    path: str = ""
    prelevement: PrelevementSepa | None = None  # recette only
    facture: str | None = None  # Facture: the invoice number this line pays (dépense only)


@dataclass(frozen=True, slots=True)
class Piece:
    """A mandat (dépense) or titre (recette) with its lines."""

    domaine: str
    id_bord: str | None
    exercice: str | None
    id_pce: str | None
    typ_pce: str | None
    nat_pce: str | None
    objet: str | None  # Obj (dépense) / ObjPce (recette)
    dte_ech: str | None
    pj_refs: tuple[PjRef, ...]
    lignes: tuple[Ligne, ...]
    index: int  # 1-based position in its bordereau
    line: int | None = None
    path: str = ""

    @property
    def mt_ht(self) -> Decimal:
        return sum((lg.mt_ht or Decimal(0) for lg in self.lignes), Decimal(0))

    @property
    def mt_tva(self) -> Decimal:
        return sum((lg.mt_tva or Decimal(0) for lg in self.lignes), Decimal(0))

    @property
    def factures(self) -> tuple[str, ...]:
        """The invoice numbers the mandat pays (its lines' ``Facture``), once each, in order."""
        return tuple(dict.fromkeys(lg.facture for lg in self.lignes if lg.facture))


@dataclass(frozen=True, slots=True)
class Bordereau:
    """BlocBordereau of a bordereau; its pièces follow as separate records."""

    domaine: str
    xml_id: str | None  # Bordereau/@Id
    exercice: str | None
    id_bord: str | None
    dte_bord_em: str | None
    typ_bord: str | None
    nbr_pce: int | None
    mt_cumul_annuel: Decimal | None
    mt_bord_ht: Decimal | None  # MtBordHT (dépense) / MtBordHt (recette)
    mt_bord_tva: Decimal | None
    index: int  # 1-based position in its domain
    line: int | None = None
    path: str = ""


@dataclass(frozen=True, slots=True)
class BordereauEnd:
    """Emitted after the last pièce of a bordereau."""

    domaine: str
    id_bord: str | None
    xml_id: str | None
    piece_count: int
    signed: bool
    index: int
    line: int | None = None
    path: str = ""


@dataclass(frozen=True, slots=True)
class RefCompta:
    domaine: str | None
    exercice: str | None
    type_objet: str | None
    identifiant: str | None
    complement_identifiant: str | None


@dataclass(frozen=True, slots=True)
class Pj:
    """One PES_PJ/PJ. ``content`` is None when it could not be decoded (see ``error``)."""

    id_unique: str | None
    nom_pj: str | None
    type_pj: str | None
    description: str | None
    mime_type: str | None
    ref_compta: tuple[RefCompta, ...]
    content: PjContent | None
    error: str | None
    index: int  # 1-based position in PES_PJ
    line: int | None = None
    path: str = ""


@dataclass(frozen=True, slots=True)
class FlowSignature:
    """A ds:Signature directly under the root (signature of the whole flow)."""

    xml_id: str | None
    line: int | None = None


PesAllerRecord = FluxHeader | DomaineHeader | Bordereau | Piece | BordereauEnd | Pj | FlowSignature


# --- lightweight views for the validator ----------------------------------------------
# ``validate()`` meets every pièce of flows of a million pièces: it reads only what the
# business rules check, into these plain slotted objects (no frozen-dataclass cost, no
# address, no label). Same attribute names as the records above, so the rule engine takes
# either. Not part of the public API: ``read_pes_aller`` yields the full records.
class CompteLite:
    __slots__ = ("bic", "iban")

    def __init__(self, bic: str | None, iban: str | None) -> None:
        self.bic = bic
        self.iban = iban


class TiersLite:
    __slots__ = ("compte", "id_tiers", "nat_id_tiers", "nom")

    def __init__(
        self,
        id_tiers: str | None,
        nat_id_tiers: str | None,
        nom: str | None,
        compte: CompteLite | None,
    ) -> None:
        self.id_tiers = id_tiers
        self.nat_id_tiers = nat_id_tiers
        self.nom = nom
        self.compte = compte


class LigneLite:
    __slots__ = (
        "_piece_path",
        "id_ligne",
        "index",
        "line",
        "mod_regl",
        "mt_ht",
        "mt_tva",
        "pj_refs",
        "tiers",
    )

    def __init__(
        self,
        id_ligne: str | None,
        mod_regl: str | None,
        mt_ht: Decimal | None,
        mt_tva: Decimal | None,
        pj_refs: tuple[PjRef, ...],
        tiers: tuple[TiersLite, ...],
        line: int | None,
        index: int,
        piece_path: str,
    ) -> None:
        self.id_ligne = id_ligne
        self.mod_regl = mod_regl
        self.mt_ht = mt_ht
        self.mt_tva = mt_tva
        self.pj_refs = pj_refs
        self.tiers = tiers
        self.line = line
        self.index = index
        self._piece_path = piece_path

    @property
    def path(self) -> str:
        return f"{self._piece_path}/LigneDePiece[{self.index}]"


class PieceLite:
    __slots__ = (
        "domaine",
        "id_bord",
        "id_pce",
        "index",
        "lignes",
        "line",
        "nat_pce",
        "path",
        "pj_refs",
        "typ_pce",
    )

    def __init__(
        self,
        domaine: str,
        id_bord: str | None,
        id_pce: str | None,
        typ_pce: str | None,
        nat_pce: str | None,
        pj_refs: tuple[PjRef, ...],
        lignes: tuple[LigneLite, ...] | list[LigneLite],
        index: int,
        line: int | None,
        path: str,
    ) -> None:
        self.domaine = domaine
        self.id_bord = id_bord
        self.id_pce = id_pce
        self.typ_pce = typ_pce
        self.nat_pce = nat_pce
        self.pj_refs = pj_refs
        self.lignes = lignes
        self.index = index
        self.line = line
        self.path = path


# --- PES_ACQUIT ------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class AckError:
    num_ano: str | None
    libelle: str | None


@dataclass(frozen=True, slots=True)
class AckLigne:
    num_ligne: str | None
    erreurs: tuple[AckError, ...]


@dataclass(frozen=True, slots=True)
class AckPiece:
    num_piece: str | None
    erreurs: tuple[AckError, ...]
    lignes: tuple[AckLigne, ...]


@dataclass(frozen=True, slots=True)
class AckElement:
    domaine: str | None  # DomaineAck: 0 technique … 4 PJ, 5 dépense, 6 recette
    etat: bool | None  # EtatAck: True = accepted
    num_bord: str | None
    exercice_bord: str | None
    id_unique: str | None
    id_marche: str | None
    erreurs: tuple[AckError, ...]
    pieces: tuple[AckPiece, ...]
    # v1 (flat) only
    num_piece: str | None = None
    num_ligne: str | None = None


@dataclass(frozen=True, slots=True)
class Acquit:
    version: int  # 1 or 2
    header: FluxHeader
    id_ver: str | None
    elements: tuple[AckElement, ...]


# --- PES_Retour ------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RetourDomaine:
    domaine: str  # "depense" | "recette"
    typ_restit: str | None
    id_ver: str | None
    nat_inf: str | None


@dataclass(frozen=True, slots=True)
class Paiement:
    org_ema: str | None
    dte_pay: str | None
    mt_pay: Decimal | None


@dataclass(frozen=True, slots=True)
class RetourLigne:
    id_ligne: str | None
    etat: str | None  # EtatLigPce
    obs_etat: str | None
    mt_ht: Decimal | None
    mt_tva: Decimal | None
    # titres: InfoContentieux (taken in charge, still due) and InfoAmiableContentieux
    mt_ctx_tot: Decimal | None = None
    sld_princ: Decimal | None = None
    sld_frais: Decimal | None = None
    etape_pce: str | None = None
    dte_etape_pce: str | None = None


@dataclass(frozen=True, slots=True)
class RetourPiece:
    domaine: str
    exercice: str | None
    id_bord: str | None
    typ_bord: str | None
    id_pce: str | None
    typ_pce: str | None
    nat_pce: str | None
    objet: str | None
    dte_pce_pec: str | None
    etat: str | None  # EtatPce
    obs_etat: str | None
    commentaire: str | None
    dte_pce_rej: str | None
    lignes: tuple[RetourLigne, ...]
    paiements: tuple[Paiement, ...]
    mt_pay_tot: Decimal | None
    mt_reco_tot: Decimal | None
    line: int | None = None


PesRetourRecord = FluxHeader | RetourDomaine | RetourPiece


# --- PES_ACQUIT_RETOUR -----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class AcquitRetourElement:
    domaine: str | None  # 13 PES Retour Dépense, 14 PES Retour Recette
    nom_fichier_retour: str | None
    typ_restit: str | None
    date_acquit: str | None


@dataclass(frozen=True, slots=True)
class AcquitRetour:
    header: FluxHeader
    id_ver: str | None
    elements: tuple[AcquitRetourElement, ...]
