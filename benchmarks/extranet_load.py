#!/usr/bin/env python
"""The Extranet under load: 20 users at once on a large ledger, p50 / p95 / p99 per page.

Seeds a database with `manage.py seed_volume` (or reuses one already seeded), starts the portal
on 127.0.0.1 as in production (gunicorn, `--workers` processes of 8 threads), opens one session
per virtual user (a user of the largest collectivité, with an extranet habilitation), then a
thread pool of `--users` workers requests every page `--rounds` times each, in a shuffled
order, within `--duration` seconds; the CSV export `--exports` times per user (a download is
rarer than a page, and each reads the whole file, as a person's does). Like locust's users, each waits between two requests (a
person reading the page: `--think` seconds, uniformly drawn between its two bounds; `--think 0
0` measures the server saturated instead). Printed per page: requests, errors, p50, p95, p99,
the target and the ratio p95 / target (the anchor: ≤ 1 meets it). The CSV export is timed to
its first byte.

    python benchmarks/extranet_load.py                       # SQLite, 100 000 mandats
    python benchmarks/extranet_load.py --postgres postgres://postgres@127.0.0.1:5432/x \\
        --mandats 1000000 --titres 500000                   # database x_volume_bench

The seeded database is kept (SQLite in --var-dir, PostgreSQL in x_volume_bench) and reused by
the next run with the same volume; --reseed starts again.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit, urlunsplit

if TYPE_CHECKING:  # Django is set up in main() before these are imported
    from pigp.core.models import Collectivite

REPO = Path(__file__).resolve().parents[1]
PG_DB = "x_volume_bench"
TARGET_PAGE, TARGET_DASHBOARD, TARGET_FIRST_BYTE = 0.200, 0.300, 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", metavar="URL", help=f"PostgreSQL server (database {PG_DB})")
    parser.add_argument("--mandats", type=int, default=100_000)
    parser.add_argument("--titres", type=int, default=50_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5, help="requests per page and user")
    parser.add_argument("--duration", type=float, default=300, help="seconds at most")
    parser.add_argument("--think", type=float, nargs=2, default=(1.0, 3.0), metavar=("MIN", "MAX"))
    parser.add_argument("--workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument(
        "--exports", type=int, default=1, help="CSV exports per user (downloaded whole)"
    )
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--var-dir", default="/tmp/pigp-bench-extranet")
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args()

    env = setup_django(args)
    _load_average("début")
    targets, cookies = _prepare(args)
    server = _start_server(args, env)
    try:
        base = f"http://127.0.0.1:{args.port}"
        for _label, path, _target, first_byte in targets:  # warm-up, and a check of each page
            status, _s = _get(base + path, cookies[0], first_byte)
            if status != 200:
                raise SystemExit(f"{path} : HTTP {status}")
        results = _load(base, targets, cookies, args)
    finally:
        server.terminate()
        server.wait(timeout=30)
    _report(targets, results, args)
    _load_average("fin")


def setup_django(args: argparse.Namespace) -> dict[str, str]:
    """Point Django at the benchmark's database (created when missing); the environment the
    server is started with."""
    env = dict(os.environ, PIGP_VAR_DIR=args.var_dir, DJANGO_SETTINGS_MODULE="pigp.settings")
    env.pop("DEBUG", None)
    if args.postgres:
        parts = urlsplit(args.postgres)
        env["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{PG_DB}"))
    else:
        env.pop("DATABASE_URL", None)
    os.environ.clear()
    os.environ.update(env)
    Path(args.var_dir).mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(REPO / "src"))
    import django

    django.setup()
    if args.postgres:
        _create_pg_database()
    return env


def _load_average(when: str) -> None:
    print(f"Charge de la machine ({when}) : {' / '.join(f'{x:.1f}' for x in os.getloadavg())}")


def _create_pg_database() -> None:
    from django.db import connection

    with connection._nodb_cursor() as cursor:  # the server's maintenance database
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [PG_DB])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{PG_DB}"')


def _prepare(args: argparse.Namespace) -> tuple[list[tuple[str, str, float, bool]], list[str]]:
    """Seed (or reuse) the database; the pages to request; one session cookie per user."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from pigp.core.models import Collectivite
    from pigp.helios.models import Piece
    from pigp.helios.volume import SEED_CODIQUE

    call_command("migrate", verbosity=0)
    seeded = Piece.objects.filter(collectivite__poste__codique=SEED_CODIQUE)
    have = seeded.filter(domaine="depense").count()
    if have != args.mandats or args.reseed:
        if have or args.reseed:
            raise SystemExit(
                f"La base tient {have} mandats du jeu de volume, pas {args.mandats} : "
                "videz-la (ou un autre --var-dir) avant de relancer."
            )
        start = time.perf_counter()
        call_command("seed_volume", mandats=args.mandats, titres=args.titres)
        print(f"Jeu de volume écrit en {time.perf_counter() - start:.0f} s")
    else:
        print(f"Jeu de volume réutilisé : {have} mandats")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    coll = Collectivite.objects.filter(poste__codique=SEED_CODIQUE).order_by("pk").first()
    assert coll is not None
    mandats = Piece.objects.filter(collectivite=coll, domaine="depense")
    total = mandats.count()
    paid = mandats.filter(etat="payee").select_related("tiers").order_by("pk")[total // 3]
    year = paid.exercice.annee
    titres = Piece.objects.filter(collectivite=coll, domaine="recette", etat="partielle")
    titre = titres.order_by("pk")[titres.count() // 2]
    assert paid.tiers is not None
    word = paid.tiers.nom.split()[0]  # a common word of tiers' names
    base = f"/extranet/collectivites/{coll.pk}"
    # The CSV export of the largest list served at once (beyond the threshold it is prepared by
    # the worker): all mandats when they fit, else one exercice's, else one budget's.
    export, rows = "", total
    limit = settings.PIGP_EXTRANET_EXPORT_CSV_MAX
    if rows > limit:
        export, rows = f"exercice={year}", mandats.filter(exercice__annee=year).count()
    if rows > limit:
        budget = paid.exercice.budget_id
        export += f"&budget={budget}"
        rows = mandats.filter(exercice__annee=year, exercice__budget_id=budget).count()
    from pigp.extranet import paging, views

    deep = min(total, paging.CAP) // views.PAGE_SIZE  # the last page a list shows
    targets = [
        ("tableau de bord", f"{base}/", TARGET_DASHBOARD, False),
        ("paiements", f"{base}/paiements/", TARGET_PAGE, False),
        ("paiements filtrés", f"{base}/paiements/?exercice={year}&etat=payee", TARGET_PAGE, False),
        ("paiements cherchés", f"{base}/paiements/?{urlencode({'q': word})}", TARGET_PAGE, False),
        ("paiements page profonde", f"{base}/paiements/?page={deep}", TARGET_PAGE, False),
        ("mandat", f"/extranet/mandats/{paid.pk}/", TARGET_PAGE, False),
        ("tiers", f"/extranet/tiers/{paid.tiers_id}/", TARGET_PAGE, False),
        ("recouvrement", f"{base}/recouvrement/", TARGET_PAGE, False),
        ("titre", f"/extranet/titres/{titre.pk}/", TARGET_PAGE, False),
        ("restes à recouvrer", f"{base}/restes-a-recouvrer/", TARGET_PAGE, False),
        ("trésorerie", f"{base}/tresorerie/", TARGET_PAGE, False),
        ("balance des comptes", f"{base}/balance/", TARGET_PAGE, False),
        ("alertes", f"{base}/alertes/", TARGET_PAGE, False),
        (
            "export CSV (1er octet)",
            f"{base}/paiements/export.csv?{export}",
            TARGET_FIRST_BYTE,
            True,
        ),
    ]
    print(f"Collectivité mesurée : {coll.nom}, {total} mandats (export CSV : {rows} lignes)")
    return targets, _sessions(coll, args.users)


def _sessions(coll: Collectivite, count: int) -> list[str]:
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from pigp.core.models import Habilitation, User

    cookies = []
    for n in range(count):
        user, created = User.objects.get_or_create(email=f"charge{n}@volume.example.fr")
        if created:
            user.set_password(os.urandom(16).hex())
            user.save()
            Habilitation.objects.create(
                user=user,
                collectivite=coll,
                application="extranet",
                profil="consultation",
                statut="active",
                demandee_par=user,
            )
        session = import_module(settings.SESSION_ENGINE).SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={session.session_key}")
    return cookies


def _start_server(args: argparse.Namespace, env: dict[str, str]) -> subprocess.Popen[bytes]:
    port = args.port
    log = (Path(args.var_dir) / "server.log").open("wb")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "pigp.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            f"--workers={args.workers}",
            "--threads=8",
            "--worker-class=gthread",
            "--timeout=120",
        ],
        cwd=REPO / "src",
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5)
            return server
        except urllib.error.HTTPError:
            return server
        except OSError:
            time.sleep(0.5)
    server.terminate()
    raise SystemExit("Le serveur ne répond pas (voir server.log).")


