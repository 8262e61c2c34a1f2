"""The Trésorerie page and the tableau de bord's treasury: Hélios' own balances on the known data
set (opening balance, one encaissement, two payment runs), the period, the chart and its table,
the movements of a day, the exports, who may see them and the number of queries."""

from __future__ import annotations

import csv
import datetime
import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from pigp.extranet import views_tresorerie
from pigp.extranet.queries import tresorerie as tq
from tests.extranet.conftest import ACTOR
from tests.extranet.test_access import ENTITLED, REFUSED

OPENING = Decimal("10000.00")


@dataclass
class Tresor:
    budget: object
    annee: int
    events: list[tuple[datetime.date, Decimal]]  # every movement: date, signed amount

    def solde(self, day: datetime.date) -> Decimal:
        """The balance at the end of `day`, computed here from the known events."""
        opening = OPENING if day.year == self.annee else Decimal(0)
        return opening + sum(
            (a for d, a in self.events if d.year == day.year and d <= day), Decimal(0)
        )

    def days(self, debut: datetime.date, fin: datetime.date) -> list[datetime.date]:
        """The days the balance table shows: the first, each year's first, each movement's."""
        starts = {datetime.date(y, 1, 1) for y in range(debut.year + 1, fin.year + 1)}
        moved = {d for d, _ in self.events if debut <= d <= fin}
        return sorted({debut} | starts | moved)


@pytest.fixture
def tresor(data) -> Tresor:
    from pigp.helios.money import recovery, treasury

    m, titre = data.mandats, data.titres[0]
    exercice = m[0].exercice
    assert titre.exercice.budget_id == exercice.budget_id
    treasury.set_opening(
        exercice.budget, exercice.annee, OPENING, datetime.date(exercice.annee, 1, 1), actor=ACTOR
    )
    encaisse = min(titre.mt_ttc, Decimal("12.34"))
    recovery.record_encaissement(titre, encaisse, timezone.localdate(), actor=ACTOR)
    events = [
        (timezone.localdate(), encaisse),
        (data.day_a, -(m[0].mt_ttc + m[1].mt_ttc)),
        (data.day_b, -m[2].mt_ttc),
    ]
    return Tresor(exercice.budget, exercice.annee, events)


def page_url(data) -> str:
    return f"/extranet/collectivites/{data.collectivite.pk}/tresorerie/"


def _amount(text: str) -> Decimal:
    return Decimal(re.sub(r"[\s\u00a0\u202f€]", "", text).replace(",", "."))


def test_balances_are_helios_own_figures(data, tresor):
    from pigp.helios.money import treasury

    debut, fin = datetime.date(tresor.annee, 1, 1), data.day_b
    periode = tq.periode(tresor.budget, debut, fin)
    assert [d.date for d in periode.days] == tresor.days(debut, fin)
    assert [d.solde for d in periode.days] == [tresor.solde(d.date) for d in periode.days]
    # Day by day, what Hélios' comptable sees on his own treasury page.
    helios = {
        d.date: d
        for annee in range(debut.year, fin.year + 1)
        for d in treasury.daily_balance(tresor.budget, annee).days
    }
    moved = [d for d in periode.days if d.encaissements or d.paiements]
    assert len(moved) == 3 and all(helios[d.date] == d for d in moved)
    assert periode.solde == treasury.soldes([tresor.budget.pk], fin.year)[tresor.budget.pk]
    assert periode.encaissements == tresor.events[0][1]
    assert periode.paiements == tresor.events[1][1] + tresor.events[2][1]


def test_the_period_cuts_the_balance(data, tresor):
    today = timezone.localdate()
    debut, fin = today + datetime.timedelta(days=1), data.day_a - datetime.timedelta(days=1)
    periode = tq.periode(tresor.budget, debut, fin)
    # No movement in between: one day, the balance carried from before the period.
    assert [(d.date, d.encaissements, d.paiements) for d in periode.days] == [
        (debut, Decimal(0), Decimal(0))
    ]
    assert (
        periode.solde == periode.ouverture == tresor.solde(today) == OPENING + tresor.events[0][1]
    )
    periode = tq.periode(tresor.budget, data.day_a, data.day_a)
    [day] = periode.days
    assert day.paiements == tresor.events[1][1] and day.solde == tresor.solde(data.day_a)


