"""Background work of the core app."""

from __future__ import annotations

from django.core.mail import send_mail
from django_tasks import task


@task()
def send_notification(subject: str, body: str, recipients: list[str]) -> int:
    """Send one plain-text e-mail; retried by the worker if the mail server fails."""
    if not recipients:
        return 0
    return send_mail(subject, body, None, recipients, fail_silently=False)
