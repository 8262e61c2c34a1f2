#!/usr/bin/env python
"""The SQL behind each Extranet page on a large ledger: its queries, their time, and the plan of
the slowest.

Uses the database `extranet_load.py` seeds (same options: SQLite in --var-dir, or
--postgres URL for the database x_volume_bench), requests each page of its list once through
Django's test client as a user of the largest collectivité, captures the queries, then runs
each one again under EXPLAIN ANALYZE (PostgreSQL) or times it (SQLite). Printed per page: the
number of queries, the page's own time in process (one request, after a warm-up pass), their
total time and the slowest one (its time as a ratio of the page's
target: the SQL alone must leave room for the rest); then the plan of the `--plans` slowest.

    python benchmarks/extranet_explain.py --postgres postgres://postgres@127.0.0.1:5432/x \\
        --mandats 1000000 --titres 500000
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import extranet_load  # noqa: E402 - the load test's seeding and pages, shared


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", metavar="URL")
    parser.add_argument("--mandats", type=int, default=100_000)
    parser.add_argument("--titres", type=int, default=50_000)
    parser.add_argument("--var-dir", default="/tmp/pigp-bench-extranet")
    parser.add_argument("--plans", type=int, default=3, help="plans printed (the slowest)")
    parser.add_argument("--page", help="print every query of this page with its time")
    args = parser.parse_args()
    args.reseed, args.users = False, 1
    extranet_load.setup_django(args)

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    targets, _cookies = extranet_load._prepare(args)
    from pigp.core.models import User

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(email="charge0@volume.example.fr"))
    for _label, path, _target, _first_byte in targets:  # warm-up: templates, URLs, caches
        client.get(path).close()
    measured: list[tuple[float, str, str]] = []
    print(f"\n{connection.vendor}, {args.mandats} mandats : requêtes SQL de chaque page")
    print(
        f"{'page':<26}{'req.':>6}{'page ms':>9}{'SQL ms':>9}{'max ms':>9}{'cible':>8}"
        f"{'max/cible':>11}"
    )
    for label, path, target, _first_byte in targets:
        start = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
            if getattr(response, "streaming", False):
                for _chunk, _line in zip(range(3), response.streaming_content, strict=False):
                    pass  # the BOM, the headers and the first row, as the load test reads
        wall = time.perf_counter() - start
        if response.status_code != 200:
            raise SystemExit(f"{path} : HTTP {response.status_code}")
        reads = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT")]
        times = [(_timed(connection, sql), sql) for sql in reads]
        slowest = max(times, default=(0.0, ""))
        total = sum(t for t, _sql in times)
        print(
            f"{label:<26}{len(times):>6}{wall * 1000:>9.1f}{total * 1000:>9.1f}"
            f"{slowest[0] * 1000:>9.1f}"
            f"{target * 1000:>8.0f}{slowest[0] / target:>10.2f}×"
        )
        measured += [(t, label, sql) for t, sql in times]
        if label == args.page:
            for t, sql in times:
                print(f"    {t * 1000:8.1f} ms  {sql[:300]}")
    for seconds, label, sql in sorted(measured, reverse=True)[: args.plans]:
        print(f"\n--- {label} : {seconds * 1000:.1f} ms\n{sql}\n")
        print(_plan(connection, sql))


def _timed(connection, sql: str) -> float:  # type: ignore[no-untyped-def]
    """The query's execution time: PostgreSQL's own figure, else the wall clock (best of 3)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
            return float(_json(cursor.fetchone()[0])[0]["Execution Time"]) / 1000
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            cursor.execute(sql)
            cursor.fetchall()
            best = min(best, time.perf_counter() - start)
        return best


def _json(value: object) -> list[dict[str, object]]:
    return value if isinstance(value, list) else json.loads(str(value))


def _plan(connection, sql: str) -> str:  # type: ignore[no-untyped-def]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return "\n".join(" ".join(str(c) for c in row) for row in cursor.fetchall())


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pigp.settings")
    main()
