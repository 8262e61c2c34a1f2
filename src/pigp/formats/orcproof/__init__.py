"""ORC's proof, free of Django: the canonical forms of journal entries and seals, a minimal
RFC 3161 client side, and the checker behind `pigp orc check-proof`."""

from .check import CheckResult, ProofUnreadable, check, load

__all__ = ["CheckResult", "ProofUnreadable", "check", "load"]
