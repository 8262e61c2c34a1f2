"""État des paiements: filters, the search box, sorting and paging on the known data set;
bounded query counts on every page."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pigp.extranet import paging, views
from pigp.extranet.queries.mandats import SORTS, classify
from tests.extranet.conftest import urls


def listed(client, data, **params) -> list[int]:
    """The pks of the mandats the list shows, in its order."""
    response = client.get(urls(data)["paiements"], params)
    assert response.status_code == 200
    return [
        int(pk) for pk in re.findall(r'href="/extranet/mandats/(\d+)/"', response.content.decode())
    ]


def pks(*pieces) -> list[int]:
    return [p.pk for p in pieces]


@pytest.fixture
def client_(data, logged, reader):
    return logged(reader)


def test_filters_give_the_right_rows(data, client_):
    m = data.mandats
    by = lambda **kw: sorted(listed(client_, data, **kw))  # noqa: E731
    assert by(etat="payee") == pks(*m[:3])
    assert by(etat="rejetee") == pks(m[3])
    assert by(numero=m[4].id_pce) == pks(m[4])
    assert by(bordereau=m[0].bordereau.id_bord) == pks(*m)
    assert by(bordereau="999") == []
    assert by(exercice=m[0].exercice.annee, budget=m[0].exercice.budget_id) == pks(*m)
    assert by(exercice=1999) == pks(*m)  # not one of the exercices: ignored
    # The tiers filter takes a name (part of it), a SIRET or an IBAN.
    name = m[0].tiers.nom
    assert by(tiers=name.split()[-1].lower()) == sorted(p.pk for p in m if p.tiers.nom == name)
    assert by(tiers=m[1].tiers.id_tiers) == pks(m[1])
    assert by(tiers=m[2].tiers.iban) == pks(m[2])
    # Nature and fonction match the lines, by prefix (« 21 » is the chapter of 2183).
    for field in ("nature", "fonction"):
        value = getattr(m[1].lignes.get(), field)
        expected = sorted(p.pk for p in m if getattr(p.lignes.get(), field).startswith(value[:2]))
        assert by(**{field: value[:2]}) == expected
    # Amounts and dates are inclusive ranges; amounts are written the French way.
    low, high = sorted([m[1].mt_ttc, m[2].mt_ttc])
    fr = lambda d: f"{d:,.2f}".replace(",", " ").replace(".", ",")  # noqa: E731
    expected = sorted(p.pk for p in m if low <= p.mt_ttc <= high)
    assert by(montant_min=fr(low), montant_max=fr(high)) == expected
    assert by(paye_min=data.day_b.isoformat()) == pks(m[2])
    assert by(paye_max=data.day_a.strftime("%d/%m/%Y")) == pks(m[0], m[1])
    day = m[0].date_prise_en_charge
    assert by(pris_en_charge_min=day.isoformat(), pris_en_charge_max=day.isoformat()) == pks(
        *m[:3], m[4]
    )
    emis = m[0].date_emission
    assert by(emis_min=emis.isoformat(), emis_max=emis.isoformat()) == pks(*m)
    # Filters add up.
    assert by(etat="payee", paye_min=data.day_b.isoformat()) == pks(m[2])


def test_an_invalid_filter_is_said_and_ignored(data, client_):
    response = client_.get(urls(data)["paiements"], {"montant_min": "beaucoup"})
    assert "Saisissez un nombre." in response.content.decode()
    assert len(listed(client_, data, montant_min="beaucoup")) == len(data.mandats)


def test_the_search_box_recognises_each_kind_of_key(data, client_):
    m = data.mandats
    by = lambda q: sorted(listed(client_, data, q=q))  # noqa: E731
    assert classify(m[2].id_pce).kind == "numero"
    assert by(m[2].id_pce) == pks(m[2])
    siret = m[1].tiers.id_tiers
    assert classify(f"{siret[:9]} {siret[9:]}").kind == "siret"
    assert by(f"{siret[:9]} {siret[9:]}") == pks(m[1])
    iban = m[2].tiers.iban
    spaced = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4)).lower()
    assert classify(spaced).kind == "iban"
    assert by(spaced) == pks(m[2])
    amount = m[4].mt_ttc
    french = f"{amount:,.2f}".replace(",", "\u00a0").replace(".", ",")
    assert classify(french).kind == "montant" and classify(french).value == amount
    assert by(french) == pks(m[4])
    assert by(f"{amount} €") == pks(m[4])
    name = m[5].tiers.nom
    assert classify(name.lower()).kind == "nom"
    expected = sorted(
        p.pk for p in m if name.lower() in p.tiers.nom.lower() or name.lower() in p.objet.lower()
    )
    assert by(name.lower()) == expected and m[5].pk in expected
    # The page says how it understood the search.
    page = client_.get(urls(data)["paiements"], {"q": spaced}).content.decode()
    assert "Recherche par IBAN du tiers" in page


def test_classify_tells_amounts_from_numbers():
    assert classify("150").kind == "numero"
    assert classify("150 €").value == Decimal("150.0")
    assert classify("1 234,5").value == Decimal("1234.5")
    assert classify("12.30").value == Decimal("12.30")
    assert classify("Dupont & fils").kind == "nom"
    assert classify("   ") is None


def _expected_order(data, key: str, descending: bool) -> list[int]:
    def value(p):
        return {
            "numero": (len(p.id_pce), p.id_pce),
            "bordereau": (len(p.bordereau.id_bord), p.bordereau.id_bord),
            "exercice": p.exercice.annee,
            "tiers": (p.tiers.nom, p.tiers.prenom),
            "objet": p.objet,
            "montant": p.mt_ttc,
            "etat": p.etat,
            "emission": p.date_emission,
            "prise_en_charge": p.date_prise_en_charge,
            "paiement": p.date_paiement,
        }[key]

    present = [p for p in data.mandats if value(p) is not None]
    missing = [p for p in data.mandats if value(p) is None]  # last, both ways
    present.sort(key=lambda p: (value(p), p.pk), reverse=descending)
    missing.sort(key=lambda p: p.pk, reverse=descending)
    return pks(*present, *missing)


def test_every_column_sorts_both_ways(data, client_):
    for key in SORTS:
        for descending in (False, True):
            tri = f"-{key}" if descending else key
            assert listed(client_, data, tri=tri) == _expected_order(data, key, descending), tri


def test_a_column_header_sorts_by_it_then_the_other_way(data, client_):
    page = client_.get(
        urls(data)["paiements"], {"etat": "payee", "tri": "montant"}
    ).content.decode()
    assert 'aria-sort="ascending"' in page
    assert "etat=payee&amp;tri=-montant" in page  # its header reverses it, filters kept
    assert "etat=payee&amp;tri=tiers" in page


def test_paging_keeps_the_filters(data, client_, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    first = listed(client_, data, tri="montant")
    second = listed(client_, data, tri="montant", page=2)
    assert len(first) == 2 and len(second) == 2 and not set(first) & set(second)
    page = client_.get(urls(data)["paiements"], {"tri": "montant"}).content.decode()
    assert "?tri=montant&amp;page=2" in page  # the next page's link keeps the sort


def test_pages_follow_the_sort_and_a_long_list_is_counted_up_to_the_cap(data, client_, monkeypatch):
    expected = _expected_order(data, "montant", True)
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    monkeypatch.setattr(paging, "CAP", 4)
    shown = [listed(client_, data, tri="-montant", page=n) for n in (1, 2, 3)]
    assert shown[0] + shown[1] == expected[:4]
    assert shown[2] == shown[1]  # beyond the cap: the last page within it
    page = client_.get(urls(data)["paiements"], {"tri": "-montant"}).content.decode()
    assert "Plus de 4 mandats" in page
    assert "exportez la liste" in page
    monkeypatch.setattr(paging, "CAP", len(expected))
    page = client_.get(urls(data)["paiements"]).content.decode()
    assert f"{len(expected)} mandats" in page and "exportez la liste" not in page


def _count(client, url, params=None) -> int:
    cache.clear()  # the cold page: what it computes, not what it kept (extranet.snapshots)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
        response.close()
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("user", ["reader", "comptable"])
def test_query_counts_are_bounded_whatever_the_page_size(data, logged, request, monkeypatch, user):
    client = logged(request.getfixturevalue(user))
    pages = urls(data)
    counts = {}
    for size in (1, 50):
        monkeypatch.setattr(views, "PAGE_SIZE", size)
        monkeypatch.setattr(views, "TIERS_PAGE_SIZE", size)
        tiers = f"/extranet/tiers/{data.mandats[0].tiers_id}/"
        counts[size] = [
            _count(client, pages["paiements"], {"nature": "2", "q": "a"}),
            _count(client, pages["paiements"]),
            _count(client, tiers),
        ]
    assert counts[1] == counts[50]
    # Session, user, second factor and menu (with its count of exports ready) take about ten;
    # one reads the ledger's versions (extranet.snapshots).
    assert max(counts[50]) <= 15, counts
    # The tableau de bord's treasury reads two exercices (the last twelve months): four more.
    assert _count(client, pages["tableau_de_bord"]) <= 19
    # One more for the « Autres documents » of other apps (Chorus' invoices of the mandat).
    assert _count(client, pages["mandat"]) <= 16
    # with the COUNT that picks at once or worker, the invoice numbers per 2 000 rows, and on
    # PostgreSQL the transaction the rows are read in (its savepoint and release)
    # and one for the ledger's versions the kept count is read under (extranet.snapshots).
    assert _count(client, pages["xlsx"]) <= 15
