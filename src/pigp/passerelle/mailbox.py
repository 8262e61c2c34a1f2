"""The mailbox: what the comptable's side returns to a collectivité.

`deliver` is the one entry point Hélios (and the gateway itself for acknowledgements) uses.
Delivering the same name twice returns the existing item: a retried task never duplicates.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks import task

from pigp.core import files, journal
from pigp.core.models import Application, Collectivite, Habilitation
from pigp.core.models.habilitations import WRITE_PROFILES
from pigp.core.tasks import enqueue_later, send_notification
from pigp.passerelle.models import Flux, KindFlux, MailboxItem, NotificationPreference

DIGEST_DELAY = datetime.timedelta(minutes=2)
UNNOTIFIED_GRACE = datetime.timedelta(minutes=10)
ACKNOWLEDGEMENTS = frozenset({KindFlux.PES_ACQUIT, KindFlux.RAPPORT_REFUS})


def deliver(
    collectivite: Collectivite,
    kind: str,
    name: str,
    content: bytes,
    related_flux: Flux | None = None,
    media_type: str = "application/xml",
) -> MailboxItem:
    existing = MailboxItem.objects.filter(collectivite=collectivite, name=name).first()
    if existing is not None:
        return existing
    stored = files.store_bytes(content, media_type=media_type)
    # The item, its journal entry and the digest's task row commit together (in the caller's
    # transaction when there is one); `sweep_unnotified` catches a digest whose task was lost.
    try:
        with transaction.atomic():
            item = MailboxItem.objects.create(
                collectivite=collectivite,
                kind=kind,
                name=name,
                fichier=stored,
                related_flux=related_flux,
            )
            journal.record(
                "boite_aux_lettres_depot",
                actor_label="passerelle",
                obj=item,
                collectivite=collectivite,
                details={"type": kind, "nom": name},
            )
            enqueue_later(send_mailbox_digest, DIGEST_DELAY, collectivite_id=collectivite.pk)
    except IntegrityError:
        return MailboxItem.objects.get(collectivite=collectivite, name=name)
    return item


def mark_read(item: MailboxItem, reader_label: str) -> MailboxItem:
    if item.read_at is None:
        updated = MailboxItem.objects.filter(pk=item.pk, read_at__isnull=True).update(
            read_at=timezone.now(), read_by=reader_label[:254]
        )
        if updated:
            item.refresh_from_db()
            journal.record(
                "boite_aux_lettres_lu",
                actor_label=reader_label,
                obj=item,
                collectivite=item.collectivite_id,
            )
    return item


def _recipients(collectivite_id: int, kinds: set[str]) -> list[str]:
    users = (
        Habilitation.objects.in_force()
        .filter(
            collectivite_id=collectivite_id,
            application=Application.PASSERELLE,
            profil__in=WRITE_PROFILES,
            user__is_active=True,
        )
        .select_related("user", "user__passerelle_notifications")
    )
    emails = []
    for hab in users:
        try:
            pref = hab.user.passerelle_notifications
        except NotificationPreference.DoesNotExist:
            pref = None
        wants_acquit = pref.acquittements if pref else True
        wants_retour = pref.retours if pref else True
        # A refusal report answers a deposit, as an acknowledgement does.
        if (kinds & ACKNOWLEDGEMENTS and wants_acquit) or (
            kinds - ACKNOWLEDGEMENTS and wants_retour
        ):
            emails.append(hab.user.email)
    return sorted(set(emails))


@task()
def send_mailbox_digest(collectivite_id: int) -> int:
    """One e-mail per user for everything that arrived since the last digest.

    The items are marked notified in the transaction that writes the e-mail's task row: both
    commit or neither does, so an item is never marked without its e-mail on the way.
    """
    with transaction.atomic():
        items = list(
            MailboxItem.objects.select_for_update()
            .filter(collectivite_id=collectivite_id, notified_at__isnull=True)
            .order_by("created_at")
        )
        if not items:
            return 0
        MailboxItem.objects.filter(pk__in=[i.pk for i in items]).update(notified_at=timezone.now())
        recipients = _recipients(collectivite_id, {i.kind for i in items})
        if not recipients:
            return 0
        collectivite = Collectivite.objects.get(pk=collectivite_id)
        lines = "\n".join(f"  - {i.get_kind_display()} : {i.name}" for i in items)
        url = f"{settings.SITE_URL.rstrip('/')}/passerelle/{collectivite_id}/boite/"
        send_notification.enqueue(
            subject=f"[PIGP] {len(items)} nouveau(x) fichier(s) pour {collectivite.nom}",
            body=(
                f"Bonjour,\n\n{len(items)} fichier(s) sont arrivés dans la boîte aux lettres de "
                f"{collectivite.nom} :\n{lines}\n\nPour les consulter : {url}\n\n"
                "Vous pouvez régler ces avis dans « Mon compte »."
            ),
            recipients=recipients,
        )
    return len(items)


def sweep_unnotified(now: datetime.datetime | None = None) -> list[int]:
    """Enqueue the digest of every collectivité with items still unnotified well past the
    digest's delay (its task row was lost or its worker died); the digest is idempotent."""
    now = now or timezone.now()
    late = now - DIGEST_DELAY - UNNOTIFIED_GRACE
    ids = list(
        MailboxItem.objects.filter(notified_at__isnull=True, created_at__lt=late)
        .order_by()
        .values_list("collectivite_id", flat=True)
        .distinct()
    )
    for collectivite_id in ids:
        send_mailbox_digest.enqueue(collectivite_id=collectivite_id)
    return ids
