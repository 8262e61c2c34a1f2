"""A year of life for the demo, through the real code paths, each step on the day it describes.

For every budget of the four demo collectivités (SGC de Muret and SGC d'Albi), over the demo's
history (`core.demo_clock`: about thirteen months, the previous and the current exercice),
dated and deterministic:
- every two months each budget sends a PES_Aller, emitted a few days before; it is deposited
  through the passerelle's intake, processed and taken into the ledger at once (`manage.py
  demo` runs before the worker starts);
- 2 to 5 days later the demo comptable takes its pièces in charge (`states.transition`),
  rejects some with a motif and puts some in instance, taken in charge two to three weeks on;
- a payment run every two weeks pays what is taken in charge (pain.001), none in the first
  three weeks of August: most mandats are paid within the legal 30 days, some after;
- a collectivité's budgets share its payment runs and its bank statements (both are per
  collectivité), each budget keeps its own Trésor account (opening balance) and PES_Retour;
- the bank's monthly camt.053 books the runs as debits (detailed per transfer in the previous
  exercice, one batch in the current one; bank fees left for manual handling at each year's
  end) and the credits that recover titres: in full after weeks or months, in part, or not
  at all — those get a relance after 45 days, then a mise en demeure;
- PES_Retour every six months and at the end; the previous exercice is closed around 20 January.
Over the last working days each budget sends one more flow, left to be worked.

The history is played once: when its first flow is there, a second run adds nothing.
"""

from __future__ import annotations

import datetime
import logging
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from pathlib import Path

from django.db.models import Q
from django.utils import timezone

from pigp.core.demo_clock import Timeline, workday
from pigp.core.models import Budget, Collectivite, Habilitation, PosteComptable, User
from pigp.formats import sepa
from pigp.helios import cloture, retours, states
from pigp.helios.models import (
    CompteTresor,
    Domaine,
    EtatPiece,
    Exercice,
    Paiement,
    PaymentRun,
    Piece,
    SoldeOuverture,
    StadeRecouvrement,
)
from pigp.helios.money import payments, recovery, statements, treasury
from pigp.passerelle import intake
from pigp.passerelle.models import Flux, StatutFlux

log = logging.getLogger(__name__)
E = EtatPiece
DAY = datetime.timedelta(days=1)

ACTOR = "comptable@demo.pigp.fr"
POSTE = "031042"
# The comptable who works each poste's budgets, and the poste's account at the Trésor.
ACTORS = {POSTE: ACTOR, "081013": "comptable.albi@demo.pigp.fr"}
TRESORS = {
    POSTE: ("SGC DE MURET - COMPTE AU TRESOR", "FR7630001000000000003104224", "BDFEFRPP"),
    "081013": ("SGC D'ALBI - COMPTE AU TRESOR", "FR7630001000000000081013266", "BDFEFRPP"),
}
# (SIRET, CodCol, CodBud, seed): budgets whose two exercices the demo lives through. The
# passerelle's demo adds its fresh flows to Saint-Orens' budget principal.
BUDGETS = [
    ("21310395500018", "395", "00", 11),
    ("20005426000019", "426", "00", 21),
    ("21310555400017", "055", "01", 31),
    ("21310555400017", "055", "00", 41),
    ("22810001200019", "001", "00", 51),
    ("20005426000019", "426", "02", 61),
]
FLOW_EVERY = 61  # days between two flows of a budget; budgets start 0, 20 or 40 days in
RUN_EVERY = 14  # days between two payment runs
SUMMER_BREAK = ((8, 1), (8, 21))  # no payment run then
RELANCE_AFTER = 45  # days a titre is due before its relance, and from relance to mise en demeure
# How titres are recovered, by their rank in the budget's history (the oldest is never paid):
# (days after the prise en charge, "full" | "half" | "twelfth" | "rest") for each credit.
# The debtor who pays by monthly twelfths (a plan de règlement, from the budget's second
# titre on) credits the Trésor account every month, so the treasury moves each month even
# when no payment run does.
INSTALMENTS = [(30 * month, "twelfth") for month in range(1, 12)] + [(360, "rest")]
RECOVERY: list[list[tuple[int, str]]] = [
    [],
    INSTALMENTS,
    [(12, "full")],
    [(35, "full")],
    [(20, "half"), (75, "rest")],
    [(40, "half")],
    [(100, "full")],
    [(8, "full")],
]

