"""Debit lines of bank statements, reconciled with the payment runs that caused them.

A payment run (`payments.run_payments`) pays its mandats by one pain.001 from the Trésor
account; the bank books it as debits, which the camt.053 / camt.054 import
(`statements.import_camt`) hands to `reconcile`. Each booked debit entry becomes a `CamtDebit`
and is matched, in this order:

1. by the batch the pain.001 carried — its PmtInfId or MsgId, in `NtryDtls/Btch`, in the
   details' `Refs` or quoted in `AddtlNtryInf` — to the run, when the amount is that of the
   run's payments not yet debited (a batch-booked debit);
2. by the EndToEndId of each transaction detail to the payments (`Paiement.reference`), when
   the bank details the batch or books one transfer: the payments found are debited, and the
   line is reconciled when they add up to its amount;
3. by amount and date, for an entry of one transfer at most: the one payment of that amount,
   not yet debited, executed at most `DAYS` days before the booking date (to the same IBAN
   when the line names the creditor's).

Otherwise the line waits for `manual_debits.match_debit` (the comptable chooses the run or the
payment), with the reason in French. A debited payment records its line and day (`Paiement.debit`,
`debite_le`); its run counts them (`PaymentRun.debites`, `debite_le`).

Nothing is counted twice: a file already imported is refused by `import_camt` (digest); a line
whose payments are all debited already — the same debit in a camt.054 then a camt.053, or a
statement sent again — is recorded as "déjà constaté" and changes nothing, and so is a line
that repeats a movement already seen (same account, amount and date, and the same bank
reference AcctSvcrRef or, without one, the same EndToEndId: `statement_seen.SeenLines`, shared
with the credit lines). No treasury movement is written: the treasury counts each payment
once, when its run is made.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Case, Count, F, Q, QuerySet, Sum, Value, When
from django.utils import timezone

from pigp.core import journal
from pigp.core.models import Collectivite
from pigp.formats import sepa
from pigp.helios.models import CamtDebit, CamtImport, Paiement, PaymentRun
from pigp.helios.money.bulk import BATCH, chunks
from pigp.helios.money.recovery import RecoveryError, euros
from pigp.helios.money.statement_seen import SeenLines, entry_account, entry_end_to_end_id
from pigp.ui.text import accord, pluriel

DAYS = 5  # a transfer is booked on its execution date, or a few days after
TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{5,34}")
ZERO = Decimal("0.00")
M = CamtDebit.Methode
MANUAL = (
    " À rapprocher à la main : choisissez la campagne ou le paiement, ou traitez l'opération "
    "hors Hélios s'il ne s'agit pas d'un paiement du poste (frais bancaires, par exemple)."
)


@dataclass
class DebitSummary:
    """What `reconcile` did with the debit lines of one statement."""

    lignes: int = 0
    rapprochees: int = 0  # reconciled, duplicates included
    deja: int = 0  # duplicates of debits already seen
    paiements: int = 0  # payments marked debited
    total: Decimal = ZERO
    runs: set[int] = field(default_factory=set)

    @property
    def a_rapprocher(self) -> int:
        return self.lignes - self.rapprochees


@dataclass
class _Plan:
    entry: sepa.CamtEntry
    line: CamtDebit
    whole_run: int | None = None  # debit every payment of this run not yet debited
    whole_count: int = 0  # how many that is
    payments: list[dict] = field(default_factory=list)


def debit_entries(entries: Iterable[sepa.CamtEntry]) -> list[sepa.CamtEntry]:
    """The booked debits of a statement (reversals and pending entries left aside)."""
    return [e for e in entries if not e.credit and e.booked]


def locked(qs: QuerySet) -> QuerySet:
    # PostgreSQL: two imports at once wait for each other instead of debiting a payment twice
    # (on SQLite the import's transaction already holds the database's write lock).
    if connection.features.has_select_for_update_of:
        return qs.select_for_update(of=("self",))
    return qs


def _batch_refs(entry: sepa.CamtEntry) -> list[str]:
    refs = [*entry.payment_info_ids, *entry.message_ids]
    refs += TOKEN.findall(entry.additional_info or "")
    return list(dict.fromkeys(refs))


def _single(entry: sepa.CamtEntry) -> bool:
    """An entry of one transfer at most (amount and date may then name its payment)."""
    return len(entry.transactions) <= 1 and all((b.count or 0) <= 1 for b in entry.batches)


def _e2e(entry: sepa.CamtEntry) -> list[tuple[str, sepa.CamtTransaction]]:
    """The transactions of `entry` that carry an EndToEndId, each with it."""
    return [
        (t.end_to_end_id, t)
        for t in entry.transactions
        if t.end_to_end_id and t.end_to_end_id != sepa.NOT_PROVIDED
    ]


def _line(camt: CamtImport, entry: sepa.CamtEntry) -> CamtDebit:
    refs = [*entry.payment_info_ids, *entry.message_ids, *(ref for ref, _ in _e2e(entry))]
    remittance = " ".join(entry.remittance)
    batch_count = next((b.count for b in entry.batches if b.count), None)
    return CamtDebit(
        camt=camt,
        montant=entry.amount,
        date=entry.booking_date or entry.value_date or timezone.localdate(),
        reference=(refs[0] if refs else "")[:140],
        reference_banque=(entry.account_servicer_ref or "")[:35],
        compte=entry_account(entry),
        bout_en_bout=entry_end_to_end_id(entry),
        creancier=(entry.creditor_name or "")[:140],
        iban_creancier=(entry.creditor_iban or "").replace(" ", "")[:34],
        libelle=(entry.additional_info or remittance)[:300],
        operations=len(entry.transactions) or batch_count or 1,
    )


class _Matcher:
    """Looks up, for one statement, the runs and payments its debit lines name."""

    def __init__(self, collectivite: Collectivite, plans: list[_Plan]) -> None:
        self.coll = collectivite
        self.runs: dict[str, Mapping[str, Any]] = {}  # PmtInfId / MsgId -> run
        self.payments: dict[str, dict] = {}  # EndToEndId -> payment
        self.remaining: dict[int, tuple[int, Decimal]] = {}  # run -> payments not yet debited
        self.debited: set[int] = set()  # payments debited by this statement
        self.whole_runs: set[int] = set()  # runs debited at once by this statement
        self.seen = SeenLines(CamtDebit, collectivite, [p.line for p in plans])
        self._load([p.entry for p in plans])

    def _load(self, entries: list[sepa.CamtEntry]) -> None:
        refs = sorted({r for e in entries for r in _batch_refs(e)})
        for chunk in chunks(refs):
            for run in (
                PaymentRun.objects.filter(collectivite=self.coll)
                .filter(Q(pmt_inf_id__in=chunk) | Q(msg_id__in=chunk))
                .values("pk", "msg_id", "pmt_inf_id", "date_execution")
            ):
                for key in (run["pmt_inf_id"], run["msg_id"]):
                    if key:
                        self.runs[key] = run
        run_ids = sorted({run["pk"] for run in self.runs.values()})
        for chunk in chunks(run_ids):
            rows = (
                Paiement.objects.filter(run_id__in=chunk, debit__isnull=True)
                .values("run_id")
                .annotate(n=Count("pk"), s=Sum("montant"))
                .order_by()
            )
            for row in rows:
                self.remaining[row["run_id"]] = (row["n"], row["s"])
        e2e = sorted({ref for e in entries for ref, _ in _e2e(e)})
        for chunk in chunks(e2e):
            qs = Paiement.objects.filter(reference__in=chunk, piece__collectivite=self.coll)
            for pay in locked(qs).values(
                "pk", "reference", "montant", "run_id", "debit_id", "debit__camt__nom"
            ):
                self.payments[pay["reference"]] = pay

    def match(self, plan: _Plan) -> bool:
        """Steps 1 and 2; False when the line should try amount and date (step 3)."""
        entry, line = plan.entry, plan.line
        repeated = self.seen.check(line)
        if repeated:
            return _deja(line, repeated)
        mismatch = ""
        refs = [r for r in _batch_refs(entry) if r in self.runs]
        runs = {self.runs[r]["pk"]: self.runs[r] for r in refs}
        if len(runs) == 1:
            [run] = runs.values()
            line.run_id, line.reference = run["pk"], line.reference or refs[0]
            n, total = self.remaining.get(run["pk"], (0, ZERO))
            if n == 0:
                return _deja(
                    line,
                    f"Les paiements de la campagne n° {run['pk']} sont déjà tous constatés "
                    "débités : ce débit répète un débit déjà vu, rien n'est compté deux fois.",
                )
            if total == line.montant:
                self.remaining[run["pk"]] = (0, ZERO)
                self.whole_runs.add(run["pk"])
                plan.whole_run, plan.whole_count = run["pk"], n
                line.methode, line.montant_rapproche, line.rapprochee = M.LOT, total, True
                return True
            mismatch = (
                f"Le lot est celui de la campagne n° {run['pk']} du "
                f"{run['date_execution']:%d/%m/%Y}, dont {pluriel(n, 'paiement')} "
                f"{accord(n, 'reste,restent')} à débiter pour {euros(total)} : le montant "
                f"débité ({euros(line.montant)}) est différent."
            )
        if self._by_end_to_end(plan, mismatch):
            return True
        line.explication = line.explication or mismatch
        if mismatch or not _single(entry):
            # A batch: amount and date would only name one payment of it.
            if not line.explication:
                line.explication = (
                    "Ce débit regroupe plusieurs opérations sans référence connue d'une campagne "
                    "de paiement."
                )
            line.explication = (line.explication + MANUAL)[:500]
            return True
        return False

    def _by_end_to_end(self, plan: _Plan, mismatch: str) -> bool:
        line, details = plan.line, _e2e(plan.entry)
        found: list[dict[str, Any]] = []
        already: list[dict[str, Any]] = []
        unknown: list[str] = []
        wrong: list[str] = []
        for ref, tx in details:
            pay = self.payments.get(ref)
            if pay is None:
                unknown.append(ref)
            elif self._taken(pay):
                already.append(pay)
            elif tx.amount is not None and tx.amount != pay["montant"]:
                wrong.append(ref)
            elif all(p["pk"] != pay["pk"] for p in found):
                found.append(pay)
        total = sum((p["montant"] for p in found), ZERO)
        if not found:
            if already and not unknown and not wrong:
                where = already[0]["debit__camt__nom"] or "ce relevé"
                return _deja(
                    line,
                    accord(
                        len(already),
                        "Paiement déjà constaté débité,Paiements déjà constatés débités",
                    )
                    + f" (relevé « {where} ») : rien n'est compté deux fois.",
                )
            if unknown or wrong:
                line.explication = _unknown(mismatch, unknown, wrong, already)
            return False
        if total > line.montant:  # pragma: no cover - amounts are checked per transaction
            line.explication = (
                f"Les paiements reconnus par leur référence ({euros(total)}) dépassent le montant "
                f"débité ({euros(line.montant)})."
            )
            return False
        for pay in found:
            self._take(pay)
        plan.payments = found
        runs = {p["run_id"] for p in found}
        line.run_id = runs.pop() if len(runs) == 1 else None
        # Payments already debited elsewhere explain their part of the line too.
        explained = total + sum((p["montant"] for p in already), ZERO)
        line.methode, line.montant_rapproche = M.REFERENCE, min(explained, line.montant)
        line.rapprochee = explained == line.montant
        if not line.rapprochee:
            line.explication = _unknown("", unknown, wrong, already) + (
                f" Reste {euros(line.montant - line.montant_rapproche)} à rapprocher."
            )
        return True

    def _take(self, pay: dict) -> None:
        self.debited.add(pay["pk"])
        if pay["run_id"] in self.remaining:
            n, total = self.remaining[pay["run_id"]]
            self.remaining[pay["run_id"]] = (n - 1, total - pay["montant"])

    def _taken(self, pay: dict) -> bool:
        """Debited already, or by a line of this statement."""
        return bool(
            pay["debit_id"] or pay["pk"] in self.debited or pay["run_id"] in self.whole_runs
        )

    def by_amount(self, plans: list[_Plan]) -> None:
        """Step 3, for the lines steps 1 and 2 left: one query for them all."""
        if not plans:
            return
        amounts = sorted({p.line.montant for p in plans})
        low = min(p.line.date for p in plans) - datetime.timedelta(days=DAYS)
        high = max(p.line.date for p in plans)
        by_amount: dict[Decimal, list[dict]] = defaultdict(list)
        for chunk in chunks(amounts):
            qs = Paiement.objects.filter(
                piece__collectivite=self.coll, montant__in=chunk, date__gte=low, date__lte=high
            )
            for pay in locked(qs).values(
                "pk",
                "montant",
                "date",
                "iban",
                "reference",
                "run_id",
                "debit_id",
                "debit__camt__nom",
            ):
                by_amount[pay["montant"]].append(pay)
        for plan in plans:
            line = plan.line
            near = [
                p
                for p in by_amount.get(line.montant, ())
                if p["date"] <= line.date <= p["date"] + datetime.timedelta(days=DAYS)
                and (not line.iban_creancier or p["iban"] == line.iban_creancier)
            ]
            free = [p for p in near if not self._taken(p)]
            if len(free) == 1:
                [pay] = free
                self._take(pay)
                plan.payments = [pay]
                line.run_id = pay["run_id"]
                line.methode, line.montant_rapproche, line.rapprochee = (
                    M.MONTANT,
                    line.montant,
                    True,
                )
                line.explication = ""
                continue
            line.explication = (line.explication + " " + _no_amount(line, free, near)).strip()
            line.explication = (line.explication + MANUAL)[:500]


def _deja(line: CamtDebit, text: str) -> bool:
    line.methode, line.rapprochee, line.explication = M.DEJA, True, text
    return True


def _unknown(prefix: str, unknown: list[str], wrong: list[str], already: list[dict]) -> str:
    parts = [prefix] if prefix else []
    if unknown:
        shown = ", ".join(unknown[:5]) + (" …" if len(unknown) > 5 else "")
        parts.append(
            f"{pluriel(len(unknown), 'opération')} sans paiement connu "
            f"sous {accord(len(unknown), 'cette référence,ces références')} : {shown}."
        )
    if wrong:
        parts.append(
            f"Montant différent de celui du paiement pour {', '.join(wrong[:5])}"
            + (" …" if len(wrong) > 5 else "")
            + "."
        )
    if already:
        parts.append(
            pluriel(len(already), "paiement déjà constaté débité,paiements déjà constatés débités")
            + " sur un autre relevé."
        )
    return " ".join(parts)


def _no_amount(line: CamtDebit, free: list[dict], near: list[dict]) -> str:
    window = (
        f"entre le {line.date - datetime.timedelta(days=DAYS):%d/%m/%Y} et le {line.date:%d/%m/%Y}"
    )
    if len(free) > 1:
        return (
            f"{len(free)} paiements de {euros(line.montant)} exécutés {window} attendent leur "
            "débit : impossible de choisir."
        )
    to = f" vers l'IBAN {line.iban_creancier}" if line.iban_creancier else ""
    text = f"Aucun paiement de {euros(line.montant)}{to} exécuté {window} n'attend son débit."
    seen = next((p for p in near if p["debit_id"]), None)
    if seen is not None:
        text += (
            f" Le paiement {seen['reference']} de ce montant est déjà constaté débité (relevé "
            f"« {seen['debit__camt__nom'] or 'ce relevé'} ») : s'il s'agit du même débit, il "
            "n'y a rien à faire."
        )
    return text


def reconcile(camt: CamtImport, entries: list[sepa.CamtEntry], *, actor: str) -> DebitSummary:
    """Record and reconcile the debit lines of an import; inside the import's transaction."""
    summary = DebitSummary(lignes=len(entries))
    if not entries:
        return summary
    plans = [_Plan(entry, _line(camt, entry)) for entry in entries]
    matcher = _Matcher(camt.collectivite, plans)
    matcher.by_amount([p for p in plans if not matcher.match(p)])
    lines = CamtDebit.objects.bulk_create([p.line for p in plans], batch_size=BATCH)
    per_run: dict[int, tuple[int, datetime.date]] = {}
    singles = []  # lines of one payment: written together, a CASE per row
    for plan, line in zip(plans, lines, strict=True):
        if plan.whole_run is not None:
            count = debit_payments(Paiement.objects.filter(run_id=plan.whole_run), line)
            if count != plan.whole_count:
                raise RecoveryError(CHANGED)
            count_run(per_run, plan.whole_run, count, line.date)
        if len(plan.payments) == 1:
            singles.append(Paiement(pk=plan.payments[0]["pk"], debit=line, debite_le=line.date))
        else:
            for chunk in chunks(plan.payments):
                count = debit_payments(
                    Paiement.objects.filter(pk__in=[p["pk"] for p in chunk]), line
                )
                if count != len(chunk):
                    raise RecoveryError(CHANGED)
        for pay in plan.payments:
            if pay["run_id"]:
                count_run(per_run, pay["run_id"], 1, line.date)
        summary.rapprochees += line.rapprochee
        summary.deja += line.methode == M.DEJA
    # The payments were read locked (PostgreSQL) or under the import's write lock (SQLite):
    # none has been debited since.
    Paiement.objects.bulk_update(singles, ["debit", "debite_le"], batch_size=500)
    update_runs(per_run)
    summary.paiements = sum(n for n, _day in per_run.values())
    summary.runs = set(per_run)
    summary.total = sum((line.montant_rapproche for line in lines), ZERO)
    CamtImport.objects.filter(pk=camt.pk).update(
        debits=summary.lignes, debits_rapproches=summary.rapprochees
    )
    camt.debits, camt.debits_rapproches = summary.lignes, summary.rapprochees
    journal.record(
        "helios_releve_debits",
        actor_label=actor,
        obj=camt,
        collectivite=camt.collectivite_id,
        details={
            "lignes": summary.lignes,
            "rapprochees": summary.rapprochees,
            "deja_constatees": summary.deja,
            "a_rapprocher": summary.a_rapprocher,
            "paiements": summary.paiements,
            "campagnes": sorted(summary.runs)[:100],
            "total": str(summary.total),
        },
    )
    return summary


CHANGED = "Des paiements ont changé pendant le rapprochement : rien n'a été enregistré, relancez."


def debit_payments(qs: QuerySet, line: CamtDebit) -> int:
    return qs.filter(debit__isnull=True).update(debit=line, debite_le=line.date)


def count_run(per_run: dict, run_id: int, count: int, day: datetime.date) -> None:
    n, last = per_run.get(run_id, (0, day))
    per_run[run_id] = (n + count, max(last, day))


def update_runs(per_run: dict[int, tuple[int, datetime.date]]) -> None:
    for run_id, (count, day) in per_run.items():
        PaymentRun.objects.filter(pk=run_id).update(
            debites=F("debites") + count,
            debite_le=Case(When(debite_le__gt=day, then=F("debite_le")), default=Value(day)),
        )


__all__ = [
    "CHANGED",
    "DAYS",
    "DebitSummary",
    "count_run",
    "debit_entries",
    "debit_payments",
    "locked",
    "reconcile",
    "update_runs",
]
