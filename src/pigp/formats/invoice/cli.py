"""``pigp invoice …``: inspect, validate and render e-invoices (UBL, CII, Factur-X).

``inspect`` and ``validate`` take several files and check each one against the XSD and the
Schematron of its syntax and profile. Exit codes: 0 every file valid, 1 at least one invalid,
2 at least one unreadable or not an e-invoice (the worst wins). ``render`` writes the readable
HTML and / or PDF of one invoice: 0 written, 2 unreadable, no e-invoice or no data to show.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from .api import read, validate
from .errors import InvoiceError
from .model import Party, Report
from .safety import DEFAULT_MAX_SIZE

EXIT_OK, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2
SEVERITY_LABEL = {"error": "ERREUR", "warning": "AVERTISSEMENT"}
KIND_LABEL = {"invoice": "facture", "credit_note": "avoir"}


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    parser = parser or argparse.ArgumentParser(
        prog="pigp invoice", description="Factures électroniques (UBL, CII, Factur-X)."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, label in (
        ("inspect", "résumer une ou plusieurs factures (format, profil, montants, lignes)"),
        ("validate", "valider une ou plusieurs factures (XSD et règles Schematron)"),
    ):
        p = sub.add_parser(name, help=label)
        p.add_argument("files", nargs="+", type=Path, metavar="FICHIER")
        p.add_argument("--json", action="store_true", help="sortie JSON (un objet par fichier)")
        p.add_argument(
            "--sans-schematron",
            dest="schematron",
            action="store_false",
            help="ne contrôler que le schéma XSD (plus rapide)",
        )
        p.add_argument(
            "--taille-max",
            type=int,
            default=DEFAULT_MAX_SIZE,
            metavar="OCTETS",
            help=f"taille maximale d'un fichier (défaut : {DEFAULT_MAX_SIZE})",
        )
    p = sub.add_parser(
        "render", help="présenter une facture en HTML ou en PDF lisibles, sans XML à lire"
    )
    p.add_argument("file", type=Path, metavar="FICHIER")
    p.add_argument("--html", type=Path, metavar="SORTIE.html", help="écrire la facture en HTML")
    p.add_argument("--pdf", type=Path, metavar="SORTIE.pdf", help="écrire la facture en PDF")
    p.add_argument(
        "--taille-max",
        type=int,
        default=DEFAULT_MAX_SIZE,
        metavar="OCTETS",
        help=f"taille maximale d'un fichier (défaut : {DEFAULT_MAX_SIZE})",
    )
    return parser


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def report_to_dict(path: Path, report: Report) -> dict[str, Any]:
    """The JSON object of one file: the invoice's core fields at the top level."""
    invoice = _jsonable(report.invoice) if report.invoice is not None else {}
    data: dict[str, Any] = {
        "file": str(path),
        "format": report.format,
        "syntax": report.syntax,
        "profile": report.profile,
    }
    for key in (
        "kind",
        "type_code",
        "number",
        "issue_date",
        "due_date",
        "currency",
        "seller",
        "buyer",
        "buyer_reference",
        "order_reference",
        "contract",
        "totals",
        "vat",
        "lines",
        "payment_means",
        "iban",
    ):
        data[key] = invoice.get(key)
    data["checks"] = list(report.checks)
    data["findings"] = _jsonable(report.findings)
    data["valid"] = report.valid
    return data


def _party(label: str, party: Party | None) -> str:
    if party is None:
        return f"  {label} : absent"
    ids = ", ".join(
        part
        for part in (
            f"SIRET {party.siret}" if party.siret else "",
            f"SIREN {party.siren}" if party.siren and not party.siret else "",
            f"TVA {party.vat}" if party.vat else "",
        )
        if part
    )
    return f"  {label} : {party.name or '(sans nom)'}" + (f" ({ids})" if ids else "")


def _amount(value: Decimal | None, currency: str | None) -> str:
    return "—" if value is None else f"{value} {currency or ''}".rstrip()


