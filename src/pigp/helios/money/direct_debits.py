"""Direct debits (prélèvements SEPA) of titres carrying a SEPA mandate.

`run_direct_debits` writes the pain.008 collecting the reste à recouvrer of every due titre
under a mandate (FRST for a mandate's first debit, RCUR after) and keeps its titres in
`Prelevement` rows, so that no titre is debited twice while the run waits; `settle_direct_debits`
records their encaissements (`recovery.apply_encaissements`) when the run is marked settled.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from pigp.core import files, journal
from pigp.core.models import Collectivite
from pigp.formats import sepa
from pigp.formats.sepa.identifiers import bic_problem, creditor_id_problem, iban_problem
from pigp.helios.models import CompteTresor, Encaissement, Piece, Prelevement, PrelevementRun
from pigp.helios.money.accounts import PaymentError, compte_tresor
from pigp.helios.money.bulk import BATCH, chunks
from pigp.helios.money.recovery import Apply, RecoveryError, apply_encaissements, titres_dus

DD_VERSIONS = {"001.08": sepa.PAIN_008_08, "001.02": sepa.PAIN_008_02}
DEFAULT_DD_VERSION = "001.08"


@dataclass
class DebitResult:
    run: PrelevementRun | None = None
    count: int = 0
    total: Decimal = Decimal("0.00")
    excluded: list[tuple[Piece, str]] = field(default_factory=list)


def debit_candidates(collectivite: Collectivite) -> QuerySet[Piece]:
    """Due titres carrying a SEPA mandate and not already in a run waiting for settlement."""
    pending = Prelevement.objects.filter(piece_id=OuterRef("pk"), run__regle=False)
    return (
        titres_dus([collectivite])
        .exclude(rum="")
        .filter(date_signature_mandat__isnull=False)
        .filter(~Exists(pending))
    )


def _debit_problem(piece: Piece) -> str | None:
    tiers = piece.tiers
    if tiers is None:
        return "aucun débiteur (tiers) sur le titre"
    iban = tiers.iban.replace(" ", "").upper()
    if not iban:
        return "IBAN du débiteur absent"
    reason = iban_problem(iban)
    if reason:
        return f"IBAN du débiteur invalide ({reason})"
    if tiers.bic and bic_problem(tiers.bic.strip().upper()):
        return "BIC du débiteur invalide"
    return None


def run_direct_debits(
    collectivite: Collectivite,
    date_echeance: datetime.date,
    *,
    actor: str,
    version: str = DEFAULT_DD_VERSION,
) -> DebitResult:
    """One pain.008 collecting the reste à recouvrer of every titre under a SEPA mandate."""
    message = DD_VERSIONS.get(version)
    if message is None:
        raise RecoveryError(f"Version de prélèvement inconnue : {version}.")
    compte = _creditor_account(collectivite, message)
    result = DebitResult()
    with transaction.atomic():
        kept = _sequenced(collectivite, result)
        if not kept:
            return result
        run = PrelevementRun.objects.create(
            collectivite=collectivite,
            date_echeance=date_echeance,
            version=message.name,
            cree_par=actor,
        )
        debits = [_direct_debit(run, piece, seq, date_echeance) for piece, seq in kept]
        content = _write_file(compte, debits, message, run)
        stored = files.store_bytes(content, media_type="application/xml")
        total = sum((d.amount for d in debits), Decimal("0.00"))
        run.fichier, run.nombre, run.total = stored, len(debits), total
        run.save(update_fields=["fichier", "nombre", "total"])
        _record_prelevements(run, kept, debits)
        journal.record(
            "helios_prelevements",
            actor_label=actor,
            obj=run,
            collectivite=collectivite.pk,
            details={"titres": len(debits), "total": str(total), "version": message.name},
        )
        result.run, result.count, result.total = run, len(debits), total
    return result


def _creditor_account(collectivite: Collectivite, message: sepa.SepaMessage) -> CompteTresor:
    """The poste's Trésor account, with the SEPA creditor identifier a pain.008 needs."""
    try:
        compte = compte_tresor(collectivite)
    except PaymentError as exc:
        raise RecoveryError(str(exc)) from exc
    if not compte.ics:
        raise RecoveryError(
            "Aucun identifiant créancier SEPA (ICS) n'est configuré sur le compte au Trésor "
            "du poste : les prélèvements ne peuvent pas être émis."
        )
    problem = creditor_id_problem(compte.ics)
    if problem:
        raise RecoveryError(
            f"L'identifiant créancier SEPA (ICS) du poste est invalide ({problem})."
        )
    if message is sepa.PAIN_008_02 and not compte.bic:
        raise RecoveryError("La version 001.02 exige le BIC du compte au Trésor.")
    return compte


