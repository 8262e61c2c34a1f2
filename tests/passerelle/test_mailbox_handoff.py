"""Mailbox notifications: the digest's task row commits with the item, an item is marked
notified only with its e-mail on the way, and the sweep sends a digest whose task was lost."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from pigp.core import files
from pigp.core.models import Application, Profil
from pigp.passerelle import mailbox
from pigp.passerelle.models import KindFlux, MailboxItem
from tests.conftest import grant, make_user

pytestmark = pytest.mark.django_db(transaction=True)

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
DIGEST = "pigp.passerelle.mailbox.send_mailbox_digest"


class Rollback(Exception):
    pass


@pytest.fixture
def recipient(collectivite):
    user = make_user("transmission@example.fr")
    grant(user, collectivite, Application.PASSERELLE, Profil.TRANSMISSION)
    return user


def test_the_digest_task_row_commits_with_the_item(collectivite):
    with override_settings(TASKS=DB_TASKS):
        with pytest.raises(Rollback), transaction.atomic():
            mailbox.deliver(collectivite, KindFlux.PES_ACQUIT, "ACQUIT_9.xml", b"<a/>")
            assert DBTaskResult.objects.filter(task_path=DIGEST).count() == 1
            raise Rollback
        assert not DBTaskResult.objects.filter(task_path=DIGEST).exists()
        assert not MailboxItem.objects.exists()
        # Outside any transaction too: item and task row in one.
        mailbox.deliver(collectivite, KindFlux.PES_ACQUIT, "ACQUIT_9.xml", b"<a/>")
        assert DBTaskResult.objects.filter(task_path=DIGEST).count() == 1


def test_a_delivery_whose_digest_cannot_be_enqueued_is_not_half_done(collectivite, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("base indisponible")

    monkeypatch.setattr(mailbox, "enqueue_later", broken)
    with pytest.raises(ConnectionError):
        mailbox.deliver(collectivite, KindFlux.PES_ACQUIT, "ACQUIT_8.xml", b"<a/>")
    assert not MailboxItem.objects.exists()  # the caller's retry delivers it whole


def test_items_are_marked_notified_only_with_their_email_on_the_way(
    collectivite, recipient, monkeypatch
):
    stored = files.store_bytes(b"<a/>", media_type="application/xml")
    item = MailboxItem.objects.create(
        collectivite=collectivite, kind=KindFlux.PES_ACQUIT, name="A.xml", fichier=stored
    )

    class Broken:
        def enqueue(self, **kwargs):
            raise ConnectionError("base indisponible")

    monkeypatch.setattr(mailbox, "send_notification", Broken())
    with pytest.raises(ConnectionError):
        mailbox.send_mailbox_digest.call(collectivite_id=collectivite.pk)
    item.refresh_from_db()
    assert item.notified_at is None  # the sweep's next digest will tell


def test_the_sweep_sends_a_digest_whose_task_was_lost(collectivite, recipient):
    from pigp.passerelle.sweep import periodic

    stored = files.store_bytes(b"<r/>", media_type="application/xml")
    item = MailboxItem.objects.create(
        collectivite=collectivite, kind=KindFlux.PES_RETOUR, name="PES2R_X.xml", fichier=stored
    )
    mail.outbox.clear()
    assert periodic()["digests"] == []  # recent: its digest may still be on its way
    late = timezone.now() - mailbox.DIGEST_DELAY - mailbox.UNNOTIFIED_GRACE
    MailboxItem.objects.filter(pk=item.pk).update(created_at=late - datetime.timedelta(seconds=1))
    assert periodic()["digests"] == [collectivite.pk]
    assert [m.to for m in mail.outbox] == [[recipient.email]]
    assert "PES2R_X.xml" in mail.outbox[0].body
    item.refresh_from_db()
    assert item.notified_at is not None
    assert periodic()["digests"] == []