REJETS_DEPENSE = [
    ("01", "Facture absente du flux : joignez-la au mandat."),
    ("09", "RIB du fournisseur erroné : IBAN à corriger."),
    ("04", "Liquidation erronée : le total ne correspond pas à la facture."),
    ("07", "Double paiement : facture déjà mandatée."),
]
REJETS_RECETTE = [
    ("03", "Débiteur non identifiable : adresse incomplète."),
    ("16", "Délibération fixant le tarif absente."),
    ("04", "Imputation budgétaire erronée."),
]


@dataclass
class Summary:
    flows: int = 0
    decided: int = 0
    rejected: int = 0
    paid: int = 0
    debited: int = 0
    recovered: int = 0
    retours: int = 0
    closed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def process_now(flux: Flux) -> Flux:
    """Validate and take into the ledger now (the worker would, later; both are idempotent)."""
    from pigp.helios.models import Bordereau
    from pigp.helios.receivers import ingest_flux
    from pigp.passerelle.pipeline import process_flux

    process_flux.call(flux_id=flux.pk)
    flux.refresh_from_db()
    accepted = flux.statut in (StatutFlux.ACQUITTE, StatutFlux.INFORMATION)
    if accepted and flux.budget_id and not Bordereau.objects.filter(flux=flux).exists():
        ingest_flux.call(flux_id=flux.pk)
    return flux


