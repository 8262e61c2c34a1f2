"""Recouvrement: the titres still due, by age and stage."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pigp.extranet import views
from tests.extranet.conftest import ACTOR, urls


@pytest.fixture
def aged(data):
    """The first titre taken in charge 100 days ago and at the « relance » stage."""
    from pigp.helios.models import Piece
    from pigp.helios.money import recovery

    old, recent = data.titres
    recovery.set_stade(old, "relance", actor=ACTOR, commentaire="Relance amiable.")
    day = timezone.localdate() - datetime.timedelta(days=100)
    Piece.objects.filter(pk=old.pk).update(date_prise_en_charge=day)
    return old, recent


def numbers(client, data, **params) -> list[str]:
    page = client.get(urls(data)["recouvrement"], params).content.decode()
    body = page[page.index("<tbody", page.index("Titres à recouvrer de")) :]
    return re.findall(r"<tr>\s*<td><a href=\"/extranet/titres/\d+/\">([^<]+)</a></td>", body)


def test_ageing_buckets_stages_and_sort(data, aged, logged, reader):
    old, recent = aged
    client = logged(reader)
    page = client.get(urls(data)["recouvrement"]).content.decode()
    amount = lambda t: f"{t.reste_a_recouvrer:,.2f}".replace(",", "\u00a0").replace(".", ",")  # noqa: E731
    assert re.search(rf"0 à 30 jours</a></td><td>1</td><td>{amount(recent)} €", page)
    assert re.search(rf"91 à 365 jours</a></td><td>1</td><td>{amount(old)} €", page)
    assert "100 jours" in page and "Relance" in page
    assert numbers(client, data, anciennete="90-365") == [old.id_pce]
    assert numbers(client, data, anciennete="0-30") == [recent.id_pce]
    assert numbers(client, data, stade="relance") == [old.id_pce]
    assert numbers(client, data, stade="aucun") == [recent.id_pce]
    assert numbers(client, data, q=recent.tiers.nom.lower()) == [recent.id_pce]
    by_reste = sorted(data.titres, key=lambda t: (t.reste_a_recouvrer, t.pk))
    assert numbers(client, data, tri="reste") == [t.id_pce for t in by_reste]
    assert numbers(client, data, tri="-reste") == [t.id_pce for t in reversed(by_reste)]
    # Mandats are never titres to recover.
    assert not set(numbers(client, data)) - {t.id_pce for t in data.titres}


def test_a_recovered_titre_leaves_the_list(data, logged, reader):
    from pigp.helios.models import Piece

    Piece.objects.filter(pk=data.titres[0].pk).update(etat="soldee", reste_a_recouvrer=0)
    assert numbers(logged(reader), data) == [data.titres[1].id_pce]


def test_query_count_is_bounded(data, logged, comptable, monkeypatch):
    client = logged(comptable)
    counts = []
    for size in (1, 50):
        monkeypatch.setattr(views, "PAGE_SIZE", size)
        cache.clear()  # the cold page: what it computes, not what it kept (extranet.snapshots)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(urls(data)["recouvrement"]).status_code == 200
        counts.append(len(queries))
    # 18: the menu counts the exports ready; a page is read by its ids, then its rows; one
    # reads the ledger's versions.
    assert counts[0] == counts[1] <= 18, counts
