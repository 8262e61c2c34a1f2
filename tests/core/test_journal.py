import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from pigp.core import journal
from pigp.core.models import JournalEntry
from pigp.core.models.journal import GENESIS_HASH, JournalImmutableError
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def _three(collectivite=None):
    user = make_user("acteur@example.fr")
    return [
        journal.record("action_un", actor=user, obj=user, details={"n": 1}),
        journal.record(
            "action_deux", actor=user, collectivite=collectivite, details={"montant": "12.50"}
        ),
        journal.record("action_trois", actor_label="anonyme", ip="192.0.2.4"),
    ]


def test_entries_are_chained(collectivite):
    entries = _three(collectivite)
    assert entries[0].previous_hash == GENESIS_HASH
    assert entries[1].previous_hash == entries[0].entry_hash
    assert entries[2].previous_hash == entries[1].entry_hash
    stored = JournalEntry.objects.get(pk=entries[1].pk)
    assert stored.compute_hash() == stored.entry_hash
    assert stored.collectivite_id == collectivite.pk
    check = journal.verify_chain()
    assert check.intact and check.checked == 3


def test_model_refuses_update_and_delete():
    entry = _three()[0]
    entry.action = "autre"
    with pytest.raises(JournalImmutableError):
        entry.save()
    with pytest.raises(JournalImmutableError):
        entry.delete()
    with pytest.raises(JournalImmutableError):
        JournalEntry.objects.filter(pk=entry.pk).update(action="autre")
    with pytest.raises(JournalImmutableError):
        JournalEntry.objects.all().delete()


def _raw(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_tampered_content_is_named():
    entries = _three()
    _raw(
        f"UPDATE {JournalEntry._meta.db_table} SET action = %s WHERE id = %s",
        ["falsifiee", entries[1].pk],
    )
    check = journal.verify_chain()
    assert not check.intact
    assert check.first_broken.pk == entries[1].pk
    with pytest.raises(CommandError, match=f"entrée n° {entries[1].pk}"):
        call_command("verify_journal")


def test_removed_entry_breaks_the_chain_at_the_next_one():
    entries = _three()
    _raw(f"DELETE FROM {JournalEntry._meta.db_table} WHERE id = %s", [entries[1].pk])
    check = journal.verify_chain()
    assert check.first_broken.pk == entries[2].pk
    assert "précédente" in check.reason


def test_removed_last_entry_is_detected():
    entries = _three()
    _raw(f"DELETE FROM {JournalEntry._meta.db_table} WHERE id = %s", [entries[2].pk])
    check = journal.verify_chain()
    assert not check.intact
    assert "fin du journal" in check.reason


def test_verify_journal_command_on_intact_chain(capsys):
    _three()
    call_command("verify_journal")
    assert "3 entrée(s) vérifiée(s)" in capsys.readouterr().out


def test_logins_are_journaled(client, collectivite):
    from tests.conftest import PASSWORD

    make_user("marie@example.fr")
    client.post("/connexion/", {"username": "marie@example.fr", "password": "faux-mot-de-passe"})
    client.post("/connexion/", {"username": "marie@example.fr", "password": PASSWORD})
    actions = list(JournalEntry.objects.values_list("action", "actor_label"))
    assert ("connexion_echouee", "marie@example.fr") in actions
    assert ("connexion", "marie@example.fr") in actions
