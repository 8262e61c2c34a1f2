"""Every refused deposit answers in the mailbox, hence in SFTP `retour/` (issue 9): a file
refused on its type, a non-XML file, a broken archive used to leave SFTP-only clients with
nothing but a transfer that "looked fine"."""

from __future__ import annotations

import io

import pytest
from lxml import etree

from pigp.core import files
from pigp.formats.pes.schemas import MessageKind, get_schema
from pigp.passerelle.models import Flux, MailboxItem, StatutFlux
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

ACQUIT_NS = "http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/retour/v2"
REFUSED = {
    "acquit.xml": (
        f"<?xml version='1.0'?><n:PES_ACQUIT xmlns:n='{ACQUIT_NS}'><Enveloppe/></n:PES_ACQUIT>"
    ).encode(),
    "retour.xml": b"<?xml version='1.0'?><n:PES_Retour "
    b"xmlns:n='http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/retour'/>",
    "facture.xml": b"<?xml version='1.0'?><Facture><Montant>12</Montant></Facture>",
    "binaire.xml": bytes(range(256)) * 4,
    "lot.zip": b"PK\x03\x04" + b"\x00" * 40,
}
SEPA = (
    b"<?xml version='1.0'?><Document xmlns='urn:iso:std:iso:20022:tech:xsd:pain.001.001.03'>"
    b"<CstmrCdtTrfInitn/></Document>"
)


def test_each_refused_sftp_deposit_leaves_a_report_in_retour(server, collectivite, depositor):
    from tests.passerelle.test_sftp import sftp

    schema = get_schema("v5.17", MessageKind.ACQUIT_V2)
    with sftp(server.port, depositor.email, PASSWORD) as client:
        for name, content in REFUSED.items():
            client.putfo(io.BytesIO(content), f"/depot/{name}")
        retour = set(client.listdir("/retour"))
        for name, content in REFUSED.items():
            flux = Flux.objects.get(original_name=name)
            assert flux.statut == StatutFlux.REFUSE, (name, flux.statut, flux.message)
            item = MailboxItem.objects.get(related_flux=flux)
            assert item.kind == "pes_acquit" and item.name.startswith(f"ACQUIT_{flux.pk}_")
            assert item.name in retour, (name, item.name, retour)
            assert flux.acquit_id == item.fichier_id
            downloaded = io.BytesIO()
            client.getfo(f"/retour/{item.name}", downloaded)
            doc = etree.fromstring(downloaded.getvalue())
            assert schema.validate(doc), (name, schema.error_log)
            assert doc.find(".//EtatAck").get("V") == "0"
            assert doc.find(".//IdColl").get("V") == collectivite.siret
            reason = doc.find(".//LibelleAnoAck").get("V")
            assert name in reason and flux.message[:40] in reason
            with files.open_stored(flux.fichier) as fh:
                assert fh.read() == content  # the original kept as received


def test_refused_sepa_file_gets_a_french_text_report(server, collectivite, depositor):
    from tests.passerelle.test_sftp import sftp

    with sftp(server.port, depositor.email, PASSWORD) as client:
        client.putfo(io.BytesIO(SEPA), "/depot/virements.xml")
        flux = Flux.objects.get()
        assert flux.statut == StatutFlux.REFUSE, flux.message
        item = MailboxItem.objects.get(related_flux=flux)
        assert item.kind == "rapport_refus"
        assert item.name == f"REFUS_{flux.pk}_virements.txt"
        assert item.name in client.listdir("/retour")
        text = io.BytesIO()
        client.getfo(f"/retour/{item.name}", text)
    report = text.getvalue().decode("utf-8")
    assert "dépôt refusé" in report and "virements.xml" in report
    assert flux.message in report and collectivite.siret in report


def test_accepted_and_pes_refusals_keep_their_single_acquit(client, collectivite, depositor):
    """A PES_Aller refused by its checks has its own PES_ACQUIT: no second report."""
    from pigp.passerelle import intake

    bad = (
        b"<?xml version='1.0'?><n:PES_Aller "
        b"xmlns:n='http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller'/>"
    )
    [received] = intake.receive(
        io.BytesIO(bad), filename="vide.xml", collectivite=collectivite, canal="web"
    )
    flux = Flux.objects.get(pk=received.flux.pk)
    assert flux.statut == StatutFlux.REFUSE
    assert MailboxItem.objects.filter(related_flux=flux).count() == 1
