"""Deterministic PES_Aller generator for the demo, the tests and the benchmarks.

The flow is written with lxml's incremental writer: one pièce (or, when the bordereau
is signed, one bordereau) is held in memory at a time, and PJ content is gzipped and
base64-encoded chunk by chunk, so a 1 GB flow with a 200 MB PJ is written in bounded
memory. The same seed always gives the same bytes (except the signature value when the
key is random: pass a fixed key through ``signer`` for byte-identical signed flows).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO, Literal

from lxml import etree
from stdnum import luhn

from .elements import add_v
from .errors import PesError
from .pdf import BIG_PJ_THRESHOLD, gzip_base64_chunks, minimal_pdf, pdf_chunks

__all__ = ["GeneratedFlow", "GeneratorError", "generate_pes_aller", "minimal_pdf"]

NS_ALLER = "http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller"
ENCODING = "ISO-8859-1"
CENT = Decimal("0.01")

Domaine = Literal["depense", "recette", "mixte"]


class GeneratorError(PesError, ValueError):
    """Invalid generator parameters."""


@dataclass(frozen=True, slots=True)
class GeneratedFlow:
    path: Path | None  # None when written to a file object
    size: int  # bytes written
    nom_fic: str
    bordereaux: int
    pieces: int
    lignes: int
    pj: int
    total_depense: Decimal  # sum of MtHT of dépense lines
    total_recette: Decimal
    bordereau_ids: tuple[str, ...]  # Bordereau/@Id in document order
    id_bords: tuple[tuple[str, str], ...]  # (domaine, IdBord)
    pj_ids: tuple[str, ...]  # PJ IdUnique
    signed: bool


# --- realistic reference data -------------------------------------------------------------

# (code banque, BIC) of real French banks, so that IBAN and BIC agree with each other.
_BANKS = (
    ("30004", "BNPAFRPP", "BNP PARIBAS"),
    ("30003", "SOGEFRPP", "SOCIETE GENERALE"),
    ("30002", "CRLYFRPP", "LCL"),
    ("20041", "PSSTFRPP", "LA BANQUE POSTALE"),
    ("30001", "BDFEFRPP", "BANQUE DE FRANCE"),
)
_COMPANIES = (
    "FOURNITURES DU MIDI",
    "BUREAUTIQUE OCCITANE",
    "TRAVAUX PUBLICS DURAND",
    "INFORMATIQUE SERVICES",
    "ESPACES VERTS MARTIN",
    "RESTAURATION COLLECTIVE",
    "GARAGE DE LA GARE",
    "IMPRIMERIE MODERNE",
)
_LAST_NAMES = ("MARTIN", "BERNARD", "THOMAS", "PETIT", "ROBERT", "RICHARD", "DURAND", "LEROY")
_FIRST_NAMES = ("MARIE", "JEAN", "PIERRE", "NATHALIE", "SOPHIE", "LUC", "CHANTAL", "MICHEL")
_STREETS = ("RUE DE LA MAIRIE", "AVENUE JEAN JAURES", "PLACE DE LA REPUBLIQUE", "CHEMIN DES VIGNES")
_CITIES = (
    ("34000", "MONTPELLIER"),
    ("31000", "TOULOUSE"),
    ("69001", "LYON"),
    ("33000", "BORDEAUX"),
)
# (Nature M57, NatPce, objet) for mandats; NatPce 02 = investissement.
_NATURES_DEP = (
    ("6064", "01", "FOURNITURES ADMINISTRATIVES"),
    ("6226", "01", "HONORAIRES"),
    ("2183", "02", "MATERIEL INFORMATIQUE"),
    ("6156", "01", "MAINTENANCE"),
    ("611", "01", "CONTRAT DE PRESTATION"),
)
_NATURES_REC = (
    ("70323", "01", "OCCUPATION DU DOMAINE PUBLIC"),
    ("7588", "01", "PRODUITS DIVERS"),
    ("7067", "01", "RESTAURATION SCOLAIRE"),
    ("70632", "01", "ACCUEIL DE LOISIRS"),
)


def _siret(rng: random.Random) -> str:
    siren = str(rng.randrange(10_000_000, 99_999_999))
    siren += luhn.calc_check_digit(siren)
    body = siren + f"{rng.randrange(1, 9999):04d}"
    return body + luhn.calc_check_digit(body)


def _rib_key(bank: str, branch: str, account: str) -> str:
    return f"{97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97:02d}"


def _iban_fr(bank: str, branch: str, account: str, key: str) -> str:
    bban = bank + branch + account + key
    check = 98 - int(bban + "152700") % 97  # "FR" -> 15 27
    return f"FR{check:02d}{bban}"


def _bank_account(rng: random.Random) -> dict[str, str]:
    bank, bic, label = rng.choice(_BANKS)
    branch = f"{rng.randrange(1, 99999):05d}"
    account = f"{rng.randrange(1, 10**11):011d}"
    key = _rib_key(bank, branch, account)
    return {"bic": bic, "iban": _iban_fr(bank, branch, account, key), "label": label}


# --- XML building ------------------------------------------------------------------------


def _amount(rng: random.Random) -> Decimal:
    return (Decimal(rng.randrange(1_000, 2_500_000)) * CENT).quantize(CENT)


class _Plan:
    """Deterministic content of one flow; amounts come from per-line generators so that
    totals can be computed before the lines themselves are written."""

    def __init__(self, seed: int, pieces: int, lignes: int) -> None:
        self.seed = seed
        self.pieces = pieces
        self.lignes = lignes

    def rng(self, *parts: object) -> random.Random:
        # Deterministic fake data, not security: a seeded PRNG is what we want.
        return random.Random("-".join(map(str, (self.seed, *parts))))  # noqa: S311

    def line_amount(self, dom: str, b: int, p: int, line: int) -> Decimal:
        return _amount(self.rng("amt", dom, b, p, line))

    def bordereau_total(self, dom: str, b: int) -> Decimal:
        return sum(
            (
                self.line_amount(dom, b, p, line)
                for p in range(self.pieces)
                for line in range(self.lignes)
            ),
            Decimal("0.00"),
        )


def _tiers_depense(parent: etree._Element, rng: random.Random, when: dt.date) -> None:
    name = rng.choice(_COMPANIES)
    cp, ville = rng.choice(_CITIES)
    bank = _bank_account(rng)
    tiers = etree.SubElement(parent, "Tiers")
    info = etree.SubElement(tiers, "InfoTiers")
    add_v(info, "IdTiers", _siret(rng))
    add_v(info, "NatIdTiers", "01")
    add_v(info, "RefTiers", f"F{rng.randrange(1, 99999):05d}")
    add_v(info, "CatTiers", "60")
    add_v(info, "NatJur", "03")
    add_v(info, "Nom", name)
    adr = etree.SubElement(tiers, "Adresse")
    add_v(adr, "TypAdr", "1")
    add_v(adr, "Adr2", f"{rng.randrange(1, 200)} {rng.choice(_STREETS)}")
    add_v(adr, "CP", cp)
    add_v(adr, "Ville", ville)
    add_v(adr, "CodRes", "0")
    cpt = etree.SubElement(tiers, "CpteBancaire")
    add_v(cpt, "BIC", bank["bic"])
    add_v(cpt, "IBAN", bank["iban"])
    add_v(cpt, "LibBanc", bank["label"][:24])
    add_v(cpt, "TitCpte", name[:32])
    add_v(cpt, "DteBanc", when.isoformat())


def _tiers_recette(parent: etree._Element, rng: random.Random, bank: dict[str, str] | None) -> None:
    nom, prenom = rng.choice(_LAST_NAMES), rng.choice(_FIRST_NAMES)
    cp, ville = rng.choice(_CITIES)
    tiers = etree.SubElement(parent, "Tiers")
    info = etree.SubElement(tiers, "InfoTiers")
    add_v(info, "RefTiers", f"R{rng.randrange(1, 999999):06d}")
    add_v(info, "CatTiers", "01")
    add_v(info, "NatJur", "01")
    add_v(info, "TypTiers", "01")
    add_v(info, "Civilite", rng.choice(("M", "MME")))
    add_v(info, "Nom", nom)
    add_v(info, "Prenom", prenom)
    adr = etree.SubElement(tiers, "Adresse")
    add_v(adr, "TypAdr", "1")
    add_v(adr, "Adr2", f"{rng.randrange(1, 200)} {rng.choice(_STREETS)}")
    add_v(adr, "CP", cp)
    add_v(adr, "Ville", ville)
    add_v(adr, "CodRes", "0")
    if bank:
        cpt = etree.SubElement(tiers, "CpteBancaire")
        add_v(cpt, "BIC", bank["bic"])
        add_v(cpt, "IBAN", bank["iban"])
        add_v(cpt, "TitCpte", f"{nom} {prenom}"[:32])


def _pjref(parent: etree._Element, id_unique: str, typ: str) -> None:
    ref = etree.SubElement(parent, "PJRef")
    add_v(ref, "Support", "01")
    add_v(ref, "IdUnique", id_unique)
    add_v(ref, "NomPJ", f"{id_unique}.pdf")
    add_v(ref, "TypePJ", typ)


def _piece_depense(
    plan: _Plan, b: int, p: int, id_pce: int, when: dt.date, pj_id: str | None
) -> etree._Element:
    rng = plan.rng("dep", b, p)
    nature, nat_pce, obj = rng.choice(_NATURES_DEP)
    piece = etree.Element("Piece")
    piece.tail = "\n"
    info = etree.SubElement(etree.SubElement(piece, "BlocPiece"), "InfoPce")
    add_v(info, "IdPce", id_pce)
    add_v(info, "TypPce", "01")
    add_v(info, "NatPce", nat_pce)
    add_v(info, "Obj", f"{obj} {id_pce}")
    add_v(info, "DteEch", (when + dt.timedelta(days=30)).isoformat())
    if pj_id:
        _pjref(info, pj_id, "003")
    for line in range(plan.lignes):
        ldp = etree.SubElement(piece, "LigneDePiece")
        ilp = etree.SubElement(etree.SubElement(ldp, "BlocLignePiece"), "InfoLignePce")
        add_v(ilp, "IdLigne", line + 1)
        add_v(ilp, "Nature", nature)
        add_v(ilp, "Fonction", rng.choice(("020", "212", "311", "822")))
        add_v(ilp, "Facture", f"FA{rng.randrange(1, 10**6):06d}")
        add_v(ilp, "LibVir1", f"MANDAT {id_pce} {obj}"[:70])
        add_v(ilp, "ModRegl", "03")
        add_v(ilp, "TVAIntraCom", "0")
        add_v(ilp, "MtHT", plan.line_amount("depense", b, p, line))
        _tiers_depense(ldp, rng, when)
    return piece


def _piece_recette(
    plan: _Plan, b: int, p: int, id_pce: int, when: dt.date, pj_id: str | None
) -> etree._Element:
    rng = plan.rng("rec", b, p)
    nature, nat_pce, obj = rng.choice(_NATURES_REC)
    sepa = rng.random() < 0.5
    piece = etree.Element("Piece")
    piece.tail = "\n"
    bloc = etree.SubElement(piece, "BlocPiece")
    add_v(bloc, "IdPce", id_pce)
    add_v(bloc, "TypPce", "01")
    add_v(bloc, "NatPce", nat_pce)
    add_v(bloc, "Edition", "01")
    add_v(bloc, "ObjPce", f"{obj} {id_pce}")
    if pj_id:
        _pjref(bloc, pj_id, "002")
    for line in range(plan.lignes):
        amount = plan.line_amount("recette", b, p, line)
        ldp = etree.SubElement(piece, "LigneDePiece")
        blp = etree.SubElement(ldp, "BlocLignePiece")
        ilp = etree.SubElement(blp, "InfoLignePiece")
        add_v(ilp, "IdLigne", line + 1)
        add_v(ilp, "CodProdLoc", nature[:4])
        add_v(ilp, "Nature", nature)
        add_v(ilp, "Majo", "0")
        add_v(ilp, "TvaIntraCom", "0")
        add_v(ilp, "MtHT", amount)
        bank = _bank_account(rng) if sepa else None
        if bank:
            prl = etree.SubElement(blp, "InfoPrelevementSEPA")
            add_v(prl, "NatPrel", "01")
            add_v(prl, "PerPrel", "07")
            add_v(prl, "DtePrel", (when + dt.timedelta(days=20)).isoformat())
            add_v(prl, "MtPrel", amount)
            add_v(prl, "SequencePres", "02")
            add_v(prl, "DateSignMandat", (when - dt.timedelta(days=400)).isoformat())
            add_v(prl, "RefUniMdt", f"RUM{plan.seed}{b:03d}{p:07d}")
            add_v(prl, "LibPrel", f"TITRE {id_pce} {obj}"[:140])
        _tiers_recette(ldp, rng, bank)
    return piece


@dataclass(frozen=True, slots=True)
class _Header:
    id_post: str
    id_coll: str
    cod_col: str
    cod_bud: str
    exercice: int
    nom_fic: str
    when: dt.date
    id_bord_start: int = 1


def _write_head(xf: etree.xmlfile, h: _Header) -> None:
    env = etree.Element("Enveloppe")
    par = etree.SubElement(env, "Parametres")
    add_v(par, "Version", "2")
    add_v(par, "TypFic", "PESALR2")
    add_v(par, "NomFic", h.nom_fic)
    emet = etree.SubElement(env, "Emetteur")
    add_v(emet, "Sigle", "PIGP")
    add_v(emet, "Adresse", "PIGP GENERATEUR 1.0")
    rec = etree.SubElement(env, "Recepteur")
    add_v(rec, "Sigle", "HELIOS")
    add_v(rec, "Adresse", "DGFIP")
    env.tail = "\n"
    xf.write("\n", env)
    head = etree.Element("EnTetePES")
    add_v(head, "DteStr", h.when.isoformat())
    add_v(head, "IdPost", h.id_post)
    add_v(head, "LibellePoste", "SGC DE DEMONSTRATION")
    add_v(head, "IdColl", h.id_coll)
    add_v(head, "CodCol", h.cod_col)
    add_v(head, "CodBud", h.cod_bud)
    add_v(head, "LibelleColBud", "COMMUNE DE DEMONSTRATION")
    head.tail = "\n"
    xf.write(head)


Signer = Callable[[etree._Element], None]


def _write_domain(
    xf: etree.xmlfile,
    plan: _Plan,
    dom: str,
    h: _Header,
    nb_bord: int,
    pj_ids: list[str],
    signer: Signer | None,
    out: _Tally,
) -> None:
    root_tag, head_tag = (
        ("PES_DepenseAller", "EnTeteDepense")
        if dom == "depense"
        else ("PES_RecetteAller", "EnTeteRecette")
    )
    make_piece = _piece_depense if dom == "depense" else _piece_recette
    prefix = "D" if dom == "depense" else "R"
    with xf.element(root_tag):
        head = etree.Element(head_tag)
        add_v(head, "IdVer", "2")
        add_v(head, "InfoDematerialisee", "1" if signer else "0")
        head.tail = "\n"
        xf.write("\n", head)
        for b in range(nb_bord):
            id_bord = h.id_bord_start + b
            xml_id = f"BORD{prefix}{id_bord}"
            total = plan.bordereau_total(dom, b)
            bloc = etree.Element("BlocBordereau")
            bloc.tail = "\n"
            add_v(bloc, "Exer", h.exercice)
            add_v(bloc, "IdBord", id_bord)
            add_v(bloc, "DteBordEm", h.when.isoformat())
            add_v(bloc, "TypBord", "01")
            add_v(bloc, "NbrPce", plan.pieces)
            if signer:
                add_v(bloc, "MtCumulAnnuel", total * (b + 1))
            add_v(bloc, "MtBordHT" if dom == "depense" else "MtBordHt", total)
            pieces = (
                make_piece(
                    plan,
                    b,
                    p,
                    b * plan.pieces + p + 1,
                    h.when,
                    _pj_for(pj_ids, b * plan.pieces + p),
                )
                for p in range(plan.pieces)
            )
            if signer:
                bord = etree.Element("Bordereau", Id=xml_id)
                bord.text = bord.tail = "\n"
                bord.append(bloc)
                bord.extend(pieces)
                signer(bord)
                xf.write(bord)
                xf.flush()
            else:
                with xf.element("Bordereau", Id=xml_id):
                    xf.write("\n", bloc)
                    for n, piece in enumerate(pieces):
                        xf.write(piece)
                        if n % 256 == 255:
                            xf.flush()  # lxml keeps unflushed output in memory
                xf.write("\n")
            out.ids.append(xml_id)
            out.bords.append((dom, str(id_bord)))
            out.totals[dom] += total


def _pj_for(pj_ids: list[str], index: int) -> str | None:
    return pj_ids[index] if index < len(pj_ids) else None


def _write_pj(
    xf: etree.xmlfile, plan: _Plan, pj_ids: list[str], sizes: list[int], domaine: str
) -> None:
    with xf.element("PES_PJ"):
        head = etree.Element("EnTetePES_PJ")
        add_v(head, "IdVer", "1")
        xf.write(head)
        for i, id_unique in enumerate(pj_ids):
            rng = plan.rng("pj", i)
            with xf.element("PJ"):
                with xf.element("Contenu"), xf.element("Fichier", MIMEType="application/pdf"):
                    pj_size = sizes[i]
                    level = 1 if pj_size > BIG_PJ_THRESHOLD else 6
                    text = f"Piece justificative {id_unique}"
                    for part in gzip_base64_chunks(pdf_chunks(text, pj_size, rng), level=level):
                        xf.write(part)
                        xf.flush()  # lxml keeps unflushed output in memory
                tail = etree.Element("tail")
                add_v(tail, "IdUnique", id_unique)
                add_v(tail, "NomPJ", f"{id_unique}.pdf")
                add_v(tail, "TypePJ", "002" if domaine == "recette" else "003")
                add_v(tail, "Description", f"Facture {id_unique}")
                for child in tail:
                    xf.write(child)


@dataclass(slots=True)
class _Tally:
    """What the writer reports of the bordereaux it wrote, for GeneratedFlow."""

    ids: list[str] = field(default_factory=list)  # Bordereau @Id
    bords: list[tuple[str, str]] = field(default_factory=list)  # (domaine, IdBord)
    totals: dict[str, Decimal] = field(
        default_factory=lambda: {"depense": Decimal("0.00"), "recette": Decimal("0.00")}
    )


class _Counter:
    """Counts bytes written to the destination, for GeneratedFlow.size."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        return self.raw.write(data)


