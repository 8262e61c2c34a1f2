"""What libxml2 and zlib say reaches users in French only."""

from __future__ import annotations

import gzip
import re
import zlib
from pathlib import Path

import pytest

from pigp.formats.pes import validate
from pigp.formats.pes.generator import generate_pes_aller
from pigp.formats.pes.messages import compression_message, expected_form, parser_message

ENGLISH = re.compile(
    r"is not a valid value|atomic type|\[facet|Start tag expected|not found|XML_PARSE_HUGE|"
    r"Excessive depth|Compressed file|expected|Element '",
)


@pytest.fixture
def flow(tmp_path: Path) -> bytes:
    path = tmp_path / "flux.xml"
    generate_pes_aller(path, pieces=2)
    return path.read_bytes()


def _messages(data: bytes) -> list[str]:
    report = validate(data)
    assert not report.valid
    messages = [f.message for f in report.errors]
    for message in messages:
        assert not ENGLISH.search(message), message
    return messages


def test_a_bad_date_says_the_expected_form(flow: bytes) -> None:
    bad = re.sub(rb'<DteStr V="[^"]*"/>', b'<DteStr V="AAAA-MM-JJ"/>', flow, count=1)
    [message] = [m for m in _messages(bad) if "DteStr" in m]
    assert "« AAAA-MM-JJ »" in message
    assert "attendu : une date AAAA-MM-JJ" in message


def test_a_pattern_facet_says_the_pattern(flow: bytes) -> None:
    bad = re.sub(rb'<CodCol V="[^"]*"/>', b'<CodCol V="12"/>', flow, count=1)
    messages = [m for m in _messages(bad) if "CodCol" in m]
    assert any("n'a pas la longueur attendue (3 caractères exactement)" in m for m in messages)
    assert any("ne respecte pas le format attendu (motif [0-9]{3})" in m for m in messages)


def test_an_enumeration_lists_the_allowed_values(flow: bytes) -> None:
    bad = re.sub(rb'<TypBord V="[^"]*"/>', b'<TypBord V="99"/>', flow, count=1)
    [message] = [m for m in _messages(bad) if "TypBord" in m]
    assert "n'est pas dans la liste des valeurs autorisées : 01, 02" in message


def test_broken_markup_is_told_in_french(flow: bytes) -> None:
    [message] = _messages(flow[:200] + b"<<>>" + flow[200:])
    assert "n'est pas un XML bien formé (« < » interdit dans la valeur d'un attribut" in message


def test_a_mismatched_tag_is_told_in_french(flow: bytes) -> None:
    bad = flow.replace(b"</EnTetePES>", b"</EnTetePESX>", 1)
    [message] = _messages(bad)
    assert "la balise fermante « EnTetePESX » ne ferme pas « EnTetePES »" in message


@pytest.mark.parametrize(
    ("english", "french"),
    [
        ("Start tag expected, '<' not found", "balise ouvrante attendue : « < » introuvable"),
        (
            "Excessive depth in document: 256, use XML_PARSE_HUGE option",
            "imbrication des éléments trop profonde (256 niveaux au plus)",
        ),
        ("Entity 'nbsp' not defined", "entité « nbsp » non définie"),
    ],
)
def test_parser_messages(english: str, french: str) -> None:
    assert parser_message(english) == french


def test_unknown_parser_message_is_not_shown() -> None:
    assert parser_message("Something libxml2 says one day") is None


def test_truncated_gzip_message() -> None:
    data = gzip.compress(b"x" * 10_000)[:-12]
    inflater = zlib.decompressobj(wbits=31)
    inflater.decompress(data)
    assert not inflater.eof
    try:
        gzip.decompress(data)
    except EOFError as exc:
        assert compression_message(str(exc)) == "le fichier compressé est tronqué (sa fin manque)"
    else:  # pragma: no cover
        pytest.fail("a truncated gzip must not decompress")


@pytest.mark.parametrize(
    ("type_name", "form"),
    [
        ("{http://www.minefi.gouv.fr/cp/helios/pes_v2/commun}V_Date", "une date AAAA-MM-JJ"),
        ("V_Montant", "un nombre décimal"),
        ("V_Num3", "un nombre entier"),
        ("V_Alphanum50", "une valeur du type V_Alphanum50"),
    ],
)
def test_expected_forms(type_name: str, form: str) -> None:
    assert expected_form(type_name).startswith(form)
