"""Version in force, accepted versions during a transition, and what the report says."""

from __future__ import annotations

import pytest

from pigp.formats.pes import NumAnoAck, PesSchemaError, Severity, ValidationOptions, validate

# CarteAchatNiveau1 was xs:boolean text up to v5.12 and a V attribute from v5.14 (NOTES.md).
OLD_FORM = b"<CarteAchatNiveau1>0</CarteAchatNiveau1>"
NEW_FORM = b'<CarteAchatNiveau1 V="0"/>'


def _with(flow: bytes, form: bytes) -> bytes:
    marker = b'<TypePJ V="003"/>\n            </PJRef>'
    assert marker in flow
    return flow.replace(marker, marker + form, 1)


def test_each_form_is_valid_under_its_own_versions(valid_flow: bytes) -> None:
    old, new = _with(valid_flow, OLD_FORM), _with(valid_flow, NEW_FORM)
    for version in ("v5.11", "v5.12"):
        assert validate(old, options=ValidationOptions(version=version)).valid
        assert not validate(new, options=ValidationOptions(version=version)).valid
    for version in ("v5.14", "v5.16", "v5.17"):
        assert validate(new, options=ValidationOptions(version=version)).valid
        assert not validate(old, options=ValidationOptions(version=version)).valid


def test_report_names_the_version_applied(valid_flow: bytes) -> None:
    report = validate(_with(valid_flow, OLD_FORM))
    assert report.schema_version == "v5.17"
    error = next(f for f in report.errors if f.rule == "xsd")
    assert "v5.17" in error.message and "CarteAchatNiveau1" in error.message
    assert error.location.line is not None


def test_transition_accepts_an_older_version_and_says_so(valid_flow: bytes) -> None:
    options = ValidationOptions(version="v5.17", accepted_versions=("v5.12",))
    report = validate(_with(valid_flow, OLD_FORM), options=options)
    assert report.schema_version == "v5.12"
    assert report.valid
    (note,) = report.findings
    assert note.rule == "xsd-transition" and note.severity is Severity.WARNING
    assert note.code is NumAnoAck.VERSION_PES
    assert "v5.12" in note.message and "v5.17" in note.message


def test_a_flow_valid_in_force_keeps_the_version_in_force(valid_flow: bytes) -> None:
    options = ValidationOptions(version="v5.17", accepted_versions=("v5.16",))
    assert validate(valid_flow, options=options).schema_version == "v5.17"


def test_no_accepted_version_fits(valid_flow: bytes) -> None:
    options = ValidationOptions(version="v5.17", accepted_versions=("v5.16",))
    report = validate(_with(valid_flow, OLD_FORM), options=options)
    assert report.schema_version == "v5.17" and not report.valid


def test_unknown_version_option() -> None:
    with pytest.raises(PesSchemaError):
        validate(b"<x/>", options=ValidationOptions(version="v6.0"))
