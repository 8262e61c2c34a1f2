"""The day a titre reached its recovery stage (PES_Retour recette: InfoAmiableContentieux)."""

from django.db import migrations, models

STAGE_EVENT = "Stade de recouvrement"  # recovery.set_stade's PieceEvent message


def backfill(apps, schema_editor):
    """Stages set before this field: the day of their latest PieceEvent."""
    Piece = apps.get_model("helios", "Piece")
    PieceEvent = apps.get_model("helios", "PieceEvent")
    staged = Piece.objects.exclude(stade="").filter(date_stade__isnull=True)
    for piece in staged.only("pk").iterator():
        event = (
            PieceEvent.objects.filter(piece_id=piece.pk, message__startswith=STAGE_EVENT)
            .order_by("-at", "-id")
            .first()
        )
        if event is not None:
            Piece.objects.filter(pk=piece.pk).update(date_stade=event.at.date())


class Migration(migrations.Migration):
    dependencies = [
        ("helios", "0004_statement_debits"),
    ]

    operations = [
        migrations.AddField(
            model_name="piece",
            name="date_stade",
            field=models.DateField(blank=True, null=True, verbose_name="stade atteint le"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
