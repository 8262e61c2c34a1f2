"""Each log line is written once (issue 9: every Not Found, Forbidden and 500 appeared twice).

A real process with the project's settings, under DEBUG as `make run` has it: the request's
"Not Found" line is counted on its standard error.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import django, logging
django.setup()
from django.test import Client
Client(HTTP_HOST="localhost").get("/api/adresse-inconnue/")
logging.getLogger("django.request").error("Internal Server Error: /sonde-500/")
logging.getLogger("django.security.csrf").warning("Forbidden (CSRF token missing.): /sonde/")
logging.getLogger("pigp.passerelle").warning("ligne de la passerelle")
"""


@pytest.mark.parametrize("debug", ["1", "0"])
def test_each_log_line_is_written_once(debug, tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pigp.settings",
        "DEBUG": debug,
        "PIGP_TESTING": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'vide.sqlite3'}",
    }
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    lines = run.stderr.splitlines()

    def count(message: str) -> int:
        return sum(1 for line in lines if line.endswith(f"] {message}"))

    assert count("Not Found: /api/adresse-inconnue/") == 1, run.stderr
    assert count("Internal Server Error: /sonde-500/") == 1, run.stderr
    assert count("Forbidden (CSRF token missing.): /sonde/") == 1, run.stderr
    assert count("ligne de la passerelle") == 1, run.stderr
    # Each line names its request: the id the response carried, « - » outside a request.
    [not_found] = [line for line in lines if line.endswith("Not Found: /api/adresse-inconnue/")]
    assert re.search(r"WARNING django.request \[[0-9a-f]{16}\] Not Found", not_found), not_found
    [passerelle] = [line for line in lines if line.endswith("ligne de la passerelle")]
    assert "[-] ligne de la passerelle" in passerelle
