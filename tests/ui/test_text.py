"""French wording helpers."""

from __future__ import annotations

import datetime

import pytest
from django.template import Context, Template

from pigp.ui.text import accord, duree, pluriel


@pytest.mark.parametrize(
    ("count", "forms", "expected"),
    [
        (0, "pièce", "0 pièce"),
        (1, "pièce", "1 pièce"),
        (2, "pièce", "2 pièces"),
        (1234, "mandat", "1\u202f234 mandats"),
        (3, "bordereau,bordereaux", "3 bordereaux"),
        (1, "bordereau,bordereaux", "1 bordereau"),
    ],
)
def test_pluriel(count, forms, expected):
    assert pluriel(count, forms) == expected


@pytest.mark.parametrize(
    ("count", "forms", "expected"),
    [
        (0, "traitée", "traitée"),
        (1, "traitée", "traitée"),
        (2, "traitée", "traitées"),
        (3, "il reste,ils restent", "ils restent"),
        (1, "il reste,ils restent", "il reste"),
        ("?", "traitée", "traitée"),
    ],
)
def test_accord(count, forms, expected):
    assert accord(count, forms) == expected


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0.4, "1 seconde"),
        (40, "40 secondes"),
        (900, "15 minutes"),
        (850, "15 minutes"),
        (3600, "1 heure"),
        (5400, "1 heure 30 minutes"),
        (7200, "2 heures"),
    ],
)
def test_duree(seconds, expected):
    assert duree(seconds) == expected


def test_filters_in_templates():
    template = Template(
        '{% load ui %}{{ n|pluriel:"flux,flux" }} {{ n|accord:"traité" }} ; {{ d|duree }}'
    )
    rendered = template.render(Context({"n": 2, "d": datetime.timedelta(minutes=15)}))
    assert rendered == "2 flux traités ; 15 minutes"
