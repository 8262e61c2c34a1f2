"""Recouvrement: encaissements on titres, by hand or in bulk, and recovery stages.

A titre `prise_en_charge` or `partielle` is due for its `reste_a_recouvrer`, whether its
exercice is open or closed (a reste à recouvrer survives the clôture). Each encaissement
lowers it, moves the titre to `partielle` or `soldee` and adds a positive treasury movement.

* by hand: `record_encaissement` (one titre, through `states.transition`, journaled);
* in bulk: `apply_encaissements` (the same rules, one journal entry per operation written by
  the caller — see `bulk.bulk_transition` for why), used by the bank statements
  (`statements.import_camt`) and the direct-debit settlement (`direct_debits`);
* `set_stade` records the recovery stage (relance, mise en demeure, poursuites).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from pigp.core import journal
from pigp.core.models import Collectivite
from pigp.helios import states, versions
from pigp.helios.models import (
    CamtLine,
    Domaine,
    Encaissement,
    EtatPiece,
    Exercice,
    MouvementTresorerie,
    Piece,
    PieceEvent,
    PrelevementRun,
    StadeRecouvrement,
)
from pigp.helios.money.bulk import BATCH, bulk_transition, chunks, sql_name

DUE = (EtatPiece.PRISE_EN_CHARGE, EtatPiece.PARTIELLE)
# How a titre's event says it reached a recovery stage (the Extranet lists those events).
STADE_MESSAGE = "Stade de recouvrement : "
CENT = Decimal("0.01")


class RecoveryError(Exception):
    """Refused; the message is for the comptable, in French."""


def euros(amount: Decimal) -> str:
    text = f"{amount:,.2f}".replace(",", "\u202f").replace(".", ",")
    return f"{text} €"


def titres_dus(
    collectivites: Iterable[Collectivite | int] | QuerySet[Collectivite],
) -> QuerySet[Piece]:
    return Piece.objects.filter(
        collectivite__in=collectivites,
        domaine=Domaine.RECETTE,
        etat__in=DUE,
        reste_a_recouvrer__gt=0,
    )


def _check_amount(montant: Decimal, reste: Decimal, label: str) -> None:
    if montant is None or montant <= 0:
        raise RecoveryError("Le montant doit être positif.")
    if montant.quantize(CENT) != montant:
        raise RecoveryError("Le montant a au plus deux décimales.")
    if montant > reste:
        raise RecoveryError(
            f"Le montant ({euros(montant)}) dépasse le reste à recouvrer du {label} "
            f"({euros(reste)}) : un trop-perçu ne peut pas être enregistré sur le titre."
        )


def _label(piece: Piece) -> str:
    return f"titre n° {piece.id_pce}"


# --- one encaissement, by hand ------------------------------------------------------------


def record_encaissement(
    piece: Piece,
    montant: Decimal,
    day: datetime.date,
    *,
    actor: str,
    reference: str = "",
    source: str = Encaissement.Source.MANUEL,
    camt_line: CamtLine | None = None,
) -> Encaissement:
    """Record one encaissement on one titre, or raise RecoveryError and change nothing."""
    with transaction.atomic():
        versions.touch([piece.exercice_id])
        locked = Piece.objects.select_for_update().select_related("exercice").get(pk=piece.pk)
        if locked.domaine != Domaine.RECETTE:
            raise RecoveryError("Un encaissement ne s'enregistre que sur un titre de recette.")
        if locked.etat not in DUE or locked.reste_a_recouvrer <= 0:
            raise RecoveryError(
                f"Le {_label(locked)} n'est pas à recouvrer "
                f"(état : {locked.get_etat_display().lower()})."
            )
        _check_amount(montant, locked.reste_a_recouvrer, _label(locked))
        enc = Encaissement.objects.create(
            piece=locked,
            date=day,
            montant=montant,
            source=source,
            reference=reference[:140],
            camt_line=camt_line,
            cree_par=actor,
        )
        MouvementTresorerie.objects.create(
            budget_id=locked.exercice.budget_id,
            date=day,
            montant=montant,
            libelle=f"{MouvementTresorerie.LIBELLE_ENCAISSEMENT}{locked.id_pce}"[:200],
            encaissement=enc,
        )
        reste = locked.reste_a_recouvrer - montant
        Piece.objects.filter(pk=locked.pk).update(
            reste_a_recouvrer=reste, modifie_le=timezone.now()
        )
        target = EtatPiece.SOLDEE if reste == 0 else EtatPiece.PARTIELLE
        note = f"Encaissement de {euros(montant)} le {day:%d/%m/%Y}"
        if target != locked.etat:
            states.transition(locked, target, actor=actor, commentaire=note, when=day)
        else:
            PieceEvent.objects.create(piece=locked, etat=target, actor=actor, message=note)
        journal.record(
            "helios_encaissement",
            actor_label=actor,
            obj=locked,
            collectivite=locked.collectivite_id,
            details={"montant": str(montant), "date": day.isoformat(), "source": source},
        )
    piece.refresh_from_db()
    return enc


# --- many encaissements at once (statements, direct-debit settlement) ----------------------


@dataclass(frozen=True)
class Apply:
    piece_id: int
    montant: Decimal
    date: datetime.date
    reference: str = ""
    camt_line_id: int | None = None


def apply_encaissements(
    items: list[Apply],
    *,
    actor: str,
    source: str,
    prelevement: PrelevementRun | None = None,
) -> list[Apply]:
    """Record many encaissements in bulk; return those applied (the others are not due).

    Must run inside the caller's transaction. The titres' states move through
    `bulk.bulk_transition` (same rules as `states.transition`, PieceEvent rows); the caller
    writes one journal entry for the whole operation.
    """
    if not items:
        return []
    info = _titres_info(sorted({i.piece_id for i in items}))
    reste = {pk: row["reste_a_recouvrer"] for pk, row in info.items()}
    applied = _due_items(items, info, reste)
    _create_encaissements(applied, actor=actor, source=source, prelevement=prelevement)
    groups = _moves(applied, info, reste)
    _update_titres(groups, {i.piece_id: i.date for i in applied}, reste, actor=actor, source=source)
    return applied


def _titres_info(ids: list[int]) -> dict[int, Mapping[str, Any]]:
    """State, reste à recouvrer and domaine of the pièces `ids`, read in batches."""
    info: dict[int, Mapping[str, Any]] = {}
    for chunk in chunks(ids):
        qs = Piece.objects.filter(pk__in=chunk).values(
            "pk",
            "etat",
            "reste_a_recouvrer",
            "domaine",
            "id_pce",
            "exercice__budget_id",
        )
        for row in qs:
            info[row["pk"]] = row
    return info


def _due_items(
    items: list[Apply], info: dict[int, Mapping[str, Any]], reste: dict[int, Decimal]
) -> list[Apply]:
    """The items that a due titre can take, in order; `reste` is lowered by each."""
    applied = []
    for item in items:
        row = info.get(item.piece_id)
        if (
            row is None
            or row["domaine"] != Domaine.RECETTE
            or row["etat"] not in DUE
            or not (0 < item.montant <= reste[item.piece_id])
        ):
            continue
        reste[item.piece_id] -= item.montant
        applied.append(item)
    return applied


def _create_encaissements(
    applied: list[Apply], *, actor: str, source: str, prelevement: PrelevementRun | None
) -> None:
    """The Encaissement rows and their treasury movements, batch by batch."""
    for chunk in chunks(applied):
        encs = Encaissement.objects.bulk_create(
            [
                Encaissement(
                    piece_id=i.piece_id,
                    date=i.date,
                    montant=i.montant,
                    source=source,
                    reference=i.reference[:140],
                    camt_line_id=i.camt_line_id,
                    prelevement=prelevement,
                    cree_par=actor,
                )
                for i in chunk
            ]
        )
        _insert_movements([enc.pk for enc in encs])


def _moves(
    applied: list[Apply], info: dict[int, Mapping[str, Any]], reste: dict[int, Decimal]
) -> dict[tuple[str, str], list[int]]:
    """The titres touched, grouped by (state now, state to reach)."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for pk in sorted({i.piece_id for i in applied}):
        target = EtatPiece.SOLDEE if reste[pk] == 0 else EtatPiece.PARTIELLE
        groups[(info[pk]["etat"], target)].append(pk)
    return groups


