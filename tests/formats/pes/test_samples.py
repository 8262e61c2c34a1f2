"""Every reference sample gets the verdict of samples/MANIFEST.md, for v5.12 and v5.17.

MANIFEST.md gives the libxml2 schema verdict; our report adds the business rules, so the
check here is on the schema layer (rule "xsd" / root / legacy findings), and the business
findings the samples raise are asserted separately.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pigp.formats.pes import NumAnoAck, Scope, Severity, ValidationOptions, validate

# file -> (expected schema verdict, element the first error names) — from MANIFEST.md
MANIFEST = {
    "aller/sicoval_mandat_sur_marche.xml": (True, None),
    "aller/simu_depense_pj.xml": (True, None),
    "aller/simu_depense_libelle_accent.xml": (True, None),
    "aller/signed_xades122_rsa_sha256.xml": (False, "PJ"),
    "aller/signed_xades111_rsa_sha1.xml": (False, "Fichier"),
    "aller/synthetic_recette_minimal.xml": (True, None),
    "acquit/acquit_ok.xml": (True, None),
    "acquit/acquit_ko.xml": (True, None),
    "acquit/acquit_of_signed_xades111.xml": (True, None),
    "retour/simu_retour_depense.xml": (True, None),
    "retour/retour_depense_2.xml": (True, None),
    "retour/acquit_retour_nonconforme.xml": (False, "Emetteur"),
    "legacy/dgfip_2009_exemple_aller.xml": (False, "DteStr"),
}
LEGACY = ["legacy/dgfip_2009_exemple_ack.xml", "legacy/dgfip_2009_exemple_nack.xml"]


def _schema_findings(report):
    return [f for f in report.findings if f.rule == "xsd"]


@pytest.mark.parametrize("version", ["v5.12", "v5.17"])
@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_sample_schema_verdict(samples: Path, name: str, version: str) -> None:
    expected_ok, element = MANIFEST[name]
    report = validate(samples / name, options=ValidationOptions(version=version))
    assert report.schema_version == version
    errors = _schema_findings(report)
    if expected_ok:
        assert errors == [], [f.message for f in errors]
        assert not report.flux_blocked or any(f.rule == "idcoll-siret" for f in report.errors)
    else:
        assert errors, "a schema error was expected"
        first = errors[0]
        assert first.code is NumAnoAck.SCHEMA_INCOMPLET
        assert first.scope is Scope.FLUX
        assert element in first.message
        assert first.location.line is not None
        assert first.location.path.startswith("/")
        assert report.flux_blocked


@pytest.mark.parametrize("name", LEGACY)
def test_legacy_2009_messages_are_reported_as_old_format(samples: Path, name: str) -> None:
    report = validate(samples / name)
    assert not report.valid
    (finding,) = report.errors
    assert finding.code is NumAnoAck.VERSION_PES
    assert finding.rule == "legacy-format"
    assert "ancien format" in finding.message


def test_simulator_samples_raise_business_findings(samples: Path) -> None:
    report = validate(samples / "aller/simu_depense_pj.xml")
    rules = {f.rule for f in report.errors}
    # Test data of the Hélios simulator: a fake SIRET and a bordereau total that does not
    # add up (MtBordHT 75724.75 for one line of 39724.75).
    assert rules == {"idcoll-siret", "mt-bord-ht"}
    total = next(f for f in report.errors if f.rule == "mt-bord-ht")
    assert total.code is NumAnoAck.CUMUL_MONTANTS
    assert total.scope is Scope.BORDEREAU
    assert total.location.bordereau == "1234567"
    assert "MtBordHT" in total.location.path


def test_real_sicoval_flow_is_fully_valid(samples: Path) -> None:
    report = validate(samples / "aller/sicoval_mandat_sur_marche.xml")
    assert report.valid, [f.message for f in report.findings]
    assert report.id_coll == "24310063300011"
    assert report.cod_col == "100"
    assert report.nom_fic == "SICOVAL201512104"
    (bord,) = report.bordereaux
    assert (bord.id_bord, bord.domaine, bord.pieces) == ("2372", "depense", ("6623",))


def test_signed_samples_report_their_signatures(samples: Path) -> None:
    report = validate(samples / "aller/signed_xades122_rsa_sha256.xml")
    assert [s.target for s in report.signatures] == ["BORD822933"]
    # Signed although InfoDematerialisee=0 (NOTES.md §1.3).
    assert any(f.rule == "signature-without-demat" for f in report.errors)


def test_recette_sample_findings(samples: Path) -> None:
    report = validate(samples / "aller/synthetic_recette_minimal.xml")
    assert {f.rule for f in report.errors} == {"idcoll-siret"}
    mime = [f for f in report.findings if f.rule == "pj-mime"]
    assert mime and mime[0].severity is Severity.WARNING
    assert report.pj_ids == ("SYNTHPJ0001",)


def test_legacy_2009_aller_is_flagged_as_probably_old(samples: Path) -> None:
    report = validate(samples / "legacy/dgfip_2009_exemple_aller.xml")
    hint = [f for f in report.findings if f.rule == "legacy-hint"]
    assert hint and "ancien format" in hint[0].message and "budget" in hint[0].message
    # the same declarations on a schema-valid flow say nothing
    assert not [
        f
        for f in validate(samples / "aller/simu_depense_pj.xml").findings
        if f.rule == "legacy-hint"
    ]
