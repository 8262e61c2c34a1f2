"""The validator's fast paths agree with the reference implementations they shortcut.

* IBAN / SIRET checks: C-level string work first, schwifty / python-stdnum when unsure;
* ``records.PieceLite`` (what ``validate`` reads of a pièce) vs the full ``records.Piece``:
  the rule engine must give the same findings from either;
* ``schemas.SchemaThread``: the schema check running beside the walker.
"""

from __future__ import annotations

import io
import random
import threading

import pytest
from lxml import etree
from schwifty import IBAN
from stdnum.fr import siret

from pigp.formats.pes import identifiers
from pigp.formats.pes import records as r
from pigp.formats.pes.generator import generate_pes_aller
from pigp.formats.pes.pj import PjCollector
from pigp.formats.pes.reader import AllerWalker
from pigp.formats.pes.rules import RuleEngine
from pigp.formats.pes.safety import FlowStream, read_head
from pigp.formats.pes.schemas import MessageKind, SchemaThread, get_schema
from pigp.formats.pes.validator import validate

COUNTRIES = ("FR", "DE", "GB", "ES", "IT", "BE", "MC", "CH", "NL", "PT", "LU", "NO", "PL", "SE")


def _iban_variants(rng: random.Random) -> list[str]:
    out = []
    for _ in range(400):
        v = str(IBAN.random(rng.choice(COUNTRIES), random=rng))
        j = rng.randrange(len(v))
        out += [
            v,
            v[:j] + rng.choice("0123456789AZ") + v[j + 1 :],
            v[:-1],
            v + "0",
            v.lower(),
            f"{v[:4]} {v[4:]}",
            *(v[:2] + cd + v[4:] for cd in ("00", "01", "02", "98", "99")),
        ]
    return [*out, "", "FR", "FR76", "XX7630001793384734716444639", "FR76300017933847347164446é"]


def test_iban_fast_path_never_accepts_what_schwifty_refuses() -> None:
    values = _iban_variants(random.Random(7))
    accepted = [v for v in values if identifiers._iban_fast(v)]
    assert len(accepted) > 300  # the fast path does serve the common case
    for v in values:
        if identifiers._iban_fast(v):
            assert identifiers._iban_slow(v), v
        assert identifiers.iban_valid(v) == identifiers._iban_slow(v), v


def test_siret_fast_path_agrees_with_stdnum() -> None:
    rng = random.Random(3)
    values = ["".join(rng.choice("0123456789") for _ in range(14)) for _ in range(3000)]
    values += ["35600000000048", "35600000000049", "35600000012345", "73282932000074"]
    values += ["7328293200007", "732829320000740", " 73282932000074", "7328293200007A"]
    values += [v[:13] + str(d) for v in values[:50] for d in range(10)]  # every check digit
    assert any(identifiers._siret_fast(v) for v in values)
    for v in values:
        if identifiers._siret_fast(v):
            assert siret.is_valid(v), v
        assert identifiers.siret_valid(v) == bool(siret.is_valid(v)), v


def _flow_with_mistakes() -> bytes:
    buf = io.BytesIO()
    generate_pes_aller(buf, seed=11, bordereaux=2, pieces=40, lignes=2, domaine="mixte", pj=2)
    data = buf.getvalue()
    # a duplicate IdPce, a wrong IBAN, a wrong SIRET, duplicate IdLigne, and a comment
    # among the leaves of a ligne (comments are dropped by the parser)
    data = data.replace(b'<IdPce V="2"/>', b'<IdPce V="1"/>', 1)
    for marker, offset in ((b'<IBAN V="', 8), (b'<IdTiers V="', 3)):
        at = data.index(marker) + len(marker) + offset
        digit = b"%d" % ((int(data[at : at + 1]) + 1) % 10)  # one digit off: bad key
        data = data[:at] + digit + data[at + 1 :]
    data = data.replace(b'<IdLigne V="2"/>', b'<IdLigne V="1"/>', 3)
    return data.replace(b'<MtHT V="', b'<!--x--><MtHT V="', 1)


def _findings(data: bytes, *, lite: bool) -> list[tuple[str, str, object]]:
    raw = io.BytesIO(data)
    head, _prolog = read_head(raw)
    collector = PjCollector(None, 10**8)
    engine = RuleEngine()
    walker = AllerWalker(FlowStream(raw, head=head, pj=collector), collector, lite=lite)
    kinds = set()
    for record in walker:
        kinds.add(type(record))
        engine.feed(record)
    assert (r.PieceLite in kinds) is lite
    return [(f.rule, f.message, f.location) for f in engine.finish()]


