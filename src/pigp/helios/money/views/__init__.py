"""Payments, recovery, statements and treasury pages."""
