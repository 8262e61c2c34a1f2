"""The Extranet's part of the demo: the demo ordonnateurs subscribe to alerts in the first
week of the history, and the daily detection (`alerts.detect`, what the worker's digest runs
first) finds the rejections, the large payments and the late titres as the year goes on, each
on the morning after it happened.

The digest e-mails are not sent for the past: the history is played before any worker starts,
and a year of e-mails would all leave at the first `make run`. The alerts stay unsent; the
worker's first digest sends them in one e-mail.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import partial

from django.conf import settings

from pigp.core.demo_clock import Timeline, workday
from pigp.core.models import Application, Collectivite, Habilitation, User
from pigp.extranet import alerts
from pigp.extranet.forms_alertes import AbonnementForm
from pigp.extranet.models import Abonnement, KindAlerte
from pigp.passerelle.models import Flux

SUBSCRIBE_AFTER = 5  # days into the history
# (e-mail, SIRET, the form's fields): what each demo user subscribes to.
SUBSCRIPTIONS: list[tuple[str, str, dict[str, str]]] = [
    ("ordonnateur@demo.pigp.fr", "21310555400017", {"kind": KindAlerte.MANDAT_REJETE}),
    (
        "ordonnateur@demo.pigp.fr",
        "21310555400017",
        {"kind": KindAlerte.MANDAT_PAYE, "seuil": "30000"},
    ),
    ("ordonnateur@demo.pigp.fr", "21310555400017", {"kind": KindAlerte.TITRE_EN_RETARD}),
    (
        "lecture@demo.pigp.fr",
        "21310555400017",
        {"kind": KindAlerte.TITRE_EN_RETARD, "delai_jours": "90"},
    ),
]


@dataclass
class Detected:
    abonnements: int = 0
    alertes: int = 0


def load_demo(timeline: Timeline | None = None) -> Detected:
    """Add the subscriptions and the daily detection to `timeline` (played at once when there
    is none); only with the history, when it is still to be played (nothing is dated back into
    a history already written). `alertes` counts the alerts once the timeline has run."""
    own = timeline is None
    timeline = timeline or Timeline()
    detected = Detected()
    if Abonnement.objects.exists() or Flux.objects.filter(nom_fic__startswith="PES_DEMO_").exists():
        return detected
    first = workday(timeline.start + datetime.timedelta(days=SUBSCRIBE_AFTER))
    timeline.add(timeline.moment(first, 9, 40), partial(_subscribe, detected))
    day = workday(first + datetime.timedelta(days=1))
    while day <= timeline.end:
        hour = settings.PIGP_EXTRANET_ALERT_HOUR
        timeline.add(timeline.moment(day, hour, 0), partial(_detect, detected), hooks=False)
        day = workday(day + datetime.timedelta(days=1))
    if own:
        timeline.run()
    return detected


def _subscribe(detected: Detected) -> None:
    """Through the form « Mes alertes » checks, by users the collectivité let in."""
    for email, siret, fields in SUBSCRIPTIONS:
        user = User.objects.filter(email=email).first()
        coll = Collectivite.objects.filter(siret=siret).first()
        if user is None or coll is None:
            continue
        granted = Habilitation.objects.in_force().filter(
            user=user, collectivite=coll, application=Application.EXTRANET
        )
        form = AbonnementForm({"seuil": "", "delai_jours": "", **fields})
        if not granted.exists() or not form.is_valid():  # pragma: no cover - known data
            continue
        data = form.cleaned_data
        alerts.subscribe(
            user,
            coll,
            kind=data["kind"],
            seuil=data["seuil"],
            delai_jours=data["delai_jours"],
        )
        detected.abonnements += 1


def _detect(detected: Detected) -> None:
    detected.alertes += alerts.detect()
