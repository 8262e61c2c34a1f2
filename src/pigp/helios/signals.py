"""Signals Hélios sends to the apps that build on it (Chorus, ORC): Hélios never imports them.

Two kinds:

* **life-cycle signals** (`pieces_received`, `pieces_moved`) are sent INSIDE the transaction
  that makes the change, after its rows are written: a receiver's writes commit or roll back
  with it (the house rule: a hand-off is written in the same transaction as the state that
  causes it), and an exception raised by a receiver rolls the change back and reaches the
  caller. So a receiver must be quick (no network, no file work: record what to do, e.g. a
  row of its own outbox or a task enqueued with `transaction.on_commit`), and raise only when
  the change must not happen.
* **after-commit signals** (`exercice_closed`, and `money.payments.mandats_payes`) are sent by
  `transaction.on_commit` once the change is durable, for slow follow-ups.

The payloads carry ids, never model instances, so that a receiver of a 100 000-pièce run does
not hold 100 000 objects; `Piece.objects.filter(pk__in=piece_ids)` reads them back within the
same transaction. See docs/helios.md « Signaux d'Hélios ».
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.dispatch import Signal

# Sent after the transaction that closed an exercice commits: sender=Exercice, exercice=<Exercice>.
exercice_closed = Signal()

pieces_received = Signal()
"""Pièces have reached the ledger (state `recue`).

Sender: `Piece`. Sent by `reception.ingest` once per written batch of a bordereau (at most
`reception.BATCH` pièces, all of ONE bordereau; a bordereau of more pièces sends several), in
the bordereau's transaction, after its pièces, lines, PJ references and `FacturePiece` rows are
written. Also sent by `seed_volume` (`volume.seed`) once per bordereau chunk at the end of its
single transaction, with `lived=True`.

Keyword arguments:
  piece_ids: list[int] — the new pièces, ascending.
  collectivite_id: int
  domaine: str — `Domaine` value (« depense » mandats, « recette » titres).
  bordereau_id: int
  flux_id: int — the PES_Aller that carried them.
  lived: bool — False for a reception (every pièce is `recue`); True when the pièces arrive
      with their life already lived (the volume seed writes them in their final state and sends
      no `pieces_moved` for it): read each pièce's `etat` and dates.

The invoice numbers a mandat quotes are the `FacturePiece` rows of those pièces
(`FacturePiece.objects.filter(piece_id__in=piece_ids)`, one query).
"""

pieces_moved = Signal()
"""Pièces have changed state.

Sender: `Piece`. Sent by `states.transition` (one pièce: prise en charge, rejet, mise en
instance, and payment or recovery made one by one) and by `money.bulk.bulk_transition` (payment
runs, direct-debit settlements, bank statements: once per chunk of at most `bulk.BATCH`
pièces), inside the transaction that moves them, after the pièces and their `PieceEvent` rows
are written. Every change of `Piece.etat` outside the reception goes through one of these two.

Keyword arguments:
  piece_ids: list[int] — the pièces moved (read their collectivité from the rows).
  to: str — the `EtatPiece` reached.
  from_: str — the `EtatPiece` left (the expected state of a bulk move).
  domaine: str — `Domaine` value.
  day: datetime.date — the date of the change (date of prise en charge, rejet, payment…).
  actor: str — who made it (an e-mail, « passerelle », « helios »…).
  motif_code: str — for `rejetee` and `en_instance`: the motif codes, space-separated; else "".
  commentaire: str — the comptable's comment for a rejet / instance, or the note of an
      encaissement; "" otherwise.
  payments: dict[int, PaymentRef] — for `to == payee`: each paid pièce's payment run, date and
      EndToEndId (the `Paiement` rows are written before the signal); empty otherwise, and for
      a pièce marked paid by hand without a `Paiement` (then there is no reference).

For a recovery (`partielle`, `soldee`) the encaissements are
`Encaissement.objects.filter(piece_id__in=piece_ids)` (written before the signal).
"""


@dataclass(frozen=True)
class PaymentRef:
    """How a mandat was paid: the run (None for a payment recorded without a run), the date
    and the SEPA EndToEndId that the pain.001 and the creditor's bank statement carry."""

    run_id: int | None
    date: datetime.date
    reference: str
