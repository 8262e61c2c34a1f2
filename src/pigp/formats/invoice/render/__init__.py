"""Readable renderings of an e-invoice, so that a recipient never reads raw XML.

:func:`to_html` and :func:`to_pdf` take the extracted :class:`~..model.Invoice` (from
:func:`~..api.read` or :func:`~..api.validate`), whatever the syntax it came from: UBL, CII or
the XML inside a Factur-X PDF. Both are in French and show the same content.
"""

from __future__ import annotations

from .html import to_html
from .pdf import to_pdf

__all__ = ["to_html", "to_pdf"]
