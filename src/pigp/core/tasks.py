"""Background work of the core app."""

from __future__ import annotations

import datetime

from django.core.mail import send_mail
from django.utils import timezone
from django_tasks import task


@task()
def send_notification(subject: str, body: str, recipients: list[str]) -> int:
    """Send one plain-text e-mail; retried by the worker if the mail server fails."""
    if not recipients:
        return 0
    return send_mail(subject, body, None, recipients, fail_silently=False)


def enqueue_later(t, delay: datetime.timedelta, /, **kwargs: object):  # type: ignore[no-untyped-def]
    """Enqueue `t` to run after `delay` when the backend can defer, at once otherwise (tests)."""
    if t.get_backend().supports_defer:
        t = t.using(run_after=timezone.now() + delay)
    return t.enqueue(**kwargs)