@dataclass
class _Budget:
    """One budget's part of the history, scheduled on the timeline."""

    budget: Budget
    seed: int
    rank: int
    timeline: Timeline
    summary: Summary
    numbers: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    counters: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    to_pay: bool = False  # mandats were taken in charge since the last run
    # The collectivité's first budget pays and books the statements for all its budgets.
    lead: _Budget | None = None
    followers: list[_Budget] = field(default_factory=list)

    @property
    def coll(self) -> Collectivite:
        return self.budget.collectivite

    @property
    def actor(self) -> str:
        return ACTORS[self.coll.poste.codique]

    @property
    def bord_offset(self) -> int:
        """The collectivité's other budgets number their bordereaux from 51, 101…: a titre's
        reference (exercice, bordereau, number) is then unique in the collectivité, as the
        bank statements' matching needs when a debtor pays part of it."""
        return 0 if self.lead is None else 50 * (self.lead.followers.index(self) + 1)

    def _taken_in_charge(self) -> None:
        (self.lead or self).to_pay = True

    def flow(self, day: datetime.date, exercice: int, *, decide_by: datetime.date | None) -> None:
        """A flow received on `day`; decided 2 to 5 days later, its instances two to three
        weeks after, both no later than `decide_by` (None: left to be worked)."""
        t, k = self.timeline, self.rank
        self.numbers[exercice] += 1
        number = self.numbers[exercice]
        nom_fic = f"PES_DEMO_{self.budget.cod_col}{self.budget.cod_bud}_{exercice}_{number:02d}"
        emis = max(day - (2 + number % 3) * DAY, datetime.date(exercice, 1, 1))
        t.add(
            t.moment(day, 9 + k, 10 + 7 * number % 40),
            partial(self._deposit, exercice, number, nom_fic, emis),
        )
        if decide_by is None:
            return
        decided = min(workday(day + (2 + (number + k) % 4) * DAY), decide_by)
        settled = min(workday(decided + (14 + 4 * ((number + k) % 3)) * DAY), decide_by)
        t.add(t.moment(decided, 10 + k, 30), partial(self._decide, nom_fic))
        t.add(t.moment(settled, 11 + k, 15), partial(self._settle, nom_fic))

    def _deposit(self, exercice: int, number: int, nom_fic: str, emis: datetime.date) -> None:
        from pigp.formats.pes.generator import generate_pes_aller

        coll = self.coll
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"{nom_fic}.xml"
            generate_pes_aller(
                path,
                seed=self.seed * 1000 + exercice % 10 * 100 + number,
                bordereaux=1,
                pieces=3,
                lignes=2,
                domaine="mixte",
                pj=1,
                pj_size=4_000,
                id_post=coll.poste.codique,
                id_coll=coll.siret,
                cod_col=self.budget.cod_col,
                cod_bud=self.budget.cod_bud,
                exercice=exercice,
                nom_fic=nom_fic,
                id_bord_start=number + self.bord_offset,
                emis_le=emis,
            )
            with path.open("rb") as fh:
                [received] = intake.receive(
                    fh,
                    filename=path.name,
                    collectivite=coll,
                    canal="web",
                    sender_user=_sender(coll),
                )
        process_now(received.flux)
        self.summary.flows += received.created

    def _pieces(self, nom_fic: str, etat: str) -> list[Piece]:
        return list(
            Piece.objects.filter(
                collectivite=self.coll, bordereau__flux__nom_fic=nom_fic, etat=etat
            ).order_by("domaine", "id")
        )

    def _decide(self, nom_fic: str) -> None:
        """Take in charge, reject with a motif, or put in instance — as a comptable would."""
        for piece in self._pieces(nom_fic, E.RECUE):
            dep = piece.domaine == Domaine.DEPENSE
            i = self.counters[piece.domaine]
            self.counters[piece.domaine] += 1
            try:
                if (dep and i % 6 == 3) or (not dep and i % 6 == 5):
                    rejets = REJETS_DEPENSE if dep else REJETS_RECETTE
                    motif, comment = rejets[i // 6 % len(rejets)]
                    states.transition(
                        piece, E.REJETEE, actor=self.actor, motif_code=motif, commentaire=comment
                    )
                    self.summary.rejected += 1
                elif i % 6 == 1:
                    states.transition(
                        piece,
                        E.EN_INSTANCE,
                        actor=self.actor,
                        motif_code="02" if dep else "19",
                        commentaire="Pièce justificative demandée à l'ordonnateur.",
                    )
                else:
                    states.transition(piece, E.PRISE_EN_CHARGE, actor=self.actor)
                    self._taken_in_charge()
                self.summary.decided += 1
            except states.TransitionError as exc:  # pragma: no cover - the demo data is known
                log.warning("démo Hélios : %s", exc)

    def _settle(self, nom_fic: str) -> None:
        for piece in self._pieces(nom_fic, E.EN_INSTANCE):
            states.transition(piece, E.PRISE_EN_CHARGE, actor=self.actor)
            self._taken_in_charge()

    def money(self, close_day: datetime.date) -> None:
        """Openings, payment runs, monthly statements, relances, PES_Retour, clôture."""
        t, k = self.timeline, self.rank
        start, today = t.start, t.today
        for annee in (today.year - 1, today.year):
            opening = max(workday(datetime.date(annee, 1, 2)), start)
            t.add(t.moment(opening, 8, 45 + k), partial(self._opening, annee))
        if self.lead is None:
            self._runs_and_statements()
        t.add(t.moment(close_day, 16, 10 * k), partial(self._close, today.year - 1))

    def _runs_and_statements(self) -> None:
        """Payment runs, monthly statements and relances: per collectivité, by its first budget."""
        t, k = self.timeline, self.rank
        start, end, today = t.start, t.end, t.today
        day = start + (5 + 2 * k) * DAY
        while day <= end:
            run = workday(day)
            (m1, d1), (m2, d2) = SUMMER_BREAK
            if run <= end and not (
                datetime.date(run.year, m1, d1) <= run <= datetime.date(run.year, m2, d2)
            ):
                t.add(t.moment(run, 14, 10 * k), partial(self._pay, run))
            day += RUN_EVERY * DAY
        first = start.replace(day=1)
        while first <= end:
            following = (first + 32 * DAY).replace(day=1)
            last = min(following - DAY, end)
            booked = workday(last + DAY)
            at = t.moment(booked, 8, 30 + k) if booked <= end else t.moment(end, 18, 5 * k)
            year_end = datetime.date(today.year - 1, 12, 31)
            extras = first <= year_end <= last or last == end
            t.add(at, partial(self._statement, max(first, start), last, extras))
            follow_up = workday(first.replace(day=15))
            if start <= follow_up <= end:
                t.add(t.moment(follow_up, 16, 10 * k), partial(self._follow_up, follow_up))
            if first.month % 6 == 0 or last == end:
                for part in (self, *self.followers):
                    t.add(at + datetime.timedelta(minutes=30), part._retour)
            first = following

    def _opening(self, annee: int) -> None:
        budget = self.budget
        if not SoldeOuverture.objects.filter(exercice__budget=budget, exercice__annee=annee):
            treasury.set_opening(
                budget, annee, Decimal("250000.00"), datetime.date(annee, 1, 1), actor=self.actor
            )

    def _pay(self, day: datetime.date) -> None:
        if not self.to_pay:
            return
        self.to_pay = False
        try:
            result = payments.run_payments(
                self.coll, day, actor=self.actor, created=timezone.localtime()
            )
        except payments.PaymentError as exc:
            self.summary.skipped.append(f"paiements {self.coll.nom} : {exc}")
            return
        self.summary.paid += result.paid

    def _statement(self, first: datetime.date, last: datetime.date, extras: bool) -> None:
        """The bank's camt.053 of the month: the runs' debits, the titres' credits; at the
        year's end and at the last one, bank fees and a transfer nobody can match."""
        coll = self.coll
        lines = [*self._debit_lines(first, last), *self._credit_lines(first, last)]
        if extras:
            lines.append(  # not a payment of the poste: left for the comptable, with why
                sepa.StatementLine(
                    amount=Decimal("12.50"),
                    direction=sepa.CreditDebit.DEBIT,
                    booking_date=last,
                    remittance="FRAIS DE TENUE DE COMPTE",
                )
            )
            lines.append(  # left for manual matching
                sepa.StatementLine(
                    amount=Decimal("123.45"),
                    direction=sepa.CreditDebit.CREDIT,
                    booking_date=last,
                    remittance="VIREMENT DIVERS SANS REFERENCE",
                )
            )
        if not lines:
            return
        owner, iban, _bic = TRESORS[coll.poste.codique]
        content = sepa.write_camt(
            iban,
            lines,
            statement_id=f"RELEVE-{coll.pk}-{last:%Y-%m}",
            created=timezone.localtime(),
            account_owner=owner,
        )
        name = f"releve_{coll.pk}_{last:%Y_%m}.xml"
        try:
            imported = statements.import_camt(coll, content, name, actor=self.actor)
        except recovery.RecoveryError as exc:  # pragma: no cover - imported once
            log.info("démo Hélios : %s", exc)
            return
        self.summary.recovered += imported.rapprochees
        self.summary.debited += Paiement.objects.filter(debit__camt=imported).count()

    def _debit_lines(self, first: datetime.date, last: datetime.date) -> list:
        """The runs as debits: detailed per transfer (an EndToEndId each, the batch not
        named) in the previous exercice, one booking named by its PmtInfId in the current."""
        runs = PaymentRun.objects.filter(
            collectivite=self.coll, date_execution__range=(first, last)
        ).exclude(pmt_inf_id="")
        detailed = last.year < self.timeline.today.year
        lines = []
        for run in runs.order_by("pk"):
            details: tuple = ()
            if detailed:
                pays = run.paiements.select_related("piece__tiers").order_by("pk")
                details = tuple(
                    sepa.StatementTransaction(
                        p.montant,
                        p.reference,
                        counterparty=sepa.Party(p.piece.tiers.nom[:70], p.iban)
                        if p.piece.tiers and p.iban
                        else None,
                    )
                    for p in pays
                )
            lines.append(
                sepa.StatementLine(
                    amount=run.total,
                    direction=sepa.CreditDebit.DEBIT,
                    booking_date=run.date_execution,
                    msg_id=None if detailed else run.msg_id,
                    payment_info_id=None if detailed else run.pmt_inf_id,
                    account_servicer_ref=f"BDF-{run.date_execution.year}-{run.pk:06d}",
                    additional_info=f"VIR SEPA EMIS {run.nombre} OPERATIONS",
                    transactions=details,
                )
            )
        return lines

    def _credit_lines(self, first: datetime.date, last: datetime.date) -> list:
        budgets = [self.budget] + [f.budget for f in self.followers]
        titres = (
            Piece.objects.filter(
                exercice__budget__in=budgets,
                domaine=Domaine.RECETTE,
                etat__in=recovery.DUE,
                date_prise_en_charge__isnull=False,
            )
            .select_related("tiers", "bordereau", "exercice")
            .order_by("id")
        )
        ranks = {pk: rank for budget in budgets for pk, rank in titre_ranks(budget).items()}
        lines = []
        for titre in titres:
            reste = titre.reste_a_recouvrer
            for day, part in recovery_plan(titre, ranks[titre.pk]):
                if not first <= day <= last:
                    continue
                share = {"half": 2, "twelfth": 12}.get(part)
                amount = (titre.mt_ttc / share).quantize(Decimal("0.01")) if share else reste
                amount = min(amount, reste)
                if amount <= 0:
                    continue
                reste -= amount
                payer = titre.tiers
                reference = f"T{titre.exercice.annee}-{titre.bordereau.id_bord}-{titre.id_pce}"
                # A plan de règlement's instalment quotes the full reference: the amount
                # alone would fit several titres of the same number.
                what = f"ECHEANCE {reference}" if part == "twelfth" else f"TITRE {titre.id_pce}"
                lines.append(
                    sepa.StatementLine(
                        amount=amount,
                        direction=sepa.CreditDebit.CREDIT,
                        booking_date=day,
                        remittance=f"{what} {payer.nom if payer else ''}"[:140],
                        reference=reference,
                        counterparty=sepa.Party(name=payer.nom[:70], iban=payer.iban)
                        if payer and payer.iban
                        else None,
                    )
                )
        return lines

    def _follow_up(self, day: datetime.date) -> None:
        """Relance the titres due for 45 days, then put them on notice 45 days later."""
        due = Piece.objects.filter(
            collectivite=self.coll,
            domaine=Domaine.RECETTE,
            etat__in=recovery.DUE,
            date_prise_en_charge__lte=day - RELANCE_AFTER * DAY,
        ).order_by("id")
        for titre in due:
            if titre.stade in ("", StadeRecouvrement.AMIABLE):
                stade, comment = StadeRecouvrement.RELANCE, "Relance amiable."
            elif (
                titre.stade == StadeRecouvrement.RELANCE
                and titre.date_stade
                and (titre.date_stade <= day - RELANCE_AFTER * DAY)
            ):
                stade, comment = StadeRecouvrement.MISE_EN_DEMEURE, "Mise en demeure de payer."
            else:
                continue
            recovery.set_stade(titre, stade, actor=self.actor, commentaire=comment)

    def _retour(self) -> None:
        self.summary.retours += len(retours.generate_for_budget(self.budget, actor=self.actor))

    def _close(self, annee: int) -> None:
        exercice = Exercice.objects.filter(budget=self.budget, annee=annee).first()
        if exercice is None or exercice.cloture:
            return
        # What a short history left undecided is taken in charge before the clôture.
        for piece in exercice.pieces.filter(etat__in=[E.RECUE, E.EN_INSTANCE]).order_by("id"):
            states.transition(piece, E.PRISE_EN_CHARGE, actor=self.actor)
        try:
            cloture.close(exercice, actor=self.actor)
            self.summary.closed.append(f"{self.budget} {annee}")
        except cloture.ClotureError as exc:  # pragma: no cover - decided just above
            self.summary.skipped.append(str(exc))


def titre_ranks(budget: Budget) -> dict[int, int]:
    """The titres of the budget numbered in the order they were received (and decided)."""
    ids = (
        Piece.objects.filter(exercice__budget=budget, domaine=Domaine.RECETTE)
        .order_by("bordereau__recu_le", "id")
        .values_list("pk", flat=True)
    )
    return {pk: rank for rank, pk in enumerate(ids)}


def recovery_plan(titre: Piece, rank: int) -> list[tuple[datetime.date, str]]:
    """When the demo's debtor pays a titre taken in charge: (booking day, part)."""
    taken = titre.date_prise_en_charge
    if taken is None:
        return []
    plan = RECOVERY[rank % len(RECOVERY)]
    return [(workday(taken + days * DAY), part) for days, part in plan]


def _sender(coll: Collectivite) -> User | None:
    ordo = User.objects.filter(email="ordonnateur@demo.pigp.fr").first()
    if ordo and Habilitation.objects.filter(user=ordo, collectivite=coll).exists():
        return ordo
    return None


def _take_in_waiting(colls: list[int]) -> None:
    """Flows deposited by the other demos are validated and taken into the ledger at once."""
    for flux in Flux.objects.filter(collectivite__in=colls, statut=StatutFlux.POSTE):
        process_now(flux)


def load_demo(timeline: Timeline | None = None) -> Summary | None:
    """Add the year of life to `timeline` (played at once when there is none); None when the
    core demo is not loaded. The summary counts what was done once the timeline has run."""
    own = timeline is None
    timeline = timeline or Timeline()
    postes = list(PosteComptable.objects.filter(codique__in=ACTORS))
    if len(postes) < len(ACTORS) or User.objects.filter(email__in=ACTORS.values()).count() < len(
        ACTORS
    ):
        return None
    summary = Summary()
    if Flux.objects.filter(
        collectivite__poste__in=postes, nom_fic__startswith="PES_DEMO_"
    ).exists():
        return summary
    for poste in postes:
        titulaire, iban, bic = TRESORS[poste.codique]
        CompteTresor.objects.get_or_create(
            poste=poste, defaults={"titulaire": titulaire, "iban": iban, "bic": bic}
        )
    colls = list(Collectivite.objects.filter(poste__in=postes).values_list("pk", flat=True))
    timeline.after_each(lambda: _take_in_waiting(colls))
    today, end = timeline.today, timeline.end
    previous = today.year - 1
    # The previous exercice is closed around 20 January (earlier if the history ends before).
    close_day = min(workday(datetime.date(today.year, 1, 19)), end)
    parts: list[_Budget] = []
    leads: dict[int, _Budget] = {}
    for rank, (siret, cod_col, cod_bud, seed) in enumerate(BUDGETS):
        budget = (
            Budget.objects.filter(collectivite__siret=siret, cod_col=cod_col, cod_bud=cod_bud)
            .select_related("collectivite__poste")
            .first()
        )
        if budget is not None:
            part = _Budget(budget, seed, rank, timeline, summary)
            part.lead = leads.setdefault(budget.collectivite_id, part)
            if part.lead is part:
                part.lead = None
            else:
                part.lead.followers.append(part)
            parts.append(part)
    for part in parts:
        day = timeline.start + 20 * (part.rank % 3) * DAY
        while day <= end - 7 * DAY:
            received = workday(day)
            exercice = received.year
            decide_by = close_day - DAY if exercice == previous else end
            part.flow(received, exercice, decide_by=decide_by)
            day += FLOW_EVERY * DAY
        # The fresh flow of the last working days, left to be worked.
        fresh = timeline.fresh[part.rank % 2]
        part.flow(fresh, fresh.year, decide_by=None)
        part.money(close_day)
    if own:
        timeline.run()
    return summary


def pieces_of_demo() -> Q:
    """The pièces this demo works on (for tests and curious readers)."""
    q = Q(pk__in=[])
    for siret, cod_col, cod_bud, _seed in BUDGETS:
        q |= Q(
            exercice__budget__collectivite__siret=siret,
            exercice__budget__cod_col=cod_col,
            exercice__budget__cod_bud=cod_bud,
        )
    return q
