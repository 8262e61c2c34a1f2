"""The documents other apps give a pièce (`pigp.helios.documents`) on the Extranet's mandat and
titre pages: shown to those who see the pièce, asked for the Extranet's audience, never a 500."""

from __future__ import annotations

import datetime

import pytest

from pigp.helios import documents
from tests.extranet.conftest import urls


def _invoices(pieces, *, user, audience):
    return {
        p.pk: [
            documents.PieceDocument(
                label=f"Facture FA-{p.id_pce}",
                kind="facture",
                url=f"/chorus/{audience}/factures/{p.pk}/",
                media_type="application/pdf",
                date=datetime.date(2026, 3, 2),
            )
        ]
        for p in pieces
    }


@pytest.fixture
def provider():
    asked = []

    def invoices(pieces, *, user, audience):
        asked.append(([p.pk for p in pieces], user.email, audience))
        return _invoices(pieces, user=user, audience=audience)

    documents.register("chorus", invoices)
    yield asked
    documents.unregister("chorus")


@pytest.mark.parametrize("user", ["entitled", "reader"])
def test_mandat_and_titre_pages_list_the_documents_of_other_apps(
    data, logged, request, user, provider
):
    who = request.getfixturevalue(user)
    client = logged(who)
    mandat, titre = data.mandats[0], data.titres[0]
    page = client.get(urls(data)["mandat"]).content.decode()
    assert "Autres documents" in page and f"Facture FA-{mandat.id_pce}" in page
    assert f'href="/chorus/extranet/factures/{mandat.pk}/"' in page
    page = client.get(f"/extranet/titres/{titre.pk}/").content.decode()
    assert f'href="/chorus/extranet/factures/{titre.pk}/"' in page
    assert provider == [
        ([mandat.pk], who.email, documents.EXTRANET),
        ([titre.pk], who.email, documents.EXTRANET),
    ]


def test_outsider_gets_404_and_the_provider_is_not_asked(data, logged, outsider_extranet, provider):
    response = logged(outsider_extranet).get(urls(data)["mandat"])
    assert response.status_code == 404 and provider == []


def test_a_failing_provider_leaves_the_mandat_page_up(data, logged, reader, caplog):
    def broken(pieces, **kw):
        raise RuntimeError("service indisponible")

    documents.register("orc", broken)
    try:
        response = logged(reader).get(urls(data)["mandat"])
    finally:
        documents.unregister("orc")
    assert response.status_code == 200
    page = response.content.decode()
    assert "n'ont pas pu être listés" in page and "Pièces justificatives" in page
