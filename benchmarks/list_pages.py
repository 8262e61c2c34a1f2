#!/usr/bin/env python
"""Web list pages on a large table: the flows list, first page against deep pages.

The web lists page with Django's Paginator (OFFSET and a COUNT), the API with keyset
cursors. This measures what OFFSET costs at volume, to decide between the two for the web:
N flows of one collectivité (default 200 000, SQLite in a temporary directory, or
--database-url), the page a user sees first, the middle page and the last page, each the
median of 5 requests through Django's test client with a logged-in user.

Anchor: the first page. Printed: each page's time and its ratio to the first page.

    python benchmarks/list_pages.py [--flows 200000] [--database-url postgres://…]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", type=int, default=200_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    var = tempfile.mkdtemp(prefix="pigp-bench-lists-")
    os.environ["PIGP_VAR_DIR"] = var
    os.environ["PIGP_TESTING"] = "1"
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pigp.settings")
    sys.path.insert(0, str(REPO / "src"))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    from django.db import connection

    if args.database_url:
        old_name = connection.settings_dict["NAME"]
        connection.creation.create_test_db(verbosity=0, autoclobber=True)
    else:
        call_command("migrate", verbosity=0)
    try:
        _measure(args)
    finally:
        if args.database_url:
            connection.creation.destroy_test_db(old_name, verbosity=0)


def _measure(args: argparse.Namespace) -> None:
    from django.conf import settings
    from django.test import Client

    from pigp.core.models import Collectivite, Habilitation, PosteComptable, User
    from pigp.core.models.files import StoredFile
    from pigp.passerelle.models import Flux

    poste = PosteComptable.objects.create(codique="031042", nom="Trésorerie de Muret")
    coll = Collectivite.objects.create(
        siret="21310395500018", nom="Commune de Muret", nature="commune", poste=poste
    )
    user = User.objects.create_user(email="agent@example.fr", password="x" * 16)
    Habilitation.objects.create(
        user=user,
        collectivite=coll,
        application="passerelle",
        profil="transmission",
        statut="active",
        demandee_par=user,
    )
    started = time.perf_counter()
    batch = 5_000
    for start in range(0, args.flows, batch):
        n = min(batch, args.flows - start)
        stored = StoredFile.objects.bulk_create(
            StoredFile(sha256=f"{start + i:064x}", size=100, storage_name=f"b/{start + i}")
            for i in range(n)
        )
        Flux.objects.bulk_create(
            Flux(
                collectivite=coll,
                canal="api",
                original_name=f"PES_{start + i}.xml",
                fichier=f,
                statut="acquitte",
                kind="pes_aller",
            )
            for i, f in enumerate(stored)
        )
    print(
        f"{args.flows} flux créés en {time.perf_counter() - started:.1f} s ({settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]})"
    )

    client = Client()
    client.force_login(user)
    from pigp.passerelle.views.common import PAGE_SIZE

    last = -(-args.flows // PAGE_SIZE)
    pages = {"première page": 1, "page du milieu": last // 2, "dernière page": last}
    url = f"/passerelle/{coll.pk}/flux/"
    timings = {}
    for label, number in pages.items():
        runs = []
        for _ in range(5):
            t = time.perf_counter()
            response = client.get(url, {"page": number})
            runs.append(time.perf_counter() - t)
            assert response.status_code == 200, response.status_code
        timings[label] = statistics.median(runs)
    anchor = timings["première page"]
    print(f"{'page':<16}{'numéro':>8}{'ms':>10}{'× 1re page':>12}")
    for label, number in pages.items():
        print(
            f"{label:<16}{number:>8}{timings[label] * 1000:>10.1f}{timings[label] / anchor:>11.2f}×"
        )


if __name__ == "__main__":
    main()
