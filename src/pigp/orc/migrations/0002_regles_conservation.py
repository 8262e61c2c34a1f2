"""Seed the default retention rules (DUA of 10 years after the exercice, then destruction).

`get_or_create` on the code: another migration seeding the same codes, or rules an
administrator already changed, are left as they are."""

from __future__ import annotations

from django.db import migrations

DEFAULTS = [
    ("mandat", "Mandats de dépense"),
    ("titre", "Titres de recette"),
    ("bordereau", "Bordereaux de mandats et de titres"),
    ("pj", "Pièces justificatives"),
    ("facture", "Factures (Chorus Pro)"),
    ("flux", "Flux PES signés, acquits et retours"),
]


def seed(apps, schema_editor):
    RegleConservation = apps.get_model("orc", "RegleConservation")
    for code, libelle in DEFAULTS:
        RegleConservation.objects.get_or_create(
            code=code, defaults={"libelle": libelle, "annees": 10, "action_finale": "Destroy"}
        )


class Migration(migrations.Migration):
    dependencies = [("orc", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
