"""Import of collectivités and budgets from a CSV file: all rows or none."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from pigp.core import journal
from pigp.core.models import Budget, Collectivite, NatureCollectivite, Nomenclature, PosteComptable

COLUMNS = [
    "siret",
    "nom",
    "nature",
    "codique",
    "departement",
    "cod_col",
    "cod_bud",
    "libelle_budget",
    "nomenclature",
    "actif",
]
MAX_ROWS = 50_000


@dataclass
class ImportResult:
    errors: list[str] = field(default_factory=list)
    collectivites_created: int = 0
    collectivites_updated: int = 0
    budgets_created: int = 0
    budgets_updated: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError("encodage illisible")


def _messages(exc: ValidationError, instance: object = None) -> str:
    """Django's messages, except an invalid choice, which names the field and the values allowed."""
    if not hasattr(exc, "error_dict") or instance is None:
        return " ; ".join(exc.messages)
    parts = []
    for name, errors in exc.error_dict.items():
        for error in errors:
            if error.code == "invalid_choice":
                field = instance._meta.get_field(name)  # type: ignore[attr-defined]
                allowed = ", ".join(str(value) for value, _ in field.choices)
                given = (error.params or {}).get("value", "")
                parts.append(
                    f"{str(field.verbose_name).capitalize()} « {given} » inconnue : "
                    f"valeurs admises {allowed}."
                )
            else:
                parts.extend(error.messages)
    return " ; ".join(parts)


def import_collectivites(raw: bytes, *, actor: object = None) -> ImportResult:
    """Validate every row first; write only when the whole file is correct."""
    result = ImportResult()
    reader = _reader(raw, result)
    if reader is None:
        return result
    rows = _Rows()
    for line_no, row in enumerate(reader, start=2):
        if line_no > MAX_ROWS + 1:
            result.errors.append(f"Le fichier dépasse {MAX_ROWS} lignes.")
            break
        error = rows.add(line_no, {k: (v or "").strip() for k, v in row.items() if k})
        if error:
            result.errors.append(f"Ligne {line_no} : {error}")
    if result.errors:
        return result
    with transaction.atomic():
        _save(rows, result)
        journal.record(
            "import_collectivites",
            actor=actor,
            details={
                "collectivites_creees": result.collectivites_created,
                "collectivites_modifiees": result.collectivites_updated,
                "budgets_crees": result.budgets_created,
                "budgets_modifies": result.budgets_updated,
            },
        )
    return result


def _reader(raw: bytes, result: ImportResult) -> csv.DictReader[str] | None:
    """The CSV rows with lower-cased column names (`;` or `,`), or None and the error in `result`."""
    try:
        text = _decode(raw)
    except ValueError:
        result.errors.append("Le fichier n'est ni en UTF-8 ni en Windows-1252.")
        return None
    sample = text[:2048]
    delimiter = ";" if sample.count(";") >= sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header and c != "actif"]
    if missing:
        result.errors.append(
            "Colonnes manquantes : " + ", ".join(missing) + ". Attendu : " + ";".join(COLUMNS) + "."
        )
        return None
    reader.fieldnames = header
    return reader


class _Rows:
    """The rows checked so far: collectivités by SIRET (an existing one is updated), budgets
    in file order with their line number and SIRET."""

    def __init__(self) -> None:
        self.postes = {p.codique: p for p in PosteComptable.objects.all()}
        self.natures = {c.value: c for c in NatureCollectivite} | {
            c.label.lower(): c for c in NatureCollectivite
        }
        self.collectivites: dict[str, Collectivite] = {}
        self.budgets: list[tuple[int, str, Budget]] = []
        self.seen_budgets: set[tuple[str, str, str]] = set()

    def add(self, line_no: int, row: dict[str, str]) -> str | None:
        """Check one row and keep it; or return what is wrong with it."""
        siret = row["siret"].replace(" ", "")
        error = self._collectivite(siret, row)
        if error:
            return error
        budget = Budget(
            cod_col=row["cod_col"],
            cod_bud=row["cod_bud"],
            libelle=row["libelle_budget"],
            nomenclature=row.get("nomenclature") or Nomenclature.M57,
            actif=row.get("actif", "1").lower() not in {"0", "non", "false", "faux", "n"},
        )
        try:
            budget.full_clean(exclude=["collectivite"], validate_unique=False)
        except ValidationError as exc:
            return _messages(exc, budget)
        key = (siret, budget.cod_col, budget.cod_bud)
        if key in self.seen_budgets:
            return "budget en double dans le fichier."
        self.seen_budgets.add(key)
        self.budgets.append((line_no, siret, budget))
        return None

    def _collectivite(self, siret: str, row: dict[str, str]) -> str | None:
        poste = self.postes.get(row["codique"])
        if poste is None:
            return f"poste comptable « {row['codique']} » inconnu."
        nature = self.natures.get(row["nature"].lower())
        if nature is None:
            return f"nature « {row['nature']} » inconnue."
        if siret in self.collectivites:
            return None
        coll = Collectivite.objects.filter(siret=siret).first() or Collectivite(siret=siret)
        coll.nom, coll.nature, coll.poste, coll.departement = (
            row["nom"],
            nature,
            poste,
            row["departement"],
        )
        try:
            coll.full_clean(validate_unique=False)
        except ValidationError as exc:
            return _messages(exc, coll)
        self.collectivites[siret] = coll
        return None


def _save(rows: _Rows, result: ImportResult) -> None:
    """Write the collectivités, then the budgets (an existing budget is updated)."""
    for coll in rows.collectivites.values():
        if coll.pk:
            result.collectivites_updated += 1
        else:
            result.collectivites_created += 1
        coll.save()
    for _, siret, budget in rows.budgets:
        coll = rows.collectivites[siret]
        existing = Budget.objects.filter(
            collectivite=coll, cod_col=budget.cod_col, cod_bud=budget.cod_bud
        ).first()
        if existing:
            existing.libelle, existing.nomenclature, existing.actif = (
                budget.libelle,
                budget.nomenclature,
                budget.actif,
            )
            existing.save()
            result.budgets_updated += 1
        else:
            budget.collectivite = coll
            budget.save()
            result.budgets_created += 1