def _sequenced(
    collectivite: Collectivite, result: DebitResult
) -> list[tuple[Piece, sepa.SequenceType]]:
    """The candidates that can be debited, each with its sequence (FRST for a mandate's first
    debit, RCUR after); the others go to `result.excluded` with their reason."""
    pieces = list(
        debit_candidates(collectivite)
        .select_related("tiers", "exercice", "bordereau")
        .order_by("pk")
    )
    rums = {p.rum for p in pieces}
    used = set(
        Piece.objects.filter(collectivite=collectivite, rum__in=rums)
        .exclude(sequence_prelevement="")
        .values_list("rum", flat=True)
    )
    kept = []
    for piece in pieces:
        reason = _debit_problem(piece)
        if reason:
            result.excluded.append((piece, reason))
            continue
        seq = sepa.SequenceType.RECURRENT if piece.rum in used else sepa.SequenceType.FIRST
        used.add(piece.rum)
        kept.append((piece, seq))
    return kept


def _direct_debit(
    run: PrelevementRun, piece: Piece, seq: sepa.SequenceType, date_echeance: datetime.date
) -> sepa.DirectDebit:
    tiers = piece.tiers
    # Both checked: a debtor by `_debit_problem`, a signed mandate by `debit_candidates`.
    assert tiers is not None and piece.date_signature_mandat is not None
    return sepa.DirectDebit(
        end_to_end_id=f"P{run.pk}-T{piece.pk}",
        amount=piece.reste_a_recouvrer,
        debtor=sepa.Party(
            name=(tiers.titulaire or f"{tiers.nom} {tiers.prenom}").strip()[:70],
            iban=tiers.iban.replace(" ", "").upper(),
            bic=tiers.bic.strip().upper() or None,
        ),
        mandate_id=piece.rum,
        mandate_date=piece.date_signature_mandat,
        sequence_type=seq,
        collection_date=date_echeance,
        remittance=(
            f"Titre {piece.exercice.annee}/{piece.bordereau.id_bord}/{piece.id_pce} "
            f"T{piece.id_pce} {' '.join(piece.objet.split())}"
        )[:140],
    )


def _write_file(
    compte: CompteTresor,
    debits: list[sepa.DirectDebit],
    message: sepa.SepaMessage,
    run: PrelevementRun,
) -> bytes:
    try:
        return sepa.write_direct_debit(
            sepa.Party(compte.titulaire, compte.iban.replace(" ", ""), compte.bic or None),
            compte.ics,
            debits,
            message=message,
            msg_id=f"PIGP-PRLV-{run.pk}",
            created=timezone.localtime(),
        )
    except sepa.SepaError as exc:
        raise RecoveryError(f"Le fichier de prélèvement n'a pas pu être produit : {exc}") from exc


def _record_prelevements(
    run: PrelevementRun,
    kept: list[tuple[Piece, sepa.SequenceType]],
    debits: list[sepa.DirectDebit],
) -> None:
    """The run's titres, held until it is settled; each titre's mandate moves to its sequence."""
    Prelevement.objects.bulk_create(
        [
            Prelevement(
                run=run,
                piece=piece,
                montant=d.amount,
                reference=d.end_to_end_id,
                sequence=seq.value,
            )
            for (piece, seq), d in zip(kept, debits, strict=True)
        ],
        batch_size=BATCH,
    )
    for seq in sepa.SequenceType:
        ids = [p.pk for p, s in kept if s is seq]
        for chunk in chunks(ids):
            Piece.objects.filter(pk__in=chunk).update(sequence_prelevement=seq.value)


def settle_direct_debits(
    run: PrelevementRun, *, actor: str, day: datetime.date | None = None
) -> int:
    """Mark a direct-debit run settled: record the encaissement of each titre still due."""
    with transaction.atomic():
        run = PrelevementRun.objects.select_for_update().get(pk=run.pk)
        if run.regle:
            raise RecoveryError("Cette campagne de prélèvement est déjà marquée réglée.")
        day = day or run.date_echeance
        rows = list(
            Prelevement.objects.filter(run=run).values(
                "piece_id", "montant", "reference", "piece__reste_a_recouvrer"
            )
        )
        items = [
            Apply(
                r["piece_id"],
                min(r["montant"], r["piece__reste_a_recouvrer"]),
                day,
                r["reference"],
            )
            for r in rows
            if r["piece__reste_a_recouvrer"] > 0
        ]
        applied = apply_encaissements(
            items, actor=actor, source=Encaissement.Source.PRELEVEMENT, prelevement=run
        )
        run.regle = True
        run.save(update_fields=["regle"])
        journal.record(
            "helios_prelevements_regles",
            actor_label=actor,
            obj=run,
            collectivite=run.collectivite_id,
            details={
                "encaissements": len(applied),
                "total": str(sum((i.montant for i in applied), Decimal("0.00"))),
            },
        )
    return len(applied)


__all__ = ["DebitResult", "debit_candidates", "run_direct_debits", "settle_direct_debits"]
