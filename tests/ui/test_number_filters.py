"""The fast `montant` and `jour` filters print exactly what Django's own filters print."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.template import Context, Template
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import floatformat
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from pigp.ui.templatetags.ui import jour, montant

amounts = st.decimals(
    min_value=Decimal("-1e13"), max_value=Decimal("1e13"), places=4, allow_nan=False
)


@given(amounts)
def test_montant_is_floatformat_2g_in_french(value: Decimal) -> None:
    with translation.override("fr"):
        assert montant(value) == floatformat(value, "2g")


def test_montant_cases() -> None:
    with translation.override("fr"):
        assert montant(Decimal("1234567.5")) == "1\u00a0234\u00a0567,50"
        assert montant(Decimal("-12.345")) == "-12,35"  # half up, like floatformat
        assert montant(Decimal("-0.004")) == "0,00"  # never « -0,00 »
        # What is not a Decimal goes to floatformat itself.
        assert montant(12) == "12,00"
        assert montant(None) == "" == montant("")


@given(st.dates(min_value=datetime.date(1900, 1, 1)))
def test_jour_is_the_date_filter(day: datetime.date) -> None:
    assert jour(day) == date_filter(day, "d/m/Y")


def test_jour_shows_a_datetime_in_the_local_time_zone() -> None:
    # 23:30 UTC on 4 March is 00:30 on 5 March in Paris: the template engine converts, as for `date`.
    moment = datetime.datetime(2026, 3, 4, 23, 30, tzinfo=datetime.UTC)
    out = Template("{% load ui %}{{ m|jour }} {{ m|date:'d/m/Y' }}").render(Context({"m": moment}))
    assert out == "05/03/2026 05/03/2026"
    assert jour(None) == ""
