"""Alerts: each kind found on data made by Hélios' services, one e-mail per event whatever the
retries, nothing for a user whose habilitation ended, and the dashboard lists them."""

from __future__ import annotations

import datetime
import smtplib
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from tests.conftest import grant, make_user

ACTOR = "comptable@example.fr"


@pytest.fixture
def abonne(collectivite):
    """An ordonnateur who may only consult the Extranet, subscribed to nothing yet."""
    user = make_user("alertes@example.fr")
    grant(user, collectivite, "extranet", "consultation")
    return user


def subscribe(user, collectivite, kind, *, since=None, **settings):
    """A subscription, taken at `since` (before the data set's events, by default)."""
    from pigp.extranet.models import Abonnement

    since = since or timezone.now() - datetime.timedelta(days=1)
    return Abonnement.objects.create(
        user=user, collectivite=collectivite, kind=kind, cree_le=since, **settings
    )


def alerted(abonnement) -> set[int]:
    return set(abonnement.alertes.values_list("piece_id", flat=True))


def test_each_kind_is_detected_on_real_data(data, abonne):
    from pigp.extranet import alerts
    from pigp.extranet.models import KindAlerte
    from pigp.helios.models import Piece

    paid = sorted(data.mandats[:3], key=lambda m: m.mt_ttc)
    seuil = paid[1].mt_ttc
    assert paid[0].mt_ttc < seuil  # the data set's amounts differ: the threshold splits them
    today = timezone.localdate()
    late, recent = data.titres
    assert late.reste_a_recouvrer > 0 and recent.reste_a_recouvrer > 0
    Piece.objects.filter(pk=late.pk).update(date_echeance=today - datetime.timedelta(days=31))
    Piece.objects.filter(pk=recent.pk).update(date_echeance=today - datetime.timedelta(days=29))

    rejet = subscribe(abonne, data.collectivite, KindAlerte.MANDAT_REJETE)
    paye = subscribe(abonne, data.collectivite, KindAlerte.MANDAT_PAYE, seuil=seuil)
    retard = subscribe(abonne, data.collectivite, KindAlerte.TITRE_EN_RETARD, delai_jours=30)

    assert alerts.detect() == 4
    assert alerted(rejet) == {data.mandats[3].pk}
    assert alerted(paye) == {m.pk for m in paid[1:]}
    assert alerted(retard) == {late.pk}
    assert alerts.detect() == 0  # found again, recorded once


def test_a_new_subscription_does_not_replay_the_past(data, abonne):
    from pigp.extranet import alerts
    from pigp.extranet.models import KindAlerte
    from pigp.helios import states
    from pigp.helios.models import EtatPiece

    rejet = subscribe(abonne, data.collectivite, KindAlerte.MANDAT_REJETE, since=timezone.now())
    assert alerts.detect() == 0  # mandats[3] was rejected before
    states.transition(
        data.mandats[5], EtatPiece.REJETEE, actor=ACTOR, motif_code="09", commentaire="RIB faux"
    )
    assert alerts.detect() == 1
    assert alerted(rejet) == {data.mandats[5].pk}


def test_the_digest_sends_each_event_once(data, abonne, settings):
    from pigp.extranet import alerts
    from pigp.extranet.models import Alerte, KindAlerte

    settings.SITE_URL = "https://pigp.example.fr/"
    subscribe(abonne, data.collectivite, KindAlerte.MANDAT_REJETE)
    mail.outbox.clear()
    assert alerts.send_alert_digests.call() == 1
    assert [m.to for m in mail.outbox] == [[abonne.email]]
    body = mail.outbox[0].body
    assert data.collectivite.nom in body and "Mandat rejeté" in body
    assert f"Mandat n° {data.mandats[3].id_pce}" in body
    assert f"https://pigp.example.fr/extranet/mandats/{data.mandats[3].pk}/" in body
    assert Alerte.objects.get().envoyee_le is not None
    assert alerts.send_alert_digests.call() == 0
    assert len(mail.outbox) == 1


def test_a_mail_server_failure_is_retried_without_sending_twice(data, abonne, monkeypatch):
    from pigp.core import tasks
    from pigp.extranet import alerts
    from pigp.extranet.models import KindAlerte

    real, calls = tasks.send_mail, []
    failures = iter([smtplib.SMTPServerDisconnected("connexion perdue")])

    def flaky(*args, **kwargs):
        calls.append(args[0])
        if (failure := next(failures, None)) is not None:
            raise failure
        return real(*args, **kwargs)

    monkeypatch.setattr(tasks, "send_mail", flaky)
    subscribe(abonne, data.collectivite, KindAlerte.MANDAT_REJETE)
    mail.outbox.clear()
    assert alerts.send_alert_digests.call() == 1
    assert alerts.send_alert_digests.call() == 0
    assert len(calls) == 2  # the failed try, then its retry
    assert [m.to for m in mail.outbox] == [[abonne.email]]


