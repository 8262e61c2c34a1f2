"""Search of the archived pièces: one service for the search page and the benchmark.

Criteria (`Criteria`, from the form or a script) narrow the units the user reads
(`access.units_for`); the full text (« texte ») runs on PostgreSQL's `tsvector` column
`recherche` (configuration `orc_francais`: `french` stems and stop words, no accents) under its GIN index, and on
SQLite's FTS5 table `orc_archiveunit_fts`, where French stemming is approximated on the query
side (`fts5_query`). Both are made by migration 0004_recherche.

A search returns one page, sorted on any column with the primary key as tie-breaker (stable),
its count capped (`CAP`: nobody pages through 1 000 pièces, they narrow the search), its
rows read in two steps (the page's ids, then those rows), and highlighted excerpts of the
page's rows only (`ts_headline` / FTS5 `snippet`), escaped then marked with `<mark>`.
"""

from __future__ import annotations

import datetime
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import BooleanField, F, Q, QuerySet
from django.db.models.expressions import OrderBy, RawSQL
from django.db.models.functions import Length
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from pigp.core.models import User
from pigp.orc import access, fulltext_schema
from pigp.orc.models import ArchiveUnit

CAP = 1_000
PAGE_SIZE = 25
EXCERPT_CHARS = 100_000  # of each unit's text, for its excerpt (PostgreSQL)

# Sort keys of the result columns: (key, columns); the primary key ends every order.
# Numbers are text: shorter first, then in order (« 9 » before « 10 »).
_NUMERO = (Length("numero"), "numero")
SORTS: dict[str, tuple[str | Length, ...]] = {
    "collectivite": ("collectivite__nom",),
    "exercice": ("annee",),
    "numero": _NUMERO,
    "bordereau": (Length("numero_bordereau"), "numero_bordereau", *_NUMERO),
    "tiers": ("tiers_nom",),
    "objet": ("objet",),
    "montant": ("mt_ttc",),
    "emission": ("date_emission",),
    "prise_en_charge": ("date_prise_en_charge",),
    "paiement": ("date_paiement",),
}
DEFAULT_SORT = "-emission"

# Markers of the highlighted words, made HTML once the excerpt is escaped.
_OPEN, _CLOSE = "\u2045", "\u2046"
_MARKED = re.compile(f"{_OPEN}([^{_OPEN}{_CLOSE}]*){_CLOSE}")


@dataclass(frozen=True)
class Criteria:
    """What the user asks; empty values do not narrow the search."""

    collectivite: int | None = None
    budget: int | None = None
    exercice: int | None = None
    domaine: str = ""  # depense (mandats) / recette (titres)
    bordereau: str = ""
    numero: str = ""
    tiers: str = ""  # the name contains
    siret: str = ""
    montant_min: Decimal | None = None
    montant_max: Decimal | None = None
    emis_min: datetime.date | None = None
    emis_max: datetime.date | None = None
    pris_en_charge_min: datetime.date | None = None
    pris_en_charge_max: datetime.date | None = None
    paye_min: datetime.date | None = None
    paye_max: datetime.date | None = None
    objet: str = ""  # the objet contains
    nature: str = ""  # a nature, or its beginning (« 60 »)
    fonction: str = ""
    facture: str = ""
    texte: str = ""  # full text over objet, tiers and PJ text

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Criteria:
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in names and v not in (None, "")}
        for key, value in values.items():
            if isinstance(value, str):
                values[key] = value.strip()
        return cls(**values)

    def as_details(self) -> dict[str, str]:
        """The criteria set, for the journal."""
        return {
            f.name: str(getattr(self, f.name))
            for f in fields(self)
            if getattr(self, f.name) not in (None, "")
        }

    def is_empty(self) -> bool:
        return not self.as_details()


def _word(column: str, value: str) -> Q:
    """`column` holds space-separated codes: one of them starts with `value`."""
    return Q(**{f"{column}__startswith": value}) | Q(**{f"{column}__contains": f" {value}"})


