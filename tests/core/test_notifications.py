"""E-mails: a failing mail server is tried again with a growing delay; a habilitation
decision and the task row of its e-mail commit together."""

from __future__ import annotations

import smtplib

import pytest
from django.core import mail

from pigp.core import habilitations, tasks
from pigp.core.models import Habilitation, StatutHabilitation
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_a_mail_server_that_fails_once_is_tried_again(monkeypatch):
    real = tasks.send_mail
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise smtplib.SMTPServerDisconnected("connexion perdue")
        return real(*args, **kwargs)

    monkeypatch.setattr(tasks, "send_mail", flaky)
    result = tasks.send_notification.enqueue(subject="S", body="B", recipients=["a@example.fr"])
    assert result.status == "FAILED"  # the first try is recorded as failed…
    assert len(calls) == 2 and [m.to for m in mail.outbox] == [["a@example.fr"]]  # …then sent


def test_a_mail_server_that_always_fails_is_given_up_after_the_limit(monkeypatch):
    calls = []

    def down(*args, **kwargs):
        calls.append(1)
        raise smtplib.SMTPServerDisconnected("serveur arrêté")

    monkeypatch.setattr(tasks, "send_mail", down)
    tasks.send_notification.enqueue(subject="S", body="B", recipients=["a@example.fr"])
    assert len(calls) == tasks.MAIL_ATTEMPTS and mail.outbox == []


def test_a_decision_whose_email_cannot_be_enqueued_is_not_taken(
    collectivite, comptable, monkeypatch
):
    user = make_user("agent@example.fr")
    hab = habilitations.request_habilitation(
        requester=user, collectivite=collectivite, application="passerelle", profil="transmission"
    )

    class Broken:
        def enqueue(self, **kwargs):
            raise ConnectionError("base indisponible")

    monkeypatch.setattr(habilitations, "send_notification", Broken())
    with pytest.raises(ConnectionError):
        habilitations.grant(hab, comptable=comptable)
    # Nothing half-done: not granted without its e-mail; the comptable can decide again.
    assert Habilitation.objects.get(pk=hab.pk).statut == StatutHabilitation.DEMANDEE
    with pytest.raises(ConnectionError):
        habilitations.request_habilitation(
            requester=make_user("autre@example.fr"),
            collectivite=collectivite,
            application="passerelle",
            profil="transmission",
        )
    assert not Habilitation.objects.filter(user__email="autre@example.fr").exists()
