"""The samples helpers live in tests/conftest.py; kept importable from here."""

from tests.conftest import SAMPLES, sample  # noqa: F401
from tests.passerelle.spooling import django_tmp  # noqa: F401 (a fixture of the upload tests)
