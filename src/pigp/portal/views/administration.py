"""Pages for national administrators (besides the Django admin)."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from pigp.core.http import AuthenticatedHttpRequest
from pigp.core.imports import COLUMNS, import_collectivites
from pigp.portal.forms import CsvImportForm

MAX_UPLOAD = 20 * 1024 * 1024


@require_http_methods(["GET", "POST"])
def import_csv(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not request.user.is_national_admin:
        raise Http404("Page introuvable.")
    if request.method == "POST":
        # Bound even without a file, so that the missing file is reported.
        form = CsvImportForm(request.POST, request.FILES)
    else:
        form = CsvImportForm()
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["fichier"]
        if upload.size > MAX_UPLOAD:
            form.add_error("fichier", "Le fichier dépasse 20 Mo.")
        else:
            result = import_collectivites(upload.read(), actor=request.user)
    return render(
        request,
        "portal/import.html",
        {
            "title": "Importer des collectivités et budgets",
            "form": form,
            "result": result,
            "columns": ";".join(COLUMNS),
        },
    )
