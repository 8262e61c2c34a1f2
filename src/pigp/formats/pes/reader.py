"""Streaming readers of PES messages.

``read_pes_aller`` walks a PES_Aller with lxml ``iterparse`` over a :class:`FlowStream`
(no DOCTYPE, no entity, PJ content decoded on the side) and yields one record per header,
bordereau, pièce, end of bordereau and PJ. Each element is cleared, and its preceding
siblings deleted, as soon as its record is built, so memory depends on the size of one
pièce, not of the flow.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, BinaryIO

from lxml import etree

from . import records as r
from .errors import PesError, PesFormatError
from .pj import DEFAULT_MAX_DECOMPRESSED, PjCollector, PjContent, Sink
from .safety import PARSER_OPTIONS, FlowStream, Prolog, read_head
from .schemas import NS_DSIG, MessageKind, MessageType, message_type

Source = str | Path | bytes | IO[bytes]
PjSinkFactory = Callable[[int], Sink | None]

_DSIG_SIGNATURE = f"{{{NS_DSIG}}}Signature"
_DOMAINS = {"PES_DepenseAller": "depense", "PES_RecetteAller": "recette"}
_SWEEP_EVERY = 64  # reads
# Only these elements produce events: leaves are read from their parent's subtree, which
# keeps the Python work per pièce small.
_WALK_TAGS = (
    "Enveloppe",
    "EnTetePES",
    "EnTeteDepense",
    "EnTeteRecette",
    "BlocBordereau",
    "Piece",
    "Bordereau",
    "PES_DepenseAller",
    "PES_RecetteAller",
    "PES_PJ",
    "PJ",
    "Fichier",
    _DSIG_SIGNATURE,
    # not turned into records, but freed as they end (PES_Facture, PES_Marche)
    "FactureIndiv",
    "Marche",
    "Concession",
)
_FREED_ONLY = frozenset({"FactureIndiv", "Marche", "Concession"})


@contextlib.contextmanager
def open_source(source: Source) -> Iterator[BinaryIO]:
    """A binary stream on ``source`` (path, bytes or binary file object)."""
    if isinstance(source, (str, Path)):
        with open(source, "rb") as fh:
            yield fh
    elif isinstance(source, (bytes, bytearray, memoryview)):
        yield io.BytesIO(bytes(source))
    elif hasattr(source, "read"):
        yield source  # type: ignore[misc]
    else:
        raise PesError(f"source de flux PES non prise en charge : {type(source).__name__}")


# -- small helpers ----------------------------------------------------------------------
def _local(tag: object) -> str:
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def _children(el: etree._Element) -> dict[str, etree._Element]:
    out: dict[str, etree._Element] = {}
    for child in el:
        tag = child.tag
        if isinstance(tag, str) and tag not in out:
            out[tag] = child
    return out


def _v(kids: dict[str, etree._Element], name: str) -> str | None:
    el = kids.get(name)
    return None if el is None else el.get("V")


def _amount(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(value.strip())
    except InvalidOperation:
        return None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _bool(value: str | None) -> bool | None:
    if value is None:
        return None
    return {"1": True, "true": True, "0": False, "false": False}.get(value.strip())


def _pj_refs(parent: etree._Element) -> tuple[r.PjRef, ...]:
    return _pj_refs_of(parent.iterchildren("PJRef"))


def _pj_refs_of(elements: Iterable[etree._Element]) -> tuple[r.PjRef, ...]:
    refs = []
    for ref in elements:
        k = _children(ref)
        refs.append(
            r.PjRef(
                _v(k, "Support"), _v(k, "IdUnique"), _v(k, "NomPJ"), _v(k, "TypePJ"), ref.sourceline
            )
        )
    return tuple(refs)


def _tiers(el: etree._Element) -> r.Tiers:
    info = _children(el.find("InfoTiers") if el.find("InfoTiers") is not None else el)
    adresse = el.find("Adresse")
    adr = None
    if adresse is not None:
        a = _children(adresse)
        adr = r.Adresse(
            _v(a, "Adr1"),
            _v(a, "Adr2"),
            _v(a, "Adr3"),
            _v(a, "CP"),
            _v(a, "Ville"),
            _v(a, "CodPays"),
        )
    compte = el.find("CpteBancaire")
    cpt = None
    if compte is not None:
        c = _children(compte)
        cpt = r.CompteBancaire(
            _v(c, "BIC"),
            _v(c, "IBAN"),
            _v(c, "CodeEtab"),
            _v(c, "CodeGuic"),
            _v(c, "IdCpte"),
            _v(c, "CleRib"),
            _v(c, "TitCpte"),
            compte.sourceline,
        )
    return r.Tiers(
        _v(info, "IdTiers"),
        _v(info, "NatIdTiers"),
        _v(info, "RefTiers"),
        _v(info, "CatTiers"),
        _v(info, "NatJur"),
        _v(info, "TypTiers"),
        _v(info, "Civilite"),
        _v(info, "Nom"),
        _v(info, "ComplNom"),
        _v(info, "Prenom"),
        adr,
        cpt,
        el.sourceline,
    )


def _kids_of(el: etree._Element | None, path: str) -> dict[str, etree._Element]:
    """Children of ``el.find(path)``, or nothing when either is missing (invalid flows)."""
    found = el.find(path) if el is not None else None
    return _children(found) if found is not None else {}


def _header(root: etree._Element, enveloppe: etree._Element | None, entete: etree._Element):
    p = _kids_of(enveloppe, "Parametres")
    e = _kids_of(enveloppe, "Emetteur")
    h = _children(entete)
    return r.FluxHeader(
        root=_local(root.tag),
        xml_id=root.get("Id"),
        version=_v(p, "Version"),
        typ_fic=_v(p, "TypFic"),
        nom_fic=_v(p, "NomFic"),
        emetteur_sigle=_v(e, "Sigle"),
        emetteur_adresse=_v(e, "Adresse"),
        dte_str=_v(h, "DteStr"),
        id_post=_v(h, "IdPost"),
        libelle_poste=_v(h, "LibellePoste"),
        id_coll=_v(h, "IdColl"),
        fin_jur=_v(h, "FinJur"),
        cod_col=_v(h, "CodCol") or _v(h, "CodColl"),
        cod_bud=_v(h, "CodBud"),
        libelle_col_bud=_v(h, "LibelleColBud"),
        line=entete.sourceline,
    )


def _drop_done(el: etree._Element) -> None:
    """Free an element whose record is built, and the siblings before it."""
    el.clear(keep_tail=True)
    parent = el.getparent()
    if parent is not None:
        while el.getprevious() is not None:
            del parent[0]


# -- PES_Aller --------------------------------------------------------------------------
class AllerWalker:
    """Turns iterparse events of a PES_Aller into records (reader and validator).

    No schema here on purpose: with a schema attached, lxml's iterparse stops reporting
    well-formedness errors; the validator checks the schema on a parallel parser.
    """

    def __init__(
        self, stream: FlowStream | IO[bytes], collector: PjCollector, *, lite: bool = False
    ) -> None:
        self.stream = stream
        self.collector = collector
        # lite: pièces become ``records.PieceLite`` (what the rules check, nothing more)
        self.lite = lite
        self.root_tag: str | None = None
        self.signatures = 0
        self.root: etree._Element | None = None

    def __iter__(self) -> Iterator[r.PesAllerRecord]:
        events = etree.iterparse(
            _SweepingReader(self),
            events=("end",),
            tag=_WALK_TAGS,
            remove_comments=True,
            remove_pis=True,
            **PARSER_OPTIONS,
        )
        root = None
        enveloppe = None
        bord_index = {"depense": 0, "recette": 0}
        piece_index = 0
        cur: dict[str, object] = {}
        signed = False
        pj_index = 0
        pending_pj: deque[tuple[PjContent | None, str | None]] = deque()
        make_piece = _piece_lite if self.lite else _piece
        for _event, el in events:
            tag = el.tag
            if tag == "Piece" and root is not None:  # the hot path: one event per pièce
                parent = el.getparent()
                if parent is not None and parent.tag == "Bordereau":
                    piece_index += 1
                    bord = cur.get("bord")
                    if isinstance(bord, r.Bordereau):
                        yield make_piece(el, bord, piece_index)
                    _drop_done(el)
                    continue
            if root is None:
                root = el.getroottree().getroot()
                self.root_tag = root.tag
                self.root = root
            if not isinstance(tag, str):
                continue
            parent = el.getparent()
            ptag = parent.tag if parent is not None else None
            if tag in _FREED_ONLY:
                _drop_done(el)
                continue
            if tag == "Fichier":
                pending_pj.append(
                    self.collector.done.popleft() if self.collector.done else (None, None)
                )
                continue
            if ptag is not None and ptag == self.root_tag:
                if tag == "Enveloppe":
                    enveloppe = el
                    continue
                if tag == "EnTetePES":
                    yield _header(root, enveloppe, el)
                    enveloppe = None
                    _drop_done(el)
                elif tag == _DSIG_SIGNATURE:
                    self.signatures += 1
                    yield r.FlowSignature(el.get("Id"), el.sourceline)
                    _drop_done(el)
                elif tag in _DOMAINS or tag == "PES_PJ":
                    _drop_done(el)
                continue
            if tag in ("EnTeteDepense", "EnTeteRecette") and ptag in _DOMAINS:
                k = _children(el)
                yield r.DomaineHeader(
                    _DOMAINS[ptag],
                    _v(k, "IdVer"),
                    _bool(_v(k, "InfoDematerialisee")),
                    el.sourceline,
                )
            elif tag == "BlocBordereau" and ptag == "Bordereau":
                gp = parent.getparent()
                domaine = _DOMAINS.get(gp.tag if gp is not None else "", "depense")
                bord_index[domaine] += 1
                piece_index = 0
                signed = False
                k = _children(el)
                path = f"/{_local(self.root_tag)}/{gp.tag if gp is not None else ''}"
                path += f"/Bordereau[{bord_index[domaine]}]"
                bord = r.Bordereau(
                    domaine=domaine,
                    xml_id=parent.get("Id"),
                    exercice=_v(k, "Exer"),
                    id_bord=_v(k, "IdBord"),
                    dte_bord_em=_v(k, "DteBordEm"),
                    typ_bord=_v(k, "TypBord"),
                    nbr_pce=_int(_v(k, "NbrPce")),
                    mt_cumul_annuel=_amount(_v(k, "MtCumulAnnuel")),
                    mt_bord_ht=_amount(_v(k, "MtBordHT") or _v(k, "MtBordHt")),
                    mt_bord_tva=_amount(_v(k, "MtBordTVA")),
                    index=bord_index[domaine],
                    line=parent.sourceline,
                    path=path,
                )
                cur = {"bord": bord}
                yield bord
            elif tag == "Piece" and ptag == "Bordereau":
                piece_index += 1
                bord = cur.get("bord")
                if isinstance(bord, r.Bordereau):
                    yield _piece(el, bord, piece_index)
                _drop_done(el)
            elif tag == _DSIG_SIGNATURE and ptag == "Bordereau":
                signed = True
                self.signatures += 1
                _drop_done(el)
            elif tag == "Bordereau" and ptag in _DOMAINS:
                bord = cur.get("bord")
                domaine = _DOMAINS[ptag]
                if isinstance(bord, r.Bordereau):
                    yield r.BordereauEnd(
                        domaine,
                        bord.id_bord,
                        bord.xml_id,
                        piece_index,
                        signed,
                        bord.index,
                        el.sourceline,
                        bord.path,
                    )
                cur = {}
                _drop_done(el)
            elif tag == "PJ" and ptag == "PES_PJ":
                pj_index += 1
                content, error = pending_pj.popleft() if pending_pj else (None, None)
                yield _pj(el, pj_index, content, error, _local(self.root_tag))
                _drop_done(el)

    def sweep(self) -> None:
        """Drop finished children of the root that no event will ever free (unknown or
        misplaced elements, which produce no event) so that they cannot pile up."""
        root = self.root
        if root is None or len(root) < 2:
            return
        for child in list(root)[:-1]:
            if child.tag != "Enveloppe":
                root.remove(child)


class _SweepingReader:
    """The walker's input: the flow stream, with a periodic sweep of the tree; in lite mode
    without the leaves no lite record reads (``_UNREAD_LEAF``)."""

    def __init__(self, walker: AllerWalker) -> None:
        self._walker = walker
        self._reads = 0

    def read(self, n: int = -1) -> bytes:
        self._reads += 1
        if self._reads % _SWEEP_EVERY == 0:
            self._walker.sweep()
        data = self._walker.stream.read(n)
        if not self._walker.lite:
            return data
        # An element cut by the end of a read stays (it is simply not dropped). b"" means
        # the end of the input to lxml: read on while a chunk strips to nothing.
        while data:
            kept = _UNREAD_LEAF.sub(b"", data)
            if kept:
                return kept
            data = self._walker.stream.read(n)
        return data


def _piece(el: etree._Element, bord: r.Bordereau, index: int) -> r.Piece:
    bloc = el.find("BlocPiece")
    info_el = None
    if bloc is not None:
        info_el = bloc.find("InfoPce") if bord.domaine == "depense" else bloc
    k = _children(info_el) if info_el is not None else {}
    path = f"{bord.path}/Piece[{index}]"
    lignes = []
    for li, ldp in enumerate(el.iterchildren("LigneDePiece"), start=1):
        blp = ldp.find("BlocLignePiece")
        info = None
        if blp is not None:
            info = blp.find("InfoLignePce")
            if info is None:
                info = blp.find("InfoLignePiece")
        lk = _children(info) if info is not None else {}
        prl = blp.find("InfoPrelevementSEPA") if blp is not None else None
        prelevement = None
        if prl is not None:
            pk = _children(prl)
            prelevement = r.PrelevementSepa(
                rum=_v(pk, "RefUniMdt"),
                date_signature=_v(pk, "DateSignMandat"),
                sequence=_v(pk, "SequencePres"),
                date_prelevement=_v(pk, "DtePrel"),
                montant=_amount(_v(pk, "MtPrel")),
                libelle=_v(pk, "LibPrel"),
            )
        lignes.append(
            r.Ligne(
                id_ligne=_v(lk, "IdLigne"),
                nature=_v(lk, "Nature"),
                fonction=_v(lk, "Fonction"),
                operation=_v(lk, "Operation"),
                cod_prod_loc=_v(lk, "CodProdLoc"),
                libelle=_v(lk, "LibVir1") or _v(lk, "ObjLignePce"),
                mod_regl=_v(lk, "ModRegl"),
                mt_ht=_amount(_v(lk, "MtHT")),
                mt_tva=_amount(_v(lk, "MtTVA")),
                pj_refs=_pj_refs(info) if info is not None else (),
                tiers=tuple(_tiers(t) for t in ldp.iterchildren("Tiers")),
                line=ldp.sourceline,
                path=f"{path}/LigneDePiece[{li}]",
                prelevement=prelevement,
            )
        )
    return r.Piece(
        domaine=bord.domaine,
        id_bord=bord.id_bord,
        exercice=bord.exercice,
        id_pce=_v(k, "IdPce"),
        typ_pce=_v(k, "TypPce"),
        nat_pce=_v(k, "NatPce"),
        objet=_v(k, "Obj") or _v(k, "ObjPce"),
        dte_ech=_v(k, "DteEch"),
        pj_refs=_pj_refs(info_el) if info_el is not None else (),
        lignes=tuple(lignes),
        index=index,
        line=el.sourceline,
        path=path,
    )


# What the rules read of a pièce, found by one C-level walk of its subtree (``iter`` with
# a tag filter): only these elements get a Python proxy. In a schema-valid pièce each name
# has one meaning; on an invalid one the walk stays total (first value wins, no exception).
_LITE_TAGS = (
    "IdPce",
    "TypPce",
    "NatPce",
    "PJRef",
    "LigneDePiece",
    "IdLigne",
    "ModRegl",
    "MtHT",
    "MtTVA",
    "Tiers",
    "IdTiers",
    "NatIdTiers",
    "Nom",
    "CpteBancaire",
    "BIC",
    "IBAN",
)
# Leaves (``<Name V="…"/>``) that no lite record reads: the validator's walker never sees
# them (see :class:`_SweepingReader`). They make about 40 % of a mandat's bytes and libxml2
# would build a node for each. The schema check reads the untouched bytes. None of these
# names is read by ``_header``, ``_pj``, the bordereau or the domaine header (names taken
# from the v5.17 tree: leaves of pièces, tiers and PES_Facture blocks, minus ``_LITE_TAGS``).
_LITE_UNREAD_TEXT = """
    Adr1 Adr2 Adr3 Affect AncienIBAN AncienICS AncienneBanque AncienRUM
    AncienTiersCreancier CarteAchatNiveau1 CatTiers Civilite Cle1 Cle2 CleRib
    CodAssDeb CodAyantDroit CodBudBen CodCollBen CodeCommune CodeDeptDomCom CodeEtab
    CodeGuic CodePays CodeService CodEtGeo CodIntMor CodOpSpec CodPays CodProdLoc
    CodRes CodServ ComplNom CP CptAna CpteTiers DateSignMandat DebFact Dgp DteAdr
    DteAsp DteBanc DteDebDgp DteEch DteFinDgp DteIdTiers DteMajo DteNaissance
    DtePrel DteReco DureeDgp Edition ExerRat Facture FinFact FinGeo Fonction IdActif
    IdBancInt IdCaution IdCollBen IdConv IdCpte IdEmpruntOrdo IdEncaissement
    IdLigneOrig IdMarche IdOpSpec IdPayInt IdPceOrig IdRegie IdRol LibBanc
    LibelleCommune LibellePays LibPrel LibVir1 LibVir2 Majo MtFactHT MtHtRes
    MtNonMajo MtPrel MtReco NatJur NatPceOrig NatPrel Nature NeEnFrance NomService
    NumDette NumeroEngagement NumeroFacture NumeroMarche Obj ObjLignePce ObjPce
    Operation Per PerPrel Prenom RecTVA RefTiers RefUniMdt SequencePres TitCpte
    TitCpteDiff TVAIntraCom TvaIntraCom TxIntMor TxMajo TxTva TypAdr TypFlux
    TypTiers Ville
