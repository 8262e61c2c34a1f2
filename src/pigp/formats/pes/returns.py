"""Readers of the messages that come back to the ordonnateur: PES_ACQUIT (v1 and v2),
PES_Retour (dépense and recette) and PES_ACQUIT_RETOUR."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from lxml import etree

from . import records as r
from .elements import child_map, child_map_at, flux_header, to_bool, to_decimal, v_attr
from .errors import PesFormatError
from .reader import Source, check_root, open_source
from .safety import PARSER_OPTIONS, FlowStream, read_head
from .schemas import MessageKind, MessageType


def _iter_small(
    source: Source, expected: tuple[MessageKind, ...], unit: str
) -> Iterator[tuple[MessageType, etree._Element]]:
    """Yield (message type, element) for each ``unit`` element end (and the headers)."""
    with open_source(source) as raw:
        head, prolog = read_head(raw)
        mt = check_root(prolog, expected)
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
        k = child_map(e)
        out.append(r.AckError(v_attr(k, "NumAnoAck"), v_attr(k, "LibelleAnoAck")))
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
            header = flux_header(root, root.find("Enveloppe"), el)
        elif el.tag == "EnTeteAcquit":
            id_ver = el.find("IdVer").get("V") if el.find("IdVer") is not None else None
        elif el.tag == "ElementACQUIT":
            k = child_map(el)
            pieces = []
            for dp in el.iterchildren("DetailPiece"):
                pk = child_map(dp)
                lignes = tuple(
                    r.AckLigne(v_attr(child_map(dl), "NumLigne"), _ack_errors(dl))
                    for dl in dp.iterchildren("DetailLigne")
                )
                pieces.append(r.AckPiece(v_attr(pk, "NumPiece"), _ack_errors(dp), lignes))
            errors = _ack_errors(el)
            if version == 1 and (v_attr(k, "NumAnoAck") or v_attr(k, "LibelleAnoAck")):
                errors = (r.AckError(v_attr(k, "NumAnoAck"), v_attr(k, "LibelleAnoAck")),)
            elements.append(
                r.AckElement(
                    domaine=v_attr(k, "DomaineAck"),
                    etat=to_bool(v_attr(k, "EtatAck")),
                    num_bord=v_attr(k, "NumBord"),
                    exercice_bord=v_attr(k, "ExerciceBord"),
                    id_unique=v_attr(k, "IdUnique"),
                    id_marche=v_attr(k, "IdMarche"),
                    erreurs=errors,
                    pieces=tuple(pieces),
                    num_piece=v_attr(k, "NumPiece"),
                    num_ligne=v_attr(k, "NumLigne"),
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
            header = flux_header(root, root.find("Enveloppe"), el)
        elif el.tag == "EnTeteAcquit_Retour":
            id_ver = el.find("IdVer").get("V") if el.find("IdVer") is not None else None
        elif el.tag == "ElementACQUIT_RETOUR":
            k = child_map(el)
            elements.append(
                r.AcquitRetourElement(
                    v_attr(k, "DomaineAckRetour"),
                    v_attr(k, "NomFichierRetour"),
                    v_attr(k, "TypRestit"),
                    v_attr(k, "DateAcquit"),
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
            yield flux_header(root, root.find("Enveloppe"), el)
        elif el.tag in ("EnTeteDepense", "EnTeteRecette"):
            k = child_map(el)
            domaine = "depense" if el.tag == "EnTeteDepense" else "recette"
            yield r.RetourDomaine(
                domaine, v_attr(k, "TypRestit"), v_attr(k, "IdVer"), v_attr(k, "NatInf")
            )
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
    bk = child_map(bloc) if bloc is not None else {}
    domain_el = bordereau.getparent() if bordereau is not None else None
    domaine = (
        "recette" if domain_el is not None and domain_el.tag == "PES_RecetteRetour" else "depense"
    )
    info = el.find("InfoPiece")
    if info is None:
        info = el.find("BlocPiece")
    k = child_map(info) if info is not None else {}
    lignes = []
    mt_pay = None
    mt_reco = None
    for blp in el.iter("BlocLignePiece"):
        ilp = blp.find("InfoLignePiece")
        lk = child_map(ilp) if ilp is not None else {}
        ctx = child_map_at(blp, "InfoContentieux")
        acte = child_map_at(blp, "InfoAmiableContentieux")
        lignes.append(
            r.RetourLigne(
                v_attr(lk, "IdLigne"),
                v_attr(lk, "EtatLigPce"),
                v_attr(lk, "ObsEtat"),
                to_decimal(v_attr(lk, "MtHT")),
                to_decimal(v_attr(lk, "MtTVA")),
                mt_ctx_tot=to_decimal(v_attr(ctx, "MtCtxTot")),
                sld_princ=to_decimal(v_attr(ctx, "SldPrinc")),
                sld_frais=to_decimal(v_attr(ctx, "SldFrais")),
                etape_pce=v_attr(acte, "EtapePce"),
                dte_etape_pce=v_attr(acte, "DteEtapePce"),
            )
        )
        for ip in blp.iterchildren("InfoPaiement"):
            amount = to_decimal(v_attr(child_map(ip), "MtPayTot"))
            if amount is not None:
                mt_pay = (mt_pay or Decimal(0)) + amount
        for ir in blp.iterchildren("InfoRecouvrement"):
            amount = to_decimal(v_attr(child_map(ir), "MtRecoTot"))
            if amount is not None:
                mt_reco = (mt_reco or Decimal(0)) + amount
    paiements = tuple(
        r.Paiement(
            v_attr(child_map(p), "OrgEma"),
            v_attr(child_map(p), "DtePay"),
            to_decimal(v_attr(child_map(p), "MtPay")),
        )
        for p in el.iter("PaiementEmargement")
    )
    return r.RetourPiece(
        domaine=domaine,
        exercice=v_attr(bk, "Exer"),
        id_bord=v_attr(bk, "IdBord"),
        typ_bord=v_attr(bk, "TypBord"),
        id_pce=v_attr(k, "IdPce"),
        typ_pce=v_attr(k, "TypPce"),
        nat_pce=v_attr(k, "NatPce"),
        objet=v_attr(k, "Obj"),
        dte_pce_pec=v_attr(k, "DtePcePec"),
        etat=v_attr(k, "EtatPce"),
        obs_etat=v_attr(k, "ObsEtat"),
        commentaire=v_attr(k, "Commentaire"),
        dte_pce_rej=v_attr(k, "DtePceRej"),
        lignes=tuple(lignes),
        paiements=paiements,
        mt_pay_tot=mt_pay,
        mt_reco_tot=mt_reco,
        line=el.sourceline,
    )
