"""Alerts: events found by query once a day, delivered as one digest e-mail per user.

Hélios never imports the Extranet, and it sends no signal on a transition: rather than add
hand-offs to every state change, the digest looks in Hélios' own records for what happened
since each subscription began (`PieceEvent` rows for rejections, `Paiement` rows for payments,
titres still due past their due date). `Alerte`'s uniqueness constraint makes it idempotent: a
retried or concurrent run inserts nothing twice, and an event missed by a failed run is found
by the next one.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from pigp.core import journal
from pigp.core.models import Collectivite, User
from pigp.core.tasks import send_notification
from pigp.extranet import access
from pigp.extranet.models import DELAI_RETARD_DEFAUT, Abonnement, Alerte, DigestRun, KindAlerte
from pigp.helios.models import Domaine, EtatPiece, Piece

EN_RECOUVREMENT = (EtatPiece.PRISE_EN_CHARGE, EtatPiece.PARTIELLE)


def retard_limit(abonnement: Abonnement, today: datetime.date) -> datetime.date:
    """A titre due before this day is late for the subscription."""
    delai = DELAI_RETARD_DEFAUT if abonnement.delai_jours is None else abonnement.delai_jours
    return today - datetime.timedelta(days=delai)


def events_of(abonnement: Abonnement, today: datetime.date) -> QuerySet[Piece]:
    """The pièces the subscription is to be told about, already told or not."""
    pieces = Piece.objects.filter(collectivite_id=abonnement.collectivite_id)
    if abonnement.kind == KindAlerte.MANDAT_REJETE:
        return pieces.filter(
            domaine=Domaine.DEPENSE,
            events__etat=EtatPiece.REJETEE,
            events__at__gte=abonnement.cree_le,
        )
    if abonnement.kind == KindAlerte.MANDAT_PAYE:
        return pieces.filter(
            domaine=Domaine.DEPENSE,
            paiements__cree_le__gte=abonnement.cree_le,
            mt_ttc__gte=abonnement.seuil or 0,
        )
    limit = retard_limit(abonnement, today)
    return pieces.filter(
        domaine=Domaine.RECETTE, etat__in=EN_RECOUVREMENT, reste_a_recouvrer__gt=0
    ).filter(
        Q(date_echeance__lt=limit) | Q(date_echeance__isnull=True, date_prise_en_charge__lt=limit)
    )


def subscribe(
    user: User,
    collectivite: Collectivite,
    *,
    kind: str,
    seuil: Decimal | None = None,
    delai_jours: int | None = None,
    request: HttpRequest | None = None,
) -> Abonnement:
    """Subscribe the user to one kind of alert about the collectivité, journaled; raises
    `IntegrityError` when he already has that kind there (the form's values, as cleaned)."""
    with transaction.atomic():
        abonnement = Abonnement.objects.create(
            user=user,
            collectivite=collectivite,
            kind=kind,
            seuil=seuil,
            delai_jours=delai_jours,
            # The field's default holds the real clock; the demo replays dates (`demo_clock`).
            cree_le=timezone.now(),
        )
        journal.record(
            "extranet_alerte_abonnement",
            actor=user,
            obj=abonnement,
            collectivite=collectivite.pk,
            request=request,
            details={"alerte": kind},
        )
    return abonnement


def _subscriptions_in_force() -> QuerySet[Abonnement]:
    """Subscriptions of active users; each one's collectivité is checked against the user's
    perimeter (habilitation in force, or comptable of the poste) by `_perimeters`."""
    return Abonnement.objects.filter(user__is_active=True).select_related("user")


def _perimeters(users: list[User]) -> dict[int, set[int]]:
    return {u.pk: set(access.readable_ids(u)) for u in users}


def detect(today: datetime.date | None = None) -> int:
    """Record the new events of every subscription whose user may still see the collectivité;
    returns how many were new (a concurrent run may have inserted some of them too)."""
    today = today or timezone.localdate()
    subscriptions = list(_subscriptions_in_force())
    perimeters = _perimeters(list({s.user_id: s.user for s in subscriptions}.values()))
    created, now = 0, timezone.now()
    for sub in subscriptions:
        if sub.collectivite_id not in perimeters[sub.user_id]:
            continue  # revoked, or moved to another poste: nothing is detected nor sent
        known = Alerte.objects.filter(abonnement=sub).values("piece_id")
        ids = list(events_of(sub, today).exclude(pk__in=known).values_list("pk", flat=True))
        rows = [
            Alerte(abonnement=sub, piece_id=pk, kind=sub.kind, detectee_le=now)
            for pk in dict.fromkeys(ids)
        ]
        # Another worker may insert the same events meanwhile: the constraint keeps one.
        created += len(Alerte.objects.bulk_create(rows, ignore_conflicts=True))
    return created


def _line(alerte: Alerte) -> str:
    piece = alerte.piece
    kind = "Mandat" if piece.is_mandat else "Titre"
    what = {
        KindAlerte.MANDAT_REJETE: f"rejeté le {piece.date_rejet:%d/%m/%Y}"
        if piece.date_rejet
        else "rejeté",
        KindAlerte.MANDAT_PAYE: "payé",
        KindAlerte.TITRE_EN_RETARD: f"reste à recouvrer {piece.reste_a_recouvrer} €",
    }[KindAlerte(alerte.kind)]
    url = f"{settings.SITE_URL.rstrip('/')}{_piece_path(piece)}"
    return f"  - {kind} n° {piece.id_pce} ({piece.mt_ttc} €) : {what}\n    {url}"


def _piece_path(piece: Piece) -> str:
    if piece.is_mandat:
        return reverse("extranet:mandat", args=[piece.pk])
    search = urlencode({"q": piece.id_pce})
    return f"{reverse('extranet:recouvrement', args=[piece.collectivite_id])}?{search}"


def _body(alertes: list[Alerte]) -> str:
    by_collectivite: dict[str, list[Alerte]] = defaultdict(list)
    for a in alertes:
        by_collectivite[a.abonnement.collectivite.nom].append(a)
    parts = ["Bonjour,\n", "Voici les nouvelles alertes de l'Extranet Hélios :\n"]
    for nom in sorted(by_collectivite):
        parts.append(f"\n{nom}\n")
        for kind in KindAlerte:
            lines = [_line(a) for a in by_collectivite[nom] if a.kind == kind]
            if lines:
                parts.append(f"{kind.label} :\n" + "\n".join(lines) + "\n")
    site = settings.SITE_URL.rstrip("/")
    parts.append(f"\nPour gérer vos alertes : {site}{reverse('extranet:index')}\n")
    return "".join(parts)


def send_user_digest(user: User) -> int:
    """Mark the user's unsent alerts sent in the transaction that writes the e-mail's task row:
    both commit or neither does, so an alert is never marked without its e-mail on the way,
    nor e-mailed twice (the e-mail task retries itself on a mail-server failure)."""
    with transaction.atomic():
        alertes = list(
            Alerte.objects.select_for_update(of=("self",))
            .filter(
                abonnement__user=user,
                envoyee_le__isnull=True,
                abonnement__collectivite_id__in=access.readable_ids(user),
            )
            .select_related("abonnement__collectivite", "piece")
            .order_by("piece__collectivite_id", "kind", "piece__id_pce", "pk")
        )
        if not alertes:
            return 0
        Alerte.objects.filter(pk__in=[a.pk for a in alertes]).update(envoyee_le=timezone.now())
        send_notification.enqueue(
            subject=f"[PIGP] Extranet : {len(alertes)} nouvelle(s) alerte(s)",
            body=_body(alertes),
            recipients=[user.email],
        )
    return len(alertes)


@task()
def send_alert_digests() -> int:
    """The daily digest: detect, then one e-mail per user; returns the alerts sent."""
    detect()
    users = User.objects.filter(
        is_active=True,
        abonnements_extranet__alertes__envoyee_le__isnull=True,
    ).distinct()
    return sum(send_user_digest(user) for user in users)


def schedule_daily(now: datetime.datetime | None = None) -> bool:
    """Enqueue today's digest once the hour has come, once a day whatever the number of
    workers: the day's row and the task's row commit together."""
    now = timezone.localtime(now)
    if now.hour < settings.PIGP_EXTRANET_ALERT_HOUR:
        return False
    try:
        with transaction.atomic():
            _run, created = DigestRun.objects.get_or_create(jour=now.date())
            if created:
                send_alert_digests.enqueue()
    except IntegrityError:
        return False  # another worker created it first
    return created
