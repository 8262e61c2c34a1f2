#!/usr/bin/env python
"""Hélios at volume: reception into the ledger, a payment run, a camt import.

On a fresh portal (temporary PIGP_VAR_DIR, migrated database; SQLite by default,
`--database-url` for another one, `--both` for SQLite and the local PostgreSQL
postgres://postgres@127.0.0.1:5432/postgres when it answers, in its own database `pigp_bench`
created and dropped here), prints side by side:

1. reception of one N-pièce PES_Aller (default 100 000 mandats) into the ledger: the bare
   `pigp.formats.pes.validate` of the file, the gateway's processing (validation + acquit),
   then `helios.reception.ingest` (pièces per second, and ratio to the bare validation);
2. a payment run over the N mandats taken in charge (`helios.money.payments.run_payments`):
   seconds and queries issued;
3. the import of a camt.053 of 50 000 credit lines, each matching a titre
   (`helios.money.statements.import_camt`): seconds and queries issued.

    python benchmarks/helios_volume.py [--pieces 100000] [--camt-lines 50000] [--quick] [--both]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # Django is set up by the child process before these are imported
    from pigp.core.models import Budget, Collectivite
    from pigp.helios.reception import IngestResult

T = TypeVar("T")

REPO = Path(__file__).resolve().parents[1]
PG_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PG_BENCH = "pigp_bench"
MAX_PER_BORDEREAU = 50_000


# --- child: one database ------------------------------------------------------------------


def _bootstrap(database_url: str, var_dir: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "pigp.settings"
    os.environ["PIGP_VAR_DIR"] = str(var_dir)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    sys.path.insert(0, str(REPO / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


class QueryCounter:
    """Counts the statements sent to the database (execute_wrapper: no SQL kept in memory)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(
        self,
        execute: Callable[[str, Any, bool, dict[str, Any]], Any],
        sql: str,
        params: Any,
        many: bool,
        context: dict[str, Any],
    ) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


def _counted(fn: Callable[[], T]) -> tuple[T, float, int]:
    from django.db import connection

    counter = QueryCounter()
    start = time.perf_counter()
    with connection.execute_wrapper(counter):
        result = fn()
    return result, time.perf_counter() - start, counter.count


