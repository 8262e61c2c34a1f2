"""``pigp pes …`` command line: exit codes, French output, JSON, safe PJ extraction."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from pigp import cli as top
from pigp.formats.pes import cli

from .conftest import DATA


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = cli.main(list(argv), out=out)
    return code, out.getvalue()


@pytest.fixture
def invalid_flow(tmp_path: Path, valid_flow: bytes) -> Path:
    path = tmp_path / "invalide.xml"
    path.write_bytes(valid_flow.replace(b'<NbrPce V="2"/>', b'<NbrPce V="5"/>'))
    return path


def test_validate_valid_file_exit_0() -> None:
    code, text = run("validate", str(DATA / "aller_valide.xml"))
    assert code == 0
    assert "VALIDE (schéma v5.17" in text


def test_validate_invalid_file_exit_1_names_element_and_line(invalid_flow: Path) -> None:
    code, text = run("validate", str(invalid_flow))
    assert code == 1
    assert "NON VALIDE" in text
    assert re.search(r"ERREUR ERREUR_AUTRE \[ligne \d+, .*/NbrPce\]", text)
    assert "rejeté" in text


def test_validate_unreadable_exit_2(tmp_path: Path) -> None:
    code, text = run("validate", str(tmp_path / "absent.xml"))
    assert code == 2 and "ILLISIBLE" in text
    garbage = tmp_path / "binaire.xml"
    garbage.write_bytes(bytes(range(256)))
    assert run("validate", str(garbage))[0] == 2


def test_validate_several_files_worst_status(invalid_flow: Path) -> None:
    assert run("validate", str(DATA / "aller_valide.xml"), str(invalid_flow))[0] == 1


def test_validate_json(invalid_flow: Path) -> None:
    code, text = run("validate", "--json", "--version", "v5.16", str(invalid_flow))
    assert code == 1
    (result,) = json.loads(text)
    assert result["valid"] is False and result["schema_version"] == "v5.16"
    (finding,) = result["findings"]
    assert finding["rule"] == "nbr-pce" and finding["code"] == "ERREUR_AUTRE"
    assert finding["severity"] == "error" and finding["scope"] == "bordereau"
    assert finding["location"]["bordereau"] == "101"
    assert result["bordereaux"][0]["pieces"] == ["501", "502"]


def test_inspect() -> None:
    code, text = run("inspect", str(DATA / "aller_valide.xml"))
    assert code == 0
    assert "SIRET 21340172201787" in text
    assert "mandat 501" in text and "titre 901" in text
    assert "Total depense : 2 pièce(s), 1250.50 HT" in text
    assert "PJ PJTEST0001" in text


def test_extract_pj(tmp_path: Path) -> None:
    code, _text = run("extract-pj", str(DATA / "aller_valide.xml"), str(tmp_path))
    assert code == 0
    extracted = tmp_path / "0001_facture_501.pdf"
    assert extracted.read_bytes() == (DATA / "pj_facture_501.pdf").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0001_facture_501.pdf"]


def test_extract_pj_never_trusts_the_name_as_a_path(tmp_path: Path, valid_flow: bytes) -> None:
    hostile = valid_flow.replace(
        b'<NomPJ V="facture_501.pdf"/>\n      <TypePJ',
        b'<NomPJ V="../../etc/cron.d/evil.sh"/>\n      <TypePJ',
    )
    src = tmp_path / "flux.xml"
    src.write_bytes(hostile)
    dest = tmp_path / "out"
    assert run("extract-pj", str(src), str(dest))[0] == 0
    assert [p.name for p in dest.iterdir()] == ["0001_evil.sh"]
    assert not (tmp_path / "etc").exists()
    for name in ("..", "", "/", "a\\..\\b.pdf", ".bashrc"):
        safe = cli.safe_filename(name, 3)
        assert "/" not in safe and "\\" not in safe and not safe.startswith(".")


def test_extract_pj_reports_bad_content(tmp_path: Path, valid_flow: bytes) -> None:
    start = valid_flow.index(b'application/pdf">') + len(b'application/pdf">')
    end = valid_flow.index(b"</Fichier>")
    src = tmp_path / "flux.xml"
    src.write_bytes(valid_flow[:start] + b"!! pas du base64 !!" + valid_flow[end:])
    code, text = run("extract-pj", str(src), str(tmp_path / "out"))
    assert code == 1 and "non extraite" in text
    assert list((tmp_path / "out").iterdir()) == []


def test_acquit_and_generate(tmp_path: Path) -> None:
    flow = tmp_path / "g.xml"
    code, _text = run("generate", "-o", str(flow), "--pieces", "2", "--pj", "1")
    assert code == 0 and flow.is_file()
    assert run("validate", str(flow))[0] == 0
    ack = tmp_path / "ack.xml"
    code, _text = run("acquit", str(flow), "-o", str(ack))
    assert code == 0 and b"PES_ACQUIT" in ack.read_bytes()


def test_generate_numbers_bordereaux_and_refuses_bad_arguments(tmp_path: Path) -> None:
    flow = tmp_path / "g.xml"
    code, _text = run("generate", "-o", str(flow), "--bordereaux", "2", "--id-bord-start", "7")
    assert code == 0 and b'<IdBord V="7"/>' in flow.read_bytes()
    assert b'<IdBord V="8"/>' in flow.read_bytes()
    bad = tmp_path / "bad.xml"
    code, text = run("generate", "-o", str(bad), "--pieces", "0")
    assert code == 2 and text.startswith("Génération impossible : ")
    assert not bad.exists()


def test_top_level_entry_point(capsys: pytest.CaptureFixture[str]) -> None:
    assert top.main(["pes", "validate", str(DATA / "aller_valide.xml")]) == 0
    assert "VALIDE" in capsys.readouterr().out
    assert top.main(["inconnue"]) == 2
    assert top.main([]) == 2
    assert top.main(["--help"]) == 0


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("acquit/acquit_ko.xml", "1963 - Domiciliation erronée"),
        ("retour/simu_retour_depense.xml", "pièce 832 : état 01"),
        ("retour/acquit_retour_nonconforme.xml", "intégré le 2025-03-10"),
    ],
)
def test_inspect_other_messages(samples: Path, name: str, expected: str) -> None:
    code, text = run("inspect", str(samples / name))
    assert code == 0 and expected in text