def apply(qs: QuerySet[ArchiveUnit], c: Criteria) -> QuerySet[ArchiveUnit]:
    exact = {
        "collectivite_id": c.collectivite,
        "budget_id": c.budget,
        "annee": c.exercice,
        "domaine": c.domaine,
        "numero_bordereau": c.bordereau,
        "numero": c.numero,
        "tiers_siret": re.sub(r"\s", "", c.siret),
        "mt_ttc__gte": c.montant_min,
        "mt_ttc__lte": c.montant_max,
        "date_emission__gte": c.emis_min,
        "date_emission__lte": c.emis_max,
        "date_prise_en_charge__gte": c.pris_en_charge_min,
        "date_prise_en_charge__lte": c.pris_en_charge_max,
        "date_paiement__gte": c.paye_min,
        "date_paiement__lte": c.paye_max,
        "tiers_nom__icontains": c.tiers,
        "objet__icontains": c.objet,
        "numeros_factures__icontains": c.facture,
    }
    qs = qs.filter(**{k: v for k, v in exact.items() if v not in (None, "")})
    if c.nature:
        qs = qs.filter(_word("natures", c.nature))
    if c.fonction:
        qs = qs.filter(_word("fonctions", c.fonction))
    if c.texte:
        qs = full_text(qs, c.texte)
    return qs


# --- full text ---------------------------------------------------------------------------

# Words FTS5 would otherwise require (PostgreSQL's `french` configuration drops them itself).
STOP_WORDS = frozenset(
    [
        "a",
        "au",
        "aux",
        "avec",
        "ce",
        "ces",
        "d",
        "dans",
        "de",
        "des",
        "du",
        "en",
        "et",
        "l",
        "la",
        "le",
        "les",
        "leur",
        "ou",
        "par",
        "pour",
        "qu",
        "que",
        "qui",
        "sa",
        "se",
        "ses",
        "son",
        "sur",
        "un",
        "une",
    ]
)
# Light French suffix stripping, longest first (a prefix query does the rest).
SUFFIXES = ("issements", "issement", "ements", "ement", "ations", "ation", "euses", "euse",
            "eurs", "eur", "ives", "ive", "ifs", "if", "es", "e", "s", "x")  # fmt: skip


