"""`extranet.export_cache`: the same CSV export at the same ledger version is written once and
served from its file; a change of the ledger, or another list, writes a new one."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pigp.extranet import export_cache
from pigp.helios import states
from pigp.helios.models import EtatPiece
from tests.extranet.conftest import urls


@pytest.fixture
def client_(data, logged, reader):
    return logged(reader)


def _export(client, url, params=None) -> tuple[bytes, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
        body = b"".join(response.streaming_content)
        response.close()
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="etat-des-paiements')
    return body, sum("helios_piece" in q["sql"] for q in queries.captured_queries)


def _kept() -> list[str]:
    folder = settings.PIGP_EXPORT_CACHE_DIR
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_the_same_export_is_served_from_its_file_until_the_ledger_moves(data, client_):
    url = urls(data)["csv"]
    first, read_first = _export(client_, url)
    assert read_first > 0 and len(_kept()) == 1 and _kept()[0].endswith(".csv")
    again, read_again = _export(client_, url)
    assert again == first
    assert read_again < read_first  # the rows were not read again (the count is kept too)
    # A decision moves the ledger's version: a new file, with the change.
    rejected_before = first.count("Rejetée".encode())
    states.transition(
        data.mandats[5], EtatPiece.REJETEE, actor="comptable@example.fr", motif_code="09"
    )
    changed, read_changed = _export(client_, url)
    assert read_changed > 0
    assert changed.count("Rejetée".encode()) == rejected_before + 1
    assert len(_kept()) == 2


def test_other_filters_are_another_file(data, client_):
    url = urls(data)["csv"]
    whole, _ = _export(client_, url)
    one, _ = _export(client_, url, {"numero": data.mandats[0].id_pce})
    assert one != whole and len(_kept()) == 2


def test_an_interrupted_export_leaves_no_file(data, client_):
    response = client_.get(urls(data)["csv"])
    chunks = iter(response.streaming_content)
    next(chunks)  # the BOM: the user leaves
    response.close()
    assert _kept() == []
    assert not any(name.endswith(".part") for name in _kept())


def test_files_older_than_an_hour_are_removed(tmp_path, settings):
    import os
    import time

    settings.PIGP_EXPORT_CACHE_DIR = tmp_path
    old = tmp_path / "ancien.csv"
    old.write_bytes(b"x")
    stale = time.time() - export_cache.MAX_AGE_SECONDS - 10
    os.utime(old, (stale, stale))
    response = export_cache.csv_response("cle", iter([b"a;b\r\n"]), "essai")
    assert b"".join(response.streaming_content) == b"a;b\r\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cle.csv"]
