"""Exports too large to serve at once: recorded as an `ExportDemande`, written by the worker,
offered on the user's « Mes exports » page and announced by e-mail.

Nothing is lost between two steps: the request's row and its task's row commit together
(`request_export`); a run claims the request with a lease (a conditional UPDATE) and extends it
at each chunk; a run that dies leaves the lease to expire, and the worker's sweep
(`resend_stale`) hands the request to a new run, which writes the file again from scratch. The
run number (`tentatives`) is the claim: a run that was replaced writes nothing more. The file
and the e-mail's task row commit with the « prêt » state. Files are deleted after
`PIGP_EXTRANET_EXPORT_DAYS` days (`purge_expired`).
"""

from __future__ import annotations

import datetime
import logging
import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, ProtectedError, Q
from django.http import Http404, QueryDict
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from pigp.core import files
from pigp.core.models import Collectivite, StoredFile, User
from pigp.core.tasks import send_notification
from pigp.extranet import export_lists, exports
from pigp.extranet.models import EtatExport, ExportDemande, FormatExport

log = logging.getLogger(__name__)

RUNNING = (EtatExport.EN_ATTENTE, EtatExport.EN_COURS)
# A request whose runs died this many times (the worker killed each time) is given up.
MAX_TENTATIVES = 3
# Rows written between two progress reports (and lease extensions).
PROGRESS_EVERY = 2000
MAX_BYTES = 50 * 1024**3

NO_ACCESS = (
    "Vous n'avez plus accès à l'Extranet de cette collectivité : l'export n'a pas été produit."
)
INTERNAL_ERROR = (
    "Une erreur interne a empêché de produire l'export. Demandez-le de nouveau depuis la liste ; "
    "si l'erreur se reproduit, signalez-la à l'assistance."
)
INTERRUPTED = (
    "L'export a été interrompu {n} fois (arrêt du serveur pendant l'écriture). Demandez-le de "
    "nouveau depuis la liste, si possible avec des filtres plus restrictifs."
)


class ClaimLost(Exception):
    """The run was replaced by another (its lease had expired): it stops writing."""


def lignes(n: int) -> str:
    """« 12 345 lignes », with the French thousands separator."""
    number = f"{n:,}".replace(",", "\u202f")
    return f"{number} ligne{'s' if n > 1 else ''}"


def threshold(fmt: str) -> int:
    """The most rows an export in `fmt` is served at once; above, the worker writes it."""
    if fmt == FormatExport.XLSX:
        return int(settings.PIGP_EXTRANET_EXPORT_XLSX_MAX)
    return int(settings.PIGP_EXTRANET_EXPORT_CSV_MAX)


def _lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.PIGP_EXTRANET_EXPORT_LEASE_SECONDS)


def request_export(
    user: User, collectivite: Collectivite, page: str, fmt: str, query: str, rows_total: int
) -> ExportDemande:
    """Record the request and enqueue its task in one transaction. The same export already
    waiting or running (a second click) is that one, not a new one."""
    with transaction.atomic():
        same = ExportDemande.objects.filter(
            user=user,
            collectivite=collectivite,
            page=page,
            format=fmt,
            query=query,
            etat__in=RUNNING,
        ).first()
        if same is not None:
            return same
        demande = ExportDemande.objects.create(
            user=user,
            collectivite=collectivite,
            page=page,
            format=fmt,
            query=query,
            rows_total=rows_total,
            lease_until=timezone.now() + _lease(),
        )
        run_export.enqueue(demande_id=demande.pk)
    return demande


def claim(demande_id: int) -> ExportDemande | None:
    """Take a waiting request for this run (or one whose run's lease is past), or None."""
    now = timezone.now()
    free = Q(etat=EtatExport.EN_ATTENTE) | Q(etat=EtatExport.EN_COURS, lease_until__lt=now)
    taken = ExportDemande.objects.filter(free, pk=demande_id).update(
        etat=EtatExport.EN_COURS,
        lease_until=now + _lease(),
        started_at=now,
        rows_done=0,
        tentatives=F("tentatives") + 1,
    )
    if not taken:
        return None
    demande = ExportDemande.objects.select_related("user").get(pk=demande_id)
    if demande.tentatives > MAX_TENTATIVES:
        _fail(demande, INTERRUPTED.format(n=demande.tentatives - 1))
        return None
    return demande


def _mine(demande: ExportDemande) -> Any:
    """The request, as long as this run holds it."""
    return ExportDemande.objects.filter(
        pk=demande.pk, etat=EtatExport.EN_COURS, tentatives=demande.tentatives
    )


def report_progress(demande: ExportDemande, rows_done: int) -> None:
    """Record the rows written and extend the lease; ClaimLost if another run took over."""
    until = timezone.now() + _lease()
    if not _mine(demande).update(rows_done=rows_done, lease_until=until):
        raise ClaimLost


def counted(demande: ExportDemande, rows: Iterable[list[Any]]) -> Iterator[list[Any]]:
    """The rows, with the progress recorded every `PROGRESS_EVERY` rows."""
    done = 0
    for row in rows:
        yield row
        done += 1
        if done % PROGRESS_EVERY == 0:
            report_progress(demande, done)
    # Every row is written; the lease is extended once more for the end of the file.
    report_progress(demande, done)
    demande.rows_done = done


def _fail(demande: ExportDemande, message: str) -> None:
    ExportDemande.objects.filter(pk=demande.pk, tentatives=demande.tentatives).update(
        etat=EtatExport.ECHEC, erreur=message, lease_until=None, finished_at=timezone.now()
    )


