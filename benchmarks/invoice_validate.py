"""Benchmark of e-invoice validation: pigp (all layers) against the bare factur-x XSD check.

    python benchmarks/invoice_validate.py [REFERENCE_DIR] [--repeat 20] [--rounds 3]

REFERENCE_DIR is ``shared/reference`` (or its ``einvoice`` folder); by default the
``../shared/reference`` beside this clone. Its UBL, CII and Factur-X XML samples are validated
``--repeat`` times each, in the same process, alternately by:

* pigp: ``pigp.formats.invoice.validate(data)``: safety, detection, XSD, Schematron (EN 16931 or
  the profile's rules, then BR-FR) and extraction, stylesheets compiled beforehand;
* pigp, XSD only: the same with ``schematron=False``;
* factur-x: ``facturx.xml_check_xsd(data)``, the package's own XSD check (parse + XSD).

The medians of ``--rounds`` alternating rounds are compared (invoices per second and ratios).
Then the Schematron layer alone: the compile time of each stylesheet (once per process) and
the cost of one run per sample, once compiled. Target: < 50 ms for a typical invoice.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from facturx import xml_check_xsd

from pigp.formats.invoice import detect, validate
from pigp.formats.invoice import schematron as sch

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REFERENCE = ROOT.parent / "shared" / "reference"
TARGET_MS = 50.0


def samples(reference: Path) -> list[tuple[str, bytes]]:
    base = reference / "einvoice" if (reference / "einvoice").is_dir() else reference
    found = sorted(
        p
        for sub in ("ubl", "cii", "facturx")
        for p in (base / sub).glob("*")
        if p.suffix.lower() == ".xml"
    )
    if not found:
        sys.exit(f"no e-invoice sample under {base} (ubl/, cii/, facturx/): give REFERENCE_DIR")
    return [(f"{p.parent.name}/{p.name}", p.read_bytes()) for p in found]


def load(when: str) -> None:
    print(f"load average ({when}): {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")


def _factur_x(data: bytes) -> bool:
    try:
        return bool(xml_check_xsd(data))
    except Exception:  # the package raises a bare Exception on an invalid file
        return False


def compile_all(files: list[tuple[str, bytes]]) -> list[tuple[str, float]]:
    """Compile (and time) every stylesheet the samples need, first the Saxon processor."""
    timings = []
    t = time.perf_counter()
    with sch._lock:
        from saxonche import PySaxonProcessor

        sch._state.setdefault("processor", PySaxonProcessor(license=False))
    timings.append(("(Saxon processor)", time.perf_counter() - t))
    seen: set[str] = set()
    for _, data in files:
        d = detect(data)
        assert d.syntax is not None
        for sheet in sch.stylesheets(d.syntax, d.profile):
            if sheet.rel in seen:
                continue
            seen.add(sheet.rel)
            t = time.perf_counter()
            with sch._lock:
                sch._executable(sheet.rel)
            timings.append((sheet.rel, time.perf_counter() - t))
    return timings


def batch(fn: Callable[[bytes], object], files: list[tuple[str, bytes]], repeat: int) -> float:
    t = time.perf_counter()
    for _ in range(repeat):
        for _, data in files:
            fn(data)
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reference", nargs="?", type=Path, default=DEFAULT_REFERENCE)
    parser.add_argument("--repeat", type=int, default=20, help="passes over the samples")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (median)")
    args = parser.parse_args()
    logging.getLogger("facturx").setLevel(logging.WARNING)
    files = samples(args.reference)
    load("start")
    print(f"{len(files)} samples × {args.repeat} = {len(files) * args.repeat} validations a round")

    print("\n== Schematron: compile once per process ==")
    compiled = compile_all(files)
    for rel, seconds in compiled:
        print(f"  {seconds * 1000:8.0f} ms  {rel}")
    total = sum(s for _, s in compiled)
    print(f"  {total * 1000:8.0f} ms  total, {len(compiled) - 1} stylesheets")

    verdicts = {name: validate(data).valid for name, data in files}  # warm-up (XSD caches)
    xsd_ok = {name: _factur_x(data) for name, data in files}
    for name, _ in files:
        if not (verdicts[name] and xsd_ok[name]):
            print(f"  note: {name} pigp valid={verdicts[name]} factur-x XSD ok={xsd_ok[name]}")

    print("\n== Throughput (median of alternating rounds) ==")
    runners: list[tuple[str, Callable[[bytes], object]]] = [
        ("pigp, all layers", validate),
        ("pigp, XSD only", lambda data: validate(data, schematron=False)),
        ("factur-x xml_check_xsd", _factur_x),
    ]
    times: dict[str, list[float]] = {label: [] for label, _ in runners}
    for _ in range(args.rounds):
        for label, fn in runners:
            times[label].append(batch(fn, files, args.repeat))
    n = len(files) * args.repeat
    med = {label: statistics.median(t) for label, t in times.items()}
    anchor = med["factur-x xml_check_xsd"]
    print(f"  {'':26} {'invoices/s':>11} {'ms/invoice':>11} {'× factur-x time':>16}")
    for label, _ in runners:
        rate = n / med[label]
        print(
            f"  {label:26} {rate:11.1f} {med[label] / n * 1000:11.2f} {med[label] / anchor:15.2f}×"
        )
    print(
        f"  pigp XSD layer vs factur-x XSD: {med['pigp, XSD only'] / anchor:.2f}×; "
        f"full validation costs {med['pigp, all layers'] / med['pigp, XSD only']:.1f}× the XSD only"
    )

    print(f"\n== Schematron layer per invoice, compiled (median of {args.repeat}) ==")
    costs = []
    for name, data in files:
        d = detect(data)
        assert d.root is not None and d.syntax is not None
        runs = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            sch.validate_schematron(d.root, d.syntax, d.profile)
            runs.append(time.perf_counter() - t)
        ms = statistics.median(runs) * 1000
        costs.append(ms)
        print(f"  {ms:8.1f} ms  {name} ({d.profile}, {len(data) // 1024} KiB)")
    typical = statistics.median(costs)
    verdict = "met" if typical < TARGET_MS else "NOT met"
    print(
        f"  median {typical:.1f} ms, max {max(costs):.1f} ms: target < {TARGET_MS:.0f} ms {verdict}; "
        f"compile once {total:.2f} s = {total * 1000 / typical:.0f} runs"
    )
    load("end")


if __name__ == "__main__":
    main()
