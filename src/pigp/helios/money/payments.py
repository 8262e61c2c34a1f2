"""Payment runs: the mandats taken in charge are paid by one SEPA credit-transfer file.

A run for a collectivité and a date selects the mandats `prise_en_charge`, payable by transfer
and not yet paid, writes the pain.001 (debtor: the poste's account at the Trésor), stores it,
and in the same transaction records a `Paiement` and a (negative) `MouvementTresorerie` per
mandat and moves every mandat to `payee`.

Why not `states.transition` for each mandat: a run pays up to 100 000 mandats, and
`transition` costs a row lock, three writes and a journal entry (a hash-chained, serialised
write) per pièce — minutes for a large run. `bulk_transition` below applies the same rules
(`states.check` on every pièce, in Python), then writes in batches: one UPDATE per batch
guarded by the expected state (a pièce changed meanwhile makes the run fail and roll back),
the same `PieceEvent` rows, and ONE journal entry for the run with its counts. A re-run pays
nothing twice: paid mandats are no longer `prise_en_charge`, and each payment's EndToEndId is
unique in the database.

The run keeps the MsgId and PmtInfId its pain.001 carried: the bank statement that books the
batch quotes them, and `statement_debits` reconciles that debit line with the run.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.dispatch import Signal
from django.utils import timezone

from pigp.core import files, journal
from pigp.core.models import Collectivite, StoredFile
from pigp.formats import sepa
from pigp.formats.sepa.identifiers import bic_problem, iban_problem
from pigp.helios.models import (
    Domaine,
    EtatPiece,
    Exercice,
    MouvementTresorerie,
    Paiement,
    PaymentRun,
    Piece,
)
from pigp.helios.money import treasury
from pigp.helios.money.accounts import PaymentError, compte_tresor
from pigp.helios.money.bulk import BATCH, bulk_transition, chunks, sql_name
from pigp.helios.signals import PaymentRef, pieces_moved

TRANSFER_MODES = ("03", "04", "05", "06", "11")
VERSIONS = {"001.09": sepa.PAIN_001_09, "001.03": sepa.PAIN_001_03}
DEFAULT_VERSION = "001.09"

# Sent after the run's transaction commits: sender=PaymentRun, run=<PaymentRun>, piece_ids=[...].
mandats_payes = Signal()


class SelectionChanged(PaymentError):
    """The mandats a run would pay are not those of the preview the comptable confirmed."""


class NegativeBalance(PaymentError):
    """The run would overdraw a budget's Trésor account and the comptable did not accept it."""


@dataclass(frozen=True)
class Excluded:
    piece_id: int
    label: str
    montant: Decimal
    tiers: str
    reason: str


@dataclass
class RunResult:
    run: PaymentRun | None = None
    paid: int = 0
    total: Decimal = Decimal("0.00")
    excluded: list[Excluded] = field(default_factory=list)


def by_transfer() -> Q:
    """Mandats payable by transfer: a transfer mode, or no mode and an IBAN on the tiers."""
    return Q(mode_reglement__in=TRANSFER_MODES) | (Q(mode_reglement="") & ~Q(tiers__iban=""))


def payable(collectivites: Iterable[Collectivite] | QuerySet) -> QuerySet[Piece]:
    """Mandats taken in charge, payable by transfer, not yet paid (whatever their bank details),
    of an open or a closed exercice: the clôture does not stop paying a reste à payer."""
    already = Paiement.objects.filter(piece_id=OuterRef("pk"))
    return (
        Piece.objects.filter(
            collectivite__in=collectivites,
            domaine=Domaine.DEPENSE,
            etat=EtatPiece.PRISE_EN_CHARGE,
        )
        .filter(by_transfer())
        .filter(~Exists(already))
    )


def candidates(collectivite: Collectivite) -> QuerySet[Piece]:
    """What a run of the collectivité would pay (see `payable`)."""
    return payable([collectivite])


FIELDS = (
    "pk",
    "id_pce",
    "objet",
    "mt_ttc",
    "exercice_id",
    "exercice__annee",
    "exercice__cloture",
    "exercice__budget_id",
    "bordereau__id_bord",
    "tiers__nom",
    "tiers__prenom",
    "tiers__titulaire",
    "tiers__iban",
    "tiers__bic",
)


