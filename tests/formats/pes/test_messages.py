"""Schema messages reach the finance officer in French, naming the element and value."""

from __future__ import annotations

import pytest

from pigp.formats.pes import validate

from .conftest import VALID_FLOW

FLOW = VALID_FLOW.read_bytes()


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (b'<IdBord V="101"/>', b'<IdBord V="101" X="1"/>', "l'attribut « X » n'est pas admis"),
        (b'<IdBord V="101"/>', b'<IdBord V="101"><a/></IdBord>', "ne doit pas contenir"),
        (b'<CodCol V="123"/>', b'<CodCol V="12"/>', "« 12 » de « CodCol » (attribut V) n'a pas"),
        (b'<TypBord V="01"/>', b'<TypBord V="09"/>', "n'est pas dans la liste des valeurs"),
        (b'<MtHT V="50.25"/>', b'<MtHT V="50.255"/>', "a trop de décimales"),
        (b'<MtHT V="50.25"/>', b'<MtHT V="-3.00"/>', "« -3.00 » de « MtHT »"),
        (b'<IdPce V="502"/>', b"", "l'élément « TypPce » n'est pas attendu à cet endroit"),
        (
            b'<Version V="2"/>',
            b"",
            "« TypFic » n'est pas attendu à cet endroit ; attendu : ( Version )",
        ),
        (
            b'<NomFic V="PIGP_TEST_0001"/>',
            b"",
            "il manque un élément obligatoire dans « Parametres » ; attendu : ( NomFic )",
        ),
        (b'<IdBord V="101"/>', b"<IdBord/>", "l'attribut obligatoire « V » manque sur « IdBord »"),
    ],
)
def test_french_schema_messages(old: bytes, new: bytes, expected: str) -> None:
    report = validate(FLOW.replace(old, new, 1))
    first = next(f for f in report.findings if f.rule == "xsd")
    assert expected in first.message
    assert first.message.startswith("Flux non conforme au schéma PES v5.17 (ligne ")
    assert first.location.line and first.location.path.startswith("/PES_Aller/")
