"""ORC's part of the demo: the archive grows with the year of Hélios the demo replays.

- Saint-Orens adheres to the early-destruction offer on the first days of the history (the
  ordonnateur records the convention): its pièces are covered from then on.
- After each step of the timeline, the pièces Hélios' signals asked to archive (paid mandats,
  titres taken in charge) are archived at that step's time through the real worker
  (`ingest.work_pending`), and their attestations issued; the previous exercice, closed by the
  Hélios demo in January, is completed and sealed.
- The journal is sealed every evening; the monthly recapitulative attestations are issued at
  the start of each month, in the mailbox.
- The archives départementales de la Haute-Garonne (agent `archives@demo.pigp.fr`) cover the
  demo's collectivités of département 31; the archivist of Saint-Orens puts one pièce of the
  closed exercice under legal hold; the ordonnateur deposits one digitised paper PJ.

Played once: when the archives service exists, a second run adds nothing.
"""

from __future__ import annotations

import datetime
import io
import logging
from dataclasses import dataclass
from functools import partial

from django.db import transaction

from pigp.core.demo_clock import Timeline, workday
from pigp.core.models import Collectivite, User
from pigp.orc import adhesion, attestations, ingest, numerisation, retention, seals
from pigp.orc.models import ArchiveUnit, PendingIngest, ServiceArchives, StatutUnite

log = logging.getLogger(__name__)

SAINT_ORENS = "21310555400017"
ORDONNATEUR = "ordonnateur@demo.pigp.fr"
ARCHIVISTE = "archiviste@demo.pigp.fr"
ARCHIVES = "archives@demo.pigp.fr"
SERVICE = "Archives départementales de la Haute-Garonne"
DAY = datetime.timedelta(days=1)

# A one-page PDF (made by hand: a scanned delivery note stands for itself in the demo).
SCAN = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R"
    b"/Resources<</Font<</F1 5 0 R>>>>>>endobj\n"
    b"4 0 obj<</Length 62>>stream\nBT /F1 14 Tf 60 780 Td (Bon de livraison signe - copie) Tj ET\n"
    b"endstream endobj\n5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@dataclass
class Loaded:
    unites: int = 0
    attestations: int = 0
    scellements: int = 0


def load_demo(timeline: Timeline | None = None) -> Loaded:
    """Add ORC's steps to `timeline` (played at once when there is none)."""
    own = timeline is None
    timeline = timeline or Timeline()
    loaded = Loaded()
    if ServiceArchives.objects.filter(nom=SERVICE).exists():
        return loaded
    start = workday(timeline.start + DAY)
    timeline.add(timeline.moment(start, 9, 45), _setup)
    timeline.after_each(_archive_pending)
    day = start
    while day <= timeline.today:
        if day.day == 1:
            timeline.add(timeline.moment(day, 7, 0), _monthly, hooks=False)
        timeline.add(timeline.moment(day, 23, 50), _seal, hooks=False)
        day += DAY
    last = timeline.fresh[-1] if timeline.fresh else timeline.end
    timeline.add(timeline.moment(last, 11, 30), _hold_and_scan)
    timeline.add(timeline.moment(last, 22, 0), partial(_count, loaded), hooks=False)
    if own:
        timeline.run()
    return loaded


@transaction.atomic
def _setup() -> None:
    service, _ = ServiceArchives.objects.get_or_create(nom=SERVICE, defaults={"departements": "31"})
    agent = User.objects.filter(email=ARCHIVES).first()
    if agent is not None:
        service.agents.add(agent)
    saint_orens = Collectivite.objects.get(siret=SAINT_ORENS)
    ordo = User.objects.get(email=ORDONNATEUR)
    if adhesion.in_force(saint_orens.pk) is None:
        from django.utils import timezone

        adhesion.adherer(
            saint_orens,
            ordo,
            signee_le=timezone.localdate() - DAY,  # signed the day before it was recorded
            signataire="Marie Ordonnatrice",
            qualite="Maire de Saint-Orens-de-Gameville",
        )


def _archive_pending() -> None:
    """What Hélios' signals asked for, archived at this step's time (the worker's job)."""
    if PendingIngest.objects.exists():
        ingest.work_pending()
    for exercice_id in ingest.closed_unsealed():
        ingest.complete_exercice(exercice_id)


def _monthly() -> None:
    attestations.monthly_due()


def _seal() -> None:
    seals.seal_now(motif="scellement quotidien")


def _hold_and_scan() -> None:
    saint_orens = Collectivite.objects.get(siret=SAINT_ORENS)
    closed = (
        ArchiveUnit.objects.filter(collectivite=saint_orens, statut=StatutUnite.CLOSE)
        .order_by("-mt_ttc")
        .first()
    )
    if closed is not None and not closed.gel:
        retention.set_gel(
            closed,
            User.objects.get(email=ARCHIVISTE),
            "Recours du fournisseur devant le tribunal administratif de Toulouse.",
        )
    covered = (
        ArchiveUnit.objects.filter(collectivite=saint_orens, couverte=True, domaine="depense")
        .order_by("-pk")
        .first()
    )
    if covered is not None and not covered.documents.filter(role="numerise").exists():
        numerisation.deposer(
            covered,
            User.objects.get(email=ORDONNATEUR),
            io.BytesIO(SCAN),
            nom="bon-de-livraison-signe.pdf",
            size=len(SCAN),
            meta=_scan_metadata(),
        )


def _scan_metadata() -> dict[str, object]:
    from django.utils import timezone

    return {
        "numerise_par": "Marie Ordonnatrice",
        "numerise_le": timezone.localdate(),
        "dispositif": "Numériseur à plat du service finances",
        "resolution_dpi": 300,
        "declaration_fidelite": True,
        "declaration_texte": "Copie fidèle et durable de l'original papier, numérisée sans retouche.",
    }


def _count(loaded: Loaded) -> None:
    from pigp.orc.models import Attestation, Seal

    loaded.unites = ArchiveUnit.objects.count()
    loaded.attestations = Attestation.objects.count()
    loaded.scellements = Seal.objects.count()
