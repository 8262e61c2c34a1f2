"""Memory stays bounded: a flow with a large PJ is validated and read in a child process
whose peak RSS is measured (RSS counts libxml2's allocations, tracemalloc would not)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

if not Path("/proc/self/status").is_file():
    pytest.skip("needs /proc (Linux) to read the peak RSS", allow_module_level=True)

from pigp.formats.pes.generator import generate_pes_aller

PJ_SIZE = 60_000_000  # 60 MB document, about 80 MB of base64 in the flow
RSS_LIMIT_MB = 150


@pytest.fixture(scope="module")
def big_flow(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pes") / "gros_flux.xml"
    generate_pes_aller(path, seed=3, bordereaux=1, pieces=2000, pj=1, pj_sizes=(PJ_SIZE,))
    return path


def _peak_rss_mb(code: str) -> tuple[float, str]:
    # VmHWM is the peak of this process image only (ru_maxrss would also count the
    # memory of the pytest process it was forked from).
    script = textwrap.dedent(code) + textwrap.dedent(
        """
        from pathlib import Path
        status = Path("/proc/self/status").read_text()
        hwm = next(line for line in status.splitlines() if line.startswith("VmHWM"))
        print("RSS", int(hwm.split()[1]) / 1024)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=True
    )
    rss = float(done.stdout.rsplit("RSS", 1)[1])
    return rss, done.stdout


def test_validation_of_a_flow_with_a_large_pj_has_bounded_memory(big_flow: Path) -> None:
    assert big_flow.stat().st_size > 75_000_000
    rss, out = _peak_rss_mb(
        f"""
        from pigp.formats.pes import validate
        report = validate({str(big_flow)!r})
        print("VALID", report.valid, [f.message for f in report.findings][:3])
        """
    )
    assert "VALID True" in out
    assert rss < RSS_LIMIT_MB, out


def test_reading_a_flow_with_a_large_pj_has_bounded_memory(big_flow: Path) -> None:
    rss, out = _peak_rss_mb(
        f"""
        import hashlib
        from pigp.formats.pes import read_pes_aller
        from pigp.formats.pes.records import Pj
        pjs = [x for x in read_pes_aller({str(big_flow)!r}) if isinstance(x, Pj)]
        print("SIZE", pjs[0].content.size)
        """
    )
    assert f"SIZE {PJ_SIZE}" in out
    assert rss < RSS_LIMIT_MB, out
