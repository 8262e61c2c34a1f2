import pytest
from django.core.management import call_command
from django.utils import timezone

from pigp.core.demo_clock import Timeline
from pigp.passerelle.models import Flux, MailboxItem, StatutFlux


@pytest.mark.django_db(transaction=True)
def test_demo_deposits_flows_through_the_real_pipeline():
    call_command("demo")
    # The Hélios demo deposits its own flows (PES_DEMO_*): leave them out here.
    ours = Flux.objects.exclude(nom_fic__startswith="PES_DEMO_")
    statuts = sorted(ours.values_list("statut", flat=True))
    assert statuts.count(StatutFlux.ACQUITTE) == 3, list(
        ours.values_list("original_name", "message")
    )
    assert statuts.count(StatutFlux.REFUSE) == 1
    # Every flow is acknowledged, the refused one (not a PES file) too.
    assert MailboxItem.objects.filter(kind="pes_acquit", related_flux__in=ours).count() == 4

    # They are the fresh activity: deposited over the last working days, acknowledged at
    # once, unread; what came before was read by the ordonnateur the day after.
    timeline, now = Timeline(), timezone.now()
    fresh = timeline.moment(timeline.fresh[0], 0, 0)
    for flux in ours:
        assert fresh < flux.created_at <= flux.status_changed_at < now
        assert timezone.localdate(flux.created_at) in timeline.fresh
    items = MailboxItem.objects.filter(collectivite__siret="21310555400017")
    new = items.filter(created_at__gte=fresh)
    assert new.filter(related_flux__in=ours).count() == 4
    assert not new.filter(read_at__isnull=False).exists()
    old = items.filter(created_at__lt=fresh)
    assert old.exists() and not old.filter(read_at__isnull=True).exists()
    assert all(item.read_at > item.created_at for item in old)

    call_command("demo")
    assert ours.count() == 4