def _label(row: dict) -> str:
    return f"Mandat n° {row['id_pce']} (bordereau {row['bordereau__id_bord']}, {row['exercice__annee']})"


def tiers_name(row: dict) -> str:
    name = row["tiers__titulaire"] or " ".join(
        x for x in (row["tiers__nom"], row["tiers__prenom"]) if x
    )
    return name.strip()


def problem_of(row: dict) -> str | None:
    """Why this mandat cannot be paid by transfer now (French), or None."""
    if row["mt_ttc"] is None or row["mt_ttc"] <= 0:
        return "montant nul ou négatif"
    if row["tiers__iban"] is None:
        return "aucun créancier (tiers) sur le mandat"
    iban = (row["tiers__iban"] or "").replace(" ", "").upper()
    if not iban:
        return "IBAN du créancier absent"
    reason = iban_problem(iban)
    if reason:
        return f"IBAN du créancier invalide ({reason})"
    bic = (row["tiers__bic"] or "").strip().upper()
    if bic:
        reason = bic_problem(bic)
        if reason:
            return f"BIC du créancier invalide ({reason})"
    if not tiers_name(row):
        return "nom du créancier absent"
    return None


def excluded(collectivite: Collectivite, limit: int = 200, scan: int = 10_000) -> list[Excluded]:
    """Mandats a run would leave out, with the reason (what the comptable must fix).

    For a page: looks at the oldest `scan` payable mandats at most (IBAN checks are in Python).
    """
    found = []
    rows = candidates(collectivite).values(*FIELDS).order_by("pk")[:scan]
    for row in rows.iterator(BATCH):
        reason = problem_of(row)
        if reason:
            found.append(_excluded(row, reason))
            if len(found) >= limit:
                break
    return found


def _excluded(row: dict, reason: str) -> Excluded:
    return Excluded(row["pk"], _label(row), row["mt_ttc"] or Decimal("0"), tiers_name(row), reason)


def end_to_end_id(row: dict) -> str:
    """`M{exercice}-{bordereau}-{pièce}-{id}`: readable, and unique across collectivités."""
    ref = f"M{row['exercice__annee']}-{row['bordereau__id_bord']}-{row['id_pce']}-{row['pk']}"
    return ref if len(ref) <= 35 else f"M{row['exercice__annee']}-{row['pk']}"


@dataclass
class Selection:
    """What a run of the collectivité pays now: rows in pk order, and what it leaves out."""

    rows: list[dict] = field(default_factory=list)
    problems: list[Excluded] = field(default_factory=list)  # bank details to correct
    left_out: list[dict] = field(default_factory=list)  # excluded by the comptable

    @property
    def total(self) -> Decimal:
        return sum((row["mt_ttc"] for row in self.rows), Decimal("0.00"))

    def by_budget(self) -> dict[int, Decimal]:
        totals: dict[int, Decimal] = {}
        for row in self.rows:
            budget = row["exercice__budget_id"]
            totals[budget] = totals.get(budget, Decimal("0.00")) + row["mt_ttc"]
        return totals


def select(qs: QuerySet[Piece], exclude: Collection[int] = ()) -> Selection:
    """Sort the payable mandats of `qs`: paid, set aside for their bank details, or excluded
    by the comptable (ids of `exclude`; an id that is not payable here is ignored)."""
    chosen = Selection()
    skip = set(exclude)
    for row in qs.values(*FIELDS).order_by("pk").iterator(BATCH):
        reason = problem_of(row)
        if reason:
            chosen.problems.append(_excluded(row, reason))
        elif row["pk"] in skip:
            chosen.left_out.append(row)
        else:
            chosen.rows.append(row)
    return chosen


def selection_digest(
    collectivite: Collectivite, date_execution: datetime.date, version: str, rows: list[dict]
) -> str:
    """SHA-256 of what a run would pay and to whom: the preview shows it, the confirmation
    carries it back, and the run refuses when the mandats it would pay differ."""
    h = hashlib.sha256(f"{collectivite.pk}|{date_execution.isoformat()}|{version}\n".encode())
    for row in rows:
        iban = (row["tiers__iban"] or "").replace(" ", "").upper()
        bic = (row["tiers__bic"] or "").strip().upper()
        h.update(f"{row['pk']}|{row['mt_ttc']}|{iban}|{bic}|{tiers_name(row)}\n".encode())
    return h.hexdigest()


