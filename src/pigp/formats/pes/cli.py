"""``pigp pes …``: validate, inspect, extract PJ, write an acknowledgement, generate flows.

Exit codes of ``validate``: 0 every file valid, 1 at least one invalid, 2 at least one
unreadable (cannot be opened, or holds no readable XML document).
"""

from __future__ import annotations

import argparse
import dataclasses
import enum
import json
import os
import re
import sys
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from . import records as r
from .errors import PesError
from .reader import read_pes_aller
from .report import Report, Severity
from .returns import read_acquit, read_acquit_retour, read_retour
from .safety import read_head
from .schemas import DEFAULT_VERSION, SUPPORTED_VERSIONS, MessageKind, message_type
from .validator import ValidationOptions, validate

EXIT_OK, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2
SEVERITY_LABEL = {
    Severity.ERROR: "ERREUR",
    Severity.WARNING: "AVERTISSEMENT",
    Severity.INFO: "INFO",
}


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    parser = parser or argparse.ArgumentParser(
        prog="pigp pes", description="Flux PES V2 de la DGFiP (Hélios)."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="valider un ou plusieurs flux PES")
    p.add_argument("files", nargs="+", type=Path, metavar="FICHIER")
    p.add_argument("--version", default=DEFAULT_VERSION, choices=SUPPORTED_VERSIONS)
    p.add_argument(
        "--accepted",
        nargs="*",
        default=[],
        choices=SUPPORTED_VERSIONS,
        help="versions encore acceptées (période de transition)",
    )
    p.add_argument("--strict-triplets", action="store_true")
    p.add_argument("--json", action="store_true", help="sortie JSON")

    p = sub.add_parser("inspect", help="résumer un PES_Aller (collectivité, bordereaux, PJ)")
    p.add_argument("file", type=Path, metavar="FICHIER")

    p = sub.add_parser("extract-pj", help="extraire les pièces justificatives d'un PES_Aller")
    p.add_argument("file", type=Path, metavar="FICHIER")
    p.add_argument("dest", type=Path, metavar="DOSSIER")

    p = sub.add_parser("acquit", help="écrire le PES_ACQUIT qui répondrait au flux")
    p.add_argument("file", type=Path, metavar="FICHIER")
    p.add_argument("-o", "--output", type=Path, help="fichier de sortie (défaut : stdout)")
    p.add_argument("--version", default=DEFAULT_VERSION, choices=SUPPORTED_VERSIONS)

    p = sub.add_parser("generate", help="générer un PES_Aller de test")
    p.add_argument("-o", "--output", type=Path, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--bordereaux", type=int, default=1)
    p.add_argument("--pieces", type=int, default=10)
    p.add_argument("--lignes", type=int, default=1)
    p.add_argument("--domaine", choices=("depense", "recette", "mixte"), default="depense")
    p.add_argument("--pj", type=int, default=0)
    p.add_argument("--sign", action="store_true")
    p.add_argument(
        "--id-bord-start",
        type=int,
        default=1,
        help="numéro (IdBord) du premier bordereau de chaque domaine (défaut : 1)",
    )
    return parser


def main(argv: Sequence[str] | None = None, *, out: IO[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    out = out or sys.stdout
    handler = {
        "validate": _validate,
        "inspect": _inspect,
        "extract-pj": _extract_pj,
        "acquit": _acquit,
        "generate": _generate,
    }[args.command]
    return handler(args, out)


# -- validate ---------------------------------------------------------------------------
def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


def report_to_dict(report: Report) -> dict[str, Any]:
    data: dict[str, Any] = _jsonable(report)
    data["valid"] = report.valid
    data["flux_blocked"] = report.flux_blocked
    return data


def _human(path: Path, report: Report, out: IO[str]) -> None:
    verdict = "VALIDE" if report.valid else "NON VALIDE"
    print(f"{path} : {verdict} (schéma {report.schema_version}, racine {report.root})", file=out)
    for b in report.bordereaux:
        state = "rejeté" if b.id_bord in report.blocked_bordereaux() else "accepté"
        print(
            f"  bordereau {b.domaine} n° {b.id_bord} (exercice {b.exercice}) : "
            f"{len(b.pieces)} pièce(s), {state}",
            file=out,
        )
    for f in report.findings:
        where = []
        if f.location.line:
            where.append(f"ligne {f.location.line}")
        if f.location.path:
            where.append(f.location.path)
        place = f" [{', '.join(where)}]" if where else ""
        print(f"  {SEVERITY_LABEL[f.severity]} {f.code.value}{place} : {f.message}", file=out)


def _validate(args: argparse.Namespace, out: IO[str]) -> int:
    options = ValidationOptions(
        version=args.version,
        accepted_versions=tuple(args.accepted),
        strict_triplets=args.strict_triplets,
    )
    status = EXIT_OK
    results = []
    for path in args.files:
        try:
            report = validate(path, options=options)
        except (OSError, PesError) as exc:
            status = EXIT_UNREADABLE
            results.append({"file": str(path), "error": str(exc)})
            if not args.json:
                print(f"{path} : ILLISIBLE ({exc})", file=out)
            continue
        if report.root is None:
            status = EXIT_UNREADABLE
        elif not report.valid and status == EXIT_OK:
            status = EXIT_INVALID
        if args.json:
            results.append({"file": str(path), **report_to_dict(report)})
        else:
            _human(path, report, out)
    if args.json:
        json.dump(results, out, ensure_ascii=False, indent=2)
        out.write("\n")
    return status


# -- inspect ----------------------------------------------------------------------------
def _print_header(rec: r.FluxHeader, out: IO[str]) -> None:
    print(f"{rec.root} {rec.nom_fic} ({rec.typ_fic}) du {rec.dte_str}", file=out)
    print(
        f"Collectivité SIRET {rec.id_coll} — CodCol {rec.cod_col} — budget "
        f"{rec.cod_bud} {rec.libelle_col_bud or ''}".rstrip(),
        file=out,
    )
    print(f"Poste comptable {rec.id_post} {rec.libelle_poste or ''}".rstrip(), file=out)


def _inspect_other(path: Path, kind: MessageKind, out: IO[str]) -> int:
    """PES_ACQUIT, PES_Retour and PES_ACQUIT_RETOUR summaries."""
    if kind in (MessageKind.ACQUIT_V1, MessageKind.ACQUIT_V2):
        ack = read_acquit(path)
        _print_header(ack.header, out)
        for el in ack.elements:
            what = f"bordereau {el.num_bord}/{el.exercice_bord}" if el.num_bord else el.id_unique
            state = "accepté" if el.etat else "REJETÉ"
            print(f"  domaine {el.domaine} {what or ''} : {state}", file=out)
            errors = list(el.erreurs) + [
                e
                for p in el.pieces
                for e in (*p.erreurs, *(x for lg in p.lignes for x in lg.erreurs))
            ]
            for e in errors:
                print(f"    {e.num_ano} {e.libelle or ''}".rstrip(), file=out)
    elif kind is MessageKind.RETOUR:
        for rec in read_retour(path):
            if isinstance(rec, r.FluxHeader):
                _print_header(rec, out)
            elif isinstance(rec, r.RetourPiece):
                paid = f", payé {rec.mt_pay_tot}" if rec.mt_pay_tot is not None else ""
                print(
                    f"  bordereau {rec.id_bord} pièce {rec.id_pce} : état {rec.etat}"
                    f"{' motif ' + rec.obs_etat if rec.obs_etat else ''}{paid}",
                    file=out,
                )
    elif kind is MessageKind.ACQUIT_RETOUR:
        ackr = read_acquit_retour(path)
        _print_header(ackr.header, out)
        for elr in ackr.elements:
            print(f"  {elr.nom_fichier_retour} intégré le {elr.date_acquit}", file=out)
    else:
        print(f"{path} : type de message non pris en charge ({kind.value})", file=out)
        return EXIT_UNREADABLE
    return EXIT_OK


def _inspect(args: argparse.Namespace, out: IO[str]) -> int:
    totals: dict[str, Decimal] = {}
    counts: dict[str, int] = {}
    try:
        with open(args.file, "rb") as fh:
            prolog = read_head(fh)[1]
        mt = message_type(prolog.root_namespace, prolog.root or "")
        if mt is not None and mt.kind is not MessageKind.ALLER:
            return _inspect_other(args.file, mt.kind, out)
        for rec in read_pes_aller(args.file):
            if isinstance(rec, r.FluxHeader):
                _print_header(rec, out)
            elif isinstance(rec, r.Bordereau):
                print(
                    f"Bordereau {rec.domaine} n° {rec.id_bord} exercice {rec.exercice} type "
                    f"{rec.typ_bord} : {rec.nbr_pce} pièce(s) annoncée(s), montant HT "
                    f"{rec.mt_bord_ht}",
                    file=out,
                )
            elif isinstance(rec, r.Piece):
                totals[rec.domaine] = totals.get(rec.domaine, Decimal(0)) + rec.mt_ht
                counts[rec.domaine] = counts.get(rec.domaine, 0) + 1
                label = "mandat" if rec.domaine == "depense" else "titre"
                print(
                    f"  {label} {rec.id_pce} ({rec.typ_pce}/{rec.nat_pce}) {rec.objet or ''} : "
                    f"{len(rec.lignes)} ligne(s), {rec.mt_ht} HT",
                    file=out,
                )
            elif isinstance(rec, r.Pj):
                size = rec.content.size if rec.content else "?"
                print(
                    f"PJ {rec.id_unique} « {rec.nom_pj} » type {rec.type_pj} {rec.mime_type} : "
                    f"{size} octets{' — ' + rec.error if rec.error else ''}",
                    file=out,
                )
    except (OSError, PesError) as exc:
        print(f"{args.file} : ILLISIBLE ({exc})", file=out)
        return EXIT_UNREADABLE
    for domaine, total in totals.items():
        print(f"Total {domaine} : {counts[domaine]} pièce(s), {total} HT", file=out)
    return EXIT_OK


# -- extract-pj -------------------------------------------------------------------------
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename(name: str | None, index: int) -> str:
    """A file name derived from NomPJ that cannot leave the destination folder."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE.sub("_", base).lstrip(".")[:100] or "pj"
    return f"{index:04d}_{base}"


def _extract_pj(args: argparse.Namespace, out: IO[str]) -> int:
    dest: Path = args.dest
    dest.mkdir(parents=True, exist_ok=True)
    handles: dict[int, IO[bytes]] = {}

    def sink(n: int) -> IO[bytes]:
        handles[n] = open(dest / f".pj-{n:04d}.part", "wb")  # noqa: SIM115
        return handles[n]

    status = EXIT_OK
    try:
        for rec in read_pes_aller(args.file, pj_sink=sink):
            if not isinstance(rec, r.Pj):
                continue
            handle = handles.pop(rec.index, None)
            if handle is None:
                continue
            handle.close()
            part = Path(handle.name)
            if rec.error or rec.content is None:
                part.unlink(missing_ok=True)
                print(f"PJ {rec.id_unique} : non extraite ({rec.error})", file=out)
                status = EXIT_INVALID
                continue
            target = dest / safe_filename(rec.nom_pj, rec.index)
            os.replace(part, target)
            print(f"{target} ({rec.content.size} octets, sha256 {rec.content.sha256})", file=out)
    except (OSError, PesError) as exc:
        print(f"{args.file} : ILLISIBLE ({exc})", file=out)
        status = EXIT_UNREADABLE
    finally:
        for handle in handles.values():
            handle.close()
            Path(handle.name).unlink(missing_ok=True)
    return status


# -- acquit / generate (written by the signature/writers side, imported lazily) ---------
def _acquit(args: argparse.Namespace, out: IO[str]) -> int:
    try:
        from .acquit import build_acquit
    except ImportError:
        print("Le module d'écriture des PES_ACQUIT n'est pas disponible.", file=out)
        return EXIT_UNREADABLE
    try:
        report = validate(args.file, options=ValidationOptions(version=args.version))
    except (OSError, PesError) as exc:
        print(f"{args.file} : ILLISIBLE ({exc})", file=out)
        return EXIT_UNREADABLE
    data = build_acquit(report, flow_name=args.file.name)
    if args.output:
        args.output.write_bytes(data)
        print(f"PES_ACQUIT écrit dans {args.output}", file=out)
    else:
        out.write(data.decode("iso-8859-1"))
    return EXIT_OK if report.valid else EXIT_INVALID


def _generate(args: argparse.Namespace, out: IO[str]) -> int:
    try:
        from .generator import GeneratorError, generate_pes_aller
    except ImportError:
        print("Le générateur de flux PES n'est pas disponible.", file=out)
        return EXIT_UNREADABLE
    try:
        flow = generate_pes_aller(
            args.output,
            seed=args.seed,
            bordereaux=args.bordereaux,
            pieces=args.pieces,
            lignes=args.lignes,
            domaine=args.domaine,
            pj=args.pj,
            sign=args.sign,
            id_bord_start=args.id_bord_start,
        )
    except GeneratorError as exc:
        print(f"Génération impossible : {exc}.", file=out)
        return EXIT_UNREADABLE
    print(
        f"{args.output} : {flow.size} octets, {flow.bordereaux} bordereau(x), "
        f"{flow.pieces} pièce(s), {flow.pj} PJ{' signé' if flow.signed else ''}",
        file=out,
    )
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
