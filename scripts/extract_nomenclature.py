"""Regenerate the Extranet's plan de comptes (src/pigp/extranet/data/) from ../shared.

Reads the latest official M52 plan de comptes in the odm-budgetaire `<Nomenclature>` format
(`shared/reference/helios/nomenclature-m52/plan-de-compte-M52-M52-<year>.xml`) and writes
`plan_comptes_m52.csv` (compte;libelle;chapitre) and `chapitres_m52.csv` (chapitre;libelle),
UTF-8, `;`. Run by hand when the reference changes; the portal never reads ../shared.

    .venv/bin/python scripts/extract_nomenclature.py
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "reference" / "helios" / "nomenclature-m52"
TARGET = ROOT / "src" / "pigp" / "extranet" / "data"


def latest(folder: Path) -> Path:
    def year(p: Path) -> int:
        found = re.search(r"(\d{4})\.xml$", p.name)
        return int(found.group(1)) if found else 0

    return max(folder.glob("plan-de-compte-M52-M52-*.xml"), key=year)


def main() -> None:
    source = latest(SOURCE)
    root = etree.parse(str(source)).getroot()
    chapitres = sorted(
        (c.get("Code"), c.get("Libelle")) for c in root.iter("Chapitre") if c.get("Code")
    )
    comptes = sorted(
        (c.get("Code"), c.get("Libelle"), c.get("DR") or c.get("RR") or "")
        for c in root.iter("Compte")
        if c.get("Code")
    )
    TARGET.mkdir(parents=True, exist_ok=True)
    for name, header, rows in (
        ("chapitres_m52.csv", ("chapitre", "libelle"), chapitres),
        ("plan_comptes_m52.csv", ("compte", "libelle", "chapitre"), comptes),
    ):
        with (TARGET / name).open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, delimiter=";", lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)
    print(f"{source.name}: {len(chapitres)} chapitres, {len(comptes)} comptes -> {TARGET}")


if __name__ == "__main__":
    main()
