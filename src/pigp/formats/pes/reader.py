"""Streaming reader of PES_Aller (the readers of returns are in ``returns``).

``read_pes_aller`` walks a PES_Aller with lxml ``iterparse`` over a :class:`FlowStream`
(no DOCTYPE, no entity, PJ content decoded on the side) and yields one record per header,
bordereau, pièce, end of bordereau and PJ. Each element is cleared, and its preceding
siblings deleted, as soon as its record is built, so memory depends on the size of one
pièce, not of the flow.
"""

from __future__ import annotations

import contextlib
import io
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Generic, Literal, TypeVar, cast, overload

from lxml import etree

from . import records as r
from .elements import (
    child_map,
    drop_done,
    flux_header,
    local_name,
    pj_refs_in,
    to_bool,
    to_decimal,
    to_int,
    v_attr,
)
from .errors import PesError, PesFormatError
from .lite import piece_lite, strip_unread
from .pj import DEFAULT_MAX_DECOMPRESSED, PjCollector, PjContent, Sink
from .safety import PARSER_OPTIONS, FlowStream, Prolog, read_head
from .schemas import NS_DSIG, MessageKind, MessageType, SchemaThread, message_type

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
def open_source(source: Source) -> Iterator[IO[bytes]]:
    """A binary stream on ``source`` (path, bytes or binary file object)."""
    if isinstance(source, (str, Path)):
        with open(source, "rb") as fh:
            yield fh
    elif isinstance(source, (bytes, bytearray, memoryview)):
        yield io.BytesIO(bytes(source))
    elif hasattr(source, "read"):
        yield source
    else:
        raise PesError(f"source de flux PES non prise en charge : {type(source).__name__}")


def _tiers(el: etree._Element) -> r.Tiers:
    info = child_map(el.find("InfoTiers") if el.find("InfoTiers") is not None else el)
    adresse = el.find("Adresse")
    adr = None
    if adresse is not None:
        a = child_map(adresse)
        adr = r.Adresse(
            v_attr(a, "Adr1"),
            v_attr(a, "Adr2"),
            v_attr(a, "Adr3"),
            v_attr(a, "CP"),
            v_attr(a, "Ville"),
            v_attr(a, "CodPays"),
        )
    compte = el.find("CpteBancaire")
    cpt = None
    if compte is not None:
        c = child_map(compte)
        cpt = r.CompteBancaire(
            v_attr(c, "BIC"),
            v_attr(c, "IBAN"),
            v_attr(c, "CodeEtab"),
            v_attr(c, "CodeGuic"),
            v_attr(c, "IdCpte"),
            v_attr(c, "CleRib"),
            v_attr(c, "TitCpte"),
            compte.sourceline,
        )
    return r.Tiers(
        v_attr(info, "IdTiers"),
        v_attr(info, "NatIdTiers"),
        v_attr(info, "RefTiers"),
        v_attr(info, "CatTiers"),
        v_attr(info, "NatJur"),
        v_attr(info, "TypTiers"),
        v_attr(info, "Civilite"),
        v_attr(info, "Nom"),
        v_attr(info, "ComplNom"),
        v_attr(info, "Prenom"),
        adr,
        cpt,
        el.sourceline,
    )


# -- PES_Aller --------------------------------------------------------------------------
_P = TypeVar("_P", r.Piece, r.PieceLite)
WalkerInput = FlowStream | SchemaThread | IO[bytes]