def _write(demande: ExportDemande, found: export_lists.ListExport) -> StoredFile:
    """Write the file from scratch and keep it in the object store."""
    table = found.table()
    table = exports.Table(table.sheet, table.headers, counted(demande, table.rows))
    with tempfile.TemporaryFile(dir=files.spool_dir()) as out:
        if demande.format == FormatExport.XLSX:
            exports.write_xlsx(table, out)
            media_type = exports.XLSX_TYPE
        else:
            exports.write_csv(table, out)
            media_type = exports.CSV_TYPE
        out.seek(0)
        with files.spool(out, max_size=MAX_BYTES) as spooled:
            return files.keep(spooled, media_type=media_type)


def _mail_body(demande: ExportDemande) -> str:
    site = settings.SITE_URL.rstrip("/")
    page = reverse("extranet:mes_exports", args=[demande.collectivite_id])
    download = reverse("extranet:export_fichier", args=[demande.pk])
    days = settings.PIGP_EXTRANET_EXPORT_DAYS
    return (
        "Bonjour,\n\n"
        f"Votre export « {demande.get_page_display()} » ({demande.get_format_display()}, "
        f"{lignes(demande.rows_done)}) de {demande.collectivite.nom} est prêt.\n\n"
        f"Le télécharger : {site}{download}\n"
        f"Tous vos exports : {site}{page}\n\n"
        f"Le fichier reste disponible {days} jours ; seul vous pouvez le télécharger.\n"
    )


@task()
def run_export(demande_id: int) -> str:
    """Write the requested export; idempotent (a request already taken, done or failed is
    left alone)."""
    demande = claim(demande_id)
    if demande is None:
        return "rien à faire"
    user = demande.user
    try:
        if not user.is_active:
            raise PermissionDenied
        found = export_lists.build(
            demande.page, user, QueryDict(demande.query), demande.collectivite_id
        )
        stored = _write(demande, found)
        with transaction.atomic():
            done = _mine(demande).update(
                etat=EtatExport.PRET,
                fichier=stored,
                filename=f"{found.filename}.{demande.format}",
                rows_done=demande.rows_done,
                rows_total=demande.rows_done,
                erreur="",
                lease_until=None,
                finished_at=timezone.now(),
            )
            if not done:
                raise ClaimLost
            demande.collectivite = found.collectivite
            send_notification.enqueue(
                subject=f"[PIGP] Extranet : votre export « {demande.get_page_display()} » est prêt",
                body=_mail_body(demande),
                recipients=[user.email],
            )
    except ClaimLost:
        return "remplacé par une autre exécution"
    except (Http404, PermissionDenied):
        _fail(demande, NO_ACCESS)
        return "refusé"
    except Exception:
        log.exception("export %s en échec", demande.pk)
        _fail(demande, INTERNAL_ERROR)
        raise
    return f"{demande.rows_done} lignes"


def resend_stale(now: datetime.datetime | None = None, limit: int = 200) -> list[int]:
    """The sweep: a request still waiting or running past its lease (its task was lost or its
    worker died) is handed to a new run; the new lease and the task's row commit together."""
    now = now or timezone.now()
    stale = ExportDemande.objects.filter(etat__in=RUNNING, lease_until__lt=now)
    sent = []
    for pk in stale.order_by("lease_until", "pk").values_list("pk", flat=True)[:limit]:
        with transaction.atomic():
            # Back to « en attente »: the dead run's claim is void, the next run takes it.
            taken = ExportDemande.objects.filter(
                pk=pk, etat__in=RUNNING, lease_until__lt=now
            ).update(etat=EtatExport.EN_ATTENTE, lease_until=now + _lease())
            if taken:
                run_export.enqueue(demande_id=pk)
                sent.append(pk)
    return sent


def purge_expired(now: datetime.datetime | None = None) -> int:
    """Delete the files of exports produced more than `PIGP_EXTRANET_EXPORT_DAYS` days ago;
    the requests stay, « expiré ». One transaction per file: its requests and its row go
    together, then its object (a crash in between leaves an object without a row, which the
    passerelle's sweep reclaims). A file still referenced elsewhere (the same bytes kept by
    another request or for another purpose) keeps its row and object."""
    now = now or timezone.now()
    limit = now - datetime.timedelta(days=settings.PIGP_EXTRANET_EXPORT_DAYS)
    old = ExportDemande.objects.filter(etat=EtatExport.PRET, finished_at__lt=limit)
    expired = 0
    for file_id in set(old.values_list("fichier_id", flat=True)):
        name = None
        with transaction.atomic():
            expired += old.filter(fichier_id=file_id).update(etat=EtatExport.EXPIRE, fichier=None)
            stored = StoredFile.objects.filter(pk=file_id).first()
            if stored is not None:
                try:
                    with transaction.atomic():
                        stored.delete()
                    name = stored.storage_name
                except ProtectedError:
                    pass
        if name is not None:
            files.object_storage().delete(name)
    return expired


def sweep(now: datetime.datetime | None = None) -> str:
    """What the worker's periodic sweep does for exports; a French line, or ""."""
    sent, purged = resend_stale(now), purge_expired(now)
    parts = []
    if sent:
        parts.append(f"{len(sent)} export(s) de l'Extranet relancé(s)")
    if purged:
        parts.append(f"{purged} fichier(s) d'export de l'Extranet supprimé(s)")
    return " ; ".join(parts)
