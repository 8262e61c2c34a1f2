#!/usr/bin/env python
"""A deposit's time: the whole `chorus.depot.deposer` service, against the 1 s target.

    python benchmarks/invoice_deposit.py [--repeat 15]

What runs is what a supplier's deposit runs: the file kept through the core file storage,
`pigp.formats.invoice.validate` (safety, XSD, Schematron EN 16931 + BR-FR, extraction), for an
XML invoice its PDF rendering (`render.to_pdf`, stored), the deposit checks (supplier, duplicate, addressing), the invoice and its history written, routed
to 03 Mise à disposition, the receipt and the journal — on SQLite in a temporary directory.
The stylesheets are compiled beforehand (one warm-up deposit per format), as in a running
server. Two files: a typical UBL invoice (`pigp.chorus.exemples`, three lines) and a
Factur-X PDF carrying the same invoice in CII (`exemples.cii`, embedded with the `facturx`
package).

Printed: the median and the worst of `--repeat` deposits of each, their ratio to the 1 s
target, and the part of the UBL deposit that is the PDF rendering (`render.to_pdf` alone),
which decided whether to render at deposit or on first view (`chorus.rendu`).
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_S = 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    os.environ["PIGP_VAR_DIR"] = tempfile.mkdtemp(prefix="pigp-bench-deposit-")
    os.environ["PIGP_TESTING"] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pigp.settings")
    sys.path.insert(0, str(REPO / "src"))
    import django

    django.setup()
    import logging

    from django.core.management import call_command

    logging.getLogger("fontTools").setLevel(logging.WARNING)
    call_command("migrate", verbosity=0)
    print(f"load average (start): {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")
    _measure(args.repeat)
    print(f"load average (end): {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")


def _measure(repeat: int) -> None:
    from facturx import generate_from_binary
    from pypdf import PdfWriter

    from pigp.chorus.depot import deposer
    from pigp.chorus.exemples import Ligne, Partie, cii, ubl
    from pigp.chorus.models import Facture, Fournisseur
    from pigp.core.models import Collectivite, PosteComptable
    from pigp.formats import invoice as einvoice
    from pigp.formats.invoice import render

    poste = PosteComptable.objects.create(codique="031042", nom="SGC de Muret")
    coll = Collectivite.objects.create(
        siret="21310555400017", nom="Commune de Saint-Orens", poste=poste, departement="31"
    )
    vendeur = Partie("73282932000074", "Fournitures du Lauragais")
    fournisseur = Fournisseur.objects.create(siret=vendeur.siret, raison_sociale=vendeur.nom)
    acheteur = Partie(coll.siret, coll.nom)
    lignes = [
        Ligne("Ramettes de papier A4", Decimal("12"), Decimal("21.50")),
        Ligne("Cartouches de toner", Decimal("4"), Decimal("89.90")),
        Ligne("Fauteuils de bureau", Decimal("6"), Decimal("189.00")),
    ]
    day = datetime.date(2026, 3, 2)

    def ubl_file(n: int) -> bytes:
        return ubl(f"B-UBL-{n}", vendeur, acheteur, lignes, date=day)

    def facturx_file(n: int) -> bytes:
        writer = PdfWriter()
        writer.add_blank_page(width=595, height=842)
        import io

        buffer = io.BytesIO()
        writer.write(buffer)
        xml = cii(f"B-FX-{n}", vendeur, acheteur, lignes, date=day)
        return bytes(generate_from_binary(buffer.getvalue(), xml, check_xsd=False))

    results = []
    for label, make in (("UBL (3 lines)", ubl_file), ("Factur-X PDF (EN 16931)", facturx_file)):
        files = [make(n) for n in range(repeat + 1)]
        warm = deposer(fournisseur, None, files[0], "warm-up")
        assert warm.facture is not None and warm.facture.statut == "03", warm.controles
        times = []
        for data in files[1:]:
            t = time.perf_counter()
            depot = deposer(fournisseur, None, data, "facture")
            times.append(time.perf_counter() - t)
            assert depot.facture is not None and depot.facture.statut == "03", depot.controles
        results.append((label, len(files[0]), statistics.median(times), max(times)))

    print(f"\nDeposits ({repeat} each, after a warm-up), target {TARGET_S:.1f} s:")
    print(f"{'file':<26} {'bytes':>8} {'median s':>9} {'worst s':>8} {'median / target':>16}")
    for label, size, median, worst in results:
        print(f"{label:<26} {size:>8} {median:>9.3f} {worst:>8.3f} {median / TARGET_S:>15.2f}×")

    invoice = einvoice.read(ubl_file(0)).invoice
    assert invoice is not None
    render.to_pdf(invoice)
    times = []
    for _ in range(5):
        t = time.perf_counter()
        render.to_pdf(invoice)
        times.append(time.perf_counter() - t)
    pdf = statistics.median(times)
    print(
        f"\nof which render.to_pdf of the UBL invoice: median {pdf:.3f} s, "
        f"{pdf / TARGET_S:.2f}× the target"
    )
    print(f"invoices kept: {Facture.objects.count()}")


if __name__ == "__main__":
    main()