def _update_titres(
    groups: dict[tuple[str, str], list[int]],
    last_day: dict[int, datetime.date],
    reste: dict[int, Decimal],
    *,
    actor: str,
    source: str,
) -> None:
    """Each titre's new reste and state: an event for those that stay partial, a bulk
    transition for the others."""
    # Soldée titres get their reste (0) in the UPDATE that moves them; only partial payments
    # need a value per titre (bulk_update, a CASE per row: kept for the rarer case).
    versions.touch_pieces(pk for pks in groups.values() for pk in pks)
    now = timezone.now()
    Piece.objects.bulk_update(
        [
            Piece(pk=pk, reste_a_recouvrer=reste[pk], modifie_le=now)
            for (_, target), pks in groups.items()
            if target == EtatPiece.PARTIELLE
            for pk in pks
        ],
        ["reste_a_recouvrer", "modifie_le"],
        batch_size=500,
    )
    label = dict(Encaissement.Source.choices)[source].lower()
    for (expected, target), pks in groups.items():
        if expected == target:
            PieceEvent.objects.bulk_create(
                [
                    PieceEvent(
                        piece_id=pk,
                        etat=target,
                        actor=actor,
                        message=f"Encaissement ({label}) ; reste {euros(reste[pk])}",
                    )
                    for pk in pks
                ],
                batch_size=BATCH,
            )
            continue
        soldee = target == EtatPiece.SOLDEE
        # Grouped by day so that `date_solde` is the day of the last encaissement.
        by_day: dict[datetime.date, list[int]] = defaultdict(list)
        for pk in pks:
            by_day[last_day[pk]].append(pk)
        for day, day_pks in by_day.items():
            bulk_transition(
                day_pks,
                target,
                domaine=Domaine.RECETTE,
                expected=expected,
                day=day,
                actor=actor,
                message=f"{EtatPiece(target).label} — encaissement ({label})",
                date_field="date_solde" if soldee else None,
                extra={"reste_a_recouvrer": Decimal("0")} if soldee else None,
            )


