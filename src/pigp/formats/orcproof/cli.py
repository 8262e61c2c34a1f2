"""``pigp orc …``: ``check-proof FILE [--key PUBLIC_KEY_PEM]`` re-checks a proof report
without database or network. Exit codes: 0 valid, 1 refused (reasons printed in French),
2 unreadable (no file, not JSON, not a proof report, unreadable key)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .check import ProofUnreadable, check, load

EXIT_OK, EXIT_REFUSED, EXIT_UNREADABLE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pigp orc", description="ORC : archives probantes.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser(
        "check-proof",
        help="vérifier un relevé de valeur probante (JSON), sans base de données",
    )
    p.add_argument("file", type=Path, metavar="FICHIER")
    p.add_argument(
        "--key",
        "--cle",
        dest="key",
        type=Path,
        metavar="CLE_PUBLIQUE.pem",
        help="clé publique de la plateforme (PEM) ; à défaut, celle du relevé (avertissement)",
    )
    return parser


def check_proof(file: Path, key: Path | None) -> int:
    try:
        report = load(file.read_bytes())
        key_pem = key.read_bytes() if key is not None else None
        result = check(report, key_pem)
    except OSError as exc:
        print(f"ILLISIBLE : {exc.strerror or exc} ({exc.filename or file})", file=sys.stderr)
        return EXIT_UNREADABLE
    except ProofUnreadable as exc:
        print(f"ILLISIBLE : {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    for warning in result.warnings:
        print(f"AVERTISSEMENT : {warning}")
    summary = (
        f"{result.documents} document(s), {result.entries} entrée(s) du journal, "
        f"{result.seals} scellement(s)"
    )
    if not result.valid:
        for reason in result.reasons:
            print(f"REFUSÉ : {reason}")
        print(f"Relevé refusé ({summary}).")
        return EXIT_REFUSED
    print(f"Relevé valide ({summary}) : empreintes, chaînage et signatures vérifiés.")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    return check_proof(args.file, args.key)
