"""Settings for the test suite: the real ones, with tasks run immediately and a cheap hasher."""

import os
import tempfile

os.environ["PIGP_TESTING"] = "1"
# Files written by tests (objects, spool) go to a fresh directory, never the developer's var/.
os.environ.setdefault("PIGP_VAR_DIR", tempfile.mkdtemp(prefix="pigp-test-"))

from pigp.settings import *  # noqa: F403

# A file database, so that a worker started by a test (a real subprocess) sees the same data.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}  # noqa: F405