def negative_balances(
    selection: Selection, date_execution: datetime.date
) -> list[tuple[int, Decimal, Decimal]]:
    """(budget id, balance before, balance after) of each budget the run would overdraw."""
    totals = selection.by_budget()
    before = treasury.soldes(list(totals), date_execution.year)
    return [
        (budget, before[budget], before[budget] - total)
        for budget, total in sorted(totals.items())
        if before[budget] - total < 0
    ]


def run_payments(
    collectivite: Collectivite,
    date_execution: datetime.date,
    *,
    actor: str,
    version: str = DEFAULT_VERSION,
    created: datetime.datetime | None = None,
    exclude: Collection[int] = (),
    expected_digest: str | None = None,
    negative_ok: bool = True,
) -> RunResult:
    """Pay every payable mandat of the collectivité (but those of `exclude`) by one pain.001;
    record it all, or nothing.

    From the page, the run is confirmed after its preview (`payment_preview`): `expected_digest`
    is the digest of the previewed selection, and a run that would pay anything else raises
    `SelectionChanged`; without `negative_ok`, a run that would take a budget's Trésor account
    below zero raises `NegativeBalance`. Both are checked on the rows locked for the run.
    """
    message = VERSIONS.get(version)
    if message is None:
        raise PaymentError(f"Version de virement inconnue : {version}.")
    compte = compte_tresor(collectivite)
    debtor = sepa.Party(
        name=compte.titulaire, iban=compte.iban.replace(" ", ""), bic=compte.bic or None
    )
    result = RunResult()
    with transaction.atomic():
        chosen = _locked_selection(collectivite, exclude)
        result.excluded = chosen.problems
        rows = chosen.rows
        _check_confirmation(
            chosen,
            collectivite,
            date_execution,
            version,
            expected_digest=expected_digest,
            negative_ok=negative_ok,
        )
        if not rows:
            return result
        msg_id = f"PIGP-{collectivite.pk}-{timezone.now():%Y%m%d%H%M%S%f}"[:35]
        content = _write_file(
            debtor,
            _transfers(rows, date_execution),
            message,
            msg_id=msg_id,
            created=created or timezone.localtime(),
        )
        total = chosen.total
        stored = files.store_bytes(content, media_type="application/xml")
        run = PaymentRun.objects.create(
            collectivite=collectivite,
            date_execution=date_execution,
            version=message.name,
            fichier=stored,
            nombre=len(rows),
            total=total,
            cree_par=actor,
            # Every transfer has the run's execution date: the file has one batch.
            msg_id=msg_id,
            pmt_inf_id=sepa.payment_info_id_for(msg_id, 1),
        )
        _record(run, rows, date_execution, actor)
        _journal_run(run, chosen, stored, actor=actor)
        result.run, result.paid, result.total = run, len(rows), total
        piece_ids = [row["pk"] for row in rows]
        transaction.on_commit(
            lambda: mandats_payes.send(sender=PaymentRun, run=run, piece_ids=piece_ids)
        )
    return result


def _journal_run(run: PaymentRun, chosen: Selection, stored: StoredFile, *, actor: str) -> None:
    journal.record(
        "helios_paiements",
        actor_label=actor,
        obj=run,
        collectivite=run.collectivite_id,
        details={
            "mandats": run.nombre,
            "total": str(run.total),
            "ecartes": len(chosen.problems),
            "exclus": len(chosen.left_out),
            "version": run.version,
            "date_execution": run.date_execution.isoformat(),
            "sha256": stored.sha256,
        },
    )


def _locked_selection(collectivite: Collectivite, exclude: Collection[int]) -> Selection:
    qs = candidates(collectivite)
    if transaction.get_connection().features.has_select_for_update_of:
        # PostgreSQL: two runs at once wait for each other instead of paying twice.
        qs = qs.select_for_update(of=("self",))
    return select(qs, exclude)


