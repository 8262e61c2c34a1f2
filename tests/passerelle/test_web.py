"""The passerelle's web pages: deposit, lists, a flow's page, downloads, cancellation, mailbox,
supervision, preferences — each with an entitled user, a read-only user and an outsider."""

from __future__ import annotations

import datetime
import html
import io

import pytest
from django.utils import timezone

from pigp.core import files
from pigp.formats.pes.generator import generate_pes_aller
from pigp.passerelle import intake, mailbox
from pigp.passerelle.models import (
    Flux,
    FluxEvent,
    KindFlux,
    MailboxItem,
    NotificationPreference,
    StatutFlux,
)
from tests.conftest import grant, make_user, verified_client
from tests.flows import aller_bytes, with_wrong_bordereau_total

pytestmark = pytest.mark.django_db

GARBAGE = b"\x00\x01ceci n'est pas du XML\xff"
SECRET_NAME = "budget-confidentiel-2026.xml"


def text(response) -> str:
    return html.unescape(response.content.decode())


def body(response) -> bytes:
    if not response.streaming:
        return response.content
    # The test client closes the response (and its file) once the content is consumed.
    return b"".join(response.streaming_content)


def deposit(coll, content: bytes, name: str = SECRET_NAME, user=None, *, process=True):
    """A flow as the intake makes it; processing runs right away unless told otherwise."""
    [received] = intake.receive(
        io.BytesIO(content), filename=name, collectivite=coll, canal="web", sender_user=user
    )
    return Flux.objects.get(pk=received.flux.pk)


