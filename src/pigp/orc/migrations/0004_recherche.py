"""Full-text search over the archive units, and the indexes of the search's criteria and sorts.

PostgreSQL: a stored generated `tsvector` column `recherche` (objet weighted A, the indexed
text — tiers, PJ text — weighted B; configuration `orc_francais`: `french` stemming and stop
words, accents dropped by `unaccent` when the server has it) under a GIN index, as
djangoproject.com's docs search; generated, it can never lag behind a write,
whatever writes the row (ingest, bulk load, COPY). The indexed text is cut at 500 000
characters (a tsvector is limited to 1 MB). Trigram indexes (pg_trgm, when the server lets the
migration create it) serve « tiers contains » and « objet contains ».

SQLite: an FTS5 table with external content (`orc_archiveunit`), kept by triggers, tokenizer
`unicode61 remove_diacritics 2` with prefix indexes; French stemming is approximated on the
query side (`pigp.orc.search.fts5_query`: light suffix stripping, then a prefix query).

Neither is known to Django's models (raw SQL, in `pigp.orc.fulltext_schema`), so
`makemigrations --check` stays clean.
"""

import logging

from django.db import DatabaseError, migrations, transaction

from pigp.orc.fulltext_schema import BTREE, CONFIG, PG_COLUMN, SQLITE_FTS, TRIGRAMS

log = logging.getLogger(__name__)


def _config(schema_editor):
    # Idempotent: the configuration lives in the database's schema, and a database restored
    # or migrated again may already hold it.
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_ts_config WHERE cfgname = %s", [CONFIG])
        exists = cursor.fetchone() is not None
    if not exists:
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
        "CREATE INDEX IF NOT EXISTS orc_unit_recherche ON orc_archiveunit USING gin (recherche)"
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
    dependencies = [("orc", "0003_merge")]

    operations = [migrations.RunPython(create, drop)]
