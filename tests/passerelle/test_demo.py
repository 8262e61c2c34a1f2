import pytest
from django.core.management import call_command

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
    call_command("demo")
    assert ours.count() == 4
