import datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from pigp.core.demo import DEMO_PASSWORD
from pigp.core.demo_clock import Timeline
from pigp.core.models import Collectivite, Habilitation, Juridiction, PosteComptable, User

pytestmark = pytest.mark.django_db


def test_demo_is_idempotent_and_complete(capsys):
    call_command("demo")
    counts = (
        PosteComptable.objects.count(),
        Collectivite.objects.count(),
        Habilitation.objects.count(),
    )
    call_command("demo")
    assert counts == (
        PosteComptable.objects.count(),
        Collectivite.objects.count(),
        Habilitation.objects.count(),
    )
    assert counts[0] == 2 and counts[1] == 4
    assert Juridiction.objects.count() == 1
    out = capsys.readouterr().out
    for email in ["ordonnateur@", "lecture@", "comptable@", "juge@", "admin@"]:
        assert email in out
        assert User.objects.get(email__startswith=email).check_password(DEMO_PASSWORD)
    ordo = User.objects.get(email="ordonnateur@demo.pigp.fr")
    assert set(
        Habilitation.objects.in_force().filter(user=ordo).values_list("application", flat=True)
    ) == {
        "passerelle",
        "extranet",
        "chorus",
        "orc",
    }
    assert Habilitation.objects.pending().count() == 1
    # Habilitations granted at the start of the demo's year; the request is a fresh one.
    timeline = Timeline()
    for hab in Habilitation.objects.in_force():
        assert timezone.localdate(hab.decidee_le) == timeline.start
        assert timezone.localdate(hab.user.date_joined) == timeline.start
    [pending] = Habilitation.objects.pending()
    assert timezone.localdate(pending.demandee_le) == timeline.fresh[-1]
    assert timezone.now() - pending.demandee_le < datetime.timedelta(days=7)


def test_demo_refused_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        call_command("demo")


def test_demo_totp_prints_a_code(capsys):
    call_command("demo")
    call_command("demo_totp", "comptable@demo.pigp.fr")
    code = capsys.readouterr().out.strip().splitlines()[-1]
    assert len(code) == 6 and code.isdigit()
