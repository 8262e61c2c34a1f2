#!/usr/bin/env python
"""ORC's ingest rate and audit rate, against plain `sha512sum` of the same files in the same run.

On a fresh portal (temporary PIGP_VAR_DIR, SQLite by default, `--database-url` for another
database), a PES_Aller of N mandats (default 2 000), each with its PDF PJ (default 100 kB), is
received into the ledger through the gateway; the mandats are taken in charge and paid by one
payment run, whose signals ask ORC to archive them. Then, timed:

1. ingest: `pigp.orc.ingest.work_pending()` — the worker's job: each pièce's unit, its PJ,
   the signed flow and its acquit written to the two copies, read back and checked, the PDF text
   extracted, journaled. Printed in pièces per second and MB per second.
2. audit: `pigp.orc.audit.audit()` — every copy re-read and its SHA-512 checked, each check in
   the storage log. Printed in MB per second.
3. anchor: `sha512sum` over the same copy files (both roots), in one process, same run.

The audit's ratio to `sha512sum` is the issue's figure (target ≥ 0.8); the ingest's MB/s is
put beside the same anchor for scale (it also writes, reads back and fsyncs two copies).

    python benchmarks/orc_rates.py [--pieces 2000] [--pj-size 100000] [--database-url URL]

`benchmarks/orc_search.py --rates` runs this after the searches.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _bootstrap(database_url: str, var_dir: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "pigp.settings"
    os.environ["PIGP_VAR_DIR"] = str(var_dir)
    os.environ.pop("PIGP_ORC_S3_BUCKETS", None)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(REPO / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def run(pieces: int, pj_size: int, database_url: str = "") -> dict[str, float]:
    var_dir = Path(tempfile.mkdtemp(prefix="pigp-bench-orc-"))
    try:
        _bootstrap(database_url, var_dir)
        return _measure(var_dir, pieces, pj_size)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


def _measure(var_dir: Path, pieces: int, pj_size: int) -> dict[str, float]:
    import datetime

    from django.conf import settings
    from django.core.files.storage import storages

    from pigp.core.models import Budget, Collectivite, PosteComptable
    from pigp.formats.pes.generator import generate_pes_aller
    from pigp.helios.models import CompteTresor, EtatPiece, Piece
    from pigp.helios.money import payments
    from pigp.helios.reception import ingest as ledger_ingest
    from pigp.orc import audit, ingest
    from pigp.orc.models import PendingIngest
    from pigp.passerelle import intake
    from pigp.passerelle.models import Flux
    from pigp.passerelle.pipeline import process_flux

    poste = PosteComptable.objects.create(codique="031042", nom="SGC de Muret")
    CompteTresor.objects.create(
        poste=poste, titulaire="SGC DE MURET", iban="FR7630001000000000003104224", bic="BDFEFRPP"
    )
    coll = Collectivite.objects.create(
        siret="21310395500018", nom="Commune de Muret", nature="commune", poste=poste
    )
    budget = Budget.objects.create(
        collectivite=coll, cod_col="395", cod_bud="00", libelle="Budget principal"
    )
    path = var_dir / "PES_BENCH_ORC.xml"
    generate_pes_aller(
        path,
        seed=7,
        pieces=pieces,
        pj=pieces,
        pj_size=pj_size,
        id_post=poste.codique,
        id_coll=coll.siret,
        cod_col=budget.cod_col,
        cod_bud=budget.cod_bud,
        exercice=2026,
        nom_fic=path.stem,
    )
    with path.open("rb") as fh:
        [received] = intake.receive(fh, filename=path.name, collectivite=coll, canal="api")
    process_flux.call(flux_id=received.flux.pk)
    flux = Flux.objects.get(pk=received.flux.pk)
    if flux.statut != "acquitte":
        raise SystemExit(f"flux refusé : {flux.message}")
    if not Piece.objects.filter(bordereau__flux=flux).exists():
        ledger_ingest(flux)
    Piece.objects.filter(collectivite=coll).update(
        etat=EtatPiece.PRISE_EN_CHARGE, date_prise_en_charge=datetime.date(2026, 4, 1)
    )
    payments.run_payments(coll, datetime.date(2026, 4, 15), actor="bench")
    queued = PendingIngest.objects.count()
    if queued < pieces:
        ingest.request(Piece.objects.filter(collectivite=coll).values_list("pk", flat=True))
        queued = PendingIngest.objects.count()

    start = time.perf_counter()
    worked = ingest.work_pending()
    ingest_s = time.perf_counter() - start
    archived = len(worked.archived)
    if worked.failed:
        raise SystemExit(f"archivage en échec : {list(worked.failed.items())[:3]}")

    roots = [Path(storages[name].location) for name in settings.PIGP_ORC_COPIES]
    files = sorted(str(p) for root in roots for p in root.rglob("*") if p.is_file())
    copy_bytes = sum(Path(f).stat().st_size for f in files)

    # The audit and its anchor, alternated twice; the better of each is kept.
    audit_s: list[float] = []
    anchor_s: list[float] = []
    for _ in range(2):
        result = audit.audit()
        audit_s.append(result.seconds)
        if result.missing or result.corrupted:
            raise SystemExit("l'audit a trouvé des copies en défaut")
        start = time.perf_counter()
        subprocess.run(["sha512sum", *files], check=True, stdout=subprocess.DEVNULL, cwd=var_dir)
        anchor_s.append(time.perf_counter() - start)
    mb = copy_bytes / 1e6
    return {
        "pieces": float(archived),
        "queued": float(queued),
        "ingest_s": ingest_s,
        "ingest_pieces_s": archived / ingest_s,
        "ingest_mb_s": (mb / 2) / ingest_s,  # each byte archived is written on two copies
        "copy_mb": mb,
        "files": float(len(files)),
        "audit_mb_s": mb / min(audit_s),
        "anchor_mb_s": mb / min(anchor_s),
    }


def report(out: dict[str, float]) -> None:
    anchor = out["anchor_mb_s"]
    print(
        f"Archivage : {out['pieces']:.0f} pièces en {out['ingest_s']:.1f} s — "
        f"{out['ingest_pieces_s']:.1f} pièces/s, {out['ingest_mb_s']:.1f} Mo/s archivés "
        f"(× {out['ingest_mb_s'] / anchor:.2f} de sha512sum, pour l'échelle)"
    )
    print(
        f"Audit : {out['files']:.0f} fichiers, {out['copy_mb']:.0f} Mo sur les deux copies — "
        f"{out['audit_mb_s']:.0f} Mo/s ; sha512sum des mêmes fichiers : {anchor:.0f} Mo/s ; "
        f"rapport {out['audit_mb_s'] / anchor:.2f} (objectif ≥ 0,8)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pieces", type=int, default=2000)
    parser.add_argument("--pj-size", type=int, default=100_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    print(f"Charge de la machine (début) : {_load()}")
    report(run(args.pieces, args.pj_size, args.database_url))
    print(f"Charge de la machine (fin) : {_load()}")


if __name__ == "__main__":
    main()
