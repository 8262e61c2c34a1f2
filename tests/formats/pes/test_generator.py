"""PES_Aller generator: schema validity for several shapes, determinism, realistic data."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import io
import subprocess
import sys
from decimal import Decimal

import pytest
from lxml import etree
from schwifty import BIC, IBAN
from stdnum.fr import siret

from pigp.formats.pes import records as r
from pigp.formats.pes.generator import GeneratorError, generate_pes_aller
from pigp.formats.pes.pdf import gzip_base64_chunks, minimal_pdf
from pigp.formats.pes.reader import read_pes_aller
from pigp.formats.pes.schemas import MessageKind, get_schema

PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


@pytest.fixture(scope="module")
def aller_schema():
    return get_schema("v5.17", MessageKind.ALLER)


SHAPES = {
    "depense": {},
    "recette-multilignes-pj": {"domaine": "recette", "pieces": 6, "lignes": 3, "pj": 2},
    "mixte-3-bordereaux": {"domaine": "mixte", "bordereaux": 3, "pieces": 4, "pj": 5},
    "signe": {"domaine": "mixte", "pieces": 2, "sign": True, "pj": 1},
}


@pytest.mark.parametrize("shape", SHAPES)
def test_shapes_are_schema_valid(shape, aller_schema, tmp_path):
    kw = SHAPES[shape]
    flow = generate_pes_aller(tmp_path / "f.xml", seed=3, **kw)
    raw = flow.path.read_bytes()
    assert raw.startswith(b"<?xml version='1.0' encoding='ISO-8859-1'?>")
    assert flow.size == len(raw)
    doc = etree.fromstring(raw, PARSER)
    aller_schema.assertValid(doc)
    bords = doc.findall("*/Bordereau")
    assert len(bords) == flow.bordereaux == len(flow.bordereau_ids)
    assert [b.get("Id") for b in bords] == list(flow.bordereau_ids)
    assert len(doc.findall("*/Bordereau/Piece")) == flow.pieces
    assert len(doc.findall("*/Bordereau/Piece/LigneDePiece")) == flow.lignes
    for bord in bords:
        lines = sum(Decimal(m.get("V")) for m in bord.iterfind("Piece/LigneDePiece//MtHT"))
        declared = bord.find("BlocBordereau/MtBordHT")
        if declared is None:
            declared = bord.find("BlocBordereau/MtBordHt")
        assert Decimal(declared.get("V")) == lines
        assert int(bord.find("BlocBordereau/NbrPce").get("V")) == len(bord.findall("Piece"))
    dep = sum(
        (Decimal(m.get("V")) for m in doc.iterfind("PES_DepenseAller//LigneDePiece//MtHT")),
        Decimal("0.00"),
    )
    assert dep == flow.total_depense
    assert [p.get("V") for p in doc.iterfind("PES_PJ/PJ/IdUnique")] == list(flow.pj_ids)
    assert doc.find("*/EnTeteDepense/InfoDematerialisee") is None or doc.find(
        "*/EnTeteDepense/InfoDematerialisee"
    ).get("V") == ("1" if flow.signed else "0")


def test_deterministic(tmp_path):
    a, b, c = io.BytesIO(), io.BytesIO(), io.BytesIO()
    fa = generate_pes_aller(a, seed=11, domaine="mixte", pj=1)
    generate_pes_aller(b, seed=11, domaine="mixte", pj=1)
    generate_pes_aller(c, seed=12, domaine="mixte", pj=1)
    assert a.getvalue() == b.getvalue() != c.getvalue()
    assert fa.path is None and fa.size == len(a.getvalue())


def test_realistic_tiers():
    buf = io.BytesIO()
    generate_pes_aller(buf, seed=5, domaine="mixte", pieces=15)
    doc = etree.fromstring(buf.getvalue(), PARSER)
    sirets = [e.get("V") for e in doc.iterfind(".//InfoTiers/IdTiers")]
    assert sirets and all(siret.is_valid(s) for s in sirets)
    comptes = doc.findall(".//CpteBancaire")
    assert len(comptes) > 15  # every dépense tiers + SEPA recette tiers
    for cpte in comptes:
        iban = IBAN(cpte.find("IBAN").get("V"))  # raises when the key or RIB is wrong
        bic = BIC(cpte.find("BIC").get("V"))
        assert iban.country_code == "FR" and str(iban.bic)[:8] == str(bic)
    sepa = doc.findall(".//InfoPrelevementSEPA")
    assert sepa
    for prl in sepa:
        ligne = prl.getparent().find("InfoLignePiece/MtHT").get("V")
        assert prl.find("MtPrel").get("V") == ligne
    natures = {e.get("V") for e in doc.iterfind(".//Nature")}
    assert natures <= {"6064", "6226", "2183", "6156", "611", "70323", "7588", "7067", "70632"}


def _decode_pj(doc, index=0) -> bytes:
    text = doc.findall("PES_PJ/PJ/Contenu/Fichier")[index].text
    return gzip.decompress(base64.b64decode(text))


def _check_pdf(pdf: bytes) -> None:
    assert pdf.startswith(b"%PDF-1.4\n") and pdf.endswith(b"%%EOF\n")
    startxref = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n", 1)[0])
    assert pdf[startxref:].startswith(b"xref\n0 ")
    # every xref entry points at "<n> 0 obj"
    table = pdf[startxref:].split(b"\n")
    count = int(table[1].split()[1])
    for n in range(1, count):
        offset = int(table[2 + n][:10])
        assert pdf[offset:].startswith(b"%d 0 obj" % n)


def test_pj_is_a_real_pdf_gzip_base64():
    buf = io.BytesIO()
    generate_pes_aller(buf, pj=2, pj_size=30_000, seed=2)
    doc = etree.fromstring(buf.getvalue(), PARSER)
    pdf = _decode_pj(doc, 1)
    _check_pdf(pdf)
    assert len(pdf) == 30_000
    _check_pdf(minimal_pdf("Facture (test)"))
    ref = doc.find(".//InfoPce/PJRef/IdUnique").get("V")
    assert ref == doc.find("PES_PJ/PJ/IdUnique").get("V")


def test_big_pj_is_incompressible_and_streamed(tmp_path):
    path = tmp_path / "big.xml"
    # VmHWM of a fresh process: lxml's own buffers are invisible to tracemalloc.
    code = (
        "import re, sys\n"
        "from pigp.formats.pes.generator import generate_pes_aller\n"
        "generate_pes_aller(sys.argv[1], pieces=1, pj_sizes=(60_000_000, 8_000_000))\n"
        "status = open('/proc/self/status').read()\n"
        "print(int(re.search(r'VmHWM:\\s+(\\d+) kB', status).group(1)) * 1024)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
    )
    size = path.stat().st_size
    assert size > 68_000_000 * 4 // 3  # base64 of incompressible gzip
    assert int(out.stdout) < 60_000_000  # chunks only: never a whole PJ (80 MB of base64)
    doc = etree.parse(str(path), PARSER).getroot()
    pdf = _decode_pj(doc, 1)
    assert len(pdf) == 8_000_000
    _check_pdf(pdf)


def test_gzip_base64_chunks_roundtrip():
    data = [b"abc" * 1000, b"", b"x" * 70_001, bytes(range(256))]
    text = "".join(gzip_base64_chunks(iter(data)))
    assert all(len(line) <= 76 for line in text.splitlines())
    assert gzip.decompress(base64.b64decode(text)) == b"".join(data)


def test_reader_reads_back_the_generated_flow(tmp_path):
    flow = generate_pes_aller(tmp_path / "f.xml", seed=9, domaine="mixte", pieces=3, lignes=2)
    records = list(read_pes_aller(flow.path))
    pieces = [rec for rec in records if isinstance(rec, r.Piece)]
    assert len(pieces) == flow.pieces
    total = sum((p.mt_ht for p in pieces if p.domaine == "depense"), Decimal(0))
    assert total == flow.total_depense
    assert {p.domaine for p in pieces} == {"depense", "recette"}


@pytest.mark.parametrize(
    "kw",
    [{"pieces": 0}, {"bordereaux": 0}, {"pieces": 100_000}, {"domaine": "budget"}, {"pj": -1}],
)
def test_invalid_parameters(kw):
    with pytest.raises(GeneratorError):
        generate_pes_aller(io.BytesIO(), **kw)


def test_bordereaux_numbered_from_id_bord_start(aller_schema):
    buf = io.BytesIO()
    flow = generate_pes_aller(
        buf, seed=3, bordereaux=3, pieces=2, domaine="mixte", id_bord_start=41
    )
    doc = etree.fromstring(buf.getvalue())
    aller_schema.assertValid(doc)
    assert [b.get("V") for b in doc.iter("IdBord")] == ["41", "42", "43"] * 2
    assert flow.id_bords == tuple((d, str(n)) for d in ("depense", "recette") for n in (41, 42, 43))
    for start, count in ((0, 1), (9_999_999, 2)):
        with pytest.raises(GeneratorError, match="IdBord"):
            generate_pes_aller(io.BytesIO(), bordereaux=count, id_bord_start=start)
    generate_pes_aller(io.BytesIO(), bordereaux=2, id_bord_start=9_999_998)  # the last two


def test_emis_le_dates_the_flow(aller_schema):
    buf = io.BytesIO()
    generate_pes_aller(
        buf, seed=4, pieces=2, domaine="mixte", exercice=2025, emis_le=dt.date(2025, 9, 22)
    )
    doc = etree.fromstring(buf.getvalue())
    aller_schema.assertValid(doc)
    assert [e.get("V") for e in doc.iter("DteStr")] == ["2025-09-22"]
    assert {e.get("V") for e in doc.iter("DteBordEm")} == {"2025-09-22"}
    assert {e.get("V") for e in doc.iter("DteEch")} == {"2025-10-22"}
    default = io.BytesIO()
    generate_pes_aller(default, seed=4, pieces=2, domaine="mixte", exercice=2025)
    assert {e.get("V") for e in etree.fromstring(default.getvalue()).iter("DteBordEm")} == {
        "2025-03-14"
    }
