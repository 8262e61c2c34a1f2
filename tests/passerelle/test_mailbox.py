import io

import pytest
from django.core import mail

from pigp.core.models import Application, Profil
from pigp.passerelle import intake, mailbox
from pigp.passerelle.models import Flux, KindFlux, MailboxItem, NotificationPreference, StatutFlux
from tests.conftest import grant, make_user
from tests.flows import acquit_retour_xml, incomplete_acquit_retour_xml, retour_bytes

pytestmark = pytest.mark.django_db(transaction=True)

RETOUR_NAME = "PES2R_DEP_P_123_12_034000_20250307_20250307_20250308182309.xml"


def test_acquit_retour_marks_the_retour_acknowledged(simu):
    item = mailbox.deliver(
        simu,
        KindFlux.PES_RETOUR,
        RETOUR_NAME,
        retour_bytes(simu),
    )
    content = acquit_retour_xml(simu, RETOUR_NAME)
    [r] = intake.receive(io.BytesIO(content), filename="ack.xml", collectivite=simu, canal="api")
    flux = Flux.objects.get(pk=r.flux.pk)
    assert flux.kind == KindFlux.PES_ACQUIT_RETOUR
    assert flux.statut == StatutFlux.TRANSMIS, flux.message
    item.refresh_from_db()
    assert item.acknowledged_by_id == flux.pk


def test_acquit_retour_for_an_unknown_retour_is_refused(simu):
    content = acquit_retour_xml(simu, "PES2R_DEP_INCONNU.xml")
    [r] = intake.receive(io.BytesIO(content), filename="ack.xml", collectivite=simu, canal="api")
    flux = Flux.objects.get(pk=r.flux.pk)
    assert flux.statut == StatutFlux.REFUSE and "aucun PES_Retour" in flux.message


def test_schema_invalid_acquit_retour_is_refused_with_findings(simu):
    content = incomplete_acquit_retour_xml(simu, RETOUR_NAME)
    [r] = intake.receive(io.BytesIO(content), filename="ack.xml", collectivite=simu, canal="web")
    flux = Flux.objects.get(pk=r.flux.pk)
    assert flux.statut == StatutFlux.REFUSE
    assert flux.findings.filter(code="ERREUR_SCHEMA_INCOMPLET").exists()


def test_retour_and_acquit_cannot_be_deposited(simu):
    content = retour_bytes(simu)
    [r] = intake.receive(io.BytesIO(content), filename="r.xml", collectivite=simu, canal="web")
    flux = Flux.objects.get(pk=r.flux.pk)
    assert flux.statut == StatutFlux.REFUSE and "émis par le comptable" in flux.message


def test_deliver_is_idempotent_and_one_digest_per_user(collectivite):
    sender = make_user("transmission@example.fr")
    grant(sender, collectivite, Application.PASSERELLE, Profil.TRANSMISSION)
    quiet = make_user("silencieux@example.fr")
    grant(quiet, collectivite, Application.PASSERELLE, Profil.ADMINISTRATION)
    NotificationPreference.objects.create(user=quiet, acquittements=False, retours=False)
    reader = make_user("lecteur.seul@example.fr")
    grant(reader, collectivite, Application.PASSERELLE, Profil.CONSULTATION)
    mail.outbox.clear()
    a = mailbox.deliver(collectivite, KindFlux.PES_ACQUIT, "ACQUIT_1.xml", b"<a/>")
    again = mailbox.deliver(collectivite, KindFlux.PES_ACQUIT, "ACQUIT_1.xml", b"<a/>")
    assert a.pk == again.pk and MailboxItem.objects.count() == 1
    mailbox.deliver(collectivite, KindFlux.PES_RETOUR, "PES2R_DEP_1.xml", b"<r/>")
    # Immediate task backend: each delivery triggers a digest of what is not yet notified.
    recipients = [m.to for m in mail.outbox]
    assert recipients == [["transmission@example.fr"], ["transmission@example.fr"]]
    assert "ACQUIT_1.xml" in mail.outbox[0].body
    assert all(i.notified_at for i in MailboxItem.objects.all())


def test_mark_read_once(collectivite):
    item = mailbox.deliver(collectivite, KindFlux.PES_ACQUIT, "ACQUIT_2.xml", b"<a/>")
    mailbox.mark_read(item, "agent@example.fr")
    first = item.read_at
    mailbox.mark_read(item, "autre@example.fr")
    item.refresh_from_db()
    assert item.read_at == first and item.read_by == "agent@example.fr"
