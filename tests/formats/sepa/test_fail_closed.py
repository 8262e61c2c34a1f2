"""SEPA validation fails closed: a layer that cannot finish gives an error, never a pass.

A failure is injected into one layer (a function monkeypatched to raise); the report must
be invalid, carry the « contrôle interrompu » error naming the layer, and keep what the
other layers could still find.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from pigp.formats.sepa import Code, Layer, SepaReport, SepaSchemaError, validate, validate_camt
from pigp.formats.sepa import _stream as stream_mod
from pigp.formats.sepa.camt import _CamtValidationHandler
from pigp.formats.sepa.validate import _PainHandler

from .builders import DATA, TODAY

P1 = (DATA / "pain.001.001.09.xml").read_bytes()
CAMT = (DATA / "camt.053.001.08.xml").read_bytes()


class Boom(RuntimeError):
    """The injected failure."""


def _raise(*args: object, **kwargs: object) -> None:
    raise Boom("injected")


def _assert_interrupted(report: SepaReport, layer: Layer) -> None:
    assert report.valid is False
    assert layer in report.interrupted
    [finding] = [f for f in report.errors if f.code is Code.INTERRUPTED and str(layer) in f.message]
    assert finding.message == (
        f"Contrôle interrompu : {layer} n'a pas pu aller au bout (Boom) ; "
        "le fichier ne peut pas être accepté en l'état."
    )


def test_baseline_is_valid_and_not_interrupted() -> None:
    report = validate(P1, today=TODAY)
    assert report.valid and report.interrupted == ()
    assert validate_camt(CAMT).valid


def test_rule_failure_keeps_the_schema_verdict_and_earlier_findings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_PainHandler, "_check_iban", _raise)
    late = TODAY + timedelta(days=400)  # the execution date, read before the IBAN, is past
    report = validate(P1, today=late)
    _assert_interrupted(report, Layer.RULES)
    assert report.interrupted == (Layer.RULES,)
    assert report.schema_valid  # the streaming schema pass went to the end
    assert Code.DATE_PAST in report.codes()


def test_rule_failure_on_a_schema_invalid_file_keeps_the_schema_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = P1.replace(b"<ChrgBr>SLEV</ChrgBr>", b"<ChrgBr>XXXX</ChrgBr>", 1)
    assert data != P1 and not validate(data, today=TODAY).schema_valid
    monkeypatch.setattr(_PainHandler, "start", _raise)
    report = validate(data, today=TODAY)
    _assert_interrupted(report, Layer.RULES)
    assert Code.SCHEMA in report.codes()


def test_streaming_pass_failure_is_no_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream_mod, "release", _raise)
    report = validate(P1, today=TODAY)
    _assert_interrupted(report, Layer.SCHEMA)
    assert not report.schema_valid


def test_schema_unavailable_is_no_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    def unavailable(message: object) -> None:
        raise SepaSchemaError("schéma absent")

    monkeypatch.setattr(stream_mod, "get_schema", unavailable)
    report = validate(P1, today=TODAY)
    assert report.valid is False and report.interrupted == (Layer.SCHEMA,)
    [finding] = report.errors
    assert finding.code is Code.INTERRUPTED and "(SepaSchemaError)" in finding.message


def test_failure_outside_the_streaming_pass_is_no_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stream_mod, "_check_head", _raise)
    report = validate(P1, today=TODAY)
    _assert_interrupted(report, Layer.FILE)


def test_failure_to_locate_schema_errors_keeps_the_verdict(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = P1.replace(b"<ChrgBr>SLEV</ChrgBr>", b"<ChrgBr>XXXX</ChrgBr>", 1)
    monkeypatch.setattr(stream_mod, "validate_tree", _raise)
    report = validate(data, today=TODAY)
    assert report.valid is False and report.interrupted == ()
    assert report.codes() == {Code.SCHEMA}


def test_camt_rule_failure_is_no_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_CamtValidationHandler, "end", _raise)
    report = validate_camt(CAMT)
    _assert_interrupted(report, Layer.RULES)
