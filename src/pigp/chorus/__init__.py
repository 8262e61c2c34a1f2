"""Chorus Pro access: supplier e-invoices received, checked and processed by the collectivité."""