@pytest.fixture
def garbage_flux(collectivite, entitled, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return deposit(collectivite, GARBAGE, user=entitled)


@pytest.fixture
def posted_flux(collectivite, entitled):
    """A flow still "posté": its processing callback is never run (no on_commit capture)."""
    return deposit(collectivite, b"<pas-encore-traite/>", user=entitled)


def users_of(coll, label: str):
    writer = make_user(f"depot.{label}@example.fr")
    grant(writer, coll, "passerelle", "transmission")
    reader = make_user(f"lecture.{label}@example.fr")
    grant(reader, coll, "passerelle", "consultation")
    return writer, reader


def post_file(client, coll, content: bytes, name: str, capture):
    with capture(execute=True):
        return client.post(
            f"/passerelle/{coll.pk}/deposer/fichier/",
            {"fichiers": io.BytesIO(content) if not name else _named(content, name)},
            HTTP_ACCEPT="application/json",
        )


def _named(content: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


# ------------------------------------------------------------------------ deposit (JSON)


# As on a server: no request-wide transaction, processing runs before the answer.
@pytest.mark.django_db(transaction=True)
def test_valid_flow_accepted_through_the_json_endpoint(
    client, sicoval, django_capture_on_commit_callbacks
):
    writer, _ = users_of(sicoval, "sicoval")
    client.force_login(writer)
    content = aller_bytes(sicoval)
    response = post_file(
        client, sicoval, content, "sicoval.xml", django_capture_on_commit_callbacks
    )
    assert response.status_code == 201, text(response)
    [data] = response.json()["flux"]
    assert data["libelle"] == "Acquittement reçu" and data["final"] is True
    assert data["nouveau"] is True
    flux = Flux.objects.get(pk=data["id"])
    assert flux.canal == "web" and flux.sender_user == writer
    assert data["url"] == f"/passerelle/flux/{flux.pk}/"
    # The acknowledgement is downloadable from the flow page...
    acquit = client.get(data["acquit_url"])
    assert acquit.status_code == 200
    assert b"PES_ACQUIT" in body(acquit)
    assert 'filename="ACQUIT_' in acquit["Content-Disposition"]
    # Taken from the flow, the acknowledgement counts as picked up in the mailbox too.
    assert MailboxItem.objects.get(related_flux_id=data["id"]).read_by == writer.email
    # ...and the status endpoint says the same thing.
    status = client.get(data["statut_url"]).json()
    assert status["statut"] == "acquitte" and status["final"] is True


# As on a server: no request-wide transaction, processing runs before the answer.
@pytest.mark.django_db(transaction=True)
def test_duplicate_returns_the_same_flow(client, sicoval, django_capture_on_commit_callbacks):
    writer, _ = users_of(sicoval, "doublon")
    client.force_login(writer)
    content = aller_bytes(sicoval)
    first = post_file(client, sicoval, content, "a.xml", django_capture_on_commit_callbacks)
    second = post_file(client, sicoval, content, "b.xml", django_capture_on_commit_callbacks)
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["flux"][0]["id"] == second.json()["flux"][0]["id"]
    assert second.json()["flux"][0]["nouveau"] is False
    assert Flux.objects.count() == 1


# As on a server: no request-wide transaction, processing runs before the answer.
@pytest.mark.django_db(transaction=True)
def test_flow_with_a_business_error_refused_with_findings_grouped(
    client, simu, django_capture_on_commit_callbacks
):
    writer, _ = users_of(simu, "simu")
    client.force_login(writer)
    content = with_wrong_bordereau_total(aller_bytes(simu))
    response = post_file(client, simu, content, "simu.xml", django_capture_on_commit_callbacks)
    [data] = response.json()["flux"]
    assert data["libelle"] == "Refusé" and data["final"] is True
    page = text(client.get(data["url"]))
    assert "ERREUR_CUMUL_MONTANTS" in page
    # Grouped by bordereau (and pièce), with the element path and the line.
    finding = Flux.objects.get(pk=data["id"]).findings.get(code="ERREUR_CUMUL_MONTANTS")
    assert finding.bordereau
    assert f"Bordereau {finding.bordereau}" in page
    assert finding.path and finding.path in page
    assert finding.line and f"<td>{finding.line}</td>" in page
    assert "Rejeté" in page  # bordereaux summary


# As on a server: no request-wide transaction, processing runs before the answer.
@pytest.mark.django_db(transaction=True)
def test_garbage_refused_in_french_and_original_kept(
    client, collectivite, entitled, django_capture_on_commit_callbacks
):
    client.force_login(entitled)
    response = post_file(
        client, collectivite, GARBAGE, "n'importe quoi.bin", django_capture_on_commit_callbacks
    )
    assert response.status_code == 201
    [data] = response.json()["flux"]
    assert data["statut"] == "refuse" and data["libelle"] == "Refusé"
    assert "XML" in data["message"]
    original = client.get(f"/passerelle/flux/{data['id']}/original/")
    assert original.status_code == 200
    assert body(original) == GARBAGE
    assert original["Content-Type"] == "application/octet-stream"
    assert original["Content-Disposition"].startswith("attachment;")
    assert "n'importe quoi.bin" in original["Content-Disposition"]
    # The refusal is acknowledged: a PES_ACQUIT carrying the reason (issue 9).
    acquit = client.get(f"/passerelle/flux/{data['id']}/acquittement/")
    assert acquit.status_code == 200
    content = body(acquit)
    assert b"ERREUR_AUTRE" in content and b'EtatAck V="0"' in content


def test_empty_file_is_a_400_in_french(client, collectivite, entitled):
    client.force_login(entitled)
    response = client.post(
        f"/passerelle/{collectivite.pk}/deposer/fichier/", {"fichiers": _named(b"", "vide.xml")}
    )
    assert response.status_code == 400
    assert "vide" in response.json()["erreur"]
    assert Flux.objects.count() == 0


def test_too_big_is_a_400_in_french(client, collectivite, entitled, settings):
    settings.PIGP_PASSERELLE_MAX_SIZE = 10
    client.force_login(entitled)
    response = client.post(
        f"/passerelle/{collectivite.pk}/deposer/fichier/", {"fichiers": _named(b"x" * 11, "g.xml")}
    )
    assert response.status_code == 400
    assert "taille maximale" in response.json()["erreur"]


def test_json_deposit_without_file_is_a_400(client, collectivite, entitled):
    client.force_login(entitled)
    response = client.post(f"/passerelle/{collectivite.pk}/deposer/fichier/", {})
    assert response.status_code == 400 and "fichier" in response.json()["erreur"]


def test_reader_cannot_deposit(client, collectivite, reader):
    client.force_login(reader)
    assert client.get(f"/passerelle/{collectivite.pk}/deposer/").status_code == 403
    response = client.post(
        f"/passerelle/{collectivite.pk}/deposer/fichier/", {"fichiers": _named(GARBAGE, "x.xml")}
    )
    assert response.status_code == 403
    assert "consultation" in response.json()["erreur"]
    response = client.post(
        f"/passerelle/{collectivite.pk}/deposer/", {"fichiers": _named(GARBAGE, "x.xml")}
    )
    assert response.status_code == 403
    assert Flux.objects.count() == 0


def test_outsider_cannot_deposit(client, collectivite, outsider):
    client.force_login(outsider)
    assert client.get(f"/passerelle/{collectivite.pk}/deposer/").status_code == 404
    response = client.post(
        f"/passerelle/{collectivite.pk}/deposer/fichier/", {"fichiers": _named(GARBAGE, "x.xml")}
    )
    assert response.status_code == 404
    assert collectivite.nom not in text(response)
    assert Flux.objects.count() == 0


def test_anonymous_is_sent_to_login(client, collectivite):
    response = client.post(
        f"/passerelle/{collectivite.pk}/deposer/fichier/", {"fichiers": _named(GARBAGE, "x.xml")}
    )
    assert response.status_code == 302 and "/connexion/" in response["Location"]
    assert Flux.objects.count() == 0


# ---------------------------------------------------------------- deposit (without JS)


def test_deposit_page_for_writer(client, collectivite, entitled):
    client.force_login(entitled)
    response = client.get(f"/passerelle/{collectivite.pk}/deposer/")
    assert response.status_code == 200
    page = text(response)
    assert 'type="file"' in page and "multiple" in page
    assert 'enctype="multipart/form-data"' in page
    assert f"/passerelle/{collectivite.pk}/deposer/fichier/" in page
    assert "passerelle/depot.js" in page


def test_plain_form_post_shows_results(
    client, collectivite, entitled, django_capture_on_commit_callbacks
):
    client.force_login(entitled)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/passerelle/{collectivite.pk}/deposer/",
            {"fichiers": [_named(GARBAGE, "un.bin"), _named(b"", "vide.xml")]},
        )
    assert response.status_code == 200
    page = text(response)
    assert "Résultat du dépôt" in page
    assert "un.bin" in page and "vide.xml" in page and "Le fichier est vide" in page
    flux = Flux.objects.get()
    assert f"/passerelle/flux/{flux.pk}/" in page
    # The page follows the status (polled by depot.js); processing has run since.
    assert f'data-statut-url="/passerelle/flux/{flux.pk}/statut/"' in page
    assert client.get(f"/passerelle/flux/{flux.pk}/statut/").json()["libelle"] == "Refusé"


def test_plain_form_post_without_file(client, collectivite, entitled):
    client.force_login(entitled)
    response = client.post(f"/passerelle/{collectivite.pk}/deposer/", {})
    assert response.status_code == 400
    assert "Choisissez au moins un fichier" in text(response)


# ------------------------------------------------------------------------------ flow page


def test_flow_page_for_writer_reader_outsider(
    client, collectivite, entitled, reader, outsider, garbage_flux
):
    url = f"/passerelle/flux/{garbage_flux.pk}/"
    client.force_login(entitled)
    page = text(client.get(url))
    assert SECRET_NAME in page and "Refusé" in page
    assert garbage_flux.fichier.sha256 in page
    assert "Fichier reçu et conservé." in page  # history
    assert "Annuler ce flux" not in page  # no longer "posté"

    client.force_login(reader)
    response = client.get(url)
    assert response.status_code == 200 and SECRET_NAME in text(response)
    assert body(client.get(url + "original/")) == GARBAGE
    assert client.get(url + "statut/").json()["statut"] == "refuse"

    client.force_login(outsider)
    for suffix in ("", "original/", "statut/", "acquittement/"):
        response = client.get(url + suffix)
        assert response.status_code == 404, suffix
        assert SECRET_NAME not in text(response)
        assert GARBAGE.decode("latin-1") not in response.content.decode("latin-1")


def test_flow_history_dates_in_paris_time(client, entitled, garbage_flux):
    client.force_login(entitled)
    event = garbage_flux.events.first()
    paris = timezone.localtime(event.at, timezone.get_fixed_timezone(0))
    expected = timezone.localtime(event.at).strftime("%d/%m/%Y %H:%M:%S")
    assert timezone.get_current_timezone_name() == "Europe/Paris"
    assert expected in text(client.get(f"/passerelle/flux/{garbage_flux.pk}/"))
    assert paris is not None


def test_unknown_flow_is_a_404(client, entitled):
    client.force_login(entitled)
    assert client.get("/passerelle/flux/999999/").status_code == 404


# ------------------------------------------------------------------------------ cancel


def test_sender_cancels_a_posted_flow(client, entitled, posted_flux):
    client.force_login(entitled)
    url = f"/passerelle/flux/{posted_flux.pk}/"
    assert "Annuler ce flux" in text(client.get(url))
    response = client.post(url + "annuler/", follow=True)
    assert response.status_code == 200
    posted_flux.refresh_from_db()
    assert posted_flux.statut == StatutFlux.ANNULE
    assert "Le flux est annulé" in text(response)
    event = posted_flux.events.last()
    assert event.statut == StatutFlux.ANNULE and event.actor == entitled.email
    from pigp.core.models import JournalEntry

    assert JournalEntry.objects.filter(action="flux_annule", object_id=str(posted_flux.pk)).exists()
    # A second cancel is refused with a message, nothing changes.
    response = client.post(url + "annuler/", follow=True)
    assert "seul un flux encore « Posté »" in text(response)
    assert posted_flux.events.filter(statut=StatutFlux.ANNULE).count() == 1


def test_cancel_refused_for_reader_outsider_and_other_writer(
    client, collectivite, reader, outsider, posted_flux
):
    url = f"/passerelle/flux/{posted_flux.pk}/annuler/"
    client.force_login(reader)
    assert "Annuler ce flux" not in text(client.get(f"/passerelle/flux/{posted_flux.pk}/"))
    assert client.post(url).status_code == 403
    client.force_login(outsider)
    response = client.post(url)
    assert response.status_code == 404 and SECRET_NAME not in text(response)
    colleague = make_user("collegue@example.fr")
    grant(colleague, collectivite, "passerelle", "transmission")
    client.force_login(colleague)
    response = client.post(url, follow=True)
    assert "Seul l'expéditeur" in text(response)
    posted_flux.refresh_from_db()
    assert posted_flux.statut == StatutFlux.POSTE


def test_cancel_needs_post(client, entitled, posted_flux):
    client.force_login(entitled)
    assert client.get(f"/passerelle/flux/{posted_flux.pk}/annuler/").status_code == 405


# ------------------------------------------------------------------------------ lists


def test_lists_for_writer_reader_outsider(
    client, collectivite, entitled, reader, outsider, garbage_flux
):
    for user in (entitled, reader):
        client.force_login(user)
        for url in (f"/passerelle/{collectivite.pk}/flux/", "/passerelle/flux/"):
            response = client.get(url)
            assert response.status_code == 200
            assert SECRET_NAME in text(response)
            assert "fr-badge--error" in text(response)
    client.force_login(outsider)
    response = client.get(f"/passerelle/{collectivite.pk}/flux/")
    assert response.status_code == 404 and SECRET_NAME not in text(response)
    response = client.get("/passerelle/flux/")
    assert response.status_code == 200
    assert SECRET_NAME not in text(response) and collectivite.nom not in text(response)


def test_list_filters(client, collectivite, entitled, garbage_flux, posted_flux):
    client.force_login(entitled)
    base = f"/passerelle/{collectivite.pk}/flux/"
    assert SECRET_NAME in text(client.get(base + "?statut=refuse"))
    page = text(client.get(base + "?statut=annule"))
    assert "Aucun flux ne correspond" in page
    today = timezone.localdate()
    tomorrow = today + datetime.timedelta(days=1)
    assert "Aucun flux" not in text(client.get(f"{base}?du={today}&au={today}"))
    assert "Aucun flux ne correspond" in text(client.get(f"{base}?du={tomorrow}"))
    assert "Aucun flux ne correspond" in text(client.get(base + "?kind=pain001"))
    # A bad date is ignored and said so, not a 500.
    response = client.get(base + "?du=pas-une-date")
    assert response.status_code == 200 and "Date invalide" in text(response)
    budget = collectivite.budgets.first()
    assert "Aucun flux ne correspond" in text(client.get(f"{base}?budget={budget.pk}"))
    all_page = text(client.get(f"/passerelle/flux/?collectivite={collectivite.pk}"))
    assert SECRET_NAME in all_page


def _bulk_flows(coll, user, n: int) -> None:
    start = Flux.objects.count()
    stored = [files.store_bytes(f"<f n='{start + i}'/>".encode()) for i in range(n)]
    flows = Flux.objects.bulk_create(
        Flux(
            collectivite=coll,
            canal="web",
            original_name=f"lot-{i}.xml",
            fichier=stored[i],
            sender_user=user,
            statut=StatutFlux.REFUSE if i % 2 else StatutFlux.ACQUITTE,
            kind=KindFlux.PES_ALLER,
        )
        for i in range(n)
    )
    FluxEvent.objects.bulk_create(FluxEvent(flux=f, statut=f.statut) for f in flows)


@pytest.mark.parametrize(
    "url", ["/passerelle/{pk}/flux/", "/passerelle/flux/", "/passerelle/{pk}/"]
)
def test_list_query_counts_do_not_grow(
    client, collectivite, entitled, url, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(entitled)
    url = url.format(pk=collectivite.pk)
    counts = []
    for n in (5, 55):  # 5, then 60 flows: a full page of 50 and a second page
        _bulk_flows(collectivite, entitled, n)
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 15, counts
    if "flux/" in url:
        page = text(response)
        assert page.count('href="/passerelle/flux/') >= 50
        assert "1 / 2" in page and "page=2" in page


def test_mailbox_query_count_does_not_grow(client, collectivite, entitled):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(entitled)
    counts = []
    for start, n in ((0, 5), (5, 55)):
        for i in range(start, start + n):
            mailbox.deliver(collectivite, KindFlux.PES_ACQUIT, f"ACQUIT_{i}.xml", b"<a/>")
        client.get(f"/passerelle/{collectivite.pk}/boite/")
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/passerelle/{collectivite.pk}/boite/").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] and counts[1] <= 13, counts


# ------------------------------------------------------------------------------ mailbox


@pytest.fixture
def retour_item(collectivite):
    return mailbox.deliver(
        collectivite, KindFlux.PES_RETOUR, "PES2R_DEP_secret.xml", b"<PES_Retour/>"
    )


def test_mailbox_list_and_download_marks_read(client, collectivite, entitled, retour_item):
    client.force_login(entitled)
    url = f"/passerelle/{collectivite.pk}/boite/"
    page = text(client.get(url))
    assert "PES2R_DEP_secret.xml" in page and "1 fichier non lu" in page
    assert "PES2R_DEP_secret.xml" in text(client.get(url + "?non_lus=1"))
    response = client.get(f"/passerelle/boite/{retour_item.pk}/telecharger/")
    assert response.status_code == 200 and body(response) == b"<PES_Retour/>"
    assert 'filename="PES2R_DEP_secret.xml"' in response["Content-Disposition"]
    retour_item.refresh_from_db()
    assert retour_item.read_at is not None and retour_item.read_by == entitled.email
    assert "PES2R_DEP_secret.xml" not in text(client.get(url + "?non_lus=1"))
    assert "aucun fichier non lu" in text(client.get(url))


def test_mailbox_reader_and_outsider(client, collectivite, reader, outsider, retour_item):
    client.force_login(outsider)
    response = client.get(f"/passerelle/{collectivite.pk}/boite/")
    assert response.status_code == 404 and "PES2R_DEP_secret" not in text(response)
    response = client.get(f"/passerelle/boite/{retour_item.pk}/telecharger/")
    assert response.status_code == 404
    retour_item.refresh_from_db()
    assert retour_item.read_at is None
    client.force_login(reader)
    assert "PES2R_DEP_secret.xml" in text(client.get(f"/passerelle/{collectivite.pk}/boite/"))
    response = client.get(f"/passerelle/boite/{retour_item.pk}/telecharger/")
    assert response.status_code == 200 and body(response) == b"<PES_Retour/>"


def test_acquit_in_mailbox_links_its_flow(client, sicoval, django_capture_on_commit_callbacks):
    writer, reader = users_of(sicoval, "boite")
    with django_capture_on_commit_callbacks(execute=True):
        flux = deposit(sicoval, aller_bytes(sicoval), user=writer)
    item = MailboxItem.objects.get(related_flux=flux)
    client.force_login(reader)
    page = text(client.get(f"/passerelle/{sicoval.pk}/boite/"))
    assert item.name in page and f"/passerelle/flux/{flux.pk}/" in page
    acquit = client.get(f"/passerelle/flux/{flux.pk}/acquittement/")
    with files.open_stored(item.fichier) as fh:
        assert body(acquit) == fh.read()


# ------------------------------------------------------------------------------ home


def test_collectivite_home(client, collectivite, entitled, reader, outsider, garbage_flux):
    client.force_login(entitled)
    response = client.get(f"/passerelle/{collectivite.pk}/")
    page = text(response)
    assert response.status_code == 200
    assert "Déposer des fichiers" in page and SECRET_NAME in page
    assert "profil « Transmission »" in page
    client.force_login(reader)
    page = text(client.get(f"/passerelle/{collectivite.pk}/"))
    assert SECRET_NAME in page and "Déposer des fichiers" not in page
    client.force_login(outsider)
    response = client.get(f"/passerelle/{collectivite.pk}/")
    assert response.status_code == 404 and collectivite.nom not in text(response)


def test_portal_card_leads_to_the_passerelle_home(client, collectivite, entitled, outsider):
    client.force_login(entitled)
    response = client.get(f"/applications/passerelle/{collectivite.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/passerelle/{collectivite.pk}/"
    client.force_login(outsider)
    assert client.get(f"/applications/passerelle/{collectivite.pk}/").status_code == 404


def test_passerelle_index_redirects_to_all_flows(client, entitled):
    client.force_login(entitled)
    response = client.get("/passerelle/")
    assert response.status_code == 302 and response["Location"] == "/passerelle/flux/"


# ------------------------------------------------------------------------- supervision


@pytest.fixture
def stuck_flux(collectivite, entitled, settings):
    flux = deposit(collectivite, b"<bloque/>", user=entitled)
    Flux.objects.filter(pk=flux.pk).update(
        status_changed_at=timezone.now()
        - datetime.timedelta(minutes=settings.PIGP_PASSERELLE_STUCK_MINUTES + 5),
        message="Fichier reçu et conservé.",
    )
    return flux


def test_supervision_comptable_sees_its_poste(client, comptable, stuck_flux, garbage_flux):
    verified_client(client, comptable)
    response = client.get("/passerelle/supervision/")
    assert response.status_code == 200
    page = text(response)
    assert SECRET_NAME in page and "Fichier reçu et conservé." in page
    assert "Flux bloqués depuis plus de" in page


def test_supervision_other_comptable_sees_nothing_of_it(
    client, other_comptable, stuck_flux, garbage_flux
):
    verified_client(client, other_comptable)
    response = client.get("/passerelle/supervision/")
    assert response.status_code == 200
    assert SECRET_NAME not in text(response) and "Aucun flux bloqué" in text(response)


def test_supervision_national_admin_sees_all(client, national_admin, stuck_flux):
    verified_client(client, national_admin)
    page = text(client.get("/passerelle/supervision/"))
    assert SECRET_NAME in page and "toutes les collectivités" in page


@pytest.mark.parametrize("who", ["entitled", "reader", "outsider"])
def test_supervision_is_a_404_for_collectivite_users(client, request, who, stuck_flux):
    client.force_login(request.getfixturevalue(who))
    response = client.get("/passerelle/supervision/")
    assert response.status_code == 404 and SECRET_NAME not in text(response)


# ------------------------------------------------------------------------- preferences


def test_preferences(client, entitled):
    client.force_login(entitled)
    page = text(client.get("/passerelle/preferences/"))
    assert page.count("checked") == 2
    response = client.post("/passerelle/preferences/", {"acquittements": "on"}, follow=True)
    assert "préférences de notification sont enregistrées" in text(response)
    pref = NotificationPreference.objects.get(user=entitled)
    assert pref.acquittements is True and pref.retours is False
    assert text(client.get("/passerelle/preferences/")).count("checked") == 1


def test_home_links_service_accounts_for_local_admin(client, collectivite, local_admin, entitled):
    client.force_login(local_admin)
    page = text(client.get(f"/passerelle/{collectivite.pk}/"))
    assert "profil « Administration locale »" in page
    assert "/passerelle/comptes/" in page and "Déposer des fichiers" in page
    client.force_login(entitled)
    assert 'href="/passerelle/comptes/"' not in text(client.get(f"/passerelle/{collectivite.pk}/"))


def test_filter_on_a_collectivite_outside_the_perimeter_shows_nothing_of_it(
    client, collectivite, outsider, garbage_flux
):
    client.force_login(outsider)
    response = client.get(f"/passerelle/flux/?collectivite={collectivite.pk}")
    assert response.status_code == 200
    assert SECRET_NAME not in text(response) and collectivite.nom not in text(response)


def test_service_account_sender_shown(client, collectivite, entitled):
    from pigp.passerelle.models import ServiceAccount

    account = ServiceAccount.objects.create(
        name="Logiciel financier", applications=["passerelle"], created_by=entitled
    )
    account.collectivites.add(collectivite)
    [received] = intake.receive(
        io.BytesIO(b"<envoye-par-api/>"),
        filename="api.xml",
        collectivite=collectivite,
        canal="api",
        sender_account=account,
    )
    client.force_login(entitled)
    assert "Logiciel financier" in text(client.get(f"/passerelle/{collectivite.pk}/flux/"))
    page = text(client.get(f"/passerelle/flux/{received.flux.pk}/"))
    assert "Compte de service « Logiciel financier »" in page and "API" in page


def _truncated_flow() -> bytes:
    flow = io.BytesIO()
    generate_pes_aller(flow, pieces=1)
    return flow.getvalue()[:700]


HOSTILE = {
    "xxe": b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b"<PES_Aller>&x;</PES_Aller>",
    "billion-laughs": b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
    b"<l>&c;</l>",
    "deep": b"<a>" * 50_000 + b"</a>" * 50_000,
    "truncated": _truncated_flow(),
    "wrong-encoding": '<?xml version="1.0" encoding="UTF-8"?><PES_Aller>é</PES_Aller>'.encode(
        "latin-1"
    ),
    "truncated-zip": b"PK\x03\x04" + b"\x00" * 40,
    "truncated-gzip": b"\x1f\x8b\x08\x00" + b"\x00" * 10,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_input_through_the_web_gets_a_clear_status(
    client, collectivite, entitled, name, django_capture_on_commit_callbacks
):
    client.force_login(entitled)
    response = post_file(
        client, collectivite, HOSTILE[name], f"{name}.xml", django_capture_on_commit_callbacks
    )
    assert response.status_code == 201, text(response)
    [data] = response.json()["flux"]
    status = client.get(data["statut_url"]).json()
    assert status["statut"] == "refuse", status
    assert status["message"] and "Traceback" not in status["message"]
    assert "root:" not in status["message"]  # /etc/passwd never read
    page = client.get(data["url"])
    assert page.status_code == 200
    assert body(client.get(f"/passerelle/flux/{data['id']}/original/")) == HOSTILE[name]


def test_findings_grouped_in_order_and_capped(client, entitled, garbage_flux):
    from pigp.passerelle import services
    from pigp.passerelle.models import FluxFinding

    FluxFinding.objects.filter(flux=garbage_flux).delete()
    rows = [
        FluxFinding(
            flux=garbage_flux, code="PJ", severity="error", scope="pj", message="m", pj="X1"
        ),
        FluxFinding(
            flux=garbage_flux,
            code="PCE",
            severity="error",
            scope="piece",
            message="m",
            bordereau="10",
            piece="2",
        ),
        FluxFinding(
            flux=garbage_flux, code="B", severity="warning", scope="b", message="m", bordereau="9"
        ),
        FluxFinding(flux=garbage_flux, code="F", severity="error", scope="flux", message="m"),
    ]
    rows += [
        FluxFinding(
            flux=garbage_flux, code="BULK", severity="error", scope="b", message="m", bordereau="9"
        )
        for _ in range(services.FINDINGS_SHOWN)
    ]
    FluxFinding.objects.bulk_create(rows)
    groups, hidden = services.grouped_findings(garbage_flux)
    assert [g.label for g in groups] == [
        "Flux (en-tête, schéma, signature)",
        "Bordereau 9",
        "Bordereau 10 — pièce 2",
        "Pièce justificative X1",
    ]
    assert hidden == 4
    client.force_login(entitled)
    assert "Et 4 autres anomalies" in text(client.get(f"/passerelle/flux/{garbage_flux.pk}/"))
