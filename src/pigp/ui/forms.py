"""The base form of every app, rendered with the State design system."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from dsfr.forms import DsfrBaseForm


class PortalForm(DsfrBaseForm):
    """DSFR form that marks optional fields (the DSFR recommendation) without warnings."""

    def get_context(self) -> dict[str, Any]:
        context = forms.Form.get_context(self)
        context["DSFR_MARK_OPTIONAL_FIELDS"] = True
        return context


class DateInput(forms.DateInput):
    """The browser's date picker; the value sent as ISO (« 2026-03-31 »)."""

    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class AmountField(forms.DecimalField):
    """An optional amount as the French write it: « 1 234,56 »."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            max_digits=16, decimal_places=2, min_value=Decimal(0), required=False, **kwargs
        )
        self.widget = forms.TextInput(attrs={"inputmode": "decimal"})

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]  # stubs: an IntegerField
        if isinstance(value, str):
            value = re.sub(r"[\s\u00a0\u202f€]", "", value).replace(",", ".")
        return super().to_python(value)


def date_field(label: str) -> forms.DateField:
    """An optional date, typed ISO (the date picker) or French (« 31/03/2026 »)."""
    return forms.DateField(
        label=label, required=False, widget=DateInput(), input_formats=["%Y-%m-%d", "%d/%m/%Y"]
    )