def test_alerts_whose_email_cannot_be_enqueued_wait_for_the_next_digest(data, abonne, monkeypatch):
    from pigp.extranet import alerts
    from pigp.extranet.models import Alerte, KindAlerte

    class Broken:
        def enqueue(self, **kwargs):
            raise ConnectionError("base indisponible")

    subscribe(abonne, data.collectivite, KindAlerte.MANDAT_REJETE)
    with monkeypatch.context() as patch:
        patch.setattr(alerts, "send_notification", Broken())
        with pytest.raises(ConnectionError):
            alerts.send_alert_digests.call()
    assert Alerte.objects.get().envoyee_le is None  # not marked without its e-mail
    mail.outbox.clear()
    assert alerts.send_alert_digests.call() == 1
    assert [m.to for m in mail.outbox] == [[abonne.email]]


def test_nothing_for_a_user_whose_habilitation_was_revoked(data, abonne, comptable):
    from pigp.core import habilitations
    from pigp.core.models import Habilitation
    from pigp.extranet import alerts
    from pigp.extranet.models import Alerte, KindAlerte

    subscribe(abonne, data.collectivite, KindAlerte.MANDAT_REJETE)
    habilitations.revoke(
        Habilitation.objects.get(user=abonne), comptable=comptable, motif="Départ de l'agent"
    )
    mail.outbox.clear()
    assert alerts.send_alert_digests.call() == 0
    assert not Alerte.objects.exists()
    assert [m for m in mail.outbox if abonne.email in m.to] == []


def test_an_alert_found_before_a_revocation_is_not_sent_after_it(data, abonne, comptable):
    from pigp.core import habilitations
    from pigp.core.models import Habilitation
    from pigp.extranet import alerts
    from pigp.extranet.models import KindAlerte

    subscribe(abonne, data.collectivite, KindAlerte.MANDAT_REJETE)
    assert alerts.detect() == 1
    habilitations.revoke(
        Habilitation.objects.get(user=abonne), comptable=comptable, motif="Départ de l'agent"
    )
    mail.outbox.clear()
    assert alerts.send_user_digest(abonne) == 0
    assert [m for m in mail.outbox if abonne.email in m.to] == []


def test_the_daily_digest_is_enqueued_once_a_day(db, settings):
    from pigp.extranet import alerts
    from pigp.extranet.models import DigestRun
    from pigp.passerelle.signals import worker_sweep

    settings.PIGP_EXTRANET_ALERT_HOUR = 6
    day = timezone.make_aware(datetime.datetime(2026, 3, 2, 5, 59))
    assert alerts.schedule_daily(day) is False  # too early
    assert alerts.schedule_daily(day + datetime.timedelta(minutes=1)) is True
    assert alerts.schedule_daily(day + datetime.timedelta(hours=3)) is False
    assert alerts.schedule_daily(day + datetime.timedelta(days=1, minutes=1)) is True
    assert DigestRun.objects.count() == 2
    # The worker's sweep is what calls it: today's digest at the first sweep after the hour.
    settings.PIGP_EXTRANET_ALERT_HOUR = 0
    launched = "Récapitulatif quotidien des alertes de l'Extranet lancé."
    assert launched in [a for _r, a in worker_sweep.send_robust(sender=None, startup=False)]
    assert launched not in [a for _r, a in worker_sweep.send_robust(sender=None, startup=False)]
    assert DigestRun.objects.filter(jour=timezone.localdate()).count() == 1


def test_the_dashboard_lists_the_users_latest_alerts(data, abonne, reader, logged):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from pigp.extranet import alerts
    from pigp.extranet.models import KindAlerte

    url = f"/extranet/collectivites/{data.collectivite.pk}/"
    client = logged(abonne)
    client.get(url)  # the session's first request sets it up
    with CaptureQueriesContext(connection) as without:
        client.get(url)
    subscribe(abonne, data.collectivite, KindAlerte.MANDAT_PAYE, seuil=Decimal("0"))
    assert alerts.detect() == 3
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url).content.decode()
    assert len(queries) == len(without)  # the alerts' list is one query, whatever its length
    assert "Mes dernières alertes" in page
    for mandat in data.mandats[:3]:
        assert f'href="/extranet/mandats/{mandat.pk}/">Mandat n° {mandat.id_pce}' in page
    other = logged(reader).get(url).content.decode()  # another user's alerts are his own
    assert "Aucune alerte pour l'instant." in other
    assert f">Mandat n° {data.mandats[0].id_pce}</a> (" not in other
