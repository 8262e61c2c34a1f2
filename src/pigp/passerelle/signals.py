"""Signals the passerelle sends; other apps subscribe, the passerelle imports none of them."""

from django.dispatch import Signal

# Sent after commit when a PES_Aller has at least one accepted bordereau.
# kwargs: flux (Flux), bordereaux (tuple of pigp.formats.pes.BordereauSummary), report (Report)
flux_accepted = Signal()
