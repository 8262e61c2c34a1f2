"""Signals Hélios sends to the apps that build on it (ORC, Chorus)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after the transaction that closed an exercice commits: sender=Exercice, exercice=<Exercice>.
exercice_closed = Signal()