def generate_pes_aller(
    dest: str | Path | BinaryIO,
    *,
    seed: int = 0,
    bordereaux: int = 1,
    pieces: int = 10,
    lignes: int = 1,
    domaine: Domaine = "depense",
    pj: int = 0,
    pj_size: int = 20_000,
    sign: bool = False,
    id_post: str = "034000",
    id_coll: str = "21340172201787",
    cod_col: str = "123",
    cod_bud: str = "01",
    exercice: int = 2025,
    nom_fic: str | None = None,
    signer: Signer | None = None,
    pj_sizes: tuple[int, ...] | None = None,
    id_bord_start: int = 1,
    emis_le: dt.date | None = None,
) -> GeneratedFlow:
    """Write a PES_Aller valid against the v5.17 schemas.

    ``bordereaux`` is per domain (``mixte`` writes both a dépense and a recette part).
    ``pj`` PJ of ``pj_size`` bytes each, or one PJ per size of ``pj_sizes`` (a PDF;
    above 1 MB its padding is incompressible)
    are put in PES_PJ and referenced (PJRef) by the first pièces. ``sign`` signs every
    bordereau (XAdES-BES, rsa-sha256) with the test certificate of ``testing.py`` unless a
    ``signer`` is given. Bordereaux are numbered (IdBord) from ``id_bord_start`` in each
    domain: IdBord is unique per exercice, type and budget, so successive flows of one
    budget and exercice need successive numbers. ``emis_le`` dates the flow, its bordereaux
    and pièces (14 March of the exercice by default).
    """
    if pj_sizes is not None:
        pj = len(pj_sizes)
    sizes = list(pj_sizes) if pj_sizes is not None else [pj_size] * pj
    if any(size < 0 for size in sizes):
        raise GeneratorError("la taille d'une PJ ne peut pas être négative")
    if bordereaux < 1 or pieces < 1 or lignes < 1 or pj < 0 or pj_size < 0:
        raise GeneratorError("bordereaux, pieces et lignes doivent être ≥ 1, pj et pj_size ≥ 0")
    if not 1 <= id_bord_start <= 9_999_999 - bordereaux + 1:
        raise GeneratorError("IdBord s'écrit sur 7 chiffres au plus, à partir de 1")
    if pieces > 99_999:
        raise GeneratorError("NbrPce est limité à 5 chiffres (99 999 pièces par bordereau)")
    if domaine not in ("depense", "recette", "mixte"):
        raise GeneratorError(f"domaine inconnu : {domaine!r}")
    when = emis_le or dt.date(exercice, 3, 14)
    nom_fic = nom_fic or f"PESALR2_{id_coll[:9]}_{when:%y%m%d}_{seed:04d}.xml"
    header = _Header(id_post, id_coll, cod_col, cod_bud, exercice, nom_fic, when, id_bord_start)
    if sign and signer is None:
        from pigp.formats.pes import signature, testing

        material = testing.signing_material()
        signing_time = dt.datetime(when.year, when.month, when.day, 10, 0, tzinfo=dt.UTC)

        def signer(element: etree._Element) -> None:
            signature.sign_bordereau(element, material.key, material.cert, when=signing_time)

    plan = _Plan(seed, pieces, lignes)
    pj_ids = [f"{id_coll}PJ{seed:04d}{i:06d}" for i in range(pj)]
    domains = ("depense", "recette") if domaine == "mixte" else (domaine,)
    out = _Tally()

    path: Path | None = None
    raw: BinaryIO
    if isinstance(dest, str | Path):
        path = Path(dest)
        raw = open(path, "wb")  # noqa: SIM115
    else:
        raw = dest
    counter = _Counter(raw)
    try:
        with etree.xmlfile(counter, encoding=ENCODING, buffered=True) as xf:
            xf.write_declaration()
            with xf.element(f"{{{NS_ALLER}}}PES_Aller", nsmap={"n": NS_ALLER}):
                _write_head(xf, header)
                for dom in domains:
                    refs = pj_ids if dom == domains[0] else []
                    _write_domain(xf, plan, dom, header, bordereaux, refs, signer, out)
                if pj:
                    _write_pj(xf, plan, pj_ids, sizes, domains[0])
    finally:
        if path:
            raw.close()
    return GeneratedFlow(
        path=path,
        size=counter.size,
        nom_fic=nom_fic,
        bordereaux=len(out.ids),
        pieces=len(out.ids) * pieces,
        lignes=len(out.ids) * pieces * lignes,
        pj=pj,
        total_depense=out.totals["depense"],
        total_recette=out.totals["recette"],
        bordereau_ids=tuple(out.ids),
        id_bords=tuple(out.bords),
        pj_ids=tuple(pj_ids),
        signed=signer is not None,
    )