def _flow(
    path: Path,
    coll: Collectivite,
    budget: Budget,
    *,
    domaine: str,
    pieces: int,
    seed: int,
    exercice: int,
) -> None:
    from pigp.formats.pes.generator import generate_pes_aller

    bordereaux = max(1, -(-pieces // MAX_PER_BORDEREAU))
    generate_pes_aller(
        path,
        seed=seed,
        bordereaux=bordereaux,
        pieces=-(-pieces // bordereaux),
        lignes=1,
        domaine=domaine,  # type: ignore[arg-type]
        id_post=coll.poste.codique,
        id_coll=coll.siret,
        cod_col=budget.cod_col,
        cod_bud=budget.cod_bud,
        exercice=exercice,
        nom_fic=path.stem,
    )


def _receive(path: Path, coll: Collectivite) -> tuple[IngestResult, float, float, int]:
    """Deposit, then run the gateway's processing and the ledger's ingestion here, timed."""
    from pigp.helios.reception import ingest
    from pigp.passerelle import intake
    from pigp.passerelle.models import Flux
    from pigp.passerelle.pipeline import process_flux

    with path.open("rb") as fh:
        [received] = intake.receive(fh, filename=path.name, collectivite=coll, canal="api")
    start = time.perf_counter()
    process_flux.call(flux_id=received.flux.pk)
    gateway = time.perf_counter() - start
    flux = Flux.objects.select_related("budget", "fichier", "collectivite").get(pk=received.flux.pk)
    if flux.statut != "acquitte":
        raise SystemExit(f"flux refusé : {flux.message}")
    result, seconds, queries = _counted(lambda: ingest(flux))
    return result, gateway, seconds, queries


def child(args: argparse.Namespace) -> dict:
    import datetime
    from decimal import Decimal

    var_dir = Path(tempfile.mkdtemp(prefix="pigp-bench-"))
    try:
        _bootstrap(args.database_url, var_dir)
        from django.db import connection

        from pigp.core.models import Budget, Collectivite, PosteComptable
        from pigp.formats import pes, sepa
        from pigp.helios.models import CompteTresor, EtatPiece, Piece

        out: dict = {"database": connection.vendor, "pieces": args.pieces}
        poste = PosteComptable.objects.create(codique="031042", nom="SGC de Muret")
        CompteTresor.objects.create(
            poste=poste,
            titulaire="SGC DE MURET",
            iban="FR7630001000000000003104224",
            bic="BDFEFRPP",
        )
        coll = Collectivite.objects.create(
            siret="21310395500018", nom="Commune de Muret", nature="commune", poste=poste
        )
        budget = Budget.objects.create(
            collectivite=coll, cod_col="395", cod_bud="00", libelle="Budget principal"
        )

        # 1. Reception.
        path = var_dir / "PES_BENCH_DEP.xml"
        _flow(path, coll, budget, domaine="depense", pieces=args.pieces, seed=1, exercice=2026)
        pes.validate(path)  # warm-up: schema compiled and cached, as in the worker
        start = time.perf_counter()
        report = pes.validate(path)
        out["validate_s"] = time.perf_counter() - start
        out["file_mb"] = path.stat().st_size / 1e6
        assert report.valid, report.errors[:3]
        result, gateway, ingest_s, ingest_q = _receive(path, coll)
        out.update(
            gateway_s=gateway,
            ingest_s=ingest_s,
            ingest_queries=ingest_q,
            ingested=result.pieces,
        )

        # 2. Payment run over the N mandats, taken in charge first (setup, not timed).
        Piece.objects.filter(collectivite=coll, domaine="depense").update(
            etat=EtatPiece.PRISE_EN_CHARGE, date_prise_en_charge=datetime.date(2026, 4, 1)
        )
        try:
            from pigp.helios.money import payments
        except ImportError:
            out["payments"] = "absent (pigp.helios.money.payments)"
        else:
            run, seconds, queries = _counted(
                lambda: payments.run_payments(coll, datetime.date(2026, 4, 15), actor="bench")
            )
            out.update(pay_s=seconds, pay_queries=queries, paid=run.paid)

        # 3. camt import: a recette flow of L titres, a statement paying each one.
        lines = args.camt_lines
        path = var_dir / "PES_BENCH_REC.xml"
        _flow(path, coll, budget, domaine="recette", pieces=lines, seed=2, exercice=2025)
        _receive(path, coll)
        titres = Piece.objects.filter(collectivite=coll, domaine="recette")
        titres.update(etat=EtatPiece.PRISE_EN_CHARGE)
        try:
            from pigp.helios.money import statements
        except ImportError:
            out["camt"] = "absent (pigp.helios.money.statements)"
        else:
            stmt = [
                sepa.StatementLine(
                    amount=reste,
                    direction=sepa.CreditDebit.CREDIT,
                    booking_date=datetime.date(2025, 5, 12),
                    remittance=f"TITRE {id_pce}",
                    reference=f"T{annee}-{id_bord}-{id_pce}",
                )
                for id_pce, id_bord, annee, reste in titres.values_list(
                    "id_pce", "bordereau__id_bord", "exercice__annee", "reste_a_recouvrer"
                ).order_by("pk")[:lines]
                if reste > Decimal("0")
            ]
            content = sepa.write_camt(
                "FR7630001000000000003104224",
                stmt,
                statement_id="BENCH-1",
                created=datetime.datetime(2025, 5, 12, 18, tzinfo=datetime.UTC),
            )
            imported, seconds, queries = _counted(
                lambda: statements.import_camt(coll, content, "bench.xml", actor="bench")
            )
            out.update(
                camt_lines=len(stmt),
                camt_s=seconds,
                camt_queries=queries,
                camt_matched=imported.rapprochees,
            )
        return out
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


# --- parent: one child per database, figures side by side --------------------------------


def _pg_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_URL, connect_timeout=3):
            return True
    except Exception:
        return False


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(sql)


def _run_child(args: argparse.Namespace, database_url: str) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        "--pieces",
        str(args.pieces),
        "--camt-lines",
        str(args.camt_lines),
        "--database-url",
        database_url,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        return {"database": database_url or "sqlite", "error": proc.stderr.strip()[-300:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _fmt(value: object, spec: str = ".2f") -> str:
    if value is None:
        return "—"
    return format(value, spec) if isinstance(value, (int, float)) else str(value)


def report(results: list[dict], args: argparse.Namespace) -> None:
    rows = [
        ("PES_Aller", lambda r: f"{r['pieces']} mandats, {r['file_mb']:.1f} MB"),
        ("bare validation (s)", lambda r: _fmt(r.get("validate_s"))),
        ("gateway processing (s)", lambda r: _fmt(r.get("gateway_s"))),
        ("ledger ingest (s)", lambda r: _fmt(r.get("ingest_s"))),
        ("ingest: pièces/s", lambda r: _fmt(r["ingested"] / r["ingest_s"], ",.0f")),
        ("ingest / validation", lambda r: f"{r['ingest_s'] / r['validate_s']:.2f}×"),
        (
            "(gateway+ingest) / validation",
            lambda r: f"{(r['gateway_s'] + r['ingest_s']) / r['validate_s']:.2f}×",
        ),
        ("ingest queries", lambda r: _fmt(r.get("ingest_queries"), "d")),
        ("payment run (s)", lambda r: _fmt(r.get("pay_s", r.get("payments")))),
        ("payment run: mandats paid", lambda r: _fmt(r.get("paid"), "d")),
        ("payment run: queries", lambda r: _fmt(r.get("pay_queries"), "d")),
        ("camt.053 lines", lambda r: _fmt(r.get("camt_lines", r.get("camt")), "d")),
        ("camt import (s)", lambda r: _fmt(r.get("camt_s"))),
        ("camt: lines matched", lambda r: _fmt(r.get("camt_matched"), "d")),
        ("camt: queries", lambda r: _fmt(r.get("camt_queries"), "d")),
    ]
    ok = [r for r in results if "error" not in r]
    width = 32
    print(f"\nHélios volume — {args.pieces} mandats, {args.camt_lines} lignes camt")
    print(f"{'':<{width}}" + "".join(f"{r['database']:>24}" for r in ok))
    for label, fn in rows:
        cells = []
        for r in ok:
            try:
                cells.append(fn(r))
            except (KeyError, TypeError, ZeroDivisionError):
                cells.append("—")
        print(f"{label:<{width}}" + "".join(f"{c:>24}" for c in cells))
    for r in results:
        if "error" in r:
            print(f"{r['database']}: ÉCHEC — {r['error']}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pieces", type=int, default=100_000)
    parser.add_argument("--camt-lines", type=int, default=50_000)
    parser.add_argument("--quick", action="store_true", help="5 000 mandats, 5 000 lignes camt")
    parser.add_argument("--database-url", default="", help="default: SQLite in a temporary dir")
    parser.add_argument(
        "--both", action="store_true", help="SQLite, and the local PostgreSQL if it answers"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.pieces, args.camt_lines = 5_000, 5_000
    if args.child:
        print(json.dumps(child(args)))
        return
    targets = [args.database_url]
    pg = False
    if args.both:
        targets = [""]
        if _pg_reachable():
            pg = True
            _pg_admin(f"DROP DATABASE IF EXISTS {PG_BENCH}")
            _pg_admin(f"CREATE DATABASE {PG_BENCH}")
            targets.append(PG_URL.rsplit("/", 1)[0] + f"/{PG_BENCH}")
        else:
            print("PostgreSQL ne répond pas sur 127.0.0.1:5432 : SQLite seul.")
    try:
        results = [_run_child(args, url) for url in targets]
    finally:
        if pg:
            _pg_admin(f"DROP DATABASE IF EXISTS {PG_BENCH} WITH (FORCE)")
    report(results, args)


if __name__ == "__main__":
    main()
