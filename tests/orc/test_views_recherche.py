"""ORC's search and consultation pages: who sees what (404 for anyone else), the pièce's page,
its documents shown or downloaded through the silo, eliminated documents, the journal, and
bounded query counts."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from pigp.core.models import JournalEntry
from tests.conftest import grant, make_user, verified_client
from tests.orc.factories import add_document, make_unit

PDF = b"%PDF-1.4\n% facture de test\n"


@pytest.fixture
def unit(collectivite):
    unit = make_unit(
        collectivite,
        annee=2023,
        numero="4051",
        numero_bordereau="77",
        objet="Entretien des espaces verts",
        tiers_nom="Jardins du Touch",
        tiers_siret="81234567900018",
        mt_ttc=Decimal("1 500.00".replace(" ", "")),
        texte="Facture de tonte et d'élagage du parc municipal",
        metadata={
            "lignes": [
                {"numero": 1, "nature": "61521", "fonction": "823", "montant_ht": "1250.00"},
            ],
            "paiements": [{"date": "2023-04-02", "montant": "1500.00", "reference": "E2E-1"}],
            "mode_paiement": "virement",
            "bordereau": {"numero": "77", "emis_le": "2023-03-28"},
            "evenements": [{"etat": "payee", "at": "2023-04-02T09:15:00+00:00"}],
        },
    )
    add_document(unit, PDF, nom="facture-4051.pdf", texte="tonte élagage")
    add_document(unit, b"<PES_Aller/>", nom="flux.xml", role="flux", media_type="application/xml")
    return unit


@pytest.fixture
def juge(juridiction):
    return make_user("juge@example.fr", juridiction=juridiction)


@pytest.fixture
def other_juge(db):
    from pigp.core.models import Juridiction

    crc = Juridiction.objects.create(nom="CRC Bretagne", departements="22, 29, 35, 56")
    return make_user("juge.bretagne@example.fr", juridiction=crc)


@pytest.fixture
def orc_reader(collectivite):
    user = make_user("orc.lecteur@example.fr")
    grant(user, collectivite, "orc", "consultation")
    return user


READERS = ["entitled", "reader", "orc_reader", "comptable", "juge"]
STRANGERS = ["outsider", "other_comptable", "other_juge"]


def documents(unit):
    pdf = unit.documents.get(nom="facture-4051.pdf")
    xml = unit.documents.get(nom="flux.xml")
    return pdf, xml


@pytest.mark.django_db
@pytest.mark.parametrize("who", READERS)
def test_readers_search_open_the_piece_and_its_documents(client, request, unit, who):
    user = request.getfixturevalue(who)
    client = verified_client(client, user)
    response = client.get("/orc/", {"tiers": "jardins"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "1 pièce trouvée" in body
    assert f"/orc/pieces/{unit.pk}/" in body

    response = client.get(f"/orc/pieces/{unit.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Mandat n° 4051" in body
    assert "Payée" in body
    assert "Lignes de la pièce" in body and "61521" in body
    assert "Paiements" in body and "E2E-1" in body
    assert "Mode paiement" in body and "virement" in body
    assert "N° : 77, Émis le : 28/03/2023" in body
    assert "Historique" in body and "02/04/2023 09:15" in body

    pdf, xml = documents(unit)
    response = client.get(f"/orc/documents/{pdf.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF

    response = client.get(f"/orc/documents/{xml.pk}/")  # not a PDF: downloaded
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == b"<PES_Aller/>"

    response = client.get(f"/orc/documents/{pdf.pk}/telecharger/")
    assert response["Content-Disposition"].startswith("attachment")
    assert 'filename="facture-4051.pdf"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == PDF


@pytest.mark.django_db
@pytest.mark.parametrize("who", STRANGERS)
def test_anyone_else_gets_404_and_finds_nothing(client, request, unit, who):
    user = request.getfixturevalue(who)
    client = verified_client(client, user)
    pdf, _xml = documents(unit)
    for url in (
        f"/orc/pieces/{unit.pk}/",
        f"/orc/documents/{pdf.pk}/",
        f"/orc/documents/{pdf.pk}/telecharger/",
        "/orc/pieces/999999/",
    ):
        assert client.get(url).status_code == 404, url
    response = client.get("/orc/", {"numero": "4051"})
    if response.status_code == 200:  # they read ORC elsewhere
        assert f"/orc/pieces/{unit.pk}/" not in response.content.decode()
    else:
        assert response.status_code == 404


@pytest.mark.django_db
def test_no_orc_at_all_is_404(client, collectivite):
    user = make_user("sans.orc@example.fr")
    grant(user, collectivite, "extranet", "consultation")
    assert verified_client(client, user).get("/orc/").status_code == 404


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client, unit):
    response = client.get(f"/orc/pieces/{unit.pk}/")
    assert response.status_code == 302
    assert "/connexion/" in response["Location"]


@pytest.mark.django_db
def test_search_view_download_are_journaled(client, unit, juge):
    client = verified_client(client, juge)
    pdf, _xml = documents(unit)
    client.get("/orc/", {"texte": "élagages"})
    client.get(f"/orc/pieces/{unit.pk}/")
    b"".join(client.get(f"/orc/documents/{pdf.pk}/").streaming_content)
    b"".join(client.get(f"/orc/documents/{pdf.pk}/telecharger/").streaming_content)
    entries = list(JournalEntry.objects.filter(action__startswith="orc_").order_by("pk"))
    assert [e.action for e in entries] == [
        "orc_recherche",
        "orc_consultation",
        "orc_consultation",
        "orc_telechargement",
    ]
    assert entries[0].details == {"criteres": {"texte": "élagages"}, "resultats": 1}
    assert all(e.actor_id == juge.pk for e in entries)
    assert entries[3].details["sha512"] == pdf.obj.sha512


@pytest.mark.django_db
def test_full_text_shows_highlighted_excerpt(client, unit, reader):
    response = verified_client(client, reader).get("/orc/", {"texte": "élagages"})
    body = response.content.decode()
    assert "1 pièce trouvée" in body
    assert "<mark>" in body


@pytest.mark.django_db
def test_bad_input_is_a_french_error_not_a_500(client, unit, reader):
    client = verified_client(client, reader)
    response = client.get(
        "/orc/",
        {
            "siret": "123",
            "montant_min": "abc",
            "exercice": "deux mille",
            "emis_min": "2024-02-01",
            "emis_max": "2024-01-01",
            "collectivite": "999999",
            "tri": "nimporte",
            "page": "x",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Un SIRET compte 14 chiffres." in body
    assert "La date d&#x27;émission de début est après celle de fin." in body


@pytest.mark.django_db
def test_sorting_links_and_paging(client, collectivite, reader):
    for n in range(30):
        make_unit(collectivite, numero=f"{n:03d}", mt_ttc=Decimal(n))
    client = verified_client(client, reader)
    response = client.get("/orc/", {"collectivite": collectivite.pk, "tri": "montant"})
    body = response.content.decode()
    assert "30 pièces trouvées" in body
    assert 'aria-sort="ascending"' in body
    assert "tri=-montant" in body
    assert "Page suivante" in body
    page2 = client.get(
        "/orc/", {"collectivite": collectivite.pk, "tri": "montant", "page": 2}
    ).content.decode()
    assert "Mandat n° 029" in page2 and "Mandat n° 000" not in page2


@pytest.mark.django_db
def test_eliminated_documents_show_metadata_but_no_download(client, unit, reader):
    from pigp.orc import silo
    from pigp.orc.models import StatutUnite

    pdf, _xml = documents(unit)
    silo.destroy(pdf.obj)
    unit.statut = StatutUnite.ELIMINEE
    unit.eliminee_le = timezone.now()
    unit.save()
    client = verified_client(client, reader)
    body = client.get(f"/orc/pieces/{unit.pk}/").content.decode()
    assert "Pièce éliminée le" in body
    assert "Éliminé le" in body
    assert f"/orc/documents/{pdf.pk}/telecharger/" not in body
    response = client.get(f"/orc/documents/{pdf.pk}/telecharger/", follow=True)
    assert response.redirect_chain[-1][0] == f"/orc/pieces/{unit.pk}/"
    assert "a été éliminé le" in response.content.decode()
    assert not JournalEntry.objects.filter(action="orc_telechargement").exists()


@pytest.mark.django_db
def test_unreadable_copies_fail_closed(client, unit, reader):
    from pigp.orc.models import EtatCopie

    pdf, _xml = documents(unit)
    pdf.obj.copies.update(etat=EtatCopie.ALTEREE)
    response = verified_client(client, reader).get(
        f"/orc/documents/{pdf.pk}/telecharger/", follow=True
    )
    assert "ne peut pas être lu" in response.content.decode()
    assert JournalEntry.objects.filter(action="orc_lecture_impossible").exists()


@pytest.mark.django_db
def test_query_counts_are_bounded(client, collectivite, juge, django_assert_max_num_queries):
    for n in range(40):
        unit = make_unit(collectivite, texte=f"facture numéro {n}", metadata={"lignes": []})
        add_document(unit, PDF + str(n).encode(), nom=f"pj-{n}.pdf")
    client = verified_client(client, juge)
    client.get("/orc/")  # warm-up (session, templates)
    with django_assert_max_num_queries(22):
        assert client.get("/orc/", {"texte": "factures"}).status_code == 200
    with django_assert_max_num_queries(22):
        assert client.get("/orc/", {"collectivite": collectivite.pk, "page": 2}).status_code == 200
    with django_assert_max_num_queries(20):
        assert client.get(f"/orc/pieces/{unit.pk}/").status_code == 200


@pytest.mark.django_db
def test_home_card_leads_to_the_search(client, collectivite, entitled):
    response = verified_client(client, entitled).get(f"/applications/orc/{collectivite.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/orc/?collectivite={collectivite.pk}"


@pytest.mark.django_db
def test_exercice_dates(client, collectivite, reader):
    make_unit(collectivite, date_paiement=datetime.date(2024, 5, 1), numero="A1")
    make_unit(collectivite, date_paiement=datetime.date(2024, 7, 1), numero="A2")
    body = verified_client(client, reader).get("/orc/", {"paye_min": "01/06/2024"}).content.decode()
    assert "Mandat n° A2" in body and "Mandat n° A1" not in body


@pytest.mark.django_db
def test_a_wide_perimeter_gives_the_collectivite_by_siret(
    client, unit, collectivite, other_collectivite, juge, monkeypatch
):
    from pigp.orc import forms

    monkeypatch.setattr(forms, "MAX_CHOICES", 1)  # the juge reads two collectivités
    client = verified_client(client, juge)
    body = client.get("/orc/", {"collectivite": collectivite.siret}).content.decode()
    assert "Collectivité (SIRET)" in body
    assert 'class="fr-input' in body.split('id="id_collectivite"')[0].rsplit("<input", 1)[1]
    assert "1 pièce trouvée" in body
    body = client.get("/orc/", {"collectivite": "44306184100047"}).content.decode()
    assert "Aucune collectivité de votre périmètre n&#x27;a ce SIRET." in body
