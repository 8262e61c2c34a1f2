"""Who sees what: the collectivité's users with an extranet habilitation (any profile) and the
comptable of its poste see everything, read-only; anyone else gets a 404 that leaks nothing."""

from __future__ import annotations

import pytest

from tests.extranet.conftest import urls

ENTITLED = ["entitled", "reader", "comptable"]
REFUSED = ["outsider_extranet", "other_comptable", "juge", "passerelle_only", "outsider"]


def test_entitled_users_see_every_page(data, logged, request):
    from pigp.helios.models import Paiement

    pages = urls(data)
    reference = Paiement.objects.get(piece=data.mandats[0]).reference
    for name in ENTITLED:
        client = logged(request.getfixturevalue(name))
        for page, url in pages.items():
            response = client.get(url)
            response.close()  # the PJ and the XLSX are files
            assert response.status_code == 200, (name, page)
        mandat = client.get(pages["mandat"]).content.decode()
        assert data.mandats[0].tiers.nom in mandat and reference in mandat


def test_everyone_else_gets_a_404_that_leaks_nothing(data, logged, request):
    pages = urls(data)
    secret = data.mandats[0].tiers.nom
    for name in REFUSED:
        client = logged(request.getfixturevalue(name))
        for page, url in pages.items():
            response = client.get(url)
            assert response.status_code == 404, (name, page)
            assert secret not in response.content.decode()


def test_the_other_collectivite_is_out_of_reach_of_the_collectivite_users(data, logged, entitled):
    client = logged(entitled)
    assert client.get(f"/extranet/mandats/{data.other_mandat.pk}/").status_code == 404
    assert client.get(f"/extranet/tiers/{data.other_mandat.tiers_id}/").status_code == 404
    other = data.other_mandat.collectivite_id
    assert client.get(f"/extranet/collectivites/{other}/").status_code == 404
    # A titre is not a mandat: no mandat page for it.
    assert client.get(f"/extranet/mandats/{data.titres[0].pk}/").status_code == 404


def test_index_leads_to_the_users_collectivite_or_is_a_404(data, logged, request):
    coll = data.collectivite.pk
    for name in ENTITLED:
        response = logged(request.getfixturevalue(name)).get("/extranet/")
        assert response.status_code == 302 and response.url == f"/extranet/collectivites/{coll}/"
    response = logged(request.getfixturevalue("outsider_extranet")).get("/extranet/")
    assert response.url == f"/extranet/collectivites/{data.other_mandat.collectivite_id}/"
    for name in ["juge", "passerelle_only"]:
        assert logged(request.getfixturevalue(name)).get("/extranet/").status_code == 404


def test_a_user_of_several_collectivites_chooses_one(data, logged, entitled, other_collectivite):
    from tests.conftest import grant

    grant(entitled, other_collectivite, "extranet", "consultation")
    page = logged(entitled).get("/extranet/").content.decode()
    assert data.collectivite.nom in page and other_collectivite.nom in page


def test_everything_is_read_only(data, logged, entitled):
    client = logged(entitled)
    for page, url in urls(data).items():
        assert client.post(url).status_code == 405, page


def test_an_ended_access_is_told_to_its_holder(data, logged, reader):
    from pigp.core.models import Habilitation, StatutHabilitation

    Habilitation.objects.filter(user=reader, application="extranet").update(
        statut=StatutHabilitation.REVOQUEE, motif="Départ du service."
    )
    response = logged(reader).get(urls(data)["tableau_de_bord"])
    assert response.status_code == 403 and "Départ du service." in response.content.decode()


def test_the_menu_and_the_portal_card_lead_to_the_extranet(data, logged, reader, passerelle_only):
    coll = data.collectivite.pk
    client = logged(reader)
    assert 'href="/extranet/"' in client.get("/").content.decode()
    response = client.get(f"/applications/extranet/{coll}/")
    assert response.status_code == 302 and response.url == f"/extranet/collectivites/{coll}/"
    assert 'href="/extranet/"' not in logged(passerelle_only).get("/").content.decode()


def test_the_pj_opens_in_the_browser(data, logged, reader):
    response = logged(reader).get(urls(data)["pj"])
    assert response["Content-Type"] == "application/pdf"
    assert not response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    response.close()


@pytest.mark.parametrize("name", ["tableau_de_bord", "paiements", "mandat", "tiers"])
def test_pages_pass_the_template_checks(data, logged, reader, name):
    # The layout marks the current page in the side menu.
    page = logged(reader).get(urls(data)[name]).content.decode()
    assert "Extranet Hélios — Commune de Saint-Orens" in page
