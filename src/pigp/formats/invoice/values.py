"""Small typed readers shared by the UBL and CII extractors."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree


class Reader:
    """XPath reads under one element with a fixed namespace map."""

    def __init__(self, namespaces: dict[str, str]) -> None:
        self.ns = namespaces

    def all(self, node: etree._Element | None, path: str) -> list[etree._Element]:
        if node is None:
            return []
        found = node.xpath(path, namespaces=self.ns)
        return (
            [e for e in found if isinstance(e, etree._Element)] if isinstance(found, list) else []
        )

    def one(self, node: etree._Element | None, path: str) -> etree._Element | None:
        found = self.all(node, path)
        return found[0] if found else None

    def text(self, node: etree._Element | None, path: str) -> str | None:
        element = self.one(node, path)
        if element is None or element.text is None:
            return None
        value = " ".join(element.text.split())
        return value or None

    def attr(self, node: etree._Element | None, path: str, name: str) -> str | None:
        element = self.one(node, path)
        if element is None:
            return None
        value = element.get(name)
        return value.strip() if value else None

    def decimal(self, node: etree._Element | None, path: str) -> Decimal | None:
        return to_decimal(self.text(node, path))

    def identity(
        self, node: etree._Element, legal_path: str, others_path: str
    ) -> tuple[str | None, str | None, str | None, str | None]:
        """(SIRET, SIREN, scheme, legal id) of a party: from its legal registration (BT-30),
        completed by its other identifiers (BT-29): a SIRET there counts when it belongs to
        the legal SIREN (a company registered by SIREN names its establishment by SIRET)."""
        legal = self.one(node, legal_path)
        legal_id = self.text(node, legal_path)
        scheme = legal.get("schemeID") if legal is not None else None
        siret, siren = siret_siren(scheme, legal_id)
        if siret is None:
            for identification in self.all(node, others_path):
                other_siret, other_siren = siret_siren(
                    identification.get("schemeID"), identification.text
                )
                if other_siret and (siren is None or other_siret.startswith(siren)):
                    siret, siren = other_siret, siren or other_siren
                    break
                if siren is None and other_siren:
                    siren = other_siren
        return siret, siren, scheme, legal_id


def to_decimal(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def iso_date(text: str | None) -> date | None:
    """A date written YYYY-MM-DD (UBL), None when absent or malformed."""
    try:
        return date.fromisoformat(text.strip()) if text else None
    except ValueError:
        return None


def compact_date(text: str | None) -> date | None:
    """A date written YYYYMMDD (CII format 102), None when absent or malformed."""
    value = (text or "").strip()
    if len(value) != 8 or not value.isdigit():
        return None
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return None


def siret_siren(scheme: str | None, identifier: str | None) -> tuple[str | None, str | None]:
    """(SIRET, SIREN) from a legal id and its ISO 6523 scheme (0009 SIRET, 0002 SIREN)."""
    digits = (identifier or "").replace(" ", "")
    if not digits.isdigit():
        return None, None
    if scheme == "0009" and len(digits) == 14:
        return digits, digits[:9]
    if scheme == "0002" and len(digits) == 9:
        return None, digits
    return None, None
