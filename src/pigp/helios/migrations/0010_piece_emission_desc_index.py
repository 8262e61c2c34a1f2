"""The État des paiements' default order, newest emission first with empty dates last, read from
an index on PostgreSQL (measured by benchmarks/extranet_load.py: without it every page sorts all
the collectivité's mandats). PostgreSQL cannot walk (collectivite, domaine, date_emission)
backwards for DESC NULLS LAST; SQLite can (its NULLs sort first) and needs nothing more."""

from django.db import migrations

INDEX = "helios_piece_emission_desc"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON helios_piece "
            "(collectivite_id, domaine, date_emission DESC NULLS LAST, id DESC)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("helios", "0009_piece_invoice_numbers")]

    operations = [migrations.RunPython(create, drop)]
