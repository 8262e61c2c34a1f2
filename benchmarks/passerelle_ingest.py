#!/usr/bin/env python
"""Passerelle ingest through the HTTP API on loopback, against the bare PES validation.

A fresh portal (temporary var dir, SQLite by default or --database-url) is served by
`runserver` with its `pigp_worker`; a service-account token deposits:
  1. one generated flow of N pièces (default 10 000): time from the first byte sent to the
     acknowledgement being available, against `pigp.formats.pes.validate` of the same file
     in this process (target: gateway at most 1.3× the bare validation);
  2. 100 small flows at once from 10 threads: time until all are acknowledged.

    python benchmarks/passerelle_ingest.py [--pieces 10000] [--small 100] [--quick]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FINAL = {"acquitte", "refuse", "transmis", "information", "erreur", "annule"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"port {port} never opened")


class Api:
    def __init__(self, port: int, token: str) -> None:
        self.base = f"http://127.0.0.1:{port}/api/v1"
        self.headers = {"Authorization": f"Bearer {token}"}

    def deposit(self, path: Path, collectivite: int) -> int:
        size = path.stat().st_size
        with path.open("rb") as body:
            req = urllib.request.Request(
                f"{self.base}/flux/?filename={path.name}&collectivite={collectivite}",
                data=body,
                method="POST",
                headers={
                    **self.headers,
                    "Content-Type": "application/xml",
                    "Content-Length": str(size),
                },
            )
            with urllib.request.urlopen(req, timeout=600) as resp:
                return json.load(resp)["id"]

    def flux(self, flux_id: int) -> dict:
        req = urllib.request.Request(f"{self.base}/flux/{flux_id}/", headers=self.headers)
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.load(resp)

    def status(self, flux_id: int) -> str:
        return self.flux(flux_id)["statut"]

    def settled_at(self, flux_id: int) -> float:
        """When the server set the flow's final status (epoch seconds, same machine clock)."""
        return datetime.datetime.fromisoformat(self.flux(flux_id)["status_changed_at"]).timestamp()

    def wait_final(self, flux_id: int, timeout: float = 600) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            statut = self.status(flux_id)
            if statut in FINAL:
                return statut
            # Each poll costs the server some CPU on a 2-core machine: poll gently.
            time.sleep(0.1)
        raise RuntimeError(f"flux {flux_id} not final after {timeout}s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pieces", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--threads", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3, help="big flows measured (median)")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--quick", action="store_true", help="1 000 pièces and 20 small flows")
    args = parser.parse_args()
    if args.quick:
        args.pieces, args.small = 1000, 20

    tmp = Path(tempfile.mkdtemp(prefix="pigp-bench-passerelle-"))
    env = {
        **os.environ,
        "PIGP_VAR_DIR": str(tmp),
        "DJANGO_SETTINGS_MODULE": "pigp.settings",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("PIGP_TESTING", None)
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    os.environ.update(env)
    sys.path.insert(0, str(REPO / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    from pigp.core.models import Budget, Collectivite, PosteComptable, User
    from pigp.formats.pes import validate
    from pigp.formats.pes.generator import generate_pes_aller
    from pigp.helios.models import Piece
    from pigp.passerelle.accounts import issue_token
    from pigp.passerelle.models import ServiceAccount

    procs: list[subprocess.Popen] = []
    try:
        call_command("migrate", verbosity=0)
        poste = PosteComptable.objects.create(codique="031042", nom="Poste de mesure")
        coll = Collectivite.objects.create(
            siret="21310555400017",
            nom="Collectivité de mesure",
            nature="commune",
            poste=poste,
            departement="31",
        )
        budget = Budget.objects.create(
            collectivite=coll, cod_col="055", cod_bud="00", libelle="Principal"
        )
        admin = User.objects.create_user(email="bench@example.fr", password=None)
        account = ServiceAccount.objects.create(
            name="mesure", applications=["passerelle"], can_write=True, created_by=admin
        )
        account.collectivites.add(coll)
        token = issue_token(admin, account).clear

        common = {
            "id_post": poste.codique,
            "id_coll": coll.siret,
            "cod_col": budget.cod_col,
            "cod_bud": budget.cod_bud,
        }
        bigs = []
        for i in range(args.repeat):
            big = tmp / f"gros_flux_{i}.xml"
            info = generate_pes_aller(
                big,
                seed=1,
                bordereaux=10,
                pieces=args.pieces // 10,
                lignes=1,
                exercice=2020 + i,
                nom_fic=f"GROS_{i}",
                **common,
            )
            bigs.append(big)
        small = []
        for i in range(args.small + 1):
            path = tmp / f"petit_{i:03d}.xml"
            generate_pes_aller(
                path, seed=100 + i, pieces=3, exercice=1900 + i, nom_fic=f"PETIT_{i:03d}", **common
            )
            small.append(path)

        lib_times = []
        for big in bigs:
            t0 = time.perf_counter()
            report = validate(big)
            lib_times.append(time.perf_counter() - t0)
            assert report.valid, report.errors[:3]
        t_lib = statistics.median(lib_times)

        port = _free_port()
        out = (tmp / "server.log").open("wb")
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "runserver",
                    f"127.0.0.1:{port}",
                    "--noreload",
                    "--skip-checks",
                ],
                cwd=REPO,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        )
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "pigp_worker",
                    "--interval",
                    os.environ.get("PIGP_BENCH_WORKER_INTERVAL", "0.05"),
                ],
                cwd=REPO,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        )
        _wait_port(port)
        api = Api(port, token)
        # Warm up: runserver imports the URLconf (DRF, the apps) on its first request, and
        # the worker compiles the PES schemas on its first flow; neither is what we measure.
        urllib.request.urlopen(
            urllib.request.Request(f"{api.base}/flux/", headers=api.headers), timeout=60
        ).close()
        api.wait_final(api.deposit(small[-1], coll.pk))
        small = small[:-1]

        gw_times, ledger_times = [], []
        for big in bigs:
            t0 = time.perf_counter()
            wall0 = time.time()
            flux_id = api.deposit(big, coll.pk)
            statut = api.wait_final(flux_id)
            # From the request's start to the moment the server stored the acknowledgement
            # (its status_changed_at), not to our poll that saw it (polls are 0.1 s apart).
            gw_times.append(api.settled_at(flux_id) - wall0)
            # The worker then takes the flow into Hélios' ledger (a task of its own): wait
            # for it, so the next measurement does not queue behind it.
            while Piece.objects.filter(bordereau__flux_id=flux_id).count() < info.pieces:
                time.sleep(0.05)
            ledger_times.append(time.perf_counter() - t0)
        t_gw = statistics.median(gw_times)
        t_ledger = statistics.median(ledger_times)

        t0 = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(args.threads) as pool:
            ids = list(pool.map(lambda p: api.deposit(p, coll.pk), small))
            statuts = list(pool.map(api.wait_final, ids))
        t_small = time.perf_counter() - t0

        engine = "PostgreSQL" if args.database_url.startswith("postgres") else "SQLite"
        print(f"passerelle_ingest ({engine}, {info.pieces} pièces, {info.size / 1e6:.1f} Mo)")
        print(f"  median of {len(bigs)} flows")
        print(f"  bare PES validation (pigp.formats.pes.validate) : {t_lib:8.2f} s")
        print(f"  gateway: API deposit -> acknowledgement ({statut}) : {t_gw:8.2f} s")
        print(
            f"  gateway times, each flow                     : {', '.join(f'{t:.2f}' for t in gw_times)} s"
        )
        print(f"  deposit -> pièces in Hélios' ledger          : {t_ledger:8.2f} s")
        print(
            f"  gateway throughput                           : {info.pieces / t_gw:8.0f} pièces/s"
        )
        print(
            f"  ratio gateway / bare validation              : {t_gw / t_lib:8.2f}x  (target <= 1.3x)"
        )
        done = sum(s in FINAL for s in statuts)
        print(
            f"  {len(small)} small flows, {args.threads} threads            : {t_small:8.2f} s"
            f"  ({done} final: {sorted(set(statuts))}, {len(set(ids))} distinct flows)"
        )
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if os.environ.get("PIGP_BENCH_KEEP"):
            print(f"  (kept {tmp})")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
