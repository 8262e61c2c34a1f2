"""Fixtures of the PES library tests (no Django)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.reference import PES_SAMPLES, reference

REPO = Path(__file__).resolve().parents[3]
DATA = REPO / "tests" / "data" / "pes"
VALID_FLOW = DATA / "aller_valide.xml"


@pytest.fixture
def samples() -> Path:
    """The folder of the real PES samples (the test skips without ../shared)."""
    return reference(PES_SAMPLES)


@pytest.fixture
def valid_flow() -> bytes:
    return VALID_FLOW.read_bytes()


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a socket fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
