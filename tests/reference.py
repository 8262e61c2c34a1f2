"""The one place that knows where the reference material of ``../shared`` is.

Real samples and schemas published by the DGFiP and the banks serve the format conformance
tests only (tests/formats); app tests deposit flows they generate (tests/flows.py). On a clone
without ``../shared`` the conformance tests that need it skip, saying so, and nothing else does."""

from __future__ import annotations

from pathlib import Path

import pytest

REFERENCE = (Path(__file__).resolve().parents[1].parent / "shared" / "reference").resolve()
PES_SAMPLES = REFERENCE / "pes" / "samples"
SEPA_SAMPLES = REFERENCE / "sepa" / "samples"
EINVOICE_SAMPLES = REFERENCE / "einvoice"


def reference(path: Path) -> Path:
    """`path` (under REFERENCE); the calling test is skipped when it is absent."""
    if not path.exists():
        pytest.skip(f"reference material absent, ../shared is not beside this clone: {path}")
    return path


def pes_sample(rel: str) -> Path:
    """A real PES sample, e.g. ``pes_sample("aller/sicoval_mandat_sur_marche.xml")``."""
    return reference(PES_SAMPLES / rel)


def sepa_sample(name: str) -> Path:
    """A real SEPA sample, e.g. ``sepa_sample("camt054.v2.xml")``."""
    return reference(SEPA_SAMPLES / name)


def einvoice_sample(rel: str) -> Path:
    """A real e-invoice sample, e.g. ``einvoice_sample("ubl/ubl-tc434-example1.xml")``."""
    return reference(EINVOICE_SAMPLES / rel)
