"""ORC's fixtures: each test archives on two fresh local roots."""

from __future__ import annotations

import pytest
from django.core.files.storage import storages


@pytest.fixture(autouse=True)
def _orc_copies(settings, tmp_path):
    """Two empty copies per test (the storages' handler caches instances: reset it)."""
    new = dict(settings.STORAGES)
    for n, name in enumerate(settings.PIGP_ORC_COPIES, start=1):
        new[name] = {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / f"orc-copie-{n}")},
        }
    settings.STORAGES = new
    storages._storages = {}
    storages._backends = None
    yield
    storages._storages = {}
    storages._backends = None