def _insert_movements(encaissement_ids: list[int]) -> None:
    """One positive treasury movement per encaissement, by INSERT … SELECT (see payments)."""
    M, E, P, X = MouvementTresorerie, Encaissement, Piece, Exercice
    marks = ", ".join(["%s"] * len(encaissement_ids))
    sql = (
        # Only quoted names from the models' metadata and %s placeholders.
        f"INSERT INTO {sql_name(M)} ({sql_name(M, 'budget')}, {sql_name(M, 'date')}, {sql_name(M, 'montant')}, "  # noqa: S608
        f"{sql_name(M, 'libelle')}, {sql_name(M, 'encaissement')}) "
        f"SELECT x.{sql_name(X, 'budget')}, e.{sql_name(E, 'date')}, e.{sql_name(E, 'montant')}, "
        f"%s || p.{sql_name(P, 'id_pce')}, e.{sql_name(E, 'id')} "
        f"FROM {sql_name(E)} e JOIN {sql_name(P)} p ON p.{sql_name(P, 'id')} = e.{sql_name(E, 'piece')} "
        f"JOIN {sql_name(X)} x ON x.{sql_name(X, 'id')} = p.{sql_name(P, 'exercice')} "
        f"WHERE e.{sql_name(E, 'id')} IN ({marks})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [MouvementTresorerie.LIBELLE_ENCAISSEMENT, *encaissement_ids])


# --- recovery stage -----------------------------------------------------------------------


def set_stade(piece: Piece, stade: str, *, actor: str, commentaire: str = "") -> Piece:
    if stade not in StadeRecouvrement.values:
        raise RecoveryError("Stade de recouvrement inconnu.")
    with transaction.atomic():
        versions.touch([piece.exercice_id])
        locked = Piece.objects.select_for_update().get(pk=piece.pk)
        if locked.domaine != Domaine.RECETTE or locked.etat not in DUE:
            raise RecoveryError(f"Le {_label(locked)} n'est pas en cours de recouvrement.")
        locked.stade = stade
        locked.date_stade = timezone.localdate()
        locked.save(update_fields=["stade", "date_stade", "modifie_le"])
        label = StadeRecouvrement(stade).label
        message = f"{STADE_MESSAGE}{label}" + (f" — {commentaire}" if commentaire else "")
        PieceEvent.objects.create(piece=locked, etat=locked.etat, actor=actor, message=message)
        journal.record(
            "helios_stade_recouvrement",
            actor_label=actor,
            obj=locked,
            collectivite=locked.collectivite_id,
            details={"stade": stade, "commentaire": commentaire[:300]},
        )
    piece.refresh_from_db()
    return piece


def ageing(day_taken: datetime.date | None, today: datetime.date) -> str:
    if day_taken is None:
        return "—"
    days = (today - day_taken).days
    if days < 30:
        return "moins de 30 jours"
    if days < 90:
        return "30 à 90 jours"
    if days < 365:
        return "3 mois à 1 an"
    return "plus d'un an"


__all__ = [
    "DUE",
    "STADE_MESSAGE",
    "Apply",
    "RecoveryError",
    "ageing",
    "apply_encaissements",
    "euros",
    "record_encaissement",
    "set_stade",
    "titres_dus",
]