def _plain(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def stem(word: str) -> str:
    """A light French stem: `factures`, `facture` and `facturation` all give `factur`."""
    word = _plain(word)
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def words(text: str) -> list[str]:
    return [w for w in re.findall(r"\w+", text) if _plain(w) not in STOP_WORDS]


def fts5_query(text: str) -> str:
    """The FTS5 query of the user's words: each word's stem as a quoted prefix, all required
    (quoted, the user's text can never be read as FTS5 syntax)."""
    return " ".join(f'"{stem(w)}"*' for w in words(text))


def full_text(qs: QuerySet[ArchiveUnit], text: str) -> QuerySet[ArchiveUnit]:
    if not words(text):  # only stop words or punctuation: nothing to look for
        return qs
    if connection.vendor == "postgresql":
        condition = RawSQL(
            "orc_archiveunit.recherche @@ websearch_to_tsquery('orc_francais'::regconfig, %s)",
            [text],
            output_field=BooleanField(),
        )
        return qs.filter(condition)
    condition = RawSQL(
        "orc_archiveunit.id IN (SELECT rowid FROM orc_archiveunit_fts "
        "WHERE orc_archiveunit_fts MATCH %s)",
        [fts5_query(text)],
        output_field=BooleanField(),
    )
    return qs.filter(condition)


def marked(raw: str) -> SafeString:
    """`raw` with the highlight markers: escaped, then each marked span in `<mark>`."""
    html = _MARKED.sub(r"<mark>\1</mark>", str(escape(raw)))
    return mark_safe(html.replace(_OPEN, "").replace(_CLOSE, ""))  # escaped above


def excerpts(ids: Sequence[int], text: str) -> dict[int, SafeString]:
    """Highlighted excerpts of the units `ids` for the full-text search `text`."""
    if not ids or not text.strip():
        return {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT id, ts_headline('orc_francais'::regconfig, "
                "  translate(left(objet || ' — ' || texte, %s), %s, ''), "
                "  websearch_to_tsquery('orc_francais'::regconfig, %s), %s) "
                "FROM orc_archiveunit WHERE id = ANY(%s)",
                [
                    EXCERPT_CHARS,
                    _OPEN + _CLOSE,
                    text,
                    f"StartSel={_OPEN}, StopSel={_CLOSE}, MaxWords=30, MinWords=12, "
                    'MaxFragments=2, FragmentDelimiter=" … "',
                    list(ids),
                ],
            )
        else:
            query = fts5_query(text)
            if not query:
                return {}
            cursor.execute(
                "SELECT rowid, snippet(orc_archiveunit_fts, -1, %s, %s, ' … ', 24) "
                "FROM orc_archiveunit_fts WHERE orc_archiveunit_fts MATCH %s "
                "AND rowid IN (SELECT value FROM json_each(%s))",
                [_OPEN, _CLOSE, query, json.dumps(list(ids))],
            )
        return {pk: marked(raw or "") for pk, raw in cursor.fetchall()}


def ensure_index(using: str = "default", **kwargs: Any) -> None:
    """Put back what migration 0004_recherche made and a later table rebuild dropped (SQLite):
    the B-tree indexes, and the FTS5 triggers (then the index is rebuilt). Idempotent; nothing
    before that migration is applied (no FTS5 table, no `recherche` column)."""
    from django.db import connections

    conn = connections[using]
    with conn.cursor() as cursor:
        tables = conn.introspection.table_names(cursor)
        if "orc_archiveunit" not in tables:
            return
        if conn.vendor == "sqlite":
            applied = "orc_archiveunit_fts" in tables
        else:
            columns = conn.introspection.get_table_description(cursor, "orc_archiveunit")
            applied = any(c.name == "recherche" for c in columns)
        if not applied:
            return
        for name, columns_sql in fulltext_schema.BTREE.items():
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON orc_archiveunit ({columns_sql})")
        if conn.vendor != "sqlite":
            return
        cursor.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
            "AND name LIKE 'orc_archiveunit_fts_%'"
        )
        if cursor.fetchone()[0] == 3:
            return
        for sql in fulltext_schema.SQLITE_FTS[1:]:  # the triggers, then a rebuild
            cursor.execute(sql.replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS"))


# --- sorting and paging ------------------------------------------------------------------


def order(tri: str) -> tuple[str, list[OrderBy]]:
    """The valid sort (`tri`, else the default) and its ORDER BY, the primary key last."""
    key = tri.removeprefix("-")
    if key not in SORTS:
        tri, key = DEFAULT_SORT, DEFAULT_SORT.removeprefix("-")
    descending = tri.startswith("-")
    terms = [F(c) if isinstance(c, str) else c for c in (*SORTS[key], "pk")]
    return tri, [t.desc() if descending else t.asc() for t in terms]


@dataclass
class Results:
    rows: list[ArchiveUnit]
    count: int  # at most CAP
    capped: bool  # more than CAP
    page: int
    pages: int
    tri: str
    excerpts: dict[int, SafeString] = field(default_factory=dict)

    # What the pagination template (ui/_pagination.html) reads of a Django page.
    @property
    def number(self) -> int:
        return self.page

    @property
    def paginator(self) -> Results:
        return self

    @property
    def num_pages(self) -> int:
        return self.pages

    def has_previous(self) -> bool:
        return self.page > 1

    def has_next(self) -> bool:
        return self.page < self.pages

    def previous_page_number(self) -> int:
        return self.page - 1

    def next_page_number(self) -> int:
        return self.page + 1


def search(
    user: User,
    criteria: Criteria,
    *,
    tri: str = DEFAULT_SORT,
    page: int = 1,
    per_page: int = PAGE_SIZE,
) -> Results:
    """One page of the units `user` reads that meet `criteria`, sorted by `tri`."""
    # The perimeter as a list of ids, not a subquery: PostgreSQL then estimates it from its
    # statistics and combines it with the other indexes in one scan, instead of one scan of
    # the full-text or trigram index per collectivité.
    readable = list(access.readable_ids(user))
    qs = apply(ArchiveUnit.objects.filter(collectivite_id__in=readable), criteria)
    tri, ordering = order(tri)
    # The ids of at most CAP + 1 matches, in no order: their number is the capped count, and
    # when they are all (a narrow search), the page is sorted among them alone, never by
    # walking the sort's index through rows that do not match.
    matching = list(qs.order_by().values_list("pk", flat=True)[: CAP + 1])
    counted = len(matching)
    count = min(counted, CAP)
    pages = max(1, -(-count // per_page))
    page = min(max(1, page), pages)
    bottom = (page - 1) * per_page
    among = ArchiveUnit.objects.filter(pk__in=matching) if counted <= CAP else qs
    ids = list(among.order_by(*ordering).values_list("pk", flat=True)[bottom : bottom + per_page])
    found = {
        unit.pk: unit
        for unit in ArchiveUnit.objects.filter(pk__in=ids)
        .select_related("collectivite", "budget")
        .defer("texte", "metadata")
    }
    return Results(
        rows=[found[pk] for pk in ids if pk in found],
        count=count,
        capped=counted > CAP,
        page=page,
        pages=pages,
        tri=tri,
        excerpts=excerpts(ids, criteria.texte) if criteria.texte else {},
    )


# --- a pièce's page ----------------------------------------------------------------------

# French names of the metadata the ingest records (any other key is shown as it is).
METADATA_LABELS = {
    "lignes": "Lignes de la pièce",
    "evenements": "Historique",
    "paiements": "Paiements",
    "encaissements": "Encaissements",
    "recouvrements": "Recouvrements",
    "documents_manquants": "Documents non archivés",
    "notes_texte": "Extraction du texte des PDF",
    "bordereau": "Bordereau",
    "type_piece": "Type de pièce",
    "nature_piece": "Nature de la pièce",
    "mode_reglement": "Mode de règlement",
    "date_reception": "Reçue le",
    "date_echeance": "Échéance",
    "date_rejet": "Rejetée le",
    "date_solde": "Soldée le",
    "reste_a_recouvrer": "Reste à recouvrer",
    "numero": "N°",
    "libelle": "Libellé",
    "operation": "Opération",
    "mt_ht": "Montant HT",
    "mt_tva": "TVA",
    "montant": "Montant",
    "etat": "État",
    "at": "Le",
    "acteur": "Acteur",
    "date": "Date",
    "reference": "Référence",
    "campagne": "Campagne de paiement",
    "emis_le": "Émis le",
    "sha512": "SHA-512",
}
_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}).*)?$")


def _label(key: str) -> str:
    return METADATA_LABELS.get(key) or key.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Table:
    key: str
    label: str
    headers: list[str]
    rows: list[list[str]]


def metadata_tables(unit: ArchiveUnit) -> list[Table]:
    """Each list of records of the unit's metadata (lines, payments, recoveries…) as a table."""
    tables = []
    metadata = unit.metadata if isinstance(unit.metadata, dict) else {}
    for key, value in metadata.items():
        if not isinstance(value, list) or not value:
            continue
        records = [v if isinstance(v, dict) else {"valeur": v} for v in value]
        columns: list[str] = []
        for record in records:
            columns += [c for c in record if c not in columns]
        tables.append(
            Table(
                key=key,
                label=_label(key),
                headers=[_label(c) for c in columns],
                rows=[[_text(r.get(c)) for c in columns] for r in records],
            )
        )
    return tables


def metadata_facts(unit: ArchiveUnit) -> list[tuple[str, str]]:
    """The unit's other metadata (single values), as (label, value)."""
    metadata = unit.metadata if isinstance(unit.metadata, dict) else {}
    return [
        (_label(key), _text(value))
        for key, value in metadata.items()
        if not isinstance(value, list) and value not in (None, "", {})
    ]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str) and (day := _ISO_DAY.match(value)):
        y, m, d, hh, mm = day.groups()
        return f"{d}/{m}/{y}" + (f" {hh}:{mm}" if hh else "")
    if isinstance(value, dict):
        return ", ".join(f"{_label(k)} : {_text(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    return str(value)
