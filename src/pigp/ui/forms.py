"""The base form of every app, rendered with the State design system."""

from __future__ import annotations

from typing import Any

from django import forms
from dsfr.forms import DsfrBaseForm


class PortalForm(DsfrBaseForm):
    """DSFR form that marks optional fields (the DSFR recommendation) without warnings."""

    def get_context(self) -> dict[str, Any]:
        context = forms.Form.get_context(self)
        context["DSFR_MARK_OPTIONAL_FIELDS"] = True
        return context
