"""What the payment, recovery and treasury pages share: the poste's collectivités, the
collectivité filter and XML downloads (objects are looked up by ``pigp.helios.access``).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, Http404

from pigp.core import files
from pigp.core.http import AuthenticatedHttpRequest
from pigp.core.models import Collectivite, User
from pigp.helios.access import collectivites_for_agent, get_collectivite_for_agent
from pigp.helios.models import PaymentRun, PrelevementRun
from pigp.helios.money.forms import CollectiviteFilterForm

PAGE_SIZE = 50


def collectivite_choices(user: User) -> list[tuple[int, str]]:
    return list(collectivites_for_agent(user).order_by("nom").values_list("pk", "nom"))


def collectivite_filter(
    request: AuthenticatedHttpRequest,
) -> tuple[CollectiviteFilterForm, int | None, QuerySet[Collectivite]]:
    """The filter form, the collectivité it selects (or None), and the poste's collectivités
    narrowed to it."""
    choices = collectivite_choices(request.user)
    form = CollectiviteFilterForm(request.GET or None, collectivites=choices, prefix="f")
    selected = None
    if form.is_bound and form.is_valid():
        selected = form.cleaned_data["collectivite"] or None
    colls = collectivites_for_agent(request.user)
    if selected:
        colls = colls.filter(pk=selected)
    return form, selected, colls


def check_posted_collectivite(
    request: AuthenticatedHttpRequest, field: str, data: Any = None
) -> None:
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


def download_run_file(
    run: PaymentRun | PrelevementRun, kind: str, day: datetime.date
) -> FileResponse:
    """A run's SEPA file, named after its kind, collectivité, date and number."""
    return download_xml(run.fichier, f"{kind}_{run.collectivite.siret}_{day:%Y%m%d}_{run.pk}.xml")