def test_lite_pieces_give_the_findings_of_full_records() -> None:
    data = _flow_with_mistakes()
    full = _findings(data, lite=False)
    rules_found = {rule for rule, _m, _l in full}
    assert {"idpce-unique", "iban", "tiers-siret", "idligne-unique"} <= rules_found
    assert _findings(data, lite=True) == full


def test_validate_reports_the_same_business_findings_as_the_full_reader() -> None:
    data = _flow_with_mistakes()
    report = validate(data)
    business = [(f.rule, f.message, f.location) for f in report.findings if f.rule != "xsd"]
    assert business == _findings(data, lite=False)


def _thread_verdict(data: bytes, *, stop_after: int | None = None) -> SchemaThread:
    raw = io.BytesIO(data)
    head, _prolog = read_head(raw)
    tee = SchemaThread(FlowStream(raw, head=head), get_schema("v5.17", MessageKind.ALLER))
    reads = 0
    while tee.read(1 << 12):
        reads += 1
        if stop_after is not None and reads >= stop_after:
            tee.close()
            return tee
    tee.verdict()
    return tee


def test_schema_thread_valid_invalid_and_early_stop(valid_flow: bytes) -> None:
    assert _thread_verdict(valid_flow).verdict() == []
    invalid = valid_flow.replace(b"<IdPce V=", b"<IdPceX V=", 1)
    entries = _thread_verdict(invalid).verdict()
    assert entries and all(e.domain_name == "SCHEMASV" for e in entries)
    broken = _thread_verdict(valid_flow[: len(valid_flow) // 2])
    assert broken.broken
    before = threading.active_count()
    _thread_verdict(valid_flow, stop_after=1)  # walker gave up: the thread must end
    assert threading.active_count() <= before


@pytest.mark.parametrize("cut", [0.3, 0.7])
def test_truncated_big_flow_is_reported_as_truncated(cut: float) -> None:
    buf = io.BytesIO()
    generate_pes_aller(buf, seed=2, bordereaux=1, pieces=3000)
    data = buf.getvalue()
    report = validate(data[: int(len(data) * cut)])
    assert [f.rule for f in report.findings] == ["truncated"]


def test_thread_does_not_leak_on_unsafe_flow(valid_flow: bytes) -> None:
    before = threading.active_count()
    at = valid_flow.index(b"<Piece>")
    report = validate(valid_flow[:at] + b"<!DOCTYPE x>" + valid_flow[at:])
    assert report.findings and report.findings[0].rule == "doctype"
    assert threading.active_count() <= before


def test_find_pair_is_bytes_find() -> None:
    from pigp.formats.pes.safety import _find_pair

    rng = random.Random(1)
    for _ in range(5000):
        data = bytes(rng.choice(b"<!?a") for _ in range(rng.randrange(0, 60)))
        start = rng.randrange(0, len(data) + 1)
        for pair in (b"<!", b"<?"):
            assert _find_pair(data, pair, start) == data.find(pair, start)
    hostile = b"!" * 100_000 + b"<!--"
    assert _find_pair(hostile, b"<!", 0) == 100_000


def test_signed_flow_by_path_and_by_bytes_give_the_same_report(tmp_path) -> None:
    buf = io.BytesIO()
    generate_pes_aller(buf, seed=4, bordereaux=2, pieces=30, domaine="mixte", sign=True)
    tampered = buf.getvalue().replace(b'<IdPce V="3"/>', b'<IdPce V="33"/>', 1)
    for data in (buf.getvalue(), tampered):
        path = tmp_path / "flow.xml"
        path.write_bytes(data)
        by_path, by_bytes = validate(path), validate(data)
        assert by_path.signatures == by_bytes.signatures
        assert by_path.findings == by_bytes.findings
        assert len(by_path.signatures) == 4
    assert not all(s.valid for s in validate(tampered).signatures)


def test_concurrent_validations_give_the_sequential_reports(valid_flow: bytes) -> None:
    from concurrent.futures import ThreadPoolExecutor

    flows = (
        [
            valid_flow,
            valid_flow.replace(b"<IdPce V=", b"<IdPceX V=", 1),  # schema error
            valid_flow[: len(valid_flow) // 2],  # truncated
            _flow_with_mistakes(),  # business findings
        ]
        * 2
    )
    expected = [validate(f).findings for f in flows]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda f: validate(f).findings, flows))
    assert got == expected


# -- leaves the validator's walker never sees (lite._UNREAD_LEAF) ----------------------
def test_unread_leaf_pattern_matches_exactly_the_unread_names() -> None:
    from pigp.formats.pes import lite, reader

    for name in lite._LITE_UNREAD:
        assert lite._UNREAD_LEAF.fullmatch(b'<%s V="A 1-x"/>' % name.encode()), name
    # every name a lite record, the header, a bordereau or a PJ reads stays
    kept = [*lite._LITE_TAGS, *reader._WALK_TAGS[:-1], "Support", "IdUnique", "NomPJ"]
    kept += ["TypePJ", "IdPost", "IdColl", "CodCol", "CodBud", "Exer", "IdBord", "TypBord"]
    kept += ["NbrPce", "MtBordHT", "MtBordHt", "IdVer", "InfoDematerialisee", "Adresse", "Sigle"]
    assert not set(kept) & lite._LITE_UNREAD
    for name in kept:
        assert not lite._UNREAD_LEAF.search(b'<%s V="1"/>' % name.encode()), name
    for near in (b"Nat", b"Natur", b"NatureX", b"Cle", b"Ob", b"ObjX", b"ds:Nature"):
        assert not lite._UNREAD_LEAF.search(b'<%s V="1"/>' % near), near
    # only the canonical one-line form with a plain ASCII value is dropped
    for other in (
        b'<Nature V="a&amp;b"/>',
        b'<Nature V="a<b"/>',
        b'<Nature V="a\nb"/>',
        b'<Nature V="\xc3\xa9"/>',
        b'<Nature V="\x01"/>',
        b"<Nature V='1'/>",
        b'<Nature V="1" />',
        b'<Nature V="1" X="2"/>',
        b'<Nature V="1"></Nature>',
    ):
        assert not lite._UNREAD_LEAF.search(other), other


def _mangled_unread_leaves(data: bytes) -> bytes:
    """Unread leaves in every form the pattern leaves alone or drops, a comment holding
    one, and 100 kB of droppable leaves in a row (several reads that strip to nothing)."""
    data = data.replace(b'<Nature V="', b'<Nature  V="', 3)
    data = data.replace(b'<Fonction V="', b'<!--<Fonction V="1"/>--><Fonction V="', 2)
    data = data.replace(b'<Ville V="', b'<Ville V="\xe9', 2)  # ISO-8859-1 é
    data = data.replace(b'<CP V="', b'<CP V="&amp;', 2)
    run = b'<Obj V="LIGNE"/>' * 7000
    at = data.index(b"<IdPce ")
    return data[:at] + run + data[at:]


def test_lite_walker_without_unread_leaves_gives_the_full_findings() -> None:
    data = _mangled_unread_leaves(_flow_with_mistakes())
    full = _findings(data, lite=False)
    assert {"idpce-unique", "iban", "tiers-siret", "idligne-unique"} <= {f[0] for f in full}
    assert _findings(data, lite=True) == full


@pytest.mark.parametrize(
    "leaf",
    [b'<Nature V="a<b"/>', b'<Nature V="a\x01b"/>', b'<Nature V="a"/ >', b'<Nature V="a&b;"/>'],
)
def test_malformed_unread_leaf_is_still_a_wellformedness_finding(leaf: bytes) -> None:
    data = _flow_with_mistakes()
    at = data.index(b"<Nature ")
    end = data.index(b">", at) + 1
    report = validate(data[:at] + leaf + data[end:])
    assert not report.valid
    first = report.errors[0]
    assert first.rule not in ("xsd", "idpce-unique"), first
    assert first.location.line == data[:at].count(b"\n") + 1


def test_schema_thread_keeps_the_cause_when_its_parser_cannot_be_built(
    valid_flow: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The XMLSyntaxError handler read ``parser.feed_error_log`` while ``parser`` was still
    # None: the thread died of an AttributeError and the real cause was lost.
    etree.clear_error_log()  # the exception copies the log: no earlier test's messages
    refused = etree.XMLSyntaxError("analyseur refusé", 0, 1, 1)

    def no_parser(*args: object, **kwargs: object) -> etree.XMLParser:
        raise refused

    get_schema("v5.17", MessageKind.ALLER)  # loaded (and cached) with the real parser
    monkeypatch.setattr(etree, "XMLParser", no_parser)
    tee = _thread_verdict(valid_flow)
    assert tee.broken
    assert tee.failure is refused
