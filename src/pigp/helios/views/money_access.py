"""What the payment, recovery and treasury pages share: the poste's collectivités, the
collectivité filter and XML downloads (objects are looked up by ``pigp.helios.access``).
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404, HttpRequest

from pigp.core import files
from pigp.core.models import User
from pigp.helios.access import collectivites_for_agent, get_collectivite_for_agent
from pigp.helios.forms_money import CollectiviteFilterForm

PAGE_SIZE = 50


def collectivite_choices(user: User) -> list[tuple[int, str]]:
    return list(collectivites_for_agent(user).order_by("nom").values_list("pk", "nom"))


def collectivite_filter(request: HttpRequest) -> tuple[CollectiviteFilterForm, int | None]:
    choices = collectivite_choices(request.user)
    form = CollectiviteFilterForm(request.GET or None, collectivites=choices, prefix="f")
    selected = None
    if form.is_bound and form.is_valid():
        selected = form.cleaned_data["collectivite"] or None
    return form, selected


def check_posted_collectivite(request: HttpRequest, field: str, data: Any = None) -> None:
    """A collectivité outside the poste named in a POST (or `data`) is a 404, as everywhere
    else."""
    value = (request.POST if data is None else data).get(field, "")
    if value.strip().isdigit():
        get_collectivite_for_agent(request.user, int(value))


def download_xml(stored: Any, name: str) -> FileResponse:
    if stored is None:
        raise Http404("Fichier introuvable.")
    return FileResponse(
        files.open_stored(stored),
        as_attachment=True,
        filename=name,
        content_type="application/xml",
    )