def _chart_and_table(page: str) -> tuple[ET.Element, list[tuple[str, Decimal]]]:
    svg = ET.fromstring(re.search(r"<svg.*?</svg>", page, re.S).group(0))
    table = page.split('id="soldes"')[1].split("</details>")[0]
    rows = re.findall(r"<tr>\s*<td><a [^>]*>([\d/]+)</a></td>(.*?)</tr>", table, re.S)
    return svg, [(day, _amount(re.findall(r">([^<]*)</td>", cells)[-1])) for day, cells in rows]


def test_the_chart_and_its_table_show_the_same_days(data, tresor, logged, reader):
    debut, fin = datetime.date(tresor.annee, 1, 1), data.day_b
    response = logged(reader).get(page_url(data), {"du": debut.isoformat(), "au": fin.isoformat()})
    assert response.status_code == 200
    svg, table = _chart_and_table(response.content.decode())
    days = tresor.days(debut, fin)
    assert table == [(f"{d:%d/%m/%Y}", tresor.solde(d)) for d in days]
    ns = {"svg": "http://www.w3.org/2000/svg"}
    assert svg.get("role") == "img" and svg.find("svg:title", ns).text
    assert svg.find("svg:path", ns).get("d").count("V") == len(days) - 1  # one point per day
    assert "le solde passe de 10\u202f000,00\u00a0€" in svg.find("svg:desc", ns).text


def test_an_invalid_period_is_said_and_the_last_twelve_months_shown(data, tresor, logged, reader):
    page = logged(reader).get(page_url(data), {"du": "2026-05-01", "au": "2026-04-01"})
    text = page.content.decode()
    assert "La date de début est après la date de fin." in text
    debut, fin = tq.default_period(timezone.localdate())
    assert f"le {debut:%d/%m/%Y}, de" in text and f"le {fin:%d/%m/%Y}." in text


def test_the_movements_of_a_day_link_to_their_pieces(data, tresor, logged, reader):
    client = logged(reader)
    m, titre = data.mandats, data.titres[0]
    page = client.get(
        page_url(data), {"au": data.day_b.isoformat(), "jour": data.day_a.isoformat()}
    )
    text = page.content.decode()
    assert f"Mouvements du {data.day_a:%d/%m/%Y}" in text and "2 mouvements" in text
    for mandat in m[:2]:
        assert f'href="/extranet/mandats/{mandat.pk}/">Mandat n° {mandat.id_pce}</a>' in text
    assert f'href="/extranet/mandats/{m[2].pk}/"' not in text
    # A titre links to the recouvrement list, searched on its number.
    today = timezone.localdate().isoformat()
    text = client.get(page_url(data), {"jour": today}).content.decode()
    recouvrement = f"/extranet/collectivites/{data.collectivite.pk}/recouvrement/?q={titre.id_pce}"
    assert f'href="{recouvrement}">Titre n° {titre.id_pce}</a>' in text
    # The period's list has all three days' movements.
    text = client.get(page_url(data), {"au": data.day_b.isoformat()}).content.decode()
    assert "4 mouvements" in text


def test_exports_are_the_list(data, tresor, logged, reader):
    client = logged(reader)
    base = page_url(data)
    response = client.get(f"{base}export.csv", {"au": data.day_b.isoformat()})
    assert response["Content-Type"] == "text/csv; charset=utf-8" and response.streaming
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert rows[0] == tq.HEADERS
    m, titre = data.mandats, data.titres[0]
    assert sorted(r[3] for r in rows[1:]) == sorted(
        [f"Mandat n° {p.id_pce}" for p in m[:3]] + [f"Titre n° {titre.id_pce}"]
    )
    fr = lambda a: f"{a:.2f}".replace(".", ",")  # noqa: E731
    assert [r[4] for r in rows[1:] if r[2] == "Encaissement"] == [fr(tresor.events[0][1])]
    assert rows[1][0] == f"{timezone.localdate():%d/%m/%Y}"

    response = client.get(
        f"{base}export.xlsx", {"au": data.day_b.isoformat(), "jour": data.day_a.isoformat()}
    )
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    cells = list(sheet.iter_rows(values_only=True))
    assert list(cells[0]) == tq.HEADERS and len(cells) == 3
    assert sum(Decimal(str(r[4])) for r in cells[1:]) == tresor.events[1][1]
    assert {r[0].date() for r in cells[1:]} == {data.day_a}


