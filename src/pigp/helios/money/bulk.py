"""Batched writes on many pièces: one UPDATE per batch guarded by the expected state, PieceEvent
rows by INSERT … SELECT, query parameters kept under the databases' limits.

Shared by payment runs, direct debits, bank statements and recovery: a run moves up to 100 000
pièces, where `states.transition` (a row lock, three writes and a journal entry per pièce) would
take minutes. `bulk_transition` applies the same rules (`states.check`) and leaves the journal
entry for the whole batch to its caller.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping, Sequence

from django.db import connection
from django.db.models import Field, Model
from django.utils import timezone

from pigp.helios import states, versions
from pigp.helios.models import EtatPiece, Piece, PieceEvent
from pigp.helios.signals import PaymentRef, pieces_moved

BATCH = 2000


def chunks(items: Sequence, size: int = BATCH) -> Iterator[Sequence]:
    """`items` by slices of `size` (query parameters stay under the databases' limits)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def bulk_transition(
    piece_ids: Sequence[int],
    to: str,
    *,
    domaine: str,
    expected: str,
    day: datetime.date,
    actor: str,
    message: str,
    date_field: str | None = None,
    extra: dict | None = None,
    payments: Mapping[int, PaymentRef] | None = None,
) -> int:
    """Move many pièces of one state to `to` in batches; PieceEvent rows, no journal entry.

    The rule is the state machine's (`states.allowed`); each UPDATE is guarded by the expected
    state, and a pièce that changed meanwhile raises `TransitionError` so the caller's
    transaction rolls back. Pièces of a closed exercice (`verrouillee`) move too: these are
    payments and encaissements, which the clôture does not stop (see `states.check`). The caller writes one journal entry for the whole batch.
    `extra` fields are set by the same UPDATE (e.g. the reste à recouvrer of soldée titres).

    Each chunk sends `signals.pieces_moved` once its rows are written, in the caller's
    transaction; `payments` (for a payment run) gives each pièce's run, date and EndToEndId
    to that signal.
    """
    probe = Piece(domaine=domaine, etat=expected)
    if to in states.MANUAL or not states.allowed(probe, to):
        raise states.TransitionError(
            f"Impossible de passer de « {EtatPiece(expected).label.lower()} » "
            f"à « {EtatPiece(to).label.lower()} »."
        )
    ids = list(piece_ids)
    versions.touch_pieces(ids)  # before the pièces are locked, as every writer does
    now = timezone.now()
    moved = 0
    for chunk in chunks(ids):
        values = {"etat": to, "modifie_le": now, **(extra or {})}
        if date_field:
            values[date_field] = day
        count = Piece.objects.filter(pk__in=chunk, etat=expected, domaine=domaine).update(**values)
        if count != len(chunk):
            raise states.TransitionError(
                "Des pièces ont changé d'état pendant l'opération : rien n'a été enregistré, "
                "relancez-la."
            )
        if to == EtatPiece.PAYEE:
            _set_payment_delays(chunk, day)
        _insert_events(chunk, to, actor, message, now)
        pieces_moved.send(
            sender=Piece,
            piece_ids=list(chunk),
            to=to,
            from_=expected,
            domaine=domaine,
            day=day,
            actor=actor,
            motif_code="",
            commentaire=message,
            payments={pk: payments[pk] for pk in chunk if pk in payments} if payments else {},
        )
        moved += count
    return moved


def _set_payment_delays(piece_ids: Sequence[int], day: datetime.date) -> None:
    """The payment delay of pièces paid on `day`: one UPDATE per distinct delay (a run pays
    mandats received over a few days, so a handful of statements)."""
    by_delay: dict[int, list[int]] = {}
    for pk, received in Piece.objects.filter(pk__in=piece_ids).values_list("pk", "date_reception"):
        by_delay.setdefault(states.payment_delay(received, day), []).append(pk)
    for delay, pks in by_delay.items():
        Piece.objects.filter(pk__in=pks).update(delai_paiement=delay)


def sql_name(model: type[Model], field: str | None = None) -> str:
    """The quoted name of `model`'s table, or of the column of its concrete `field`."""
    quote = connection.ops.quote_name
    if not field:
        return quote(model._meta.db_table)
    found = model._meta.get_field(field)
    column = found.column if isinstance(found, Field) else None
    if column is None:
        raise ValueError(f"{model.__name__}.{field} has no column")
    return quote(column)


def _insert_events(
    piece_ids: Sequence[int], etat: str, actor: str, message: str, at: datetime.datetime
) -> None:
    """One PieceEvent per pièce with INSERT … SELECT: no model instance per row (a run of
    100 000 mandats would spend most of its time building them)."""
    marks = ", ".join(["%s"] * len(piece_ids))
    E, P = PieceEvent, Piece
    sql = (
        # Only quoted names from the models' metadata and %s placeholders.
        f"INSERT INTO {sql_name(E)} ({sql_name(E, 'piece')}, {sql_name(E, 'etat')}, {sql_name(E, 'at')}, "  # noqa: S608
        f"{sql_name(E, 'actor')}, {sql_name(E, 'message')}) "
        f"SELECT {sql_name(P, 'id')}, %s, %s, %s, %s FROM {sql_name(P)} WHERE {sql_name(P, 'id')} IN ({marks})"
    )
    stamp = connection.ops.adapt_datetimefield_value(at)
    with connection.cursor() as cursor:
        cursor.execute(sql, [etat, stamp, actor, message, *piece_ids])
