import pytest
from django.core.management import call_command

from pigp.passerelle.models import Flux, MailboxItem, StatutFlux


@pytest.mark.django_db(transaction=True)
def test_demo_deposits_flows_through_the_real_pipeline():
    call_command("demo")
    statuts = sorted(Flux.objects.values_list("statut", flat=True))
    assert statuts.count(StatutFlux.ACQUITTE) == 3, list(
        Flux.objects.values_list("original_name", "message")
    )
    assert statuts.count(StatutFlux.REFUSE) == 1
    assert MailboxItem.objects.count() == 3
    call_command("demo")
    assert Flux.objects.count() == 4
