"""The supplier's Chorus API: deposit (receipt, refusals in French, size bound), its invoices,
resubmission of one À recycler, completion of one suspended — a supplier's user or token sees
its own invoices only; a collectivité's user gets 404 here."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from pigp.chorus.models import Depot, Facture, Fournisseur, IssueDepot
from pigp.passerelle.accounts import issue_token
from pigp.passerelle.models import ServiceAccount
from tests.api.chorus_helpers import DEPOTS, EMISES, RECUES, S, as_user, bearer
from tests.chorus import samples
from tests.chorus.factories import make_facture
from tests.chorus.samples import CII_EN16931, addressed
from tests.reference import pes_sample

pytestmark = pytest.mark.django_db

SUPPLIER_TOKENS = any(f.name == "compte_service" for f in Fournisseur._meta.get_fields())
needs_supplier_tokens = pytest.mark.skipif(
    not SUPPLIER_TOKENS, reason="the suppliers' tokens (Fournisseur.compte_service) are not here"
)


def upload(data: bytes, name: str = "facture.xml") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def deposit(api, data: bytes, name: str = "facture.xml", **fields):
    return api.post(DEPOTS, {"fichier": upload(data, name), **fields})


def outcomes(body) -> dict[str, str]:
    return {c["controle"]: c["resultat"] for c in body["controles"]}


@pytest.fixture
def supplier_token(fournisseur, supplier):
    account = ServiceAccount.objects.create(
        name=f"Fournisseur {fournisseur.raison_sociale}", applications=[], created_by=supplier
    )
    fournisseur.compte_service = account
    fournisseur.save()
    return issue_token(supplier, account, label="ERP").clear


# ------------------------------------------------------------------ deposit


def test_deposit_of_a_real_sample_answers_201_with_the_receipt(
    client, supplier, fournisseur, collectivite
):
    xml = addressed(CII_EN16931, fournisseur.siret, collectivite.siret)
    response = deposit(as_user(client, supplier), xml, "471102.xml")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["issue"] == "acceptee" and body["statut"] == "03"
    assert body["facture_numero"] == "471102" and body["nom_fichier"] == "471102.xml"
    assert outcomes(body)["Facture lisible"] == "ok" and outcomes(body)["Doublon"] == "ok"
    facture = Facture.objects.get(pk=body["facture"])
    assert facture.fournisseur == fournisseur and facture.collectivite == collectivite
    assert body["facture_url"] == f"{EMISES}{facture.pk}/"
    assert Depot.objects.get(pk=body["id"]).deposant == supplier
    # Deposited twice: refused as a duplicate, 422 with the receipt.
    again = deposit(client, xml, "471102.xml")
    assert again.status_code == 422
    assert outcomes(again.json())["Doublon"] == "erreur" and again.json()["facture"] is None


def test_deposit_of_a_facturx_pdf(client, supplier, fournisseur, collectivite):
    pdf = samples.facturx(addressed(CII_EN16931, fournisseur.siret, collectivite.siret))
    response = deposit(as_user(client, supplier), pdf, "facture.pdf")
    assert response.status_code == 201, response.content
    facture = Facture.objects.get(pk=response.json()["facture"])
    assert facture.format == "facturx"
    got = client.get(f"{EMISES}{facture.pk}/pdf/")
    assert got.status_code == 200 and b"".join(got.streaming_content) == pdf


def test_deposit_of_a_plain_pdf_needs_the_typed_fields(client, supplier, fournisseur, collectivite):
    api = as_user(client, supplier)
    response = deposit(api, samples.blank_pdf(), "scan.pdf")
    assert response.status_code == 422
    message = response.json()["controles"][0]["message"]
    assert "doit être accompagné de" in message and "SIRET de l'acheteur" in message
    response = deposit(
        api,
        samples.blank_pdf(),
        "scan.pdf",
        numero="PDF-1",
        date_emission="2026-11-30",
        siret_acheteur=collectivite.siret,
        montant_ht="100.00",
        montant_tva="20.00",
        montant_ttc="120.00",
        type="avoir",
    )
    assert response.status_code == 201, response.content
    facture = Facture.objects.get(pk=response.json()["facture"])
    assert (facture.numero, facture.kind, str(facture.montant_ttc)) == ("PDF-1", "avoir", "120.00")


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (None, "flux-pes.xml", "Facture lisible"),
        (b"\x00\x01 pas une facture \xff" * 30, "garbage.bin", "Facture lisible"),
        (b"<html><body>non</body></html>", "page.xml", "Facture lisible"),
    ],
)
def test_bad_files_are_refused_with_a_french_receipt(client, supplier, data, name, expected):
    if data is None:
        data = pes_sample("aller/sicoval_mandat_sur_marche.xml").read_bytes()
    response = deposit(as_user(client, supplier), data, name)
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["issue"] == IssueDepot.REFUSEE and body["facture"] is None
    [failed] = [c for c in body["controles"] if c["resultat"] == "erreur"]
    assert failed["controle"] == expected and failed["message"]
    assert Depot.objects.get(pk=body["id"]).fichier.size == len(data)  # kept, even refused


def test_deposit_input_errors_are_french_400(client, supplier):
    api = as_user(client, supplier)
    response = api.post(DEPOTS, {"numero": "x"})
    assert response.status_code == 400 and "fichier" in response.json()["erreurs"]
    response = deposit(api, b"", "vide.xml")
    assert response.status_code == 400
    assert "vide" in response.json()["detail"]
    response = api.post(DEPOTS, b"<Invoice/>", content_type="application/xml")
    assert response.status_code == 400
    assert "multipart" in response.json()["detail"]


def test_oversized_deposit_is_refused_with_413(client, supplier, settings):
    settings.PIGP_CHORUS_DEPOT_MAX_SIZE = 1000
    api = as_user(client, supplier)
    response = deposit(api, b"<" + b"x" * 5000 + b">", "gros.xml")
    assert response.status_code == 413
    assert "volumineux" in response.json()["detail"] or "taille" in response.json()["detail"]
    assert not Depot.objects.exists()
    response = api.post(
        DEPOTS, b"x" * 10, content_type="multipart/form-data; boundary=z", CONTENT_LENGTH="900000"
    )
    assert response.status_code == 413


def test_deposit_is_for_suppliers_only(client, entitled, facture):
    response = deposit(as_user(client, entitled), b"<Invoice/>")
    assert response.status_code == 404
    assert "fournisseur" in response.json()["detail"]
    client.logout()
    assert deposit(client, b"<Invoice/>").status_code == 401


@needs_supplier_tokens
def test_deposit_with_the_suppliers_token(client, supplier_token, fournisseur, collectivite):
    xml = addressed(CII_EN16931, fournisseur.siret, collectivite.siret)
    response = client.post(DEPOTS, {"fichier": upload(xml)}, headers=bearer(supplier_token))
    assert response.status_code == 201, response.content
    facture = Facture.objects.get(pk=response.json()["facture"])
    assert facture.fournisseur == fournisseur
    listed = client.get(EMISES, headers=bearer(supplier_token)).json()
    assert [r["id"] for r in listed["results"]] == [facture.pk]
    # The supplier's token reaches nothing of the recipient's.
    assert client.get(RECUES, headers=bearer(supplier_token)).json()["total"] == 0
    assert client.get(f"{RECUES}{facture.pk}/", headers=bearer(supplier_token)).status_code == 404


# ------------------------------------------------------------------ the supplier's invoices


def test_list_own_invoices_only(
    client, supplier, fournisseur, collectivite, theirs, django_assert_max_num_queries
):
    mine = [make_facture(collectivite, fournisseur, statut=s) for s in ("03", "04", "06", "07")]
    api = as_user(client, supplier)
    api.get(EMISES)
    with django_assert_max_num_queries(12):
        body = api.get(EMISES).json()
    assert {r["id"] for r in body["results"]} == {f.pk for f in mine}
    assert body["results"][0]["url"].startswith(EMISES)
    assert [r["id"] for r in api.get(EMISES, {"statut": "04"}).json()["results"]] == [mine[1].pk]
    page = api.get(EMISES, {"page_size": 3, "tri": "numero"}).json()
    assert page["pages"] == 2 and page["next"] and len(page["results"]) == 3
    assert api.get(EMISES, {"statut": "42"}).status_code == 400


def test_supplier_endpoints_are_404_for_others(
    client, entitled, other_supplier, fournisseur, collectivite
):
    facture = make_facture(collectivite, fournisseur, statut="06")
    api = as_user(client, entitled)
    assert api.get(EMISES).status_code == 404
    assert api.get(f"{EMISES}{facture.pk}/").status_code == 404
    client.logout()
    api = as_user(client, other_supplier)
    assert api.get(EMISES).json()["total"] == 0
    for path, data in (
        (f"{EMISES}{facture.pk}/", None),
        (f"{EMISES}{facture.pk}/original/", None),
        (f"{EMISES}{facture.pk}/completer/", {"commentaire": "BL joint"}),
        (f"{EMISES}{facture.pk}/resoumettre/", {"code_service": "X"}),
    ):
        response = api.post(path, data) if data else api.get(path)
        assert response.status_code == 404, path
        assert response.json()["detail"] == "Facture introuvable."
    client.logout()
    assert client.get(f"{EMISES}{facture.pk}/").status_code == 401
    assert Facture.objects.get(pk=facture.pk).statut == "06"


def test_detail_with_history_and_actions(client, supplier, fournisseur, collectivite):
    facture = make_facture(collectivite, fournisseur, statut="06", motif="Manque le BL")
    body = as_user(client, supplier).get(f"{EMISES}{facture.pk}/").json()
    assert body["statut"] == "06" and body["motif"] == "Manque le BL"
    assert body["actions"] == ["12"] and body["historique"][0]["statut"] == "06"
    assert body["original_url"] == f"{EMISES}{facture.pk}/original/"
    original = client.get(body["original_url"])
    assert original.status_code == 200 and original["X-Content-Type-Options"] == "nosniff"
    assert b"".join(original.streaming_content).startswith(b"<Invoice>")


def test_resubmit_a_recycled_invoice(client, supplier, fournisseur, collectivite):
    xml = addressed(CII_EN16931, fournisseur.siret, "21310555400025")  # an unknown buyer
    api = as_user(client, supplier)
    response = deposit(api, xml)
    assert response.status_code == 201
    body = response.json()
    assert body["issue"] == "a_recycler" and body["statut"] == "04" and body["motif"]
    pk = body["facture"]
    assert api.get(f"{EMISES}{pk}/").json()["actions"] == ["01"]
    response = api.post(
        f"{EMISES}{pk}/resoumettre/",
        {"siret_acheteur": collectivite.siret},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["issue"] == "acceptee" and response.json()["statut"] == "03"
    facture = Facture.objects.get(pk=pk)
    assert facture.collectivite == collectivite and facture.statut == S.MISE_A_DISPOSITION
    again = api.post(f"{EMISES}{pk}/resoumettre/", {"code_service": "X"})
    assert again.status_code == 409 and "pas à recycler" in again.json()["detail"]


def test_complete_a_suspended_invoice(client, supplier, fournisseur, collectivite):
    facture = make_facture(collectivite, fournisseur, statut="06")
    api = as_user(client, supplier)
    response = api.post(f"{EMISES}{facture.pk}/completer/", {"commentaire": "  "})
    assert response.status_code == 400 and "commentaire" in response.json()["erreurs"]
    response = api.post(f"{EMISES}{facture.pk}/completer/", {"commentaire": "BL joint"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["statut"] == "12" and body["historique"][-1]["motif"] == "BL joint"
    assert body["historique"][-1]["par"] == supplier.email
    response = api.post(f"{EMISES}{facture.pk}/completer/", {"commentaire": "encore"})
    assert response.status_code == 409 and "pas suspendue" in response.json()["detail"]
