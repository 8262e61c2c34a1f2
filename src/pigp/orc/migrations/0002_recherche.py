"""Full-text search over the archive units, and the indexes of the search's criteria and sorts.

PostgreSQL: a stored generated `tsvector` column `recherche` (objet weighted A, the indexed
text — tiers, PJ text — weighted B, configuration `orc_francais`: `french` stemming and stop words, accents dropped by
`unaccent` when the server has it) under a
GIN index, as djangoproject.com's docs search; generated, it can never lag behind a write,
whatever writes the row (ingest, bulk load, COPY). The indexed text is cut at 500 000
characters (a tsvector is limited to 1 MB). Trigram indexes (pg_trgm, when the server lets the
migration create it) serve « tiers contains » and « objet contains ».

SQLite: an FTS5 table with external content (`orc_archiveunit`), kept by triggers, tokenizer
`unicode61 remove_diacritics 2` with prefix indexes; French stemming is approximated on the
query side (`pigp.orc.search.fts5_query`: light suffix stripping, then a prefix query).

Neither is known to Django's models (raw SQL), so `makemigrations --check` stays clean.
"""

import logging

from django.db import DatabaseError, migrations, transaction

log = logging.getLogger(__name__)

# (name, columns) of the B-tree indexes of the sorts and the criteria, on both databases.
BTREE = {
    "orc_unit_coll_paiement": "collectivite_id, date_paiement, id",
    "orc_unit_coll_emission": "collectivite_id, date_emission, id",
    "orc_unit_pec": "date_prise_en_charge, id",
    # The exercice first: a search of one exercice sorted by a date walks that year only.
    "orc_unit_annee_emission": "annee, date_emission, id",
    "orc_unit_annee_pec": "annee, date_prise_en_charge, id",
    "orc_unit_annee_paiement": "annee, date_paiement, id",
    "orc_unit_coll_annee_emission": "collectivite_id, annee, date_emission, id",
    "orc_unit_coll_pec": "collectivite_id, date_prise_en_charge, id",
    "orc_unit_coll_montant": "collectivite_id, mt_ttc, id",
    "orc_unit_coll_bordereau": "collectivite_id, numero_bordereau, numero",
    "orc_unit_paiement": "date_paiement, id",
    "orc_unit_emission": "date_emission, id",
    "orc_unit_montant": "mt_ttc, id",
    "orc_unit_tiers_nom": "tiers_nom, id",
    "orc_unit_numero": "length(numero), numero, id",  # numbers sorted as numbers
    "orc_unit_bordereau": "length(numero_bordereau), numero_bordereau, length(numero), numero, id",
    "orc_unit_objet": "objet, id",
}
# icontains is UPPER(column::text) LIKE …; startswith / contains is column::text LIKE ….
TRIGRAMS = {
    "orc_unit_tiers_trgm": "UPPER((tiers_nom)::text)",
    "orc_unit_objet_trgm": "UPPER((objet)::text)",
    "orc_unit_factures_trgm": "UPPER((numeros_factures)::text)",
    "orc_unit_natures_trgm": "(natures)::text",
    "orc_unit_fonctions_trgm": "(fonctions)::text",
}

# The text search configuration: `french` (Snowball stemmer, stop words), accents dropped
# first when the server has the `unaccent` extension (« bacteriologique » finds
# « bactériologiques »).
CONFIG = "orc_francais"
PG_COLUMN = f"""
ALTER TABLE orc_archiveunit ADD COLUMN recherche tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('{CONFIG}'::regconfig, coalesce(objet, '')), 'A') ||
    setweight(to_tsvector('{CONFIG}'::regconfig, left(coalesce(texte, ''), 500000)), 'B')
) STORED
"""


def _config(schema_editor):
    schema_editor.execute(f"CREATE TEXT SEARCH CONFIGURATION {CONFIG} (COPY = french)")
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
            schema_editor.execute(
                f"ALTER TEXT SEARCH CONFIGURATION {CONFIG} ALTER MAPPING FOR "
                "hword, hword_part, word WITH unaccent, french_stem"
            )
    except DatabaseError:
        log.warning("unaccent indisponible : la recherche en texte intégral tiendra aux accents")

SQLITE_FTS = [
    """CREATE VIRTUAL TABLE orc_archiveunit_fts USING fts5(
        objet, texte, content='orc_archiveunit', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2', prefix='3 5')""",
    """CREATE TRIGGER orc_archiveunit_fts_ai AFTER INSERT ON orc_archiveunit BEGIN
        INSERT INTO orc_archiveunit_fts(rowid, objet, texte) VALUES (new.id, new.objet, new.texte);
    END""",
    """CREATE TRIGGER orc_archiveunit_fts_ad AFTER DELETE ON orc_archiveunit BEGIN
        INSERT INTO orc_archiveunit_fts(orc_archiveunit_fts, rowid, objet, texte)
        VALUES ('delete', old.id, old.objet, old.texte);
    END""",
    """CREATE TRIGGER orc_archiveunit_fts_au AFTER UPDATE OF objet, texte ON orc_archiveunit
    BEGIN
        INSERT INTO orc_archiveunit_fts(orc_archiveunit_fts, rowid, objet, texte)
        VALUES ('delete', old.id, old.objet, old.texte);
        INSERT INTO orc_archiveunit_fts(rowid, objet, texte) VALUES (new.id, new.objet, new.texte);
    END""",
    "INSERT INTO orc_archiveunit_fts(orc_archiveunit_fts) VALUES ('rebuild')",
]


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for name, columns in BTREE.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON orc_archiveunit ({columns})")
    if vendor == "sqlite":
        for sql in SQLITE_FTS:
            schema_editor.execute(sql)
        return
    if vendor != "postgresql":
        return
    _config(schema_editor)
    schema_editor.execute(PG_COLUMN)
    schema_editor.execute(
        "CREATE INDEX orc_unit_recherche ON orc_archiveunit USING gin (recherche)"
    )
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError:
        log.warning("pg_trgm indisponible : la recherche « contient » se fera sans index")
        return
    for name, expression in TRIGRAMS.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON orc_archiveunit "
            f"USING gin (({expression}) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for trigger in ("ai", "ad", "au"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS orc_archiveunit_fts_{trigger}")
        schema_editor.execute("DROP TABLE IF EXISTS orc_archiveunit_fts")
    elif vendor == "postgresql":
        for name in TRIGRAMS:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
        schema_editor.execute("DROP INDEX IF EXISTS orc_unit_recherche")
        schema_editor.execute("ALTER TABLE orc_archiveunit DROP COLUMN IF EXISTS recherche")
        schema_editor.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {CONFIG}")
    for name in BTREE:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("orc", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
