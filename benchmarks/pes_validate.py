"""Benchmark of PES_Aller validation: pigp vs xmllint --stream vs xmlschema.

    python benchmarks/pes_validate.py            # 10 000 and 100 000 pièces, ~1 GB with PJ
    python benchmarks/pes_validate.py --quick    # 1 000 pièces and ~50 MB, under a minute
    python benchmarks/pes_validate.py --medium   # 10 000 and 100 000 pièces (no 1 GB flow)

Flows are generated (deterministic) into a temporary folder. Each validator runs in its
own child process so that its peak RSS (ru_maxrss) is its own; pigp and xmllint --stream
run alternately three times on each flow under 200 MB and their medians are compared. Targets: ours ≤ 1.5 ×
xmllint, xmlschema ≥ 10 × ours, peak RSS of ours < 300 MB.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

from pigp.formats.pes.generator import generate_pes_aller
from pigp.formats.pes.schemas import MessageKind, schema_path

MB = 1_000_000
XMLLINT = "/usr/bin/xmllint"

OURS = textwrap.dedent(
    """
    import json, re, sys, time
    from pigp.formats.pes import signature  # noqa: F401  (imported on first signed flow)
    from pigp.formats.pes.schemas import MessageKind, get_schema
    from pigp.formats.pes.validator import validate
    get_schema("v5.17", MessageKind.ALLER)  # as xmlschema below: schema built before timing
    t = time.perf_counter()
    report = validate(sys.argv[1])
    elapsed = time.perf_counter() - t
    # VmHWM: ru_maxrss would include the parent's peak (kept across fork + exec)
    status = open("/proc/self/status").read()
    rss = int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)) * 1024
    print(json.dumps({"elapsed": elapsed, "rss": rss, "valid": report.valid,
                      "findings": len(report.findings), "errors": len(report.errors),
                      "first": report.errors[0].message[:160] if report.errors else None}))
    """
)
XMLSCHEMA = textwrap.dedent(
    """
    import json, re, sys, time
    import xmlschema
    t0 = time.perf_counter()
    schema = xmlschema.XMLSchema(sys.argv[2])
    t = time.perf_counter()
    resource_ = xmlschema.XMLResource(sys.argv[1], lazy=True)
    errors = sum(1 for _ in schema.iter_errors(resource_))
    elapsed = time.perf_counter() - t
    status = open("/proc/self/status").read()
    rss = int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)) * 1024
    print(json.dumps({"elapsed": elapsed, "build": t - t0, "rss": rss, "valid": errors == 0,
                      "errors": errors}))
    """
)


@dataclass
class Flow:
    label: str
    path: Path
    size: int
    pieces: int
    pj: int
    signed: bool


@dataclass
class Run:
    elapsed: float | None
    rss: int | None = None
    valid: bool | None = None
    note: str = ""


def _child(code: str, *args: str, timeout: float) -> Run:
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Run(None, note=f"> {timeout:.0f} s (abandonné)")
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return Run(None, note=f"échec : {last[:120]}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    note = f"{data.get('errors', 0)} erreur(s)" if not data["valid"] else ""
    if data.get("first"):
        note += f" — {data['first']}"
    return Run(data["elapsed"], data["rss"], data["valid"], note)


def _xmllint(path: Path, xsd: Path, timeout: float, *, stream: bool = True) -> Run:
    if not Path(XMLLINT).exists():
        return Run(None, note="xmllint absent (paquet Debian libxml2-utils)")
    # --huge: PJ text nodes exceed libxml2's default 10 MB limit.
    cmd = [XMLLINT, *(["--stream"] if stream else []), "--noout", "--huge"]
    cmd += ["--schema", str(xsd), str(path)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return Run(None, note=f"> {timeout:.0f} s")
    elapsed = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    rss = after * 1024 if after > before else None  # max over children: only if it grew
    note = "" if proc.returncode == 0 else (proc.stderr.strip().splitlines() or ["?"])[0][:120]
    return Run(elapsed, rss, proc.returncode == 0, note)


def _generate(folder: Path, quick: bool, medium: bool = False) -> list[Flow]:
    specs: list[tuple[str, dict]] = []
    if medium:
        specs.append(("10 000 pièces, signé", {"bordereaux": 5, "pieces": 1000, "sign": True}))
        specs.append(("100 000 pièces", {"bordereaux": 50, "pieces": 1000}))
    elif quick:
        specs.append(("1 000 pièces, signé", {"bordereaux": 5, "pieces": 100, "sign": True}))
        # Several mid-size PJ: xmllint --stream is quadratic on one huge text node.
        specs.append(
            ("~50 Mo avec PJ", {"bordereaux": 5, "pieces": 100, "pj_sizes": (6 * MB,) * 6})
        )
    else:
        specs.append(("10 000 pièces, signé", {"bordereaux": 5, "pieces": 1000, "sign": True}))
        specs.append(("100 000 pièces", {"bordereaux": 50, "pieces": 1000}))
        specs.append(
            (
                "~1 Go avec PJ (dont 200 Mo)",
                {"bordereaux": 50, "pieces": 1000, "pj_sizes": (200 * MB,) * 3 + (60 * MB,)},
            )
        )
    flows = []
    for i, (label, kw) in enumerate(specs):
        path = folder / f"flow{i}.xml"
        t = time.perf_counter()
        g = generate_pes_aller(path, seed=i, domaine="mixte", **kw)
        print(
            f"  généré {label:<28} {g.size / MB:9.1f} Mo  {g.pieces:>7} pièces "
            f"en {time.perf_counter() - t:5.1f} s",
            flush=True,
        )
        flows.append(Flow(label, path, g.size, g.pieces, g.pj, g.signed))
    return flows


def _load() -> str:
    try:
        with open("/proc/loadavg", encoding="ascii") as fh:
            return "load average " + " ".join(fh.read().split()[:3])
    except OSError:
        return "inconnue"


def _fmt_s(run: Run) -> str:
    return f"{run.elapsed:8.2f}" if run.elapsed is not None else "       -"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 000 pièces et ~50 Mo")
    parser.add_argument(
        "--medium", action="store_true", help="10 000 et 100 000 pièces (sans le flux de 1 Go)"
    )
    parser.add_argument("--keep", type=Path, help="dossier où garder les flux générés")
    parser.add_argument(
        "--xmlschema-max-size",
        type=int,
        default=400 * MB,
        help="au-delà de cette taille, xmlschema n'est pas lancé (trop long)",
    )
    parser.add_argument("--timeout", type=float, default=3600.0)
    parser.add_argument(
        "--xmllint-timeout",
        type=float,
        default=900.0,
        help="xmllint --stream is quadratic on huge text nodes (PJ): cap its run time",
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="mesures de pigp et de xmllint --stream par flux"
    )
    parser.add_argument(
        "--repeat-max-size",
        type=int,
        default=200 * MB,
        help="au-delà de cette taille, une seule mesure de chacun",
    )
    args = parser.parse_args(argv)

    xsd = schema_path("v5.17", MessageKind.ALLER)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="pes_bench_"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"Flux générés dans {folder} (schéma {xsd.name} v5.17)", flush=True)
    try:
        print(f"Charge de la machine : {_load()}", flush=True)
        flows = _generate(folder, args.quick, args.medium)
        rows = []
        for flow in flows:
            print(f"\n{flow.label} ({flow.size / MB:.1f} Mo) :", flush=True)
            # pigp and xmllint --stream alternate, `repeat` times each: the median of each
            # is kept, so that a burst of load on the machine does not decide the ratio.
            repeat = args.repeat if flow.size <= args.repeat_max_size else 1
            ours_runs, lint_runs = [], []
            for _ in range(repeat):
                ours_runs.append(_child(OURS, str(flow.path), timeout=args.timeout))
                lint_runs.append(_xmllint(flow.path, xsd, args.xmllint_timeout))
            ours, lint = _median(ours_runs), _median(lint_runs)
            print(
                f"  pigp             {_fmt_s(ours)} s  {_spread(ours_runs)}{ours.note}", flush=True
            )
            print(
                f"  xmllint --stream {_fmt_s(lint)} s  {_spread(lint_runs)}{lint.note}", flush=True
            )
            tree = _xmllint(flow.path, xsd, args.xmllint_timeout, stream=False)
            print(f"  xmllint (arbre)  {_fmt_s(tree)} s  {tree.note}", flush=True)
            if flow.size > args.xmlschema_max_size:
                xs = Run(None, note=f"non lancé (> {args.xmlschema_max_size / MB:.0f} Mo)")
            else:
                xs = _child(XMLSCHEMA, str(flow.path), str(xsd), timeout=args.timeout)
            print(f"  xmlschema        {_fmt_s(xs)} s  {xs.note}", flush=True)
            rows.append((flow, ours, lint, tree, xs))
        _summary(rows)
        print(f"Charge de la machine en fin de mesure : {_load()}")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


def _median(runs: list[Run]) -> Run:
    timed = sorted((r for r in runs if r.elapsed is not None), key=lambda r: r.elapsed or 0.0)
    return timed[len(timed) // 2] if timed else runs[0]


def _spread(runs: list[Run]) -> str:
    times = [f"{r.elapsed:.2f}" for r in runs if r.elapsed is not None]
    return f"(médiane de {' / '.join(times)}) " if len(times) > 1 else ""


def _ratio(a: Run, b: Run, fmt: str) -> str:
    return format(a.elapsed / b.elapsed, fmt) + "×" if a.elapsed and b.elapsed else "-"


def _summary(rows) -> None:
    print("\nRésumé (secondes ; RSS = pic mémoire du processus de validation pigp)")
    header = (
        f"{'flux':<30}{'Mo':>8}{'pigp':>9}{'lint-str':>9}{'lint-arb':>9}{'xmlschema':>10}"
        f"{'pigp/str':>10}{'pigp/arb':>10}{'xmlsch/pigp':>12}{'RSS pigp':>10}"
    )
    print(header)
    print("-" * len(header))
    for flow, ours, lint, tree, xs in rows:
        rss = f"{ours.rss / MB:.0f} Mo" if ours.rss else "-"
        print(
            f"{flow.label:<30}{flow.size / MB:8.1f}{_fmt_s(ours):>9}{_fmt_s(lint):>9}"
            f"{_fmt_s(tree):>9}{_fmt_s(xs):>10}{_ratio(ours, lint, '.2f'):>10}"
            f"{_ratio(ours, tree, '.2f'):>10}{_ratio(xs, ours, '.1f'):>12}{rss:>10}"
        )
    print(
        "lint-str = xmllint --stream --noout --huge --schema ; lint-arb = le même sans --stream.\n"
        "Cibles : pigp/xmllint --stream ≤ 1.5×, xmlschema/pigp ≥ 10×, RSS pigp < 300 Mo."
    )


if __name__ == "__main__":
    sys.exit(main())
