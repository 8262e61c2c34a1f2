"""Demo flows, deposited through the real intake and processed by the real pipeline.

They are the fresh activity of the demo (`core.demo_clock`): deposited over the last working
days, so the comptable finds them waiting. Mailbox items older than that have been read by
the ordonnateur the day after they arrived; the fresh ones are unread.
"""

from __future__ import annotations

import datetime
import io
import tempfile
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from django.utils import timezone

from pigp.core.demo_clock import Timeline
from pigp.core.models import Collectivite, Habilitation, User
from pigp.passerelle import intake, mailbox
from pigp.passerelle.models import Flux, MailboxItem

ORDONNATEUR = "ordonnateur@demo.pigp.fr"
SIRET = "21310555400017"
# All of the current exercice (the previous one is closed by the Hélios demo, which lives
# through this budget too). IdBord is unique per exercice, type and budget: each flow numbers
# its bordereaux from its own start, beyond the Hélios demo's (51 on for this budget). Then:
# the fresh day (0 or 1, oldest first) and the time of the deposit.
SPECS = [
    ("depense", 3, 12, "PES_DEPENSE", 101, 0, (10, 12)),
    ("recette", 1, 8, "PES_RECETTE", 201, 0, (15, 40)),
    ("mixte", 1, 5, "PES_MIXTE", 301, 1, (9, 5)),
]
REFUSED = (1, (11, 30))


@dataclass
class Deposits:
    created: int = 0


def load_demo(timeline: Timeline | None = None) -> Deposits:
    """Add the deposit of a few generated PES_Aller for the demo collectivités to `timeline`
    (played at once when there is none); `created` counts the flows once it has run."""
    own = timeline is None
    timeline = timeline or Timeline()
    deposits = Deposits()
    ordo = User.objects.filter(email=ORDONNATEUR).first()
    coll = Collectivite.objects.filter(siret=SIRET).select_related("poste").first()
    if ordo is None or coll is None or Flux.objects.filter(collectivite=coll).exists():
        return deposits
    for seed, spec in enumerate(SPECS, start=1):
        day, (hour, minute) = spec[5], spec[6]
        timeline.add(
            timeline.moment(timeline.fresh[day], hour, minute),
            partial(_deposit, coll, ordo, seed, spec, timeline.today.year, deposits),
        )
    day, (hour, minute) = REFUSED
    timeline.add(
        timeline.moment(timeline.fresh[day], hour, minute),
        partial(_deposit_refused, coll, ordo, deposits),
    )
    timeline.after_each(_Reader(ordo, timeline.moment(timeline.fresh[0], 0, 0)))
    if own:
        timeline.run()
    return deposits


def _deposit(
    coll: Collectivite, ordo: User, seed: int, spec: tuple, exercice: int, deposits: Deposits
) -> None:
    from pigp.formats.pes.generator import generate_pes_aller

    domaine, bordereaux, pieces, prefix, id_bord_start = spec[:5]
    nom_fic = f"{prefix}_{exercice}_001"
    budget = coll.budgets.get(cod_col="055", cod_bud="00")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{nom_fic}.xml"
        generate_pes_aller(
            path,
            seed=seed,
            bordereaux=bordereaux,
            pieces=pieces,
            lignes=2,
            domaine=domaine,
            pj=2,
            id_post=coll.poste.codique,
            id_coll=coll.siret,
            cod_col=budget.cod_col,
            cod_bud=budget.cod_bud,
            exercice=exercice,
            nom_fic=nom_fic,
            id_bord_start=id_bord_start,
        )
        with path.open("rb") as fh:
            results = intake.receive(
                fh, filename=path.name, collectivite=coll, canal="web", sender_user=ordo
            )
    deposits.created += sum(r.created for r in results)


def _deposit_refused(coll: Collectivite, ordo: User, deposits: Deposits) -> None:
    """A flow that the gateway refuses, so the demo shows findings."""
    bad = b"<?xml version='1.0' encoding='ISO-8859-1'?><Facture><Montant>12</Montant></Facture>"
    results = intake.receive(
        io.BytesIO(bad),
        filename="facture_erronee.xml",
        collectivite=coll,
        canal="api",
        sender_user=ordo,
    )
    deposits.created += sum(r.created for r in results)


@dataclass
class _Reader:
    """The ordonnateur reads, once a day, what arrived the day before in the mailboxes he
    may read; what arrived over the last working days (`fresh`) stays unread."""

    ordo: User
    fresh: datetime.datetime
    day: datetime.date | None = None
    colls: list[int] | None = None

    def __call__(self) -> None:
        today = timezone.localdate()
        if today == self.day:
            return
        self.day = today
        if self.colls is None:
            colls = Habilitation.objects.in_force().filter(user=self.ordo)
            self.colls = list(colls.values_list("collectivite_id", flat=True))
        seen = timezone.now() - datetime.timedelta(hours=18)
        items = MailboxItem.objects.filter(
            created_at__lt=min(seen, self.fresh),
            read_at__isnull=True,
            collectivite__in=self.colls,
        ).order_by("created_at", "pk")
        for item in items:
            mailbox.mark_read(item, self.ordo.email)
