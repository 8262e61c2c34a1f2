"""``pigp invoice inspect|validate``: exit codes, JSON keys, French report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pigp.cli import main
from tests.reference import einvoice_sample

KEYS = {
    "format",
    "profile",
    "kind",
    "number",
    "issue_date",
    "seller",
    "buyer",
    "totals",
    "lines",
    "findings",
    "valid",
}


def test_inspect_json_of_a_valid_ubl(capsys: pytest.CaptureFixture[str]) -> None:
    path = einvoice_sample("ubl/ubl-tc434-example1.xml")
    assert main(["invoice", "inspect", str(path), "--json", "--sans-schematron"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data.keys() >= KEYS
    assert (data["format"], data["profile"], data["kind"]) == ("ubl", "EN 16931", "invoice")
    assert (data["number"], data["issue_date"]) == ("12115118", "2015-01-09")
    assert data["totals"]["ht"] == "229.60" and data["totals"]["payable"] == "250.33"
    assert data["seller"]["name"] == "De Koksmaat"
    assert len(data["lines"]) == 20 and data["valid"] is True


def test_validate_prints_a_french_report(capsys: pytest.CaptureFixture[str]) -> None:
    path = einvoice_sample("ubl/ubl-tc434-creditnote1.xml")
    assert main(["invoice", "validate", str(path), "--sans-schematron"]) == 0
    out = capsys.readouterr().out
    assert "VALIDE" in out and "avoir n° 018304 / 28865" in out


def test_an_invalid_invoice_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "sans-numero.xml"
    broken.write_bytes(
        einvoice_sample("facturx/zugferd_2p1_BASIC_Einfach.xml")
        .read_bytes()
        .replace(b"<ram:ID>471102</ram:ID>", b"", 1)
    )
    assert main(["invoice", "validate", str(broken), "--sans-schematron"]) == 1
    out = capsys.readouterr().out
    assert "NON VALIDE" in out and "ERREUR xsd" in out and "ligne" in out


def test_not_an_invoice_or_missing_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "commande.xml"
    other.write_bytes(b"<Commande/>")
    valid = einvoice_sample("ubl/BIS3_Invoice_positive.XML")
    args = ["invoice", "inspect", str(valid), str(other), str(tmp_path / "absent.xml"), "--json"]
    assert main([*args, "--sans-schematron"]) == 2
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [d["valid"] for d in lines] == [True, False, False]
    assert lines[1]["error"].startswith("Ce fichier n'est pas une facture électronique")
    assert "fichier illisible" in lines[2]["error"]


def test_invoice_is_a_registered_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "invoice" in capsys.readouterr().out


def test_validate_runs_the_schematron_of_a_facturx_pdf(
    tmp_path: Path, facturx_pdf: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    pdf = tmp_path / "facture.pdf"
    pdf.write_bytes(facturx_pdf)
    assert main(["invoice", "validate", str(pdf), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["format"], data["syntax"], data["profile"]) == ("facturx", "cii", "EN 16931")
    assert data["checks"] == [
        "xsd",
        "schematron:FACTUR-X_EN16931",
        "schematron:BR-FR (avertissements)",
    ]
    assert data["totals"]["ttc"] == "529.87"
    assert {f["severity"] for f in data["findings"]} == {"warning"}


def test_a_plain_pdf_is_valid_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from .conftest import blank_pdf

    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(blank_pdf())
    assert main(["invoice", "validate", str(pdf)]) == 0
    out = capsys.readouterr().out
    assert "format pdf" in out and "AVERTISSEMENT pdf-sans-donnees" in out
