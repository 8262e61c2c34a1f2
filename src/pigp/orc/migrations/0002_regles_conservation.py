"""The default retention rules: 10 years after the end of the exercice, then destruction."""

from django.db import migrations

DEFAULTS = [
    ("mandat", "Mandats"),
    ("titre", "Titres de recettes"),
    ("bordereau", "Bordereaux"),
    ("pj", "Pièces justificatives"),
    ("facture", "Factures"),
    ("flux", "Flux PES"),
]


def seed(apps, schema_editor):
    Regle = apps.get_model("orc", "RegleConservation")
    for code, libelle in DEFAULTS:
        Regle.objects.get_or_create(
            code=code, defaults={"libelle": libelle, "annees": 10, "action_finale": "Destroy"}
        )


class Migration(migrations.Migration):
    dependencies = [("orc", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