def test_who_sees_the_treasury(data, tresor, logged, request):
    other_budget = data.other_mandat.exercice.budget_id
    for name in ENTITLED:
        client = logged(request.getfixturevalue(name))
        for suffix in ("", "export.csv", "export.xlsx"):
            response = client.get(page_url(data) + suffix)
            response.close()
            assert response.status_code == 200, (name, suffix)
        # Another collectivité's budget is not a choice: the collectivité's own is shown.
        page = client.get(page_url(data), {"budget": other_budget}).content.decode()
        assert tresor.budget.libelle in page and "Sélectionnez un choix valide" in page
    for name in REFUSED:
        client = logged(request.getfixturevalue(name))
        for suffix in ("", "export.csv", "export.xlsx"):
            response = client.get(page_url(data) + suffix)
            assert response.status_code == 404, (name, suffix)
            assert str(OPENING) not in response.content.decode()


def test_a_collectivite_without_budget(logged, reader, collectivite):
    collectivite.budgets.all().delete()  # none received yet
    page = logged(reader).get(f"/extranet/collectivites/{collectivite.pk}/tresorerie/")
    assert "n'a pas encore de budget connu du comptable" in page.content.decode()


def _count(client, url, params) -> int:
    cache.clear()  # the cold page: what it computes, not what it kept (extranet.snapshots)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("user", ["reader", "comptable"])
def test_query_counts_are_bounded(data, tresor, logged, request, monkeypatch, user):
    client = logged(request.getfixturevalue(user))
    params = {"du": f"{tresor.annee - 1}-06-01", "au": data.day_b.isoformat()}
    counts = {}
    for size in (1, 50):
        monkeypatch.setattr(views_tresorerie, "PAGE_SIZE", size)
        counts[size] = _count(client, page_url(data), params)
    assert counts[1] == counts[50] <= 21, counts  # one for the menu's count of exports ready
    assert _count(client, f"/extranet/collectivites/{data.collectivite.pk}/", {}) <= 19


def test_the_tableau_de_bord_shows_the_balance_today(data, tresor, logged, reader):
    page = logged(reader).get(f"/extranet/collectivites/{data.collectivite.pk}/").content.decode()
    section = page.split("<h2>Trésorerie</h2>")[1].split("<h2>")[0]
    [balance] = re.findall(r'fr-tile__title">([^<]*)</h3>', section)
    assert _amount(balance) == tresor.solde(timezone.localdate())
    assert f"au {timezone.localdate():%d/%m/%Y}" in section
    svg = ET.fromstring(re.search(r"<svg.*?</svg>", section, re.S).group(0))
    assert svg.get("role") == "img"
    link = f"/extranet/collectivites/{data.collectivite.pk}/tresorerie/?budget={tresor.budget.pk}"
    assert f'href="{link}"' in section


def test_the_default_budget_is_where_the_comptable_worked_last(data, tresor, logged, reader):
    from pigp.core.models import Budget
    from pigp.helios.models import Exercice

    worked = data.mandats[0].exercice.budget
    idle = Budget.objects.create(
        collectivite=data.collectivite, cod_col="054", cod_bud="00", libelle="Annexe sans activité"
    )
    Exercice.objects.create(budget=idle, annee=data.mandats[0].exercice.annee)
    response = logged(reader).get(page_url(data))
    assert response.context["choice"].budget == worked
    page = response.content.decode()
    assert f'<option value="{worked.pk}" selected' in page
