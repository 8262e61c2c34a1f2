"""Background work of the core app."""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.core.mail import send_mail
from django.utils import timezone
from django_tasks import task
from django_tasks.base import Task, TaskResult

log = logging.getLogger(__name__)

# A mail server that fails is tried again after 1, 2, 4… minutes (at most an hour), 8 times.
MAIL_ATTEMPTS = 8
MAIL_RETRY = datetime.timedelta(minutes=1)
MAIL_RETRY_MAX = datetime.timedelta(hours=1)


@task()
def send_notification(subject: str, body: str, recipients: list[str], attempt: int = 1) -> int:
    """Send one plain-text e-mail. The task backend does not retry a failed task: a failure
    enqueues the next try itself, with a growing delay, before the error is recorded."""
    if not recipients:
        return 0
    try:
        return send_mail(subject, body, None, recipients, fail_silently=False)
    except Exception:
        if attempt >= MAIL_ATTEMPTS:
            log.exception("e-mail %r: given up after %s attempts", subject, attempt)
            raise
        delay = min(MAIL_RETRY * 2 ** (attempt - 1), MAIL_RETRY_MAX)
        log.warning("e-mail %r: attempt %s failed, next in %s", subject, attempt, delay)
        enqueue_later(
            send_notification,
            delay,
            subject=subject,
            body=body,
            recipients=recipients,
            attempt=attempt + 1,
        )
        raise


def enqueue_later(
    t: Task[..., Any], delay: datetime.timedelta, /, **kwargs: object
) -> TaskResult[Any]:
    """Enqueue `t` to run after `delay` when the backend can defer, at once otherwise (tests)."""
    if t.get_backend().supports_defer:
        t = t.using(run_after=timezone.now() + delay)
    return t.enqueue(**kwargs)
