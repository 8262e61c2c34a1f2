"""Exception tree of the e-invoice library.

Reading and validating an invoice never raise for a bad invoice: they report findings. The
one exception a caller meets is :class:`InvoiceError`, for bytes that are no e-invoice at all.
"""

from __future__ import annotations


class InvoiceError(Exception):
    """The bytes are not an electronic invoice (UBL, CII or Factur-X); the message is French."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(
            f"Ce fichier n'est pas une facture électronique (UBL, CII ou Factur-X) : {detail}"
        )