"""
_LITE_UNREAD = frozenset(_LITE_UNREAD_TEXT.split())


def _alternation(names: Iterable[str]) -> str:
    """A regex matching exactly ``names``, factored by common prefix (sre tries the
    branches of a flat alternation one by one)."""
    groups: dict[str, list[str]] = {}
    for name in sorted(set(names)):
        groups.setdefault(name[:1], []).append(name[1:])
    branches = []
    optional = False
    for first, rests in groups.items():
        if first == "":
            optional = True
        else:
            branches.append(re.escape(first) + _alternation(rests))
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 and not optional else f"(?:{'|'.join(branches)})"
    return f"{body}?" if optional else body


# Only the canonical form, on one line, with a value of printable ASCII other than
# '"', '&' and '<': such an element is well-formed by itself and removing it changes
# neither the line numbers nor the well-formedness of what is left.
_UNREAD_LEAF = re.compile(
    rb'<%s V="[\x20\x21\x23-\x25\x27-\x3b\x3d-\x7e]*"/>'
    % _alternation(_LITE_UNREAD).encode("ascii")
)


_PCE_FIELDS = frozenset({"IdPce", "TypPce", "NatPce"})
_LIGNE_FIELDS = frozenset({"IdLigne", "MtHT", "MtTVA"})
_TIERS_FIELDS = frozenset({"IdTiers", "NatIdTiers", "Nom"})


class _LigneAcc:
    """A ligne while its subtree is walked (see :func:`_piece_lite`)."""

    __slots__ = ("compte", "line", "refs", "tiers", "values")

    def __init__(self, line: int | None) -> None:
        self.line = line
        self.values: dict[str, str | None] = {}
        self.refs: list[etree._Element] = []
        self.tiers: list[list] = []  # [values, bic, iban, has_compte] per Tiers


def _piece_lite(el: etree._Element, bord: r.Bordereau, index: int) -> r.PieceLite:
    """What the rules check of a pièce (see ``_piece`` for the full record).

    One pass over the matching descendants in document order: pièce fields come first
    (BlocPiece), then each LigneDePiece with its BlocLignePiece and its Tiers. ModRegl
    belongs to the ligne only before its first Tiers (in a titre it is the tiers' own).
    """
    path = f"{bord.path}/Piece[{index}]"
    piece: dict[str, str | None] = {}
    piece_refs: list[etree._Element] = []
    lignes: list[_LigneAcc] = []
    ligne: _LigneAcc | None = None
    tiers: list | None = None  # the current Tiers of the current ligne
    for child in el.iter(_LITE_TAGS):
        tag = child.tag
        if tag == "LigneDePiece":
            ligne = _LigneAcc(child.sourceline)
            lignes.append(ligne)
            tiers = None
        elif tag in _PCE_FIELDS:
            if tag not in piece:
                piece[tag] = child.get("V")
        elif ligne is None:
            if tag == "PJRef":
                piece_refs.append(child)
        elif tiers is not None and tag in _TIERS_FIELDS:
            if tag not in tiers[0]:
                tiers[0][tag] = child.get("V")
        elif tag in _LIGNE_FIELDS or (tag == "ModRegl" and tiers is None):
            if tag not in ligne.values:
                ligne.values[tag] = child.get("V")
        elif tag == "Tiers":
            tiers = [{}, None, None, False]
            ligne.tiers.append(tiers)
        elif tiers is not None and tag == "CpteBancaire":
            tiers[3] = True
        elif tiers is not None and tag in ("BIC", "IBAN"):
            slot = 1 if tag == "BIC" else 2
            if tiers[3] and tiers[slot] is None:
                tiers[slot] = child.get("V")
        elif tag == "PJRef":
            ligne.refs.append(child)
    out = []
    for i, acc in enumerate(lignes, start=1):
        values = acc.values
        mt_ht = values.get("MtHT")
        mt_tva = values.get("MtTVA")
        out.append(
            r.LigneLite(
                values.get("IdLigne"),
                values.get("ModRegl"),
                None if mt_ht is None else _amount(mt_ht),
                None if mt_tva is None else _amount(mt_tva),
                _pj_refs_of(acc.refs) if acc.refs else (),
                tuple(
                    r.TiersLite(
                        t[0].get("IdTiers"),
                        t[0].get("NatIdTiers"),
                        t[0].get("Nom"),
                        r.CompteLite(t[1], t[2]) if t[3] else None,
                    )
                    for t in acc.tiers
                ),
                acc.line,
                i,
                path,
            )
        )
    return r.PieceLite(
        bord.domaine,
        bord.id_bord,
        piece.get("IdPce"),
        piece.get("TypPce"),
        piece.get("NatPce"),
        _pj_refs_of(piece_refs) if piece_refs else (),
        out,
        index,
        el.sourceline,
        path,
    )


def _pj(
    el: etree._Element, index: int, content: PjContent | None, error: str | None, root: str
) -> r.Pj:
    k = _children(el)
    fichier = el.find("Contenu/Fichier")
    refs = []
    for rc in el.iterchildren("RefCompta"):
        c = _children(rc)
        refs.append(
            r.RefCompta(
                _v(c, "Domaine"),
                _v(c, "Exercice"),
                _v(c, "TypeObjet"),
                _v(c, "Identifiant"),
                _v(c, "ComplementIdentifiant"),
            )
        )
    return r.Pj(
        id_unique=_v(k, "IdUnique"),
        nom_pj=_v(k, "NomPJ"),
        type_pj=_v(k, "TypePJ"),
        description=_v(k, "Description"),
        mime_type=fichier.get("MIMEType") if fichier is not None else None,
        ref_compta=tuple(refs),
        content=content,
        error=error,
        index=index,
        line=el.sourceline,
        path=f"/{root}/PES_PJ/PJ[{index}]",
    )


def _check_root(prolog: Prolog, expected: tuple[MessageKind, ...]) -> MessageType:
    for problem in prolog.problems:
        if problem.kind in ("empty", "compressed", "binary", "utf16", "doctype", "no-root"):
            raise PesFormatError(f"flux illisible ({problem.kind} {problem.detail})".strip())
    mt = message_type(prolog.root_namespace, prolog.root or "")
    if mt is None or mt.kind not in expected:
        raise PesFormatError(
            f"élément racine {prolog.root!r} (espace de noms {prolog.root_namespace!r}) : "
            f"attendu {', '.join(k.value for k in expected)}"
        )
    return mt


def read_pes_aller(
    source: Source,
    *,
    pj_sink: PjSinkFactory | None = None,
    max_pj_decompressed: int = DEFAULT_MAX_DECOMPRESSED,
    max_size: int = 1_500_000_000,
    max_elements: int = 50_000_000,
) -> Iterator[r.PesAllerRecord]:
    """Yield the records of a PES_Aller, streaming.

    ``pj_sink(n)`` is called at the start of the n-th PJ content and returns where to write
    the decoded document (or None to only measure and digest it). Raises
    :class:`PesFormatError` for a file that is not a well-formed PES_Aller; it does not
    validate against the schema (use :func:`pigp.formats.pes.validator.validate`).
    """
    with open_source(source) as raw:
        head, prolog = read_head(raw)
        _check_root(prolog, (MessageKind.ALLER,))
        collector = PjCollector(pj_sink, max_pj_decompressed)
        stream = FlowStream(
            raw, head=head, pj=collector, max_size=max_size, max_elements=max_elements
        )
        try:
            yield from AllerWalker(stream, collector)
        except etree.XMLSyntaxError as exc:
            raise PesFormatError(f"XML mal formé : {exc}") from exc


# -- PES_ACQUIT, PES_Retour, PES_ACQUIT_RETOUR ------------------------------------------
def _iter_small(source: Source, expected: tuple[MessageKind, ...], unit: str):
    """Yield (message type, element) for each ``unit`` element end (and the headers)."""
    with open_source(source) as raw:
        head, prolog = read_head(raw)
        mt = _check_root(prolog, expected)
        stream = FlowStream(raw, head=head)
        try:
            for _event, el in etree.iterparse(
                stream, events=("end",), remove_comments=True, remove_pis=True, **PARSER_OPTIONS
            ):
                tag = el.tag
                if isinstance(tag, str) and (tag == unit or tag.startswith("EnTete")):
                    yield mt, el
        except etree.XMLSyntaxError as exc:
            raise PesFormatError(f"XML mal formé : {exc}") from exc


def _ack_errors(el: etree._Element) -> tuple[r.AckError, ...]:
    out = []
    for e in el.iterchildren("Erreur"):
        k = _children(e)
        out.append(r.AckError(_v(k, "NumAnoAck"), _v(k, "LibelleAnoAck")))
    return tuple(out)


def read_acquit(source: Source) -> r.Acquit:
    """Read a PES_ACQUIT (v2, or the flat v1)."""
    header = None
    id_ver = None
    elements: list[r.AckElement] = []
    version = 2
    for mt, el in _iter_small(
        source, (MessageKind.ACQUIT_V2, MessageKind.ACQUIT_V1), "ElementACQUIT"
    ):
        version = 1 if mt.kind is MessageKind.ACQUIT_V1 else 2
        if el.tag == "EnTetePES":
            root = el.getroottree().getroot()
            header = _header(root, root.find("Enveloppe"), el)
        elif el.tag == "EnTeteAcquit":
            id_ver = el.find("IdVer").get("V") if el.find("IdVer") is not None else None
        elif el.tag == "ElementACQUIT":
            k = _children(el)
            pieces = []
            for dp in el.iterchildren("DetailPiece"):
                pk = _children(dp)
                lignes = tuple(
                    r.AckLigne(_v(_children(dl), "NumLigne"), _ack_errors(dl))
                    for dl in dp.iterchildren("DetailLigne")
                )
                pieces.append(r.AckPiece(_v(pk, "NumPiece"), _ack_errors(dp), lignes))
            errors = _ack_errors(el)
            if version == 1 and (_v(k, "NumAnoAck") or _v(k, "LibelleAnoAck")):
                errors = (r.AckError(_v(k, "NumAnoAck"), _v(k, "LibelleAnoAck")),)
            elements.append(
                r.AckElement(
                    domaine=_v(k, "DomaineAck"),
                    etat=_bool(_v(k, "EtatAck")),
                    num_bord=_v(k, "NumBord"),
                    exercice_bord=_v(k, "ExerciceBord"),
                    id_unique=_v(k, "IdUnique"),
                    id_marche=_v(k, "IdMarche"),
                    erreurs=errors,
                    pieces=tuple(pieces),
                    num_piece=_v(k, "NumPiece"),
                    num_ligne=_v(k, "NumLigne"),
                )
            )
            el.clear()
    if header is None:
        raise PesFormatError("PES_ACQUIT sans EnTetePES")
    return r.Acquit(version, header, id_ver, tuple(elements))


def read_acquit_retour(source: Source) -> r.AcquitRetour:
    """Read a PES_ACQUIT_RETOUR (the ordonnateur's acknowledgement of a PES_Retour)."""
    header = None
    id_ver = None
    elements = []
    for _mt, el in _iter_small(source, (MessageKind.ACQUIT_RETOUR,), "ElementACQUIT_RETOUR"):
        if el.tag == "EnTetePES":
            root = el.getroottree().getroot()
            header = _header(root, root.find("Enveloppe"), el)
        elif el.tag == "EnTeteAcquit_Retour":
            id_ver = el.find("IdVer").get("V") if el.find("IdVer") is not None else None
        elif el.tag == "ElementACQUIT_RETOUR":
            k = _children(el)
            elements.append(
                r.AcquitRetourElement(
                    _v(k, "DomaineAckRetour"),
                    _v(k, "NomFichierRetour"),
                    _v(k, "TypRestit"),
                    _v(k, "DateAcquit"),
                )
            )
    if header is None:
        raise PesFormatError("PES_ACQUIT_RETOUR sans EnTetePES")
    return r.AcquitRetour(header, id_ver, tuple(elements))


def read_retour(source: Source) -> Iterator[r.PesRetourRecord]:
    """Yield the records of a PES_Retour (dépense or recette): header, domain, pièces."""
    for _mt, el in _iter_small(source, (MessageKind.RETOUR,), "Piece"):
        if el.tag == "EnTetePES":
            root = el.getroottree().getroot()
            yield _header(root, root.find("Enveloppe"), el)
        elif el.tag in ("EnTeteDepense", "EnTeteRecette"):
            k = _children(el)
            domaine = "depense" if el.tag == "EnTeteDepense" else "recette"
            yield r.RetourDomaine(domaine, _v(k, "TypRestit"), _v(k, "IdVer"), _v(k, "NatInf"))
        elif el.tag == "Piece":
            yield _retour_piece(el)
            # Free the pièce and the pièces before it, but keep the BlocBordereau that the
            # next pièces of this bordereau still need.
            el.clear(keep_tail=True)
            parent = el.getparent()
            while parent is not None and (prev := el.getprevious()) is not None:
                if prev.tag != "Piece":
                    break
                parent.remove(prev)


def _retour_piece(el: etree._Element) -> r.RetourPiece:
    bordereau = el.getparent()
    bloc = bordereau.find("BlocBordereau") if bordereau is not None else None
    bk = _children(bloc) if bloc is not None else {}
    domain_el = bordereau.getparent() if bordereau is not None else None
    domaine = (
        "recette" if domain_el is not None and domain_el.tag == "PES_RecetteRetour" else "depense"
    )
    info = el.find("InfoPiece")
    if info is None:
        info = el.find("BlocPiece")
    k = _children(info) if info is not None else {}
    lignes = []
    mt_pay = None
    mt_reco = None
    for blp in el.iter("BlocLignePiece"):
        ilp = blp.find("InfoLignePiece")
        lk = _children(ilp) if ilp is not None else {}
        lignes.append(
            r.RetourLigne(
                _v(lk, "IdLigne"),
                _v(lk, "EtatLigPce"),
                _v(lk, "ObsEtat"),
                _amount(_v(lk, "MtHT")),
                _amount(_v(lk, "MtTVA")),
            )
        )
        for ip in blp.iterchildren("InfoPaiement"):
            amount = _amount(_v(_children(ip), "MtPayTot"))
            if amount is not None:
                mt_pay = (mt_pay or Decimal(0)) + amount
        for ir in blp.iterchildren("InfoRecouvrement"):
            amount = _amount(_v(_children(ir), "MtRecoTot"))
            if amount is not None:
                mt_reco = (mt_reco or Decimal(0)) + amount
    paiements = tuple(
        r.Paiement(
            _v(_children(p), "OrgEma"),
            _v(_children(p), "DtePay"),
            _amount(_v(_children(p), "MtPay")),
        )
        for p in el.iter("PaiementEmargement")
    )
    return r.RetourPiece(
        domaine=domaine,
        exercice=_v(bk, "Exer"),
        id_bord=_v(bk, "IdBord"),
        typ_bord=_v(bk, "TypBord"),
        id_pce=_v(k, "IdPce"),
        typ_pce=_v(k, "TypPce"),
        nat_pce=_v(k, "NatPce"),
        objet=_v(k, "Obj"),
        dte_pce_pec=_v(k, "DtePcePec"),
        etat=_v(k, "EtatPce"),
        obs_etat=_v(k, "ObsEtat"),
        commentaire=_v(k, "Commentaire"),
        dte_pce_rej=_v(k, "DtePceRej"),
        lignes=tuple(lignes),
        paiements=paiements,
        mt_pay_tot=mt_pay,
        mt_reco_tot=mt_reco,
        line=el.sourceline,
    )