class AllerWalker(Generic[_P]):
    """Turns iterparse events of a PES_Aller into records (reader and validator).

    No schema here on purpose: with a schema attached, lxml's iterparse stops reporting
    well-formedness errors; the validator checks the schema on a parallel parser.
    """

    @overload
    def __init__(
        self: AllerWalker[r.Piece],
        stream: WalkerInput,
        collector: PjCollector,
        *,
        lite: Literal[False] = False,
    ) -> None: ...

    @overload
    def __init__(
        self: AllerWalker[r.PieceLite],
        stream: WalkerInput,
        collector: PjCollector,
        *,
        lite: Literal[True],
    ) -> None: ...

    def __init__(self, stream: WalkerInput, collector: PjCollector, *, lite: bool = False) -> None:
        self.stream = stream
        self.collector = collector
        # lite: pièces become ``records.PieceLite`` (what the rules check, nothing more)
        self.lite = lite
        # The overloads tie ``lite`` to the record type; the implementation cannot see it.
        self._make_piece: Callable[[etree._Element, r.Bordereau, int], _P] = cast(
            "Callable[[etree._Element, r.Bordereau, int], _P]", piece_lite if lite else _piece
        )
        self.root_tag: str | None = None
        self.signatures = 0
        self.root: etree._Element | None = None

    def __iter__(
        self,
    ) -> Iterator[
        r.FluxHeader | r.DomaineHeader | r.Bordereau | _P | r.BordereauEnd | r.Pj | r.FlowSignature
    ]:
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
        bord: r.Bordereau | None = None  # the bordereau being read
        signed = False
        pj_index = 0
        pending_pj: deque[tuple[PjContent | None, str | None]] = deque()
        make_piece = self._make_piece
        for _event, el in events:
            tag = el.tag
            if tag == "Piece" and root is not None:  # the hot path: one event per pièce
                parent = el.getparent()
                if parent is not None and parent.tag == "Bordereau":
                    piece_index += 1
                    if bord is not None:
                        yield make_piece(el, bord, piece_index)
                    drop_done(el)
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
                drop_done(el)
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
                    yield flux_header(root, enveloppe, el)
                    enveloppe = None
                    drop_done(el)
                elif tag == _DSIG_SIGNATURE:
                    self.signatures += 1
                    yield r.FlowSignature(el.get("Id"), el.sourceline)
                    drop_done(el)
                elif tag in _DOMAINS or tag == "PES_PJ":
                    drop_done(el)
                continue
            if tag in ("EnTeteDepense", "EnTeteRecette") and ptag in _DOMAINS:
                k = child_map(el)
                yield r.DomaineHeader(
                    _DOMAINS[ptag],
                    v_attr(k, "IdVer"),
                    to_bool(v_attr(k, "InfoDematerialisee")),
                    el.sourceline,
                )
            elif tag == "BlocBordereau" and ptag == "Bordereau":
                gp = parent.getparent()
                domaine = _DOMAINS.get(gp.tag if gp is not None else "", "depense")
                bord_index[domaine] += 1
                piece_index = 0
                signed = False
                k = child_map(el)
                path = f"/{local_name(self.root_tag)}/{gp.tag if gp is not None else ''}"
                path += f"/Bordereau[{bord_index[domaine]}]"
                bord = r.Bordereau(
                    domaine=domaine,
                    xml_id=parent.get("Id"),
                    exercice=v_attr(k, "Exer"),
                    id_bord=v_attr(k, "IdBord"),
                    dte_bord_em=v_attr(k, "DteBordEm"),
                    typ_bord=v_attr(k, "TypBord"),
                    nbr_pce=to_int(v_attr(k, "NbrPce")),
                    mt_cumul_annuel=to_decimal(v_attr(k, "MtCumulAnnuel")),
                    mt_bord_ht=to_decimal(v_attr(k, "MtBordHT") or v_attr(k, "MtBordHt")),
                    mt_bord_tva=to_decimal(v_attr(k, "MtBordTVA")),
                    index=bord_index[domaine],
                    line=parent.sourceline,
                    path=path,
                )
                yield bord
            elif tag == "Piece" and ptag == "Bordereau":
                piece_index += 1
                if bord is not None:
                    yield make_piece(el, bord, piece_index)
                drop_done(el)
            elif tag == _DSIG_SIGNATURE and ptag == "Bordereau":
                signed = True
                self.signatures += 1
                drop_done(el)
            elif tag == "Bordereau" and ptag in _DOMAINS:
                domaine = _DOMAINS[ptag]
                if bord is not None:
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
                bord = None
                drop_done(el)
            elif tag == "PJ" and ptag == "PES_PJ":
                pj_index += 1
                content, error = pending_pj.popleft() if pending_pj else (None, None)
                yield _pj(el, pj_index, content, error, local_name(self.root_tag))
                drop_done(el)

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
    without the leaves no lite record reads (``lite.strip_unread``)."""

    def __init__(self, walker: AllerWalker[r.Piece] | AllerWalker[r.PieceLite]) -> None:
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
            kept = strip_unread(data)
            if kept:
                return kept
            data = self._walker.stream.read(n)
        return data


def _piece(el: etree._Element, bord: r.Bordereau, index: int) -> r.Piece:
    bloc = el.find("BlocPiece")
    info_el = None
    if bloc is not None:
        info_el = bloc.find("InfoPce") if bord.domaine == "depense" else bloc
    k = child_map(info_el) if info_el is not None else {}
    path = f"{bord.path}/Piece[{index}]"
    lignes = []
    for li, ldp in enumerate(el.iterchildren("LigneDePiece"), start=1):
        blp = ldp.find("BlocLignePiece")
        info = None
        if blp is not None:
            info = blp.find("InfoLignePce")
            if info is None:
                info = blp.find("InfoLignePiece")
        lk = child_map(info) if info is not None else {}
        prl = blp.find("InfoPrelevementSEPA") if blp is not None else None
        prelevement = None
        if prl is not None:
            pk = child_map(prl)
            prelevement = r.PrelevementSepa(
                rum=v_attr(pk, "RefUniMdt"),
                date_signature=v_attr(pk, "DateSignMandat"),
                sequence=v_attr(pk, "SequencePres"),
                date_prelevement=v_attr(pk, "DtePrel"),
                montant=to_decimal(v_attr(pk, "MtPrel")),
                libelle=v_attr(pk, "LibPrel"),
            )
        lignes.append(
            r.Ligne(
                id_ligne=v_attr(lk, "IdLigne"),
                nature=v_attr(lk, "Nature"),
                fonction=v_attr(lk, "Fonction"),
                operation=v_attr(lk, "Operation"),
                cod_prod_loc=v_attr(lk, "CodProdLoc"),
                libelle=v_attr(lk, "LibVir1") or v_attr(lk, "ObjLignePce"),
                mod_regl=v_attr(lk, "ModRegl"),
                mt_ht=to_decimal(v_attr(lk, "MtHT")),
                mt_tva=to_decimal(v_attr(lk, "MtTVA")),
                pj_refs=pj_refs_in(info) if info is not None else (),
                tiers=tuple(_tiers(t) for t in ldp.iterchildren("Tiers")),
                line=ldp.sourceline,
                path=f"{path}/LigneDePiece[{li}]",
                prelevement=prelevement,
                facture=v_attr(lk, "Facture"),
            )
        )
    return r.Piece(
        domaine=bord.domaine,
        id_bord=bord.id_bord,
        exercice=bord.exercice,
        id_pce=v_attr(k, "IdPce"),
        typ_pce=v_attr(k, "TypPce"),
        nat_pce=v_attr(k, "NatPce"),
        objet=v_attr(k, "Obj") or v_attr(k, "ObjPce"),
        dte_ech=v_attr(k, "DteEch"),
        pj_refs=pj_refs_in(info_el) if info_el is not None else (),
        lignes=tuple(lignes),
        index=index,
        line=el.sourceline,
        path=path,
    )


def _pj(
    el: etree._Element, index: int, content: PjContent | None, error: str | None, root: str
) -> r.Pj:
    k = child_map(el)
    fichier = el.find("Contenu/Fichier")
    refs = []
    for rc in el.iterchildren("RefCompta"):
        c = child_map(rc)
        refs.append(
            r.RefCompta(
                v_attr(c, "Domaine"),
                v_attr(c, "Exercice"),
                v_attr(c, "TypeObjet"),
                v_attr(c, "Identifiant"),
                v_attr(c, "ComplementIdentifiant"),
            )
        )
    return r.Pj(
        id_unique=v_attr(k, "IdUnique"),
        nom_pj=v_attr(k, "NomPJ"),
        type_pj=v_attr(k, "TypePJ"),
        description=v_attr(k, "Description"),
        mime_type=fichier.get("MIMEType") if fichier is not None else None,
        ref_compta=tuple(refs),
        content=content,
        error=error,
        index=index,
        line=el.sourceline,
        path=f"/{root}/PES_PJ/PJ[{index}]",
    )


def check_root(prolog: Prolog, expected: tuple[MessageKind, ...]) -> MessageType:
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
        check_root(prolog, (MessageKind.ALLER,))
        collector = PjCollector(pj_sink, max_pj_decompressed)
        stream = FlowStream(
            raw, head=head, pj=collector, max_size=max_size, max_elements=max_elements
        )
        try:
            yield from AllerWalker(stream, collector)
        except etree.XMLSyntaxError as exc:
            raise PesFormatError(f"XML mal formé : {exc}") from exc
