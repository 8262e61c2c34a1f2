"""The recipient's Chorus API: search, read, history, status changes and downloads, with an
entitled user, a read-only one, the comptable, an outsider, a supplier, service accounts and
no one."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from pigp.chorus.models import Facture, FactureEvent
from pigp.core import files
from tests.api.chorus_helpers import RECUES, S, as_user, bearer
from tests.chorus import samples
from tests.chorus.factories import make_facture

pytestmark = pytest.mark.django_db


# ------------------------------------------------------------------ search


def test_search_lists_the_perimeter_only(client, entitled, facture, theirs):
    response = as_user(client, entitled).get(RECUES)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["total"] == 1 and body["page"] == 1 and body["pages"] == 1
    [row] = body["results"]
    assert row["numero"] == "FAC-2026-001" and row["montant_ttc"] == "1234.56"
    assert row["statut"] == "03" and row["statut_libelle"] == "Mise à disposition"
    assert row["url"] == f"{RECUES}{facture.pk}/"
    assert row["jours_restants"] == 30 and row["en_retard"] is False


def test_search_for_reader_comptable_and_read_token(
    client, reader, comptable, chorus_tokens, facture, theirs
):
    for user in (reader, comptable):
        assert [r["id"] for r in as_user(client, user).get(RECUES).json()["results"]] == [
            facture.pk
        ]
        client.logout()
    for key in ("read", "write"):
        response = client.get(RECUES, headers=bearer(chorus_tokens[key]))
        assert [r["id"] for r in response.json()["results"]] == [facture.pk]


def test_search_is_empty_for_outsiders_and_suppliers(
    client, chorus_outsider, supplier, chorus_tokens, facture
):
    for user in (chorus_outsider, supplier):
        assert as_user(client, user).get(RECUES).json()["total"] == 0
        client.logout()
    response = client.get(RECUES, headers=bearer(chorus_tokens["passerelle"]))
    assert response.json()["total"] == 0


def test_anonymous_and_bad_token_get_401_in_french(client, facture):
    for path in (RECUES, f"{RECUES}{facture.pk}/", f"{RECUES}{facture.pk}/pdf/"):
        response = client.get(path)
        assert response.status_code == 401 and "authentification" in response.json()["detail"]
    response = client.get(RECUES, headers=bearer("pigp_0123456789_" + "x" * 40))
    assert response.status_code == 401 and "Jeton" in response.json()["detail"]
    response = client.post(f"{RECUES}{facture.pk}/statut/", {"statut": "07"})
    assert response.status_code == 401


def test_search_filters(client, entitled, collectivite, fournisseur, other_fournisseur):
    old = make_facture(
        collectivite, fournisseur, numero="VIEILLE", ttc="50.00", received_days_ago=45
    )
    big = make_facture(
        collectivite,
        other_fournisseur,
        numero="GROSSE",
        ttc="9000.00",
        code_service="TECH",
        numero_engagement="EJ-77",
    )
    done = make_facture(collectivite, fournisseur, numero="FAITE", statut="07")
    api = as_user(client, entitled)

    def ids(**params) -> set[int]:
        response = api.get(RECUES, params)
        assert response.status_code == 200, response.content
        return {r["id"] for r in response.json()["results"]}

    assert ids(statut="07") == {done.pk}
    assert ids(fournisseur=other_fournisseur.siret) == {big.pk}
    assert ids(montant_min="1000") == {big.pk}
    assert ids(montant_max="60", montant_min="10") == {old.pk}
    assert ids(code_service="TECH") == {big.pk}
    assert ids(engagement="ej-7") == {big.pk}
    assert ids(en_retard="1") == {old.pk}
    today = timezone.localdate()
    assert ids(depose_au=(today - datetime.timedelta(days=40)).isoformat()) == {old.pk}
    assert ids(depose_du=today.isoformat()) == {big.pk, done.pk}
    assert ids(emise_du=today.isoformat(), emise_au=today.isoformat()) == {big.pk, done.pk}
    assert ids(numero="gros") == {big.pk}
    assert ids(destinataire=collectivite.pk) == {old.pk, big.pk, done.pk}
    rows = api.get(RECUES, {"tri": "montant"}).json()["results"]
    assert [r["numero"] for r in rows] == ["VIEILLE", "FAITE", "GROSSE"]
    rows = api.get(RECUES, {"tri": "-montant"}).json()["results"]
    assert [r["numero"] for r in rows] == ["GROSSE", "FAITE", "VIEILLE"]


def test_bad_filters_are_french_400(client, entitled):
    api = as_user(client, entitled)
    for params in (
        {"statut": "99"},
        {"depose_du": "hier"},
        {"montant_min": "beaucoup"},
        {"page": "0"},
        {"page_size": "1000"},
        {"tri": "prix"},
    ):
        response = api.get(RECUES, params)
        assert response.status_code == 400, params
        body = response.json()
        assert body["detail"] and body["erreurs"], body


def test_paging_and_bounded_queries(
    client, entitled, collectivite, fournisseur, django_assert_max_num_queries
):
    for _ in range(7):
        make_facture(collectivite, fournisseur)
    api = as_user(client, entitled)
    api.get(RECUES)  # warm the session
    with django_assert_max_num_queries(12):
        first = api.get(RECUES, {"page_size": 3, "tri": "numero"}).json()
    assert first["total"] == 7 and first["pages"] == 3 and first["previous"] is None
    assert len(first["results"]) == 3
    second = api.get(first["next"]).json()
    assert second["page"] == 2 and len(second["results"]) == 3
    last = api.get(second["next"]).json()
    assert len(last["results"]) == 1 and last["next"] is None
    seen = [r["numero"] for page in (first, second, last) for r in page["results"]]
    assert seen == sorted(seen) and len(set(seen)) == 7
    beyond = api.get(RECUES, {"page": 9, "page_size": 3}).json()
    assert beyond["results"] == [] and beyond["total"] == 7
    for _ in range(20):
        make_facture(collectivite, fournisseur)
    with django_assert_max_num_queries(12):
        assert len(api.get(RECUES).json()["results"]) == 27


# ------------------------------------------------------------------ one invoice


def test_detail_has_every_field(client, entitled, facture):
    facture.lignes = [
        {
            "id": "1",
            "description": "Ramettes",
            "quantite": "10",
            "unite": "C62",
            "prix_unitaire": "4.50",
            "montant_ht": "45.00",
            "categorie_tva": "S",
            "taux_tva": "20",
        }
    ]
    facture.rapport = [
        {"regle": "BR-FR-1", "gravite": "warning", "chemin": "/x", "ligne": 3, "message": "Note"}
    ]
    facture.numero_mandat = ""
    facture.save()
    response = as_user(client, entitled).get(f"{RECUES}{facture.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["lignes"][0]["description"] == "Ramettes"
    assert body["rapport"][0]["regle"] == "BR-FR-1"
    assert body["actions"] == ["05", "06", "07", "08"]
    assert body["historique"][0]["statut"] == "03"
    assert body["original_url"] == f"{RECUES}{facture.pk}/original/"
    assert body["pdf_url"] == f"{RECUES}{facture.pk}/pdf/"
    for key in ("mandat", "numero_mandat", "date_paiement", "reference_paiement", "jours_ecoules"):
        assert key in body
    assert body["destinataire_nom"] == facture.collectivite.nom


def test_detail_clock_when_overdue_and_paid(client, entitled, collectivite, fournisseur):
    late = make_facture(collectivite, fournisseur, received_days_ago=40)
    body = as_user(client, entitled).get(f"{RECUES}{late.pk}/").json()
    assert body["jours_ecoules"] == 40 and body["jours_restants"] == -10 and body["en_retard"]
    paid = make_facture(
        collectivite,
        fournisseur,
        statut="11",
        numero_mandat="M-12",
        date_paiement=datetime.date(2026, 3, 2),
        reference_paiement="VIR-123",
    )
    body = client.get(f"{RECUES}{paid.pk}/").json()
    assert body["date_paiement"] == "2026-03-02" and body["reference_paiement"] == "VIR-123"
    assert body["numero_mandat"] == "M-12" and body["actions"] == []


def test_detail_actions_empty_for_readers(client, reader, chorus_tokens, facture):
    assert as_user(client, reader).get(f"{RECUES}{facture.pk}/").json()["actions"] == []
    client.logout()
    body = client.get(f"{RECUES}{facture.pk}/", headers=bearer(chorus_tokens["read"])).json()
    assert body["actions"] == []


def test_outsiders_suppliers_and_passerelle_tokens_get_404(
    client, chorus_outsider, supplier, other_supplier, chorus_tokens, facture
):
    paths = [
        f"{RECUES}{facture.pk}/",
        f"{RECUES}{facture.pk}/historique/",
        f"{RECUES}{facture.pk}/original/",
        f"{RECUES}{facture.pk}/pdf/",
    ]
    # The invoice's own supplier too: the recipient's services are not its own.
    for user in (chorus_outsider, supplier, other_supplier):
        api = as_user(client, user)
        for path in paths:
            response = api.get(path)
            assert response.status_code == 404, (user, path)
            assert response.json()["detail"] == "Facture introuvable."
        assert api.post(f"{RECUES}{facture.pk}/statut/", {"statut": "07"}).status_code == 404
        client.logout()
    for path in paths:
        response = client.get(path, headers=bearer(chorus_tokens["passerelle"]))
        assert response.status_code == 404


def test_history(client, entitled, facture):
    FactureEvent.objects.create(facture=facture, statut="06", actor_label="x", motif="Manque BL")
    body = as_user(client, entitled).get(f"{RECUES}{facture.pk}/historique/").json()
    assert body["id"] == facture.pk and body["statut"] == "03"
    assert [(e["statut"], e["motif"]) for e in body["historique"]] == [
        ("03", ""),
        ("06", "Manque BL"),
    ]


# ------------------------------------------------------------------ status changes


def statut(api, facture, **data):
    return api.post(f"{RECUES}{facture.pk}/statut/", data, content_type="application/json")


def test_service_fait_then_mandater(client, entitled, facture):
    api = as_user(client, entitled)
    response = statut(api, facture, statut="07")
    assert response.status_code == 200, response.content
    assert response.json()["statut"] == "07"
    assert response.json()["historique"][-1]["par"] == entitled.email
    assert len(mail.outbox) == 1 and "Service fait" in mail.outbox[0].subject
    response = statut(api, facture, statut="08")
    assert response.status_code == 400
    assert "numéro du mandat" in response.json()["erreurs"]["numero_mandat"][0]
    response = statut(api, facture, statut="08", numero_mandat="2026-1542")
    assert response.status_code == 200 and response.json()["numero_mandat"] == "2026-1542"
    facture.refresh_from_db()
    assert facture.statut == S.MANDATEE and facture.numero_mandat == "2026-1542"


def test_motif_required_to_suspend_and_reject(client, entitled, facture):
    api = as_user(client, entitled)
    for code in ("05", "06"):
        response = statut(api, facture, statut=code, motif="  ")
        assert response.status_code == 400
        assert "motif est obligatoire" in response.json()["detail"]
    response = statut(api, facture, statut="06", motif="Bon de livraison manquant.")
    assert response.status_code == 200
    facture.refresh_from_db()
    assert facture.statut == S.SUSPENDUE and facture.motif == "Bon de livraison manquant."
    assert "Bon de livraison manquant." in mail.outbox[-1].body


def test_refused_moves_and_decisions(client, entitled, collectivite, fournisseur):
    rejected = make_facture(collectivite, fournisseur, statut="05")
    api = as_user(client, entitled)
    response = statut(api, rejected, statut="07")
    assert response.status_code == 409
    assert "ne peut pas passer" in response.json()["detail"]
    for bad in ("12", "01", "09", "x"):
        response = statut(api, rejected, statut=bad)
        assert response.status_code == 400
        assert "décision du destinataire" in response.json()["detail"]
    assert Facture.objects.get(pk=rejected.pk).statut == "05"


def test_read_only_profiles_get_403(client, reader, comptable, chorus_tokens, facture):
    for user in (reader, comptable):
        response = statut(as_user(client, user), facture, statut="07")
        assert response.status_code == 403
        assert "consultation" in response.json()["detail"]
        client.logout()
    response = client.post(
        f"{RECUES}{facture.pk}/statut/",
        {"statut": "07"},
        content_type="application/json",
        headers=bearer(chorus_tokens["read"]),
    )
    assert response.status_code == 403
    assert Facture.objects.get(pk=facture.pk).statut == "03" and not mail.outbox


def test_write_token_acts_and_is_named_in_history(client, chorus_tokens, facture):
    response = client.post(
        f"{RECUES}{facture.pk}/statut/",
        {"statut": "05", "motif": "Doublon facture"},
        content_type="application/json",
        headers=bearer(chorus_tokens["write"]),
    )
    assert response.status_code == 200, response.content
    event = facture.events.order_by("at", "pk").last()
    assert event.statut == "05" and event.actor is None
    assert event.actor_label == "compte de service « Logiciel »"


def test_post_with_session_needs_csrf(entitled, facture):
    from django.test import Client

    api = as_user(Client(enforce_csrf_checks=True), entitled)
    response = statut(api, facture, statut="07")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]


# ------------------------------------------------------------------ downloads


def test_download_original_and_rendered_pdf(client, entitled, facture):
    api = as_user(client, entitled)
    response = api.get(f"{RECUES}{facture.pk}/original/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert "facture-FAC-2026-001.xml" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/octet-stream"
    assert b"".join(response.streaming_content).startswith(b"<Invoice>")
    # The factory's original is no real invoice: no PDF can be made of it.
    response = api.get(f"{RECUES}{facture.pk}/pdf/")
    assert response.status_code == 404 and "PDF" in response.json()["detail"]


def test_pdf_of_a_real_xml_invoice_is_rendered(client, entitled, collectivite, fournisseur):
    xml = samples.addressed(samples.UBL, fournisseur.siret, collectivite.siret)
    facture = make_facture(
        collectivite,
        fournisseur,
        original=files.store_bytes(xml, media_type="application/xml"),
    )
    response = as_user(client, entitled).get(f"{RECUES}{facture.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content.startswith(b"%PDF-")


def test_deposited_pdf_is_served_as_is(client, reader, collectivite, fournisseur):
    pdf = files.store_bytes(samples.blank_pdf(), media_type="application/pdf")
    facture = make_facture(collectivite, fournisseur, original=pdf, pdf=pdf, format="pdf")
    response = as_user(client, reader).get(f"{RECUES}{facture.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == samples.blank_pdf()
    assert Decimal(client.get(f"{RECUES}{facture.pk}/").json()["montant_ttc"]) == Decimal("120")
