"""A PES_Retour in the mailbox read as a table (issue 10)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pigp.core.models import JournalEntry
from pigp.helios import retours, states
from pigp.helios.models import EtatPiece, Piece
from pigp.passerelle import mailbox, retour_table
from pigp.passerelle.models import KindFlux, MailboxItem
from tests.conftest import verified_client
from tests.flows import receive_generated

pytestmark = pytest.mark.django_db(transaction=True)
E = EtatPiece


@pytest.fixture
def retour(collectivite, tmp_path):
    """A real dépense PES_Retour written by Hélios: one pièce taken in charge, one rejected."""
    flux = receive_generated(
        collectivite,
        tmp_path / "flux.xml",
        seed=3,
        bordereaux=1,
        pieces=3,
        lignes=2,
        domaine="depense",
        exercice=2026,
        nom_fic="PES_TEST_TABLE",
    )
    dep = list(Piece.objects.filter(bordereau__flux=flux).order_by("id"))
    actor = "comptable@example.fr"
    states.transition(dep[0], E.PRISE_EN_CHARGE, actor=actor, when=dt.date(2026, 4, 1))
    states.transition(
        dep[1], E.REJETEE, actor=actor, motif_code="01 09", commentaire="RIB à corriger"
    )
    [made] = retours.generate_for_budget(collectivite.budgets.first())
    return made.mailbox_item, dep


def url(item):
    return reverse("passerelle:mailbox_item", args=[item.pk])


def test_page_shows_the_pieces_the_rejection_motif_and_comment(client, entitled, retour):
    item, dep = retour
    listing = verified_client(client, entitled).get(
        reverse("passerelle:mailbox", args=[item.collectivite_id])
    )
    assert url(item) in listing.content.decode()
    resp = client.get(url(item))
    assert resp.status_code == 200
    html = resp.content.decode()
    assert item.name in html and "dépense" in html and "2026" in html
    assert dep[0].id_pce in html and dep[1].id_pce in html
    assert "prise en charge" in html and "rejetée" in html
    assert "01 — Absence totale ou invalidité des pièces justificatives" in html
    assert "09 — Domiciliation bancaire absente ou erronée" in html
    assert "RIB à corriger" in html
    assert "2 pièces restituées" in html
    assert reverse("passerelle:mailbox_download", args=[item.pk]) in html
    item.refresh_from_db()
    assert item.read_at is not None and item.read_by == entitled.email
    assert JournalEntry.objects.filter(action="boite_aux_lettres_lu").count() == 1


def test_reader_may_read_outsider_gets_404(client, reader, outsider, retour):
    item, dep = retour
    resp = verified_client(client, reader).get(url(item))
    assert resp.status_code == 200 and dep[1].id_pce in resp.content.decode()
    client.logout()
    resp = verified_client(client, outsider).get(url(item))
    assert resp.status_code == 404
    assert item.name not in resp.content.decode()
    assert "RIB à corriger" not in resp.content.decode()
    item.refresh_from_db()
    assert item.read_by == reader.email  # the outsider marked nothing


def test_query_count_does_not_grow_with_the_pieces(client, entitled, retour):
    item, _dep = retour
    verified_client(client, entitled).get(url(item))  # first read journals once
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url(item)).status_code == 200
    assert len(ctx.captured_queries) <= 12


def test_table_is_bounded(retour):
    item, _dep = retour
    table = retour_table.read_table(item, limit=1)
    assert table.shown == 1 and table.truncated


def test_unreadable_file_gives_a_french_message_and_the_download(client, entitled, collectivite):
    item = mailbox.deliver(
        collectivite, KindFlux.PES_RETOUR, "PES2R_CASSE.xml", b"<PES_Retour><EnTetePES>"
    )
    resp = verified_client(client, entitled).get(url(item))
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "Fichier illisible" in html and "ne peut pas être lu" in html
    assert reverse("passerelle:mailbox_download", args=[item.pk]) in html
    assert MailboxItem.objects.filter(pk=item.pk).exists()


def test_comptable_follows_the_mailbox_rules_of_the_download(client, comptable, retour):
    """The mailbox is the collectivité's: the page answers exactly as the download does."""
    item, _dep = retour
    c = verified_client(client, comptable)
    download = c.get(reverse("passerelle:mailbox_download", args=[item.pk]))
    assert c.get(url(item)).status_code == download.status_code


def test_an_acquittement_has_no_table_page(client, entitled, collectivite):
    item = mailbox.deliver(collectivite, KindFlux.PES_ACQUIT, "ACQ.xml", b"<PES_ACQUIT/>")
    assert verified_client(client, entitled).get(url(item)).status_code == 404
    item.refresh_from_db()
    assert item.read_at is None


def test_storage_failure_is_a_message_not_a_500(client, entitled, retour, monkeypatch):
    item, _dep = retour

    def broken(_stored):
        raise OSError("/srv/secret/path unreachable")

    monkeypatch.setattr(retour_table.files, "open_stored", broken)
    resp = verified_client(client, entitled).get(url(item))
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "Fichier illisible" in html and "/srv/secret" not in html