def _check_confirmation(
    chosen: Selection,
    collectivite: Collectivite,
    date_execution: datetime.date,
    version: str,
    *,
    expected_digest: str | None,
    negative_ok: bool,
) -> None:
    """Refuse a run that is not the one previewed, or that overdraws an account unconfirmed."""
    rows = chosen.rows
    if expected_digest is not None and expected_digest != selection_digest(
        collectivite, date_execution, version, rows
    ):
        raise SelectionChanged(
            "Les mandats à payer ont changé depuis l'aperçu (sélection modifiée, mandats "
            "pris en charge, payés ou corrigés entre-temps) : rien n'a été payé. Vérifiez "
            "l'aperçu mis à jour, puis confirmez."
        )
    if rows and not negative_ok and negative_balances(chosen, date_execution):
        raise NegativeBalance(
            "Le solde du compte au Trésor deviendrait négatif : cochez la confirmation "
            "du paiement malgré le solde négatif, ou excluez des mandats."
        )


def _transfers(
    rows: list[dict[str, Any]], date_execution: datetime.date
) -> list[sepa.CreditTransfer]:
    """One transfer per row; each row gets its `reference` (EndToEndId) and normalised `iban`."""
    transfers = []
    for row in rows:
        row["reference"] = end_to_end_id(row)
        iban = row["tiers__iban"].replace(" ", "").upper()
        row["iban"] = iban
        objet = " ".join((row["objet"] or "").split())
        remittance = (
            f"Mandat {row['exercice__annee']}/{row['bordereau__id_bord']}/{row['id_pce']}"
            + (f" {objet}" if objet else "")
        )[:140]
        transfers.append(
            sepa.CreditTransfer(
                end_to_end_id=row["reference"],
                amount=row["mt_ttc"],
                creditor=sepa.Party(
                    name=tiers_name(row)[:70],
                    iban=iban,
                    bic=(row["tiers__bic"] or "").strip().upper() or None,
                ),
                remittance=remittance,
                execution_date=date_execution,
            )
        )
    return transfers


def _write_file(
    debtor: sepa.Party,
    transfers: list[sepa.CreditTransfer],
    message: sepa.SepaMessage,
    *,
    msg_id: str,
    created: datetime.datetime,
) -> bytes:
    try:
        return sepa.write_credit_transfer(
            debtor, transfers, message=message, msg_id=msg_id, created=created
        )
    except sepa.SepaError as exc:
        raise PaymentError(f"Le fichier de virement n'a pas pu être produit : {exc}") from exc


def _record(run: PaymentRun, rows: list[dict], day: datetime.date, actor: str) -> None:
    for chunk in chunks(rows):
        Paiement.objects.bulk_create(
            [
                Paiement(
                    piece_id=row["pk"],
                    run=run,
                    date=day,
                    montant=row["mt_ttc"],
                    reference=row["reference"],
                    iban=row["iban"],
                )
                for row in chunk
            ],
            batch_size=BATCH,
        )
    # One negative movement per payment, derived by the database from the rows just written.
    M, Pa, P, X = MouvementTresorerie, Paiement, Piece, Exercice
    sql = (
        f"INSERT INTO {sql_name(M)} ({sql_name(M, 'budget')}, {sql_name(M, 'date')}, {sql_name(M, 'montant')}, "  # noqa: S608
        f"{sql_name(M, 'libelle')}, {sql_name(M, 'paiement')}) "
        f"SELECT x.{sql_name(X, 'budget')}, pa.{sql_name(Pa, 'date')}, -pa.{sql_name(Pa, 'montant')}, "
        f"%s || pa.{sql_name(Pa, 'reference')}, pa.{sql_name(Pa, 'id')} "
        f"FROM {sql_name(Pa)} pa JOIN {sql_name(P)} p ON p.{sql_name(P, 'id')} = pa.{sql_name(Pa, 'piece')} "
        f"JOIN {sql_name(X)} x ON x.{sql_name(X, 'id')} = p.{sql_name(P, 'exercice')} "
        f"WHERE pa.{sql_name(Pa, 'run')} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [MouvementTresorerie.LIBELLE_PAIEMENT, run.pk])
    bulk_transition(
        [row["pk"] for row in rows],
        EtatPiece.PAYEE,
        domaine=Domaine.DEPENSE,
        expected=EtatPiece.PRISE_EN_CHARGE,
        day=day,
        actor=actor,
        message=f"Payée le {day:%d/%m/%Y} (campagne n° {run.pk})",
        date_field="date_paiement",
        # Built only when someone listens: a run of 100 000 mandats would build as many.
        payments={row["pk"]: PaymentRef(run.pk, day, row["reference"]) for row in rows}
        if pieces_moved.has_listeners(Piece)
        else None,
    )
