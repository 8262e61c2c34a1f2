"""The demo's calendar: steps played in date order, with Django's clock at each step's moment."""

import datetime

import pytest
from django.utils import timezone

from pigp.core import journal
from pigp.core.demo_clock import Timeline, clock_at, workday
from pigp.core.models import JournalEntry

pytestmark = pytest.mark.django_db


def test_clock_at_sets_the_time_back_and_restores_it():
    moment = timezone.now() - datetime.timedelta(days=100)
    with clock_at(moment):
        inside = timezone.now()
        day = timezone.localdate()
    assert moment <= inside < moment + datetime.timedelta(minutes=1)
    assert day == timezone.localdate(moment)
    assert timezone.now() - inside > datetime.timedelta(days=99)


def test_clock_at_refuses_the_future():
    with (
        pytest.raises(ValueError, match="futur"),
        clock_at(timezone.now() + datetime.timedelta(days=1)),
    ):
        pass  # pragma: no cover - refused before
    assert abs(timezone.now() - timezone.now()) < datetime.timedelta(seconds=1)


def test_workday_moves_weekends():
    saturday = datetime.date(2026, 12, 5)
    assert workday(saturday) == datetime.date(2026, 12, 7)
    assert workday(saturday, back=True) == datetime.date(2026, 12, 4)
    assert workday(datetime.date(2026, 12, 8)) == datetime.date(2026, 12, 8)


def test_timeline_calendar():
    now = timezone.make_aware(datetime.datetime(2026, 12, 7, 9, 0))  # a Monday
    timeline = Timeline(now=now)
    assert timeline.today == datetime.date(2026, 12, 7)
    assert timeline.fresh == [datetime.date(2026, 12, 3), datetime.date(2026, 12, 4)]
    assert timeline.end == datetime.date(2026, 12, 2)
    assert (timeline.today - timeline.start).days > 365
    assert timeline.start.year == 2025 and timeline.start.weekday() < 5
    # Early in January the history starts with the previous year, not before.
    january = Timeline(now=timezone.make_aware(datetime.datetime(2027, 1, 6, 12, 0)))
    assert january.start == datetime.date(2026, 1, 2)
    # A moment never falls after the present.
    assert timeline.moment(timeline.today, 23, 0) < now


def test_steps_play_in_date_order_and_the_journal_follows():
    timeline = Timeline()
    days = [timeline.end, timeline.start, timeline.fresh[0]]
    for day in days:
        timeline.add(
            timeline.moment(day, 10),
            lambda day=day: journal.record("demo", actor_label="démo", details={"jour": str(day)}),
        )
    # Two steps at the same moment: in the order they were added, the second just after.
    for label in ("premier", "second"):
        timeline.add(
            timeline.moment(timeline.end, 10),
            lambda label=label: journal.record("demo", actor_label=label),
        )
    seen = []
    timeline.after_each(lambda: seen.append(timezone.localdate()))
    timeline.run()
    entries = list(JournalEntry.objects.order_by("id"))
    assert [timezone.localdate(e.timestamp) for e in entries] == [
        timeline.start,
        timeline.end,
        timeline.end,
        timeline.end,
        timeline.fresh[0],
    ]
    assert [e.actor_label for e in entries[1:4]] == ["démo", "premier", "second"]
    stamps = [e.timestamp for e in entries]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    assert seen == [timezone.localdate(e.timestamp) for e in entries]
    assert journal.verify_chain().intact
    assert timeline.steps == []  # played once


def test_a_quiet_step_runs_no_hook():
    timeline = Timeline()
    played, hooked = [], []
    timeline.add(timeline.moment(timeline.start, 9), lambda: played.append("bruyant"))
    timeline.add(timeline.moment(timeline.end, 9), lambda: played.append("discret"), hooks=False)
    timeline.after_each(lambda: hooked.append(timezone.localdate()))
    timeline.run()
    assert played == ["bruyant", "discret"]
    assert hooked == [timeline.start]
    assert timeline.steps == [] and timeline.quiet == set()
