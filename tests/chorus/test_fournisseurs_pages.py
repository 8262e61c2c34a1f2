"""The supplier's pages: deposit through the web form with real samples, « Mes factures »,
« Mes dépôts », the corrections of an invoice, the API tokens; isolation between suppliers and
from the collectivités' users; query counts of the lists."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from pigp.api.tokens import TokenRejected, authenticate
from pigp.chorus.depot import deposer
from pigp.chorus.models import Depot, Facture, IssueDepot, StatutFacture
from pigp.core import files
from pigp.core.models import JournalEntry
from tests.chorus.factories import make_facture
from tests.chorus.samples import CII_EN16931, addressed, blank_pdf, facturx
from tests.conftest import verified_client
from tests.reference import pes_sample

S = StatutFacture
DEPOT = "/chorus/fournisseur/"


def upload(data: bytes, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def html(response) -> str:
    return response.content.decode()


@pytest.fixture
def logged(client, supplier):
    return verified_client(client, supplier)


def test_the_deposit_form(logged):
    response = logged.get(DEPOT)
    assert response.status_code == 200
    page = html(response)
    assert 'type="file"' in page and "multiple" in page and 'name="fichiers"' in page
    assert "chorus/depot.js" in page and "<script>" not in page


def test_several_files_in_one_post_each_get_a_receipt(logged, fournisseur, collectivite):
    pes = pes_sample("aller/sicoval_mandat_sur_marche.xml").read_bytes()
    response = logged.post(
        DEPOT,
        {
            "fichiers": [
                upload(addressed(CII_EN16931, fournisseur.siret, collectivite.siret), "a.xml"),
                upload(
                    facturx(
                        addressed(CII_EN16931, fournisseur.siret, collectivite.siret, number="FX-1")
                    ),
                    "b.pdf",
                ),
                upload(pes, "PES.xml"),
            ]
        },
    )
    assert response.status_code == 200
    depots = {d.nom_fichier: d for d in Depot.objects.filter(fournisseur=fournisseur)}
    assert set(depots) == {"a.xml", "b.pdf", "PES.xml"}
    assert depots["a.xml"].issue == IssueDepot.ACCEPTEE
    # A PES file is not an invoice: refused, with its receipt, the file kept.
    assert depots["PES.xml"].issue == IssueDepot.REFUSEE and depots["PES.xml"].facture is None
    with files.open_stored(depots["PES.xml"].fichier) as fh:
        assert fh.read() == pes
    page = html(response)
    for d in depots.values():
        assert f"/chorus/fournisseur/depots/{d.pk}/" in page
    assert "Facture lisible" in page and "Refusée" in page and "Acceptée" in page


def test_a_plain_pdf_without_its_fields_is_refused_with_a_receipt(logged, fournisseur):
    response = logged.post(DEPOT, {"fichiers": [upload(blank_pdf(), "scan.pdf")]})
    assert response.status_code == 200
    depot = Depot.objects.get(fournisseur=fournisseur)
    assert depot.issue == IssueDepot.REFUSEE
    assert "doit être accompagné de" in html(response)


def test_a_plain_pdf_with_its_fields_is_accepted(logged, fournisseur, collectivite):
    response = logged.post(
        DEPOT,
        {
            "fichiers": [upload(blank_pdf(), "scan.pdf")],
            "numero": "PDF-001",
            "date_emission": "2026-11-30",
            "siret_acheteur": collectivite.siret,
            "montant_ht": "100,00",
            "montant_tva": "20,00",
            "montant_ttc": "120,00",
        },
    )
    assert response.status_code == 200
    depot = Depot.objects.get(fournisseur=fournisseur)
    assert depot.issue == IssueDepot.ACCEPTEE, depot.controles
    assert depot.facture.numero == "PDF-001" and depot.facture.collectivite == collectivite


def test_bad_posts_get_a_french_error_never_a_500(logged, fournisseur, settings):
    response = logged.post(DEPOT, {})
    assert response.status_code == 400 and "au moins un fichier" in html(response)
    settings.PIGP_CHORUS_DEPOT_MAX_FILES = 1
    response = logged.post(DEPOT, {"fichiers": [upload(b"a", "a"), upload(b"b", "b")]})
    assert response.status_code == 400 and "au plus" in html(response)
    settings.PIGP_CHORUS_DEPOT_MAX_FILES = 20
    settings.PIGP_CHORUS_DEPOT_MAX_SIZE = 10
    response = logged.post(
        DEPOT, {"fichiers": [upload(b"x" * 11, "gros.xml"), upload(b"", "vide.xml")]}
    )
    assert response.status_code == 200
    page = html(response)
    assert "gros.xml : le fichier dépasse la taille maximale" in page
    assert "vide.xml : le fichier est vide" in page
    assert not Depot.objects.exists()


def test_mes_factures_lists_the_suppliers_invoices_with_filters_and_paging(
    logged, fournisseur, other_fournisseur, collectivite, django_assert_max_num_queries
):
    for i in range(55):
        make_facture(collectivite, fournisseur, numero=f"N-{i:03d}")
    make_facture(collectivite, fournisseur, numero="RECYCLE-1", statut=S.A_RECYCLER)
    make_facture(collectivite, other_fournisseur, numero="AUTRE-1")
    with django_assert_max_num_queries(12):
        response = logged.get("/chorus/fournisseur/factures/")
    page = html(response)
    assert response.status_code == 200 and "AUTRE-1" not in page and "RECYCLE-1" in page
    assert "Page suivante" in page and collectivite.nom in page
    assert "N-000" in html(logged.get("/chorus/fournisseur/factures/?page=2"))
    page = html(logged.get("/chorus/fournisseur/factures/?statut=04"))
    assert "RECYCLE-1" in page and "N-001" not in page
    page = html(logged.get("/chorus/fournisseur/factures/?numero=N-05"))
    assert "N-050" in page and "N-001" not in page


def test_mes_depots_and_a_receipts_page(
    logged, supplier, fournisseur, collectivite, django_assert_max_num_queries
):
    for i in range(3):
        deposer(fournisseur, supplier, f"pas une facture {i}".encode(), f"f{i}.txt")
    with django_assert_max_num_queries(12):
        response = logged.get("/chorus/fournisseur/depots/")
    assert response.status_code == 200 and "f2.txt" in html(response)
    depot = Depot.objects.filter(fournisseur=fournisseur).first()
    page = html(logged.get(f"/chorus/fournisseur/depots/{depot.pk}/"))
    assert "Compte rendu de dépôt" in page and "Facture lisible" in page
    response = logged.get(f"/chorus/fournisseur/depots/{depot.pk}/fichier/")
    assert b"".join(response.streaming_content).startswith(b"pas une facture")
    response.close()


def test_the_invoice_page_shows_history_receipts_and_payment(logged, fournisseur, collectivite):
    facture = make_facture(
        collectivite,
        fournisseur,
        numero="PAYEE-1",
        statut=S.MISE_EN_PAIEMENT,
        reference_paiement="VIR-2026-42",
    )
    facture.date_paiement = facture.date_emission
    facture.save()
    page = html(logged.get(f"/chorus/fournisseur/factures/{facture.pk}/"))
    assert "PAYEE-1" in page and "Mise en paiement" in page and "VIR-2026-42" in page
    assert "Payée le" in page and f"/chorus/factures/{facture.pk}/original/" in page
    response = logged.get(f"/chorus/factures/{facture.pk}/original/")
    assert response.status_code == 200
    response.close()


def test_resubmitting_an_invoice_a_recycler(logged, fournisseur, collectivite, other_collectivite):
    facture = make_facture(
        None, fournisseur, numero="REC-1", statut=S.A_RECYCLER, siret_acheteur="11111111111111"
    )
    url = f"/chorus/fournisseur/factures/{facture.pk}/"
    assert "Soumettre à nouveau" in html(logged.get(url))
    response = logged.post(url + "resoumettre/", {"siret_acheteur": "123"}, follow=True)
    assert "14 chiffres" in html(response)
    response = logged.post(
        url + "resoumettre/", {"siret_acheteur": collectivite.siret}, follow=True
    )
    assert "de nouveau soumise" in html(response)
    facture.refresh_from_db()
    assert facture.statut == S.MISE_A_DISPOSITION and facture.collectivite == collectivite
    assert facture.depots.count() == 1
    # Not À recycler any more: said, nothing changes.
    response = logged.post(
        url + "resoumettre/", {"siret_acheteur": collectivite.siret}, follow=True
    )
    assert "pas à recycler" in html(response)


def test_completing_a_suspended_invoice(logged, fournisseur, collectivite):
    facture = make_facture(collectivite, fournisseur, numero="SUS-1", statut=S.SUSPENDUE)
    url = f"/chorus/fournisseur/factures/{facture.pk}/"
    assert "Compléter la facture suspendue" in html(logged.get(url))
    response = logged.post(url + "completer/", {"commentaire": ""}, follow=True)
    assert "Dites ce que vous apportez" in html(response)
    response = logged.post(
        url + "completer/", {"commentaire": "Bon de livraison joint"}, follow=True
    )
    assert "est complétée" in html(response)
    facture.refresh_from_db()
    assert facture.statut == S.COMPLETEE
    assert facture.events.last().motif == "Bon de livraison joint"


def test_tokens_create_shown_once_and_revoke(logged, fournisseur):
    response = logged.post("/chorus/fournisseur/jetons/", {"label": "Logiciel de facturation"})
    page = html(response)
    assert "copiez-le maintenant" in page
    token = fournisseur.__class__.objects.get(pk=fournisseur.pk).compte_service.tokens.get()
    clear = page.split('id="jeton-clair">', 1)[1].split("<", 1)[0]
    auth = authenticate(clear)
    assert auth.account.fournisseur_chorus == fournisseur
    assert not auth.account.collectivites.exists()
    assert clear not in html(logged.get("/chorus/fournisseur/jetons/"))
    # The token's account holds no collectivité: the recipient API shows it nothing.
    api = logged.get("/api/v1/flux/", headers={"Authorization": f"Bearer {clear}"})
    assert api.status_code == 200 and not api.json()["results"], api.json()
    response = logged.post(f"/chorus/fournisseur/jetons/{token.pk}/revoquer/", follow=True)
    assert "est révoqué" in html(response)
    with pytest.raises(TokenRejected):
        authenticate(clear)
    assert JournalEntry.objects.filter(action="api_jeton_revoque").count() == 1
    assert JournalEntry.objects.filter(action="api_jeton_cree").count() == 1


def test_another_supplier_gets_404_on_every_url_with_the_first_ones_ids(
    client, supplier, other_supplier, fournisseur, collectivite
):
    facture = make_facture(collectivite, fournisseur, numero="A-1", statut=S.A_RECYCLER)
    depot = deposer(fournisseur, supplier, b"pas une facture", "x.txt")
    verified_client(client, supplier)
    client.post("/chorus/fournisseur/jetons/", {"label": "x"})
    token = fournisseur.__class__.objects.get(pk=fournisseur.pk).compte_service.tokens.get()
    verified_client(client, other_supplier)
    for url in (
        f"/chorus/fournisseur/factures/{facture.pk}/",
        f"/chorus/fournisseur/depots/{depot.pk}/",
        f"/chorus/fournisseur/depots/{depot.pk}/fichier/",
        f"/chorus/factures/{facture.pk}/original/",
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        f"/chorus/fournisseur/factures/{facture.pk}/resoumettre/",
        f"/chorus/fournisseur/factures/{facture.pk}/completer/",
        f"/chorus/fournisseur/jetons/{token.pk}/revoquer/",
    ):
        assert client.post(url, {"siret_acheteur": collectivite.siret}).status_code == 404, url
    assert "A-1" not in html(client.get("/chorus/fournisseur/factures/"))
    facture.refresh_from_db()
    token.refresh_from_db()
    assert facture.statut == S.A_RECYCLER and token.revoked_at is None


def test_collectivite_users_get_404_on_supplier_pages(
    client, entitled, reader, outsider, comptable, fournisseur, collectivite
):
    facture = make_facture(collectivite, fournisseur, numero="A-1")
    for user in (entitled, reader, outsider, comptable):
        verified_client(client, user)
        for url in (
            DEPOT,
            "/chorus/fournisseur/factures/",
            f"/chorus/fournisseur/factures/{facture.pk}/",
            "/chorus/fournisseur/depots/",
            "/chorus/fournisseur/jetons/",
        ):
            assert client.get(url).status_code == 404, (user, url)
        assert client.post(DEPOT, {}).status_code == 404


def test_anonymous_users_are_sent_to_login(client):
    response = client.get(DEPOT)
    assert response.status_code == 302 and "/connexion/" in response.url


def test_the_portal_home_shows_the_supplier_space(logged):
    page = html(logged.get("/"))
    assert "Espace fournisseur" in page and 'href="/chorus/fournisseur/"' in page
    assert "Vous n'avez encore accès à aucune application" not in page.replace("&#x27;", "'")


def test_an_invoice_deposited_on_the_web_is_journaled(logged, fournisseur, collectivite):
    logged.post(
        DEPOT,
        {
            "fichiers": [
                upload(addressed(CII_EN16931, fournisseur.siret, collectivite.siret), "a.xml")
            ]
        },
    )
    facture = Facture.objects.get()
    assert facture.statut == S.MISE_A_DISPOSITION
    assert JournalEntry.objects.filter(action="chorus_depot").count() == 1
