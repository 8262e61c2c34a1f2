"""The recipient's pages with an entitled user, a read-only user, the comptable, an outsider and
the suppliers; the actions and the e-mails they send; the inbox's filters, paging and export."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.core import mail
from django.utils import timezone

from pigp.chorus.models import Facture, FactureEvent, ServiceDestinataire, StatutFacture
from pigp.core import files
from tests.chorus.factories import make_facture
from tests.chorus.samples import blank_pdf
from tests.conftest import verified_client

S = StatutFacture


def page(response) -> str:
    return response.content.decode()


@pytest.fixture
def facture(collectivite, fournisseur):
    return make_facture(collectivite, fournisseur, numero="FAC-2026-001", ttc="1234.56")


@pytest.fixture
def theirs(other_collectivite, other_fournisseur):
    return make_facture(other_collectivite, other_fournisseur, numero="AILLEURS-9")


def login(client, user):
    return verified_client(client, user)


# ------------------------------------------------------------------ inbox


def test_inbox_for_the_entitled_user(client, entitled, collectivite, facture, theirs):
    response = login(client, entitled).get(f"/chorus/collectivites/{collectivite.pk}/factures/")
    assert response.status_code == 200
    html = page(response)
    assert "FAC-2026-001" in html and "1\u202f234,56 EUR" in html.replace("\xa0", "\u202f")
    assert "AILLEURS-9" not in html
    assert 'name="factures"' in html and "Constater le service fait sur la sélection" in html


def test_inbox_for_a_read_only_user_and_the_comptable(
    client, reader, comptable, collectivite, facture
):
    for user in (reader, comptable):
        response = login(client, user).get(f"/chorus/collectivites/{collectivite.pk}/factures/")
        assert response.status_code == 200
        assert "FAC-2026-001" in page(response)
        assert 'name="factures"' not in page(response)


def test_inbox_is_a_404_for_an_outsider_and_a_supplier(
    client, outsider, supplier, collectivite, facture
):
    for user in (outsider, supplier):
        response = login(client, user).get(f"/chorus/collectivites/{collectivite.pk}/factures/")
        assert response.status_code == 404
        assert collectivite.nom not in page(response) and "FAC-2026-001" not in page(response)
    assert client.get("/chorus/").status_code == 404


def test_the_index_leads_to_the_only_collectivite(client, entitled, collectivite):
    response = login(client, entitled).get("/chorus/")
    assert response.status_code == 302
    assert response["Location"] == f"/chorus/collectivites/{collectivite.pk}/factures/"


def test_inbox_filters(client, entitled, collectivite, fournisseur, other_fournisseur):
    service = ServiceDestinataire.objects.create(
        collectivite=collectivite, code="ST", libelle="Technique"
    )
    make_facture(collectivite, fournisseur, numero="A-1", ttc="50.00", received_days_ago=40)
    make_facture(
        collectivite,
        other_fournisseur,
        numero="B-2",
        ttc="5000.00",
        service=service,
        code_service="ST",
        numero_engagement="EJ-42",
        statut=S.SERVICE_FAIT,
    )
    make_facture(collectivite, fournisseur, numero="C-3", statut=S.REJETEE, received_days_ago=60)
    url = f"/chorus/collectivites/{collectivite.pk}/factures/"
    login(client, entitled)

    def numeros(**query) -> list[str]:
        response = client.get(url, query)
        assert response.status_code == 200
        return [f.numero for f in response.context["page_obj"].object_list]

    assert numeros() == ["B-2", "A-1", "C-3"]
    assert numeros(statut="07") == ["B-2"]
    assert numeros(fournisseur="occitan") == ["B-2"]
    assert numeros(fournisseur=fournisseur.siret[:9]) == ["A-1", "C-3"]
    assert numeros(montant_min="200", montant_max="10 000") == ["B-2"]
    assert numeros(service=service.pk) == ["B-2"]
    assert numeros(engagement="ej-42") == ["B-2"]
    assert numeros(en_retard="on") == ["A-1"]  # C-3 is rejected: its clock stopped
    today = timezone.localdate()
    assert numeros(recue_du=(today - datetime.timedelta(days=1)).isoformat()) == ["B-2"]
    assert numeros(recue_au=(today - datetime.timedelta(days=50)).isoformat()) == ["C-3"]
    assert numeros(tri="montant") == ["A-1", "C-3", "B-2"]
    assert numeros(tri="-numero") == ["C-3", "B-2", "A-1"]
    assert numeros(tri="nimportequoi") == ["B-2", "A-1", "C-3"]
    bad = client.get(url, {"montant_min": "9", "montant_max": "1"})
    assert "Le montant minimum dépasse le montant maximum." in page(bad)


def test_inbox_pages_and_its_query_count_is_bounded(
    client, entitled, collectivite, fournisseur, other_fournisseur, django_assert_max_num_queries
):
    for i in range(60):
        make_facture(collectivite, fournisseur if i % 2 else other_fournisseur, numero=f"N-{i:03d}")
    login(client, entitled)
    url = f"/chorus/collectivites/{collectivite.pk}/factures/"
    with django_assert_max_num_queries(13):
        first = client.get(url)
    assert len(first.context["page_obj"].object_list) == 50
    with django_assert_max_num_queries(13):
        second = client.get(url, {"page": 2, "tri": "numero"})
    assert [f.numero for f in second.context["page_obj"].object_list] == [
        f"N-{i:03d}" for i in range(50, 60)
    ]


def test_csv_export_of_the_filtered_inbox(client, entitled, collectivite, fournisseur, facture):
    make_facture(collectivite, fournisseur, numero="AUTRE", statut=S.SERVICE_FAIT)
    response = login(client, entitled).get(
        f"/chorus/collectivites/{collectivite.pk}/factures/export.csv", {"statut": "03"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["N° de facture", "Type", "Fournisseur"]
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["N° de facture"] == "FAC-2026-001"
    assert row["Montant TTC"] == "1234,56" and row["Montant HT"] == "1028,80"
    assert row["Reçue le"] == facture.date_reception.astimezone().strftime("%d/%m/%Y")
    assert row["Statut"] == "Mise à disposition" and row["En retard"] == "non"


def test_csv_export_is_a_404_for_an_outsider(client, outsider, collectivite, facture):
    url = f"/chorus/collectivites/{collectivite.pk}/factures/export.csv"
    assert login(client, outsider).get(url).status_code == 404


# ------------------------------------------------------------------ invoice page


def test_invoice_page_for_the_entitled_user(client, entitled, facture):
    response = login(client, entitled).get(f"/chorus/factures/{facture.pk}/")
    assert response.status_code == 200
    html = page(response)
    assert "Facture n° FAC-2026-001" in html and "Mise à disposition" in html
    assert "Constater le service fait" in html and "Motif du rejet" in html
    assert "Délai global de paiement (30 jours)" in html and "30 jours restants" in html


def test_the_page_of_a_deposited_facturx_invoice(
    client, entitled, supplier, fournisseur, collectivite
):
    from pigp.chorus.depot import deposer
    from tests.chorus.samples import CII_EN16931, addressed, facturx

    pdf = facturx(addressed(CII_EN16931, fournisseur.siret, collectivite.siret))
    item = deposer(fournisseur, supplier, pdf, "facture.pdf").facture
    html = page(login(client, entitled).get(f"/chorus/factures/{item.pk}/"))
    assert "Factur-X, profil EN 16931" in html
    assert f'<iframe class="fr-mt-2w" src="/chorus/factures/{item.pk}/pdf/"' in html
    assert "Trennblätter A4" in html  # a line's description
    assert "Dépôt du" in html and "Règles métier (Schematron)" in html
    assert "BR-FR-05_BT-22_PMT" in html  # a warning of the validation
    assert "En cours d&#x27;acheminement" in html and supplier.email in html


def test_invoice_page_read_only_users_see_no_action(client, reader, comptable, facture):
    for user in (reader, comptable):
        response = login(client, user).get(f"/chorus/factures/{facture.pk}/")
        assert response.status_code == 200
        assert "Constater le service fait" not in page(response)
        for action in ("service-fait", "suspendre", "rejeter", "mandater"):
            posted = client.post(f"/chorus/factures/{facture.pk}/{action}/", {"motif": "x"})
            assert posted.status_code == 403
    facture.refresh_from_db()
    assert facture.statut == S.MISE_A_DISPOSITION and not mail.outbox


def test_invoice_page_is_a_404_outside(client, outsider, other_supplier, facture):
    for user in (outsider, other_supplier):
        login(client, user)
        for suffix in ("", "pdf/", "original/"):
            response = client.get(f"/chorus/factures/{facture.pk}/{suffix}")
            assert response.status_code == 404
            assert "FAC-2026-001" not in page(response)
        assert client.post(f"/chorus/factures/{facture.pk}/service-fait/").status_code == 404


def test_the_supplier_sees_its_invoice_but_does_not_act_as_recipient(
    client, supplier, fournisseur, facture
):
    response = login(client, supplier).get(f"/chorus/factures/{facture.pk}/")
    assert response.status_code == 200 and "Constater le service fait" not in page(response)
    assert "Paramètres de la structure" not in page(response)  # no recipient menu
    assert client.post(f"/chorus/factures/{facture.pk}/service-fait/").status_code == 403
    unrouted = make_facture(None, fournisseur, statut=S.A_RECYCLER, motif="SIRET inconnu")
    response = client.get(f"/chorus/factures/{unrouted.pk}/")
    assert response.status_code == 200 and "SIRET inconnu" in page(response)


def test_an_overdue_invoice_is_flagged(client, entitled, collectivite, fournisseur):
    late = make_facture(collectivite, fournisseur, received_days_ago=35)
    html = page(login(client, entitled).get(f"/chorus/factures/{late.pk}/"))
    assert "En retard" in html and "35 jours écoulés" in html


def test_the_pdf_is_shown_in_the_browser_and_the_original_downloaded(
    client, reader, collectivite, fournisseur
):
    pdf = files.store_bytes(blank_pdf(), media_type="application/pdf")
    with_pdf = make_facture(collectivite, fournisseur, format="pdf", original=pdf, pdf=pdf)
    login(client, reader)
    response = client.get(f"/chorus/factures/{with_pdf.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    original = client.get(f"/chorus/factures/{with_pdf.pk}/original/")
    assert original["Content-Disposition"].startswith("attachment")
    assert original["Content-Type"] == "application/octet-stream"
    b"".join(original.streaming_content)
    without = make_facture(collectivite, fournisseur)
    assert client.get(f"/chorus/factures/{without.pk}/pdf/").status_code == 404


# ------------------------------------------------------------------ actions


def test_service_fait_then_mandatee_and_the_supplier_is_told(client, entitled, facture, supplier):
    login(client, entitled)
    response = client.post(f"/chorus/factures/{facture.pk}/service-fait/", follow=True)
    assert "Le service fait est constaté" in page(response)
    facture.refresh_from_db()
    assert facture.statut == S.SERVICE_FAIT
    assert sorted(mail.outbox[0].to) == sorted(
        [facture.fournisseur.email, "vendeur@lauragais.example.fr"]
    )
    assert "« Service fait »" in mail.outbox[0].body
    assert (
        client.post(f"/chorus/factures/{facture.pk}/mandater/", {"numero_mandat": ""}).status_code
        == 302
    )
    facture.refresh_from_db()
    assert facture.statut == S.SERVICE_FAIT
    client.post(f"/chorus/factures/{facture.pk}/mandater/", {"numero_mandat": "M-118"})
    facture.refresh_from_db()
    assert (facture.statut, facture.numero_mandat) == (S.MANDATEE, "M-118")
    assert "Numéro de mandat : M-118" in mail.outbox[-1].body
    event = FactureEvent.objects.filter(facture=facture).latest("pk")
    assert (event.statut, event.actor) == (S.MANDATEE, entitled)


@pytest.mark.parametrize(("action", "statut"), [("suspendre", S.SUSPENDUE), ("rejeter", S.REJETEE)])
def test_suspend_and_reject_need_a_motif(client, entitled, facture, action, statut):
    login(client, entitled)
    response = client.post(f"/chorus/factures/{facture.pk}/{action}/", {"motif": ""}, follow=True)
    assert "Un motif est obligatoire" in page(response)
    facture.refresh_from_db()
    assert facture.statut == S.MISE_A_DISPOSITION and not mail.outbox
    client.post(f"/chorus/factures/{facture.pk}/{action}/", {"motif": "Bon de commande absent"})
    facture.refresh_from_db()
    assert (facture.statut, facture.motif) == (statut, "Bon de commande absent")
    assert "Motif : Bon de commande absent" in mail.outbox[0].body


def test_a_refused_action_is_said_and_changes_nothing(client, entitled, collectivite, fournisseur):
    rejected = make_facture(collectivite, fournisseur, statut=S.REJETEE, numero="R-9")
    login(client, entitled)
    response = client.post(f"/chorus/factures/{rejected.pk}/service-fait/", follow=True)
    assert "La facture n° R-9 est « Rejetée » : elle ne peut pas passer à « Service fait »" in page(
        response
    )
    rejected.refresh_from_db()
    assert rejected.statut == S.REJETEE and not mail.outbox
    assert client.get(f"/chorus/factures/{rejected.pk}/service-fait/").status_code == 405


def test_bulk_service_fait(client, entitled, collectivite, fournisseur, facture, theirs):
    second = make_facture(collectivite, fournisseur, numero="FAC-2026-002")
    rejected = make_facture(collectivite, fournisseur, statut=S.REJETEE, numero="R-1")
    login(client, entitled)
    response = client.post(
        f"/chorus/collectivites/{collectivite.pk}/factures/service-fait/",
        {"factures": [facture.pk, second.pk, rejected.pk, theirs.pk], "retour": "statut=03"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/chorus/collectivites/{collectivite.pk}/factures/?statut=03"
    statuses = dict(Facture.objects.values_list("numero", "statut"))
    assert statuses == {
        "FAC-2026-001": S.SERVICE_FAIT,
        "FAC-2026-002": S.SERVICE_FAIT,
        "R-1": S.REJETEE,
        "AILLEURS-9": S.MISE_A_DISPOSITION,
    }
    assert len(mail.outbox) == 2
    followed = page(client.get(response["Location"]))
    assert "Service fait constaté sur 2 factures" in followed
    assert "La facture n° R-1 est « Rejetée »" in followed


def test_bulk_service_fait_is_refused_to_a_reader(client, reader, collectivite, facture):
    login(client, reader)
    url = f"/chorus/collectivites/{collectivite.pk}/factures/service-fait/"
    assert client.post(url, {"factures": [facture.pk]}).status_code == 403
    facture.refresh_from_db()
    assert facture.statut == S.MISE_A_DISPOSITION


# ------------------------------------------------------------------ structure settings


def test_structure_settings_for_the_entitled_user(client, entitled, collectivite):
    login(client, entitled)
    url = f"/chorus/collectivites/{collectivite.pk}/structure/"
    assert client.get(url).status_code == 200
    client.post(url, {"service_code_requis": "on"})
    structure = collectivite.structure_chorus
    assert structure.service_code_requis and not structure.engagement_requis
    client.post(
        f"/chorus/collectivites/{collectivite.pk}/services/ajouter/",
        {"code": "ST", "libelle": "Services techniques", "actif": "on"},
    )
    service = ServiceDestinataire.objects.get(collectivite=collectivite, code="ST")
    assert service.actif
    duplicate = client.post(
        f"/chorus/collectivites/{collectivite.pk}/services/ajouter/",
        {"code": "ST", "libelle": "Autre", "actif": "on"},
    )
    assert "Ce code service existe déjà" in page(duplicate)
    client.post(
        f"/chorus/collectivites/{collectivite.pk}/services/{service.pk}/",
        {"code": "ST", "libelle": "Services techniques", "engagement_requis": "on"},
    )
    service.refresh_from_db()
    assert not service.actif and service.engagement_requis
    assert "désactivé" in page(client.get(url))


def test_structure_settings_read_only_and_outsider(client, reader, outsider, collectivite):
    url = f"/chorus/collectivites/{collectivite.pk}/structure/"
    login(client, reader)
    response = client.get(url)
    assert response.status_code == 200 and "Enregistrer" not in page(response)
    assert client.post(url, {"service_code_requis": "on"}).status_code == 403
    add = f"/chorus/collectivites/{collectivite.pk}/services/ajouter/"
    assert client.get(add).status_code == 403
    login(client, outsider)
    assert client.get(url).status_code == 404
    assert client.get(add).status_code == 404


def test_a_service_of_another_collectivite_is_a_404(
    client, entitled, other_collectivite, collectivite
):
    theirs = ServiceDestinataire.objects.create(
        collectivite=other_collectivite, code="X", libelle="X"
    )
    login(client, entitled)
    url = f"/chorus/collectivites/{collectivite.pk}/services/{theirs.pk}/"
    assert client.get(url).status_code == 404
