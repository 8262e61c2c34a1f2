"""Validation fails closed: a layer that cannot finish gives an error and an invalid verdict.

Each test injects a failure into one layer (a function monkeypatched to raise) and checks
the verdict, the « contrôle interrompu » finding naming the layer, and that the findings
the other layers could still produce are kept.
"""

from __future__ import annotations

import io
import sys

import pytest
from lxml import etree

from pigp.formats.pes import Layer, Report, ValidationOptions, validate
from pigp.formats.pes import reader as reader_mod
from pigp.formats.pes import schemas as schemas_mod
from pigp.formats.pes import validator as validator_mod
from pigp.formats.pes.acquit import build_acquit
from pigp.formats.pes.errors import PesSchemaUnavailableError
from pigp.formats.pes.generator import generate_pes_aller
from pigp.formats.pes.report import INTERRUPTED_RULE, NumAnoAck, Scope, Severity
from pigp.formats.pes.rules import RuleEngine
from pigp.formats.pes.schemas import MessageKind, get_schema


class Boom(RuntimeError):
    """The injected failure."""


def _raise(*args: object, **kwargs: object) -> None:
    raise Boom("injected")


def _interrupted(report: Report) -> list[str]:
    found = [f for f in report.findings if f.rule == INTERRUPTED_RULE]
    for f in found:
        assert f.severity is Severity.ERROR and f.scope is Scope.FLUX
        assert f.code is NumAnoAck.AUTRE
        assert "(Boom)" in f.message or "Error" in f.message
        assert f.message.endswith("le flux ne peut pas être accepté en l'état.")
    return [f.message for f in found]


def _assert_interrupted(report: Report, layer: Layer) -> None:
    assert report.valid is False
    assert report.flux_blocked
    assert layer in report.interrupted
    assert any(
        f"Contrôle interrompu : {layer} n'a pas pu aller au bout" in m for m in _interrupted(report)
    )
    assert not report.accepted_bordereaux()


def _rules(report: Report) -> set[str]:
    return {f.rule for f in report.findings}


@pytest.fixture
def business_error(valid_flow: bytes) -> bytes:
    """Schema-valid flow with one business error (NbrPce does not match)."""
    data = valid_flow.replace(b'<NbrPce V="2"/>', b'<NbrPce V="3"/>', 1)
    assert _rules(validate(data)) >= {"nbr-pce"} and validate(data).interrupted == ()
    return data


@pytest.fixture
def schema_error(valid_flow: bytes) -> bytes:
    """Flow whose only error is a schema one (IdBord not a number)."""
    data = valid_flow.replace(b'<IdBord V="101"/>', b'<IdBord V="x"/>')
    assert [f.rule for f in validate(data).errors] == ["xsd"]
    return data


# -- the scenario of the issue: a PES_ACQUIT whose only error is CodCol « 000 » ------------
def _acquit_with_codcol_000(valid_flow: bytes) -> bytes:
    ok = build_acquit(validate(valid_flow))
    data = ok.replace(b'<CodCol V="123"/>', b'<CodCol V="000"/>')
    assert data != ok
    return data


class _TargetFailingAtClose:
    """Parser target of the schema thread that raises once the whole input is fed."""

    def close(self) -> str:
        raise Boom("parser target")


class _TargetFailingAtStart:
    def start(self, tag: str, attrib: object) -> None:
        raise Boom("parser target")

    def close(self) -> str:
        return "done"


def test_acquit_codcol_000_alone_is_a_schema_error(valid_flow: bytes) -> None:
    report = validate(_acquit_with_codcol_000(valid_flow))
    assert report.root == "PES_ACQUIT"
    assert [f.rule for f in report.errors] == ["xsd"]
    assert "000" in report.errors[0].message and "CodCol" in report.errors[0].message


@pytest.mark.parametrize("target", [_TargetFailingAtClose, _TargetFailingAtStart])
def test_acquit_codcol_000_with_schema_thread_target_raising_is_invalid(
    valid_flow: bytes, monkeypatch: pytest.MonkeyPatch, target: type
) -> None:
    data = _acquit_with_codcol_000(valid_flow)
    monkeypatch.setattr(schemas_mod, "_NoTree", target)
    report = validate(data)
    _assert_interrupted(report, Layer.SCHEMA)
    assert report.interrupted == (Layer.SCHEMA,)
    if target is _TargetFailingAtClose:
        # The schema errors met before the failure are kept, located by the second pass.
        (xsd,) = [f for f in report.errors if f.rule == "xsd"]
        assert "CodCol" in xsd.message and xsd.location.line


