"""The demo's calendar: its year of history is played through the real code paths, each step
at the date it describes.

Every app's demo adds dated steps to one `Timeline`; `run()` plays them in date order, each
with Django's clock (`django.utils.timezone.now`, which `auto_now` fields, the journal and the
services read) set back to the step's moment and running on from there. So a bordereau is
received, taken in charge and paid on the days the demo says, its events and journal entries
carry those days, and the journal's chain stays in time order. Nothing is ever dated after
the real present. Only the demo uses this, before any worker starts.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.utils import timezone

log = logging.getLogger(__name__)

HISTORY_DAYS = 395  # a little over a year, so that some titres are due for more than a year
FRESH_WORKDAYS = 2  # the last working days before today: new work, unread mailbox items

Step = Callable[[], object]


@contextlib.contextmanager
def clock_at(moment: datetime.datetime) -> Iterator[None]:
    """Run the block as if it were `moment`: `timezone.now()` starts there and runs on."""
    real_now = timezone.now
    offset = moment - real_now()
    if offset > datetime.timedelta(0):
        raise ValueError("la démonstration ne date rien dans le futur")
    timezone.now = lambda: real_now() + offset
    try:
        yield
    finally:
        timezone.now = real_now


def workday(day: datetime.date, *, back: bool = False) -> datetime.date:
    """The day itself on weekdays, else the Monday after (the Friday before with `back`)."""
    while day.weekday() >= 5:
        day += datetime.timedelta(days=-1 if back else 1)
    return day


@dataclass
class Timeline:
    """Dated steps, played in date order (then in the order they were added)."""

    now: datetime.datetime = field(default_factory=timezone.now)
    steps: list[tuple[datetime.datetime, int, Step]] = field(default_factory=list)
    hooks: list[Step] = field(default_factory=list)
    quiet: set[int] = field(default_factory=set)  # steps after which no hook runs
    last: datetime.datetime | None = None

    @property
    def today(self) -> datetime.date:
        return timezone.localdate(self.now)

    @property
    def start(self) -> datetime.date:
        """The first day of the history: about 13 months back, never before 2 January of
        the previous year (the demo lives through the previous and the current exercice)."""
        first = datetime.date(self.today.year - 1, 1, 2)
        return workday(max(self.today - datetime.timedelta(days=HISTORY_DAYS), first))

    @property
    def fresh(self) -> list[datetime.date]:
        """The last working days before today, oldest first: the fresh activity."""
        days: list[datetime.date] = []
        day = self.today
        while len(days) < FRESH_WORKDAYS:
            day = workday(day - datetime.timedelta(days=1), back=True)
            days.insert(0, day)
        return days

    @property
    def end(self) -> datetime.date:
        """The last day of the history proper (the day before the fresh activity)."""
        return self.fresh[0] - datetime.timedelta(days=1)

    def moment(self, day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
        """`day` at `hour`:`minute`, Paris time; never later than a few minutes ago."""
        when = timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))
        return min(when, self.now - datetime.timedelta(minutes=5))

    def add(self, when: datetime.datetime, step: Step, *, hooks: bool = True) -> None:
        """Play `step` at `when`; `hooks=False` for a step that only reads or touches nothing
        the hooks look after (they run after the next step)."""
        if not hooks:
            self.quiet.add(len(self.steps))
        self.steps.append((when, len(self.steps), step))

    def after_each(self, hook: Step) -> None:
        """Run `hook` at the end of every step, at that step's time."""
        self.hooks.append(hook)

    @contextlib.contextmanager
    def at(self, when: datetime.datetime) -> Iterator[None]:
        """Run a block at `when`, or just after the previous block if that ended later."""
        if self.last is not None and when <= self.last:
            when = self.last + datetime.timedelta(milliseconds=1)
        with clock_at(min(when, timezone.now())):
            try:
                yield
            finally:
                self.last = timezone.now()

    def run(self) -> None:
        steps, self.steps = sorted(self.steps, key=lambda s: (s[0], s[1])), []
        quiet, self.quiet = self.quiet, set()
        for when, seq, step in steps:
            with self.at(when):
                step()
                for hook in self.hooks if seq not in quiet else ():
                    hook()