def _get(url: str, cookie: str, first_byte: bool) -> tuple[int, float]:
    """Status and seconds: to the whole body, or to its first byte."""
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            if not first_byte:
                response.read()
                return response.status, time.perf_counter() - start
            response.read(1)
            elapsed = time.perf_counter() - start
            while response.read(1 << 16):  # the user downloads the whole file
                pass
            return response.status, elapsed
    except urllib.error.HTTPError as exc:
        return exc.code, time.perf_counter() - start
    except OSError:
        return 0, time.perf_counter() - start


def _load(
    base: str,
    targets: list[tuple[str, str, float, bool]],
    cookies: list[str],
    args: argparse.Namespace,
) -> dict[str, list[tuple[int, float]]]:
    deadline = time.monotonic() + args.duration
    results: dict[str, list[tuple[int, float]]] = {t[0]: [] for t in targets}

    low, high = args.think

    def user(n: int) -> None:
        rng = random.Random(n)
        plan = [t for t in targets for _ in range(args.exports if t[3] else args.rounds)]
        rng.shuffle(plan)
        for label, path, _target, first_byte in plan:
            time.sleep(rng.uniform(low, high))
            if time.monotonic() > deadline:
                return
            results[label].append(_get(base + path, cookies[n], first_byte))

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(cookies)) as pool:
        list(pool.map(user, range(len(cookies))))
    done = sum(len(r) for r in results.values())
    elapsed = time.perf_counter() - start
    print(
        f"{done} requêtes de {len(cookies)} utilisateurs en {elapsed:.1f} s "
        f"({done / elapsed:.1f} par seconde ; attente entre deux pages : "
        f"{args.think[0]:g} à {args.think[1]:g} s)"
    )
    return results


def _report(
    targets: list[tuple[str, str, float, bool]],
    results: dict[str, list[tuple[int, float]]],
    args: argparse.Namespace,
) -> None:
    from django.db import connection

    print(
        f"\n{connection.vendor}, {args.mandats} mandats, {args.users} utilisateurs simultanés, "
        f"gunicorn {args.workers} processus × 8 fils"
    )
    print(
        f"{'page':<26}{'req.':>6}{'err.':>6}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'cible':>8}{'p95/cible':>11}"
    )
    for label, _path, target, _fb in targets:
        rows = results[label]
        errors = sum(1 for status, _s in rows if status != 200)
        times = sorted(s for _status, s in rows)
        if len(times) < 2:
            print(f"{label:<26}{len(rows):>6}{errors:>6}   (trop peu de mesures)")
            continue
        q = statistics.quantiles(times, n=100, method="inclusive")
        p50, p95, p99 = q[49], q[94], q[98]
        print(
            f"{label:<26}{len(rows):>6}{errors:>6}{p50 * 1000:>9.0f}{p95 * 1000:>9.0f}"
            f"{p99 * 1000:>9.0f}{target * 1000:>8.0f}{p95 / target:>10.2f}×"
        )


if __name__ == "__main__":
    main()
