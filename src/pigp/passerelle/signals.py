"""Signals the passerelle sends; other apps subscribe, the passerelle imports none of them."""

from django.dispatch import Signal

# Sent INSIDE the transaction that records the acknowledgement of a PES_Aller with at least one
# accepted bordereau (the flow is then « en attente d'intégration »): a receiver that enqueues
# a task with the database backend writes its row in that transaction, so both commit or
# neither does. kwargs: flux (Flux), bordereaux (tuple of pigp.formats.pes.BordereauSummary),
# report (Report)
flux_accepted = Signal()

# Sent, inside a transaction, when an acknowledged flow is still not in the ledger: the
# worker's sweep found it pending past its due time (its task was lost, or its worker died),
# or an operator relaunched a failed integration. kwargs: flux (Flux)
flux_integration_due = Signal()

# Sent by pigp_worker at start-up (startup=True) and at each periodic sweep (startup=False),
# so that every app hands back the work a dead worker left, without the worker importing it.
# A receiver returns a French line to print, or "" when it found nothing.
worker_sweep = Signal()