def _human(path: Path, report: Report, out: IO[str], *, summary: bool) -> None:
    verdict = "VALIDE" if report.valid else "NON VALIDE"
    profile = f", profil {report.profile}" if report.profile else ""
    print(f"{path} : {verdict} (format {report.format}{profile})", file=out)
    invoice = report.invoice
    if invoice is not None:
        when = invoice.issue_date.isoformat() if invoice.issue_date else "date inconnue"
        print(f"  {KIND_LABEL[invoice.kind]} n° {invoice.number or '?'} du {when}", file=out)
        if summary:
            print(_party("vendeur", invoice.seller), file=out)
            print(_party("acheteur", invoice.buyer), file=out)
            for label, ref in (
                ("référence acheteur (code service)", invoice.buyer_reference),
                ("engagement (bon de commande)", invoice.order_reference),
                ("marché", invoice.contract),
            ):
                if ref:
                    print(f"  {label} : {ref}", file=out)
            print(f"  {len(invoice.lines)} ligne(s)", file=out)
        t, cur = invoice.totals, invoice.currency
        print(
            f"  HT {_amount(t.ht, cur)} ; TVA {_amount(t.tva, cur)} ; "
            f"TTC {_amount(t.ttc, cur)} ; à payer {_amount(t.payable, cur)}",
            file=out,
        )
    if report.checks:
        print(f"  contrôles : {', '.join(report.checks)}", file=out)
    for f in report.findings:
        where = ", ".join(
            part
            for part in (f"ligne {f.line}" if f.line else "", f.path if f.path != "/" else "")
            if part
        )
        place = f" [{where}]" if where else ""
        print(f"  {SEVERITY_LABEL[f.severity]} {f.rule}{place} : {f.message_fr}", file=out)


def _why(exc: OSError) -> str:
    """Why a file could not be read, in French."""
    if isinstance(exc, FileNotFoundError):
        return "introuvable"
    if isinstance(exc, IsADirectoryError):
        return "c'est un dossier"
    if isinstance(exc, PermissionError):
        return "lecture non autorisée"
    return "erreur de lecture du disque"


def render(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """``pigp invoice render FICHIER --html SORTIE | --pdf SORTIE``."""
    from .render import to_html, to_pdf  # fpdf2 is loaded only when a rendering is asked for

    if args.html is None and args.pdf is None:
        print("render : indiquez --html SORTIE.html, --pdf SORTIE.pdf ou les deux.", file=err)
        return EXIT_UNREADABLE
    path: Path = args.file
    try:
        report = read(path.read_bytes(), max_size=args.taille_max)
    except (OSError, InvoiceError) as exc:
        message = str(exc) if isinstance(exc, InvoiceError) else f"fichier illisible ({_why(exc)})"
        print(f"{path} : ILLISIBLE — {message}", file=err)
        return EXIT_UNREADABLE
    if report.invoice is None:
        why = "; ".join(f.message_fr for f in report.errors) or (
            "aucune donnée de facture à présenter (PDF simple, sans XML Factur-X joint)"
        )
        print(f"{path} : rien à présenter — {why}", file=err)
        return EXIT_UNREADABLE
    outputs: list[tuple[Path, bytes]] = []
    if args.html is not None:
        outputs.append((args.html, to_html(report.invoice).encode("utf-8")))
    if args.pdf is not None:
        outputs.append((args.pdf, to_pdf(report.invoice)))
    for target, content in outputs:
        try:
            target.write_bytes(content)
        except OSError as exc:
            why = (
                "dossier de destination introuvable"
                if isinstance(exc, FileNotFoundError)
                else _why(exc)
            )
            print(f"{target} : écriture impossible ({why})", file=err)
            return EXIT_UNREADABLE
        print(f"{target} : écrit ({len(content)} octets)", file=out)
    return EXIT_OK


def main(
    argv: Sequence[str] | None = None, *, out: IO[str] | None = None, err: IO[str] | None = None
) -> int:
    args = build_parser().parse_args(argv)
    out = out or sys.stdout
    if args.command == "render":
        return render(args, out, err or sys.stderr)
    code = EXIT_OK
    for path in args.files:
        try:
            data = path.read_bytes()
            report = validate(data, max_size=args.taille_max, schematron=args.schematron)
        except (OSError, InvoiceError) as exc:
            message = (
                str(exc) if isinstance(exc, InvoiceError) else f"fichier illisible ({_why(exc)})"
            )
            if args.json:
                print(
                    json.dumps(
                        {"file": str(path), "error": message, "valid": False}, ensure_ascii=False
                    ),
                    file=out,
                )
            else:
                print(f"{path} : ILLISIBLE — {message}", file=out)
            code = max(code, EXIT_UNREADABLE)
            continue
        if args.json:
            print(json.dumps(report_to_dict(path, report), ensure_ascii=False), file=out)
        else:
            _human(path, report, out, summary=args.command == "inspect")
        if not report.valid:
            code = max(code, EXIT_INVALID)
    return code
