"""`pigp orc check-proof`: a real proof report passes with the platform's key; an altered
digest, entry, seal or verdict is refused; an unreadable file is said so (exit 2)."""

from __future__ import annotations

import copy
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from pigp import cli
from pigp.core import journal
from pigp.orc import proof, seals
from tests.orc.factories import add_document, make_unit
from tests.orc.tsa_server import Authority, running


@pytest.fixture(autouse=True)
def _seal_key(settings, tmp_path):
    settings.PIGP_ORC_SEAL_KEY = tmp_path / "cle" / "orc_seal_key.pem"
    settings.PIGP_ORC_TSA_URL = ""


@pytest.fixture
def report(collectivite, settings):
    unit = make_unit(collectivite)
    add_document(unit, b"%PDF-1.4 une PJ", nom="pj.pdf")
    journal.record("orc_archivage", obj=unit, collectivite=collectivite, actor_label="pigp")
    journal.record("orc_vue", obj=unit, collectivite=collectivite, actor_label="lecteur")
    with running(Authority()) as url:
        settings.PIGP_ORC_TSA_URL = url
        seals.seal_now()
    settings.PIGP_ORC_TSA_URL = ""
    journal.record("orc_preuve_consultee", obj=unit, actor_label="juge", details={"x": "é"})
    return json.loads(proof.to_json(proof.build(unit)))


@pytest.fixture
def files(tmp_path):
    key = tmp_path / "cle_publique.pem"
    key.write_text(seals.public_key_pem())

    def write(report: dict) -> list[str]:
        path = tmp_path / "releve.json"
        path.write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
        return [str(path), "--key", str(key)]

    return write


def run(capsys, args: list[str]) -> tuple[int, str]:
    code = cli.main(["orc", "check-proof", *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.django_db
def test_real_proof_passes(report, files, capsys):
    assert report["scellements"][0]["horodatage"]["heure"]
    code, out = run(capsys, files(report))
    assert code == 0, out
    assert "Relevé valide (1 document(s), 3 entrée(s) du journal, 1 scellement(s))" in out
    assert "pas encore scellée" in out  # the consultation after the seal: a warning only


@pytest.mark.django_db
def test_embedded_key_only_warns(report, files, capsys):
    code, out = run(capsys, files(report)[:1])
    assert code == 0
    assert "clé publique contenue dans le relevé" in out


def _altered(report: dict, change) -> dict:
    other = copy.deepcopy(report)
    change(other)
    return other


ALTERATIONS = {
    "digest": (
        lambda r: r["documents"][0].__setitem__("sha512", "a" * 128),
        "déclarée conforme à tort",
    ),
    "digest mal formé": (
        lambda r: r["documents"][0].__setitem__("sha512", "xyz"),
        "mal formée",
    ),
    "entry": (
        lambda r: r["journal"][0]["contenu"].__setitem__("actor_label", "quelqu'un d'autre"),
        "entrée n° ",
    ),
    "entry hash": (
        lambda r: r["journal"][1].__setitem__("empreinte", "0" * 64),
        "ne correspond pas à son contenu",
    ),
    "seal": (
        lambda r: r["scellements"][0]["charge_utile"].__setitem__("count", 1),
        "signature invalide",
    ),
    "seal moved": (
        lambda r: r["scellements"][0]["charge_utile"].__setitem__("last_entry_id", 1),
        "scellement",
    ),
    "stamp": (
        lambda r: r["scellements"][0]["horodatage"].__setitem__("jeton", "AAAA"),
        "horodatage refusé",
    ),
    "verdict": (
        lambda r: r["verdict"].update(probante=False, motifs=["copie perdue"]),
        "non probante",
    ),
    "seal removed": (lambda r: r.__setitem__("scellements", []), "absent ou invalide"),
    "incomplete": (lambda r: r.pop("documents"), "relevé incomplet"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", ALTERATIONS)
def test_altered_proof_refused(report, files, capsys, name):
    change, reason = ALTERATIONS[name]
    code, out = run(capsys, files(_altered(report, change)))
    assert code == 1, out
    assert "REFUSÉ" in out and reason in out


@pytest.mark.django_db
def test_another_platform_key_refused(report, files, capsys, tmp_path):
    args = files(report)
    other = Ed25519PrivateKey.generate().public_key()
    (tmp_path / "autre.pem").write_bytes(
        other.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    code, out = run(capsys, [args[0], "--key", str(tmp_path / "autre.pem")])
    assert code == 1
    assert "n'est pas celle fournie" in out and "autre clé" in out


@pytest.mark.django_db
def test_a_whole_forged_report_with_its_own_key_is_refused_with_the_platform_key(
    report, files, capsys
):
    """A forger re-signs an altered seal with his own key and embeds it: alone, the report
    looks consistent (hence the warning), the platform's key refuses it."""
    forger = Ed25519PrivateKey.generate()
    forged = copy.deepcopy(report)
    forged["plateforme"]["cle_publique"] = (
        forger.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    forged["plateforme"]["cle_id"] = seals.key_id_of(forger.public_key())
    code, out = run(capsys, files(forged))
    assert code == 1
    assert "n'est pas celle fournie" in out


@pytest.mark.django_db
def test_unreadable(files, capsys, tmp_path, report):
    args = files(report)
    (tmp_path / "releve.json").write_text("{pas du json")
    assert run(capsys, args)[0] == 2
    (tmp_path / "releve.json").write_text('{"format": "autre"}')
    code, out = run(capsys, args)
    assert code == 2 and "n'est pas un relevé" in out
    assert run(capsys, [str(tmp_path / "absent.json")])[0] == 2
    files(report)
    (tmp_path / "cle_publique.pem").write_text("pas une clé")
    code, out = run(capsys, args)
    assert code == 2 and "clé publique illisible" in out


@pytest.mark.django_db
def test_checker_runs_without_django(report, files):
    """The third party's run: a fresh interpreter, no settings, Django never imported."""
    import subprocess
    import sys

    args = files(report)
    script = (
        "import sys\n"
        "from pigp import cli\n"
        f"code = cli.main(['orc', 'check-proof', *{args!r}])\n"
        "assert not [m for m in sys.modules if m == 'django' or m.startswith('django.')]\n"
        "sys.exit(code)\n"
    )
    from pathlib import Path

    import pigp

    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(pigp.__file__).parents[1])}
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Relevé valide" in run.stdout
