"""Hélios' money side: payment runs (pain.001), recovery of titres, direct debits (pain.008),
bank statements (camt.053 / camt.054) and their reconciliation, and the treasury.

Its models live with the others in `pigp.helios.models`; its pages are mounted by
`pigp.helios.urls` (namespace "helios_money")."""