def test_schema_thread_that_cannot_even_start_its_parser_is_no_pass(
    valid_flow: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(schemas_mod, "_NoTree", _raise)
    report = validate(valid_flow)
    _assert_interrupted(report, Layer.SCHEMA)


def test_schema_thread_failure_keeps_the_business_findings(
    business_error: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(schemas_mod, "_NoTree", _TargetFailingAtStart)
    report = validate(business_error)
    _assert_interrupted(report, Layer.SCHEMA)
    assert "nbr-pce" in _rules(report)


def test_schema_that_cannot_be_compiled_is_no_pass(
    business_error: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(version: str, kind: MessageKind = MessageKind.ALLER) -> etree.XMLSchema:
        raise PesSchemaUnavailableError("schéma cassé")

    monkeypatch.setattr(validator_mod, "get_schema", unavailable)
    report = validate(business_error)
    _assert_interrupted(report, Layer.SCHEMA)
    assert "nbr-pce" in _rules(report)  # the rules ran all the same


def test_transition_version_check_that_breaks_is_no_pass(
    schema_error: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    def only_in_force(version: str, kind: MessageKind = MessageKind.ALLER) -> etree.XMLSchema:
        if version != "v5.17":
            raise Boom("injected")
        return get_schema(version, kind)

    monkeypatch.setattr(validator_mod, "get_schema", only_in_force)
    report = validate(schema_error, options=ValidationOptions(accepted_versions=("v5.16",)))
    _assert_interrupted(report, Layer.SCHEMA)
    assert "xsd" in _rules(report)


# -- the walker ----------------------------------------------------------------------------
def test_walker_failure_keeps_the_schema_verdict(
    schema_error: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader_mod, "piece_lite", _raise)
    report = validate(schema_error)
    _assert_interrupted(report, Layer.READING)
    # The rest of the bytes still went to the schema thread: its error is reported.
    (xsd,) = [f for f in report.errors if f.rule == "xsd"]
    assert xsd.location.path.endswith("/IdBord")


def test_walker_failure_on_a_valid_flow_is_no_pass(
    valid_flow: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader_mod, "flux_header", _raise)
    report = validate(valid_flow)
    _assert_interrupted(report, Layer.READING)
    assert report.interrupted == (Layer.READING,)


def test_walker_failure_on_another_message_is_no_pass(
    valid_flow: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    acquit = build_acquit(validate(valid_flow))
    assert validate(acquit).valid

    def failing_iterparse(*args: object, **kwargs: object) -> None:
        raise Boom("injected")

    monkeypatch.setattr(validator_mod.etree, "iterparse", failing_iterparse)
    report = validate(acquit)
    _assert_interrupted(report, Layer.READING)


# -- the rules -----------------------------------------------------------------------------
def test_rule_failing_on_a_record_keeps_the_schema_findings(
    schema_error: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(RuleEngine, "piece", _raise)
    report = validate(schema_error)
    _assert_interrupted(report, Layer.RULES)
    assert "xsd" in _rules(report)


@pytest.mark.parametrize("rule", ["flux_header", "bordereau", "pj", "bordereau_end", "finish"])
def test_any_rule_that_raises_is_no_pass(
    valid_flow: bytes, monkeypatch: pytest.MonkeyPatch, rule: str
) -> None:
    monkeypatch.setattr(RuleEngine, rule, _raise)
    report = validate(valid_flow)
    _assert_interrupted(report, Layer.RULES)
    assert report.interrupted == (Layer.RULES,)


def test_rule_failing_at_the_end_keeps_the_findings_already_made(
    business_error: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(RuleEngine, "_check_refs", _raise)
    report = validate(business_error)
    _assert_interrupted(report, Layer.RULES)
    assert "nbr-pce" in _rules(report)


# -- the signatures ------------------------------------------------------------------------
@pytest.fixture
def signed_flow() -> bytes:
    buf = io.BytesIO()
    generate_pes_aller(buf, seed=3, pieces=2, sign=True)
    data = buf.getvalue()
    report = validate(data)
    assert report.valid and report.signatures and all(s.valid for s in report.signatures)
    return data


def test_signature_verifier_failure_is_no_pass(
    signed_flow: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pigp.formats.pes import signature

    monkeypatch.setattr(signature, "verify_signatures", _raise)
    report = validate(signed_flow)
    _assert_interrupted(report, Layer.SIGNATURES)
    assert report.interrupted == (Layer.SIGNATURES,)


def test_signature_module_unavailable_is_no_pass(
    signed_flow: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pigp.formats.pes.signature", None)  # import fails
    report = validate(signed_flow)
    _assert_interrupted(report, Layer.SIGNATURES)


def test_walker_failure_still_checks_the_signatures(
    signed_flow: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader_mod, "flux_header", _raise)  # before any signature is met
    report = validate(signed_flow)
    _assert_interrupted(report, Layer.READING)
    assert report.signatures and all(s.valid for s in report.signatures)


# -- the last barrier, and what is not an interruption --------------------------------------
def test_failure_outside_the_layers_own_barriers_is_no_pass(
    valid_flow: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(validator_mod, "read_head", _raise)
    report = validate(valid_flow)
    _assert_interrupted(report, Layer.ENVELOPE)


def test_failure_to_locate_schema_errors_keeps_the_verdict(
    schema_error: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(validator_mod, "locate_schema_errors", _raise)
    report = validate(schema_error)
    # The verdict is complete (invalid); only the line of the error is missing.
    assert report.valid is False and report.interrupted == ()
    assert [f.rule for f in report.errors] == ["xsd"]


def test_interrupted_report_gives_a_schema_valid_refusing_acquit(
    valid_flow: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(schemas_mod, "_NoTree", _TargetFailingAtStart)
    report = validate(valid_flow)
    monkeypatch.undo()
    doc = etree.fromstring(build_acquit(report))
    get_schema("v5.17", MessageKind.ACQUIT_V2).assertValid(doc)
    states = {
        el.find("DomaineAck").get("V"): el.find("EtatAck").get("V")
        for el in doc.iter("ElementACQUIT")
    }
    assert states["0"] == "0" and "1" not in {v for k, v in states.items() if k in ("5", "6")}
    libelles = [e.get("V") for e in doc.iter("LibelleAnoAck")]
    assert any(text.startswith("Contrôle interrompu : contrôle du schéma") for text in libelles)


def test_validation_without_failure_is_not_interrupted(valid_flow: bytes) -> None:
    report = validate(valid_flow)
    assert report.valid and report.interrupted == ()
