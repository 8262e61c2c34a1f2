"""The samples helpers live in tests/conftest.py; kept importable from here."""

from tests.conftest import SAMPLES, sample  # noqa: F401
