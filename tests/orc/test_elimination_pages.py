"""Pages of elimination, legal hold and SEDA transfers: archivist, archives agent, read-only
user, outsider (404), and bounded query counts."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse

from pigp.core.models import JournalEntry
from pigp.formats import seda
from pigp.orc import elimination
from pigp.orc import seda as orc_seda
from pigp.orc.models import Elimination, StatutElimination, StatutTransfert, StatutUnite, Transfert
from tests.conftest import verified_client
from tests.orc.elimination_helpers import make_agent, make_archivist
from tests.orc.factories import add_document, make_unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def archivist(collectivite):
    return make_archivist(collectivite)


@pytest.fixture
def agent(db):
    return make_agent("31")


@pytest.fixture
def old_units(collectivite):
    units = [make_unit(collectivite, annee=2012 + n % 3) for n in range(6)]
    add_document(units[0], b"%PDF-1.4 page test")
    return units


def _login(client, user):
    return verified_client(client, user)


def test_full_workflow_through_the_pages(client, collectivite, archivist, agent, old_units):
    held = make_unit(collectivite, annee=2013)
    c = _login(client, archivist)
    page = c.get(reverse("orc:gel", args=[held.pk]))
    assert page.status_code == 200 and "Geler la pièce" in page.content.decode()
    c.post(reverse("orc:gel", args=[held.pk]), {"motif": "Contentieux fournisseur"})
    held.refresh_from_db()
    assert held.gel
    dry = c.get(reverse("orc:elimination_eligibles", args=[collectivite.pk]))
    body = dry.content.decode()
    assert (
        dry.status_code == 200
        and "6 pièces éliminables" in body
        and "Contentieux fournisseur" in body
    )
    response = c.post(reverse("orc:elimination_eligibles", args=[collectivite.pk]))
    bordereau = Elimination.objects.get()
    assert response.url == reverse("orc:elimination", args=[bordereau.pk])
    assert bordereau.ecartees[0]["id"] == held.pk
    c.post(reverse("orc:elimination_approuver", args=[bordereau.pk]))
    # the archivist cannot give the visa
    assert c.post(reverse("orc:elimination_viser", args=[bordereau.pk])).status_code == 403
    a = _login(client, agent)
    detail = a.get(reverse("orc:elimination", args=[bordereau.pk]))
    assert detail.status_code == 200 and "Viser l'élimination" in detail.content.decode()
    a.post(reverse("orc:elimination_viser", args=[bordereau.pk]))
    assert a.post(reverse("orc:elimination_executer", args=[bordereau.pk])).status_code == 403
    c = _login(client, archivist)
    c.post(reverse("orc:elimination_executer", args=[bordereau.pk]))
    bordereau.refresh_from_db()
    assert bordereau.statut == StatutElimination.EXECUTE
    assert all(
        u.statut == StatutUnite.ELIMINEE
        for u in type(held).objects.filter(pk__in=[u.pk for u in old_units])
    )
    assert JournalEntry.objects.filter(action="orc_elimination").count() == 1
    csv = c.get(reverse("orc:elimination_csv", args=[bordereau.pk]))
    assert csv["Content-Type"].startswith("text/csv") and bordereau.numero in csv.content.decode()
    pdf = c.get(reverse("orc:elimination_pdf", args=[bordereau.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert bordereau.numero in text and "Contentieux fournisseur" in text


def test_refusal_page_requires_a_motif(client, collectivite, archivist, agent, old_units):
    bordereau = elimination.etablir(collectivite, archivist, datetime.date(2026, 12, 7))
    elimination.approuver(bordereau, archivist)
    a = _login(client, agent)
    a.post(reverse("orc:elimination_refuser", args=[bordereau.pk]), {"motif": ""})
    bordereau.refresh_from_db()
    assert bordereau.statut == StatutElimination.APPROUVE
    a.post(reverse("orc:elimination_refuser", args=[bordereau.pk]), {"motif": "Intérêt historique"})
    bordereau.refresh_from_db()
    assert bordereau.statut == StatutElimination.REFUSE


def test_read_only_user_sees_but_cannot_act(client, collectivite, archivist, reader, old_units):
    bordereau = elimination.etablir(collectivite, archivist, datetime.date(2026, 12, 7))
    c = _login(client, reader)
    assert c.get(reverse("orc:eliminations")).status_code == 200
    detail = c.get(reverse("orc:elimination", args=[bordereau.pk]))
    assert detail.status_code == 200 and "Approuver" not in detail.content.decode()
    assert c.post(reverse("orc:elimination_approuver", args=[bordereau.pk])).status_code == 403
    assert c.get(reverse("orc:elimination_eligibles", args=[collectivite.pk])).status_code == 403
    assert c.post(reverse("orc:elimination_eligibles", args=[collectivite.pk])).status_code == 403
    assert c.get(reverse("orc:gel", args=[old_units[0].pk])).status_code == 403
    assert c.post(reverse("orc:gel", args=[old_units[0].pk]), {"motif": "x"}).status_code == 403
    assert c.get(reverse("orc:transferts", args=[collectivite.pk])).status_code == 200
    assert (
        c.post(
            reverse("orc:transferts", args=[collectivite.pk]), {"kind": "exercice", "annee": 2012}
        ).status_code
        == 403
    )
    bordereau.refresh_from_db()
    assert bordereau.statut == StatutElimination.PROJET
    assert not type(old_units[0]).objects.filter(gel=True).exists()


def test_outsider_gets_404_everywhere(client, collectivite, archivist, outsider, old_units):
    bordereau = elimination.etablir(collectivite, archivist, datetime.date(2026, 12, 7))
    transfert = orc_seda.exporter(
        collectivite, archivist, orc_seda.Selection("exercice", annee=2012)
    )
    other_agent = make_agent("81", email="agent.ad81@example.fr")
    for user in (outsider, other_agent):
        c = _login(client, user)
        listing = c.get(reverse("orc:eliminations"))
        assert listing.status_code == 200 and bordereau.numero not in listing.content.decode()
        for name, args in [
            ("orc:elimination", [bordereau.pk]),
            ("orc:elimination_csv", [bordereau.pk]),
            ("orc:elimination_pdf", [bordereau.pk]),
            ("orc:elimination_eligibles", [collectivite.pk]),
            ("orc:gel", [old_units[0].pk]),
            ("orc:transferts", [collectivite.pk]),
            ("orc:transfert", [transfert.pk]),
            ("orc:transfert_paquet", [transfert.pk]),
        ]:
            assert c.get(reverse(name, args=args)).status_code == 404, name
        for name in (
            "orc:elimination_approuver",
            "orc:elimination_viser",
            "orc:elimination_executer",
        ):
            assert c.post(reverse(name, args=[bordereau.pk])).status_code == 404, name
        assert c.post(reverse("orc:transfert_reponse", args=[transfert.pk])).status_code == 404


def test_transfer_pages(client, collectivite, archivist, reader, old_units):
    c = _login(client, archivist)
    page = c.get(reverse("orc:transferts", args=[collectivite.pk]))
    assert page.status_code == 200 and "Préparer le paquet SEDA" in page.content.decode()
    bad = c.post(
        reverse("orc:transferts", args=[collectivite.pk]),
        {"kind": "pieces", "annee": 2012, "pieces": "99999"},
    )
    assert bad.status_code == 200 and "introuvable" in bad.content.decode()
    numeros = " ".join(u.numero for u in old_units if u.annee == 2012)
    response = c.post(
        reverse("orc:transferts", args=[collectivite.pk]),
        {"kind": "pieces", "annee": 2012, "pieces": numeros},
    )
    transfert = Transfert.objects.get()
    assert response.url == reverse("orc:transfert", args=[transfert.pk])
    download = c.get(reverse("orc:transfert_paquet", args=[transfert.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert b"".join(download.streaming_content)[:2] == b"PK"
    assert JournalEntry.objects.filter(action="orc_transfert_telecharge").count() == 1
    # a broken reply is refused in French, the right one marks the transfer
    c.post(
        reverse("orc:transfert_reponse", args=[transfert.pk]),
        {"fichier": _upload(b"<ArchiveTransferReply/>")},
    )
    transfert.refresh_from_db()
    assert transfert.statut == StatutTransfert.ENVOYE
    reply = seda.build_reply(
        message_identifier="R-1",
        request_identifier=transfert.identifiant,
        reply_code="OK",
        archival_agency="AD31",
        transferring_agency=collectivite.siret,
        date=datetime.datetime(2026, 12, 8),
    )
    followed = c.post(
        reverse("orc:transfert_reponse", args=[transfert.pk]),
        {"fichier": _upload(reply)},
        follow=True,
    )
    assert "Réponse importée" in followed.content.decode()
    transfert.refresh_from_db()
    assert transfert.statut == StatutTransfert.ACCEPTE
    r = _login(client, reader)
    assert r.get(reverse("orc:transfert", args=[transfert.pk])).status_code == 200
    assert r.get(reverse("orc:transfert_paquet", args=[transfert.pk])).status_code == 403


def _upload(content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("reponse.xml", content, content_type="application/xml")


def test_list_pages_have_bounded_queries(
    client, collectivite, archivist, agent, django_assert_max_num_queries
):
    today = datetime.date(2026, 12, 7)
    for n in range(4):
        make_unit(collectivite, annee=2012)
        bordereau = elimination.etablir(collectivite, archivist, today)
        if n % 2:
            elimination.approuver(bordereau, archivist)
    for _ in range(3):
        orc_seda.exporter(collectivite, archivist, orc_seda.Selection("exercice", annee=2012))
    for _ in range(30):
        make_unit(collectivite, annee=2013)
    c = _login(client, archivist)
    for name, args in [
        ("orc:eliminations", []),
        ("orc:elimination_eligibles", [collectivite.pk]),
        ("orc:elimination", [bordereau.pk]),
        ("orc:transferts", [collectivite.pk]),
    ]:
        with django_assert_max_num_queries(25):
            assert c.get(reverse(name, args=args)).status_code == 200
    a = _login(client, agent)
    with django_assert_max_num_queries(25):
        assert a.get(reverse("orc:eliminations")).status_code == 200
