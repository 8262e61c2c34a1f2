"""Exports beyond the threshold: recorded, written by the worker (ImmediateBackend: at once),
offered on « Mes exports » to their owner only, announced by one e-mail; the sweep runs again
the requests a dead worker left and deletes old files; access is checked again at run time."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from tests.extranet.conftest import urls

FILTERS = {"etat": "payee", "tri": "-montant"}


def mes_exports(data) -> str:
    return f"/extranet/collectivites/{data.collectivite.pk}/mes-exports/"


@pytest.fixture
def small(settings):
    """Thresholds of one row: every list of the data set goes to the worker."""
    settings.PIGP_EXTRANET_EXPORT_CSV_MAX = 1
    settings.PIGP_EXTRANET_EXPORT_XLSX_MAX = 1
    settings.SITE_URL = "https://pigp.example.fr/"
    return settings


def _body(response) -> bytes:
    content = b"".join(response.streaming_content)
    response.close()
    return content


def _xlsx_rows(content: bytes) -> list[tuple]:
    workbook = load_workbook(io.BytesIO(content))
    return list(workbook.worksheets[0].iter_rows(values_only=True))


def _sync(client, url, params, settings) -> bytes:
    """The export served at once, thresholds high."""
    csv_max, xlsx_max = (
        settings.PIGP_EXTRANET_EXPORT_CSV_MAX,
        settings.PIGP_EXTRANET_EXPORT_XLSX_MAX,
    )
    settings.PIGP_EXTRANET_EXPORT_CSV_MAX = settings.PIGP_EXTRANET_EXPORT_XLSX_MAX = 10**9
    response = client.get(url, params)
    assert response.status_code == 200
    content = _body(response)
    settings.PIGP_EXTRANET_EXPORT_CSV_MAX, settings.PIGP_EXTRANET_EXPORT_XLSX_MAX = (
        csv_max,
        xlsx_max,
    )
    return content


@pytest.mark.parametrize(
    ("page", "fmt", "params"),
    [
        ("paiements", "csv", FILTERS),
        ("paiements", "xlsx", FILTERS),
        ("recouvrement", "csv", {}),
        ("tresorerie", "xlsx", "period"),
    ],
)
def test_a_large_export_is_written_by_the_worker_as_the_list_shows_it(
    data, logged, reader, small, mailoutbox, page, fmt, params
):
    from pigp.extranet.models import EtatExport, ExportDemande

    if params == "period":  # the payments of the data set are in the coming weeks
        params = {"du": timezone.localdate().isoformat(), "au": data.day_b.isoformat()}
    client = logged(reader)  # a read-only profile may export: consultation is reading
    url = f"/extranet/collectivites/{data.collectivite.pk}/{page}/export.{fmt}"
    expected = _sync(client, url, params, small)
    mailoutbox.clear()

    response = client.get(url, params, follow=True)
    assert response.redirect_chain == [(mes_exports(data), 302)]
    demande = ExportDemande.objects.get()
    page_html = response.content.decode()
    assert f"Votre export de {demande.rows_total} lignes est en préparation" in page_html
    assert demande.user == reader and demande.page == page and demande.format == fmt
    assert demande.etat == EtatExport.PRET
    assert demande.rows_total > 1 and demande.rows_done == demande.rows_total
    assert f"{demande.rows_done} / {demande.rows_total} lignes (100 %)" in page_html
    assert f'href="/extranet/exports/{demande.pk}/fichier/"' in page_html

    download = client.get(f"/extranet/exports/{demande.pk}/fichier/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    content = _body(download)
    if fmt == "csv":
        assert content == expected  # byte for byte: BOM, « ; », French amounts and dates
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
        assert len(rows) - 1 == demande.rows_total
    else:
        assert _xlsx_rows(content) == _xlsx_rows(expected)
        assert len(_xlsx_rows(content)) - 1 == demande.rows_total

    [mail] = mailoutbox
    assert mail.to == [reader.email] and "est prêt" in mail.subject
    assert f"https://pigp.example.fr/extranet/exports/{demande.pk}/fichier/" in mail.body
    demande.refresh_from_db()
    assert demande.downloaded_at is not None


def test_the_task_run_again_writes_nothing_and_sends_no_second_email(
    data, logged, reader, small, mailoutbox
):
    from pigp.extranet import background
    from pigp.extranet.models import ExportDemande

    logged(reader).get(urls(data)["csv"])
    demande = ExportDemande.objects.get()
    assert len(mailoutbox) == 1
    assert background.run_export.call(demande_id=demande.pk) == "rien à faire"
    assert len(mailoutbox) == 1


def test_at_the_threshold_the_export_is_served_at_once(data, logged, reader, settings):
    from pigp.extranet.models import ExportDemande

    settings.PIGP_EXTRANET_EXPORT_CSV_MAX = len(data.mandats)
    response = logged(reader).get(urls(data)["csv"])
    assert response.status_code == 200 and response.streaming
    _body(response)
    settings.PIGP_EXTRANET_EXPORT_CSV_MAX = len(data.mandats) - 1
    assert logged(reader).get(urls(data)["csv"]).status_code == 302
    assert ExportDemande.objects.count() == 1


def test_the_progress_is_recorded_every_chunk(data, reader, monkeypatch):
    from pigp.extranet import background
    from pigp.extranet.models import EtatExport, ExportDemande, ListeExport

    monkeypatch.setattr(background, "PROGRESS_EVERY", 2)
    demande = ExportDemande.objects.create(
        user=reader,
        collectivite=data.collectivite,
        page=ListeExport.PAIEMENTS,
        format="csv",
        rows_total=6,
        etat=EtatExport.EN_ATTENTE,
    )
    claimed = background.claim(demande.pk)
    rows = background.counted(claimed, iter([[i] for i in range(5)]))
    seen = []
    for _row in rows:
        seen.append(ExportDemande.objects.get(pk=demande.pk).rows_done)
    # Row n is handed out before it is counted: the record moves at rows 2 and 4.
    assert seen == [0, 0, 2, 2, 4]
    assert claimed.rows_done == 5
    assert ExportDemande.objects.get(pk=demande.pk).rows_done == 5


def test_only_the_owner_downloads_his_export(data, logged, reader, entitled, request, small):
    from pigp.extranet.models import ExportDemande

    client = logged(reader)
    client.get(urls(data)["xlsx"])
    demande = ExportDemande.objects.get()
    file_url = f"/extranet/exports/{demande.pk}/fichier/"
    menu = client.get(urls(data)["paiements"]).content.decode()
    assert "1 prêt" in menu  # the side menu counts it until it is downloaded
    for name in ["entitled", "comptable", "outsider_extranet", "juge", "outsider"]:
        # Others, even of the same collectivité, see nothing of it.
        other = logged(request.getfixturevalue(name))
        assert other.get(file_url).status_code == 404, name
        if name in ("entitled", "comptable"):
            page = other.get(mes_exports(data)).content.decode()
            assert file_url not in page and "aucun export" in page
    assert ExportDemande.objects.get().downloaded_at is None
    client = logged(reader)
    _body(client.get(file_url))
    assert "1 prêt" not in client.get(urls(data)["paiements"]).content.decode()


def test_outsiders_and_juges_get_a_404_and_nothing_is_recorded(data, logged, request, small):
    from pigp.extranet.models import ExportDemande

    for name in ["outsider_extranet", "juge", "passerelle_only", "outsider", "other_comptable"]:
        client = logged(request.getfixturevalue(name))
        assert client.get(urls(data)["csv"]).status_code == 404, name
        assert client.get(urls(data)["xlsx"], FILTERS).status_code == 404, name
        assert client.get(mes_exports(data)).status_code == 404, name
    assert not ExportDemande.objects.exists()


def test_a_second_click_while_it_runs_is_the_same_request(data, reader):
    from pigp.extranet import background
    from pigp.extranet.models import EtatExport, ExportDemande

    waiting = ExportDemande.objects.create(
        user=reader, collectivite=data.collectivite, page="paiements", format="csv", query="q=a"
    )
    again = background.request_export(reader, data.collectivite, "paiements", "csv", "q=a", 6)
    assert again.pk == waiting.pk
    assert ExportDemande.objects.get().etat == EtatExport.EN_ATTENTE


def _left_by_a_dead_worker(data, user, **fields):
    from pigp.extranet.models import EtatExport, ExportDemande

    defaults = dict(
        etat=EtatExport.EN_COURS,
        tentatives=1,
        rows_total=6,
        rows_done=2,
        started_at=timezone.now() - datetime.timedelta(hours=1),
        lease_until=timezone.now() - datetime.timedelta(minutes=1),
    )
    defaults.update(fields)
    return ExportDemande.objects.create(
        user=user, collectivite=data.collectivite, page="paiements", format="csv", **defaults
    )


def test_the_sweep_runs_again_a_request_whose_lease_expired(data, reader, mailoutbox):
    from pigp.extranet import background
    from pigp.extranet.models import EtatExport, ExportDemande
    from pigp.passerelle.signals import worker_sweep

    dead = _left_by_a_dead_worker(data, reader)
    lost = _left_by_a_dead_worker(data, reader, etat=EtatExport.EN_ATTENTE, tentatives=0)
    alive = _left_by_a_dead_worker(
        data, reader, lease_until=timezone.now() + datetime.timedelta(minutes=5)
    )
    # Through the worker's periodic sweep, as pigp_worker sends it.
    answers = [answer for _r, answer in worker_sweep.send_robust(sender=None, startup=False)]
    assert "2 export(s) de l'Extranet relancé(s)" in answers
    for demande in (dead, lost):
        demande.refresh_from_db()
        assert demande.etat == EtatExport.PRET and demande.fichier is not None
        assert demande.rows_done == demande.rows_total == len(data.mandats)
    assert ExportDemande.objects.get(pk=alive.pk).etat == EtatExport.EN_COURS
    assert len(mailoutbox) == 2
    assert background.sweep() == ""  # nothing left to do


def test_a_request_whose_runs_keep_dying_is_given_up(data, reader):
    from pigp.extranet import background
    from pigp.extranet.models import EtatExport

    demande = _left_by_a_dead_worker(data, reader, tentatives=background.MAX_TENTATIVES)
    background.sweep()
    demande.refresh_from_db()
    assert demande.etat == EtatExport.ECHEC and "interrompu 3 fois" in demande.erreur


def test_a_replaced_run_writes_nothing(data, reader):
    from pigp.extranet import background
    from pigp.extranet.models import EtatExport, ExportDemande

    demande = _left_by_a_dead_worker(data, reader, lease_until=timezone.now())
    old_run = ExportDemande.objects.get(pk=demande.pk)
    background.sweep()  # the new run (tentative 2) writes the file
    with pytest.raises(background.ClaimLost):
        background.report_progress(old_run, 4)
    assert ExportDemande.objects.get(pk=demande.pk).etat == EtatExport.PRET


def test_the_sweep_deletes_old_files(data, logged, reader, small):
    from pigp.core import files
    from pigp.core.models import StoredFile
    from pigp.extranet import background
    from pigp.extranet.models import EtatExport, ExportDemande

    client = logged(reader)
    client.get(urls(data)["csv"])
    client.get(urls(data)["xlsx"])
    old, recent = ExportDemande.objects.order_by("pk")
    stored = old.fichier
    days = small.PIGP_EXTRANET_EXPORT_DAYS
    ExportDemande.objects.filter(pk=old.pk).update(
        finished_at=timezone.now() - datetime.timedelta(days=days, minutes=1)
    )
    assert "1 fichier(s) d'export de l'Extranet supprimé(s)" in background.sweep()
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.etat == EtatExport.EXPIRE and old.fichier is None
    assert not StoredFile.objects.filter(pk=stored.pk).exists()
    assert not files.object_storage().exists(stored.storage_name)
    assert recent.etat == EtatExport.PRET and recent.fichier is not None
    assert client.get(f"/extranet/exports/{old.pk}/fichier/").status_code == 404
    assert "supprimé après 7 jours" in client.get(mes_exports(data)).content.decode()


def test_a_user_who_lost_the_habilitation_meanwhile_gets_a_failed_export(
    data, reader, comptable, mailoutbox
):
    from pigp.core import habilitations
    from pigp.core.models import Habilitation
    from pigp.extranet import background
    from pigp.extranet.models import EtatExport, ExportDemande

    demande = ExportDemande.objects.create(
        user=reader, collectivite=data.collectivite, page="paiements", format="xlsx"
    )
    habilitations.revoke(
        Habilitation.objects.get(user=reader, application="extranet"),
        comptable=comptable,
        motif="Départ de l'agent",
    )
    assert background.run_export.call(demande_id=demande.pk) == "refusé"
    demande.refresh_from_db()
    assert demande.etat == EtatExport.ECHEC and demande.fichier is None
    assert "plus accès à l'Extranet de cette collectivité" in demande.erreur
    assert [m for m in mailoutbox if "export" in m.subject] == []


def test_the_failure_reason_is_shown(data, logged, reader):
    from pigp.extranet.models import EtatExport, ExportDemande

    ExportDemande.objects.create(
        user=reader,
        collectivite=data.collectivite,
        page="restes",
        format="xlsx",
        etat=EtatExport.ECHEC,
        erreur="Une erreur interne a empêché de produire l'export.",
    )
    page = logged(reader).get(mes_exports(data)).content.decode()
    assert "En échec" in page and "Une erreur interne a empêché" in page
    assert "Restes à recouvrer" in page


@pytest.mark.parametrize("n_rows", [3, 45])
def test_mes_exports_queries_are_bounded(
    data, logged, reader, n_rows, django_assert_max_num_queries
):
    from pigp.extranet.models import EtatExport, ExportDemande

    ExportDemande.objects.bulk_create(
        ExportDemande(
            user=reader,
            collectivite=data.collectivite,
            page="paiements",
            format="csv",
            etat=[EtatExport.PRET, EtatExport.EN_COURS, EtatExport.ECHEC][i % 3],
            rows_total=100,
            rows_done=50,
        )
        for i in range(n_rows)
    )
    client = logged(reader)
    with django_assert_max_num_queries(14):
        response = client.get(mes_exports(data), {"page": 2 if n_rows > 20 else 1})
    assert response.status_code == 200
    assert response.content.decode().count("<progress") == min(n_rows, 20)


def test_a_file_shared_with_a_recent_export_is_kept(data, logged, reader, small):
    """Files are content-addressed: the same export asked twice is one file, kept as long as
    the recent request needs it."""
    from pigp.core import files
    from pigp.extranet import background
    from pigp.extranet.models import EtatExport, ExportDemande

    client = logged(reader)
    client.get(urls(data)["csv"])
    client.get(urls(data)["csv"])
    old, recent = ExportDemande.objects.order_by("pk")
    assert old.fichier_id == recent.fichier_id
    ExportDemande.objects.filter(pk=old.pk).update(
        finished_at=timezone.now() - datetime.timedelta(days=30)
    )
    assert background.purge_expired() == 1
    assert ExportDemande.objects.get(pk=old.pk).etat == EtatExport.EXPIRE
    recent.refresh_from_db()
    assert files.object_storage().exists(recent.fichier.storage_name)
    assert _body(client.get(f"/extranet/exports/{recent.pk}/fichier/")).startswith(b"\xef\xbb\xbf")
