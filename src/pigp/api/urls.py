"""API routes: v1 of the passerelle, the OpenAPI schema and its documentation pages.

Every route is `login_not_required`: the portal's LoginRequiredMiddleware would redirect to the
login page, whereas an API answers 401/403 in JSON; DRF's permission classes decide instead.
"""

from collections.abc import Callable

from django.contrib.auth.decorators import login_not_required
from django.http.response import HttpResponseBase
from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from pigp.api import chorus_fournisseur, chorus_views, supervision, views

app_name = "api"


def _open(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    return login_not_required(view)


urlpatterns = [
    path("v1/flux/", _open(views.FluxListView.as_view()), name="flux-list"),
    path("v1/flux/<int:pk>/", _open(views.FluxDetailView.as_view()), name="flux-detail"),
    path(
        "v1/flux/<int:pk>/acquittement/",
        _open(views.FluxAcquitView.as_view()),
        name="flux-acquittement",
    ),
    path("v1/flux/<int:pk>/annuler/", _open(views.FluxCancelView.as_view()), name="flux-annuler"),
    path("v1/boite/", _open(views.MailboxListView.as_view()), name="boite-list"),
    path(
        "v1/boite/<int:pk>/fichier/", _open(views.MailboxFileView.as_view()), name="boite-fichier"
    ),
    path(
        "v1/boite/<int:pk>/acquitter/",
        _open(views.MailboxAcknowledgeView.as_view()),
        name="boite-acquitter",
    ),
    *[
        path(f"v1/chorus/{route}", _open(view.as_view()), name=name)
        for route, view, name in (
            ("factures-recues/", chorus_views.RecuesListView, "chorus-recues"),
            ("factures-recues/<int:pk>/", chorus_views.RecueDetailView, "chorus-recue"),
            (
                "factures-recues/<int:pk>/historique/",
                chorus_views.RecueHistoriqueView,
                "chorus-recue-historique",
            ),
            (
                "factures-recues/<int:pk>/statut/",
                chorus_views.RecueStatutView,
                "chorus-recue-statut",
            ),
            (
                "factures-recues/<int:pk>/original/",
                chorus_views.RecueOriginalView,
                "chorus-recue-original",
            ),
            ("factures-recues/<int:pk>/pdf/", chorus_views.RecuePdfView, "chorus-recue-pdf"),
            ("depots/", chorus_fournisseur.DepotView, "chorus-depot"),
            ("factures-emises/", chorus_fournisseur.EmisesListView, "chorus-emises"),
            ("factures-emises/<int:pk>/", chorus_fournisseur.EmiseDetailView, "chorus-emise"),
            (
                "factures-emises/<int:pk>/resoumettre/",
                chorus_fournisseur.ResoumettreView,
                "chorus-emise-resoumettre",
            ),
            (
                "factures-emises/<int:pk>/completer/",
                chorus_fournisseur.CompleterView,
                "chorus-emise-completer",
            ),
            (
                "factures-emises/<int:pk>/original/",
                chorus_fournisseur.EmiseOriginalView,
                "chorus-emise-original",
            ),
            ("factures-emises/<int:pk>/pdf/", chorus_fournisseur.EmisePdfView, "chorus-emise-pdf"),
        )
    ],
    path("v1/supervision/", _open(supervision.SupervisionView.as_view()), name="supervision"),
    # Public: the schema and its documentation describe the API, they give no access to data.
    # No ReDoc page: drf-spectacular's ReDoc template loads Google Fonts (an external origin).
    path("schema/", _open(SpectacularAPIView.as_view()), name="schema"),
    path("docs/", _open(SpectacularSwaggerSplitView.as_view(url_name="api:schema")), name="docs"),
    # Anything else under /api/ is a JSON 404, not the portal's HTML page (nor, under DEBUG,
    # Django's page listing the URL configuration). A path may hold a newline
    # ("/api/v1/flux/%0A/"), which "." does not match; "(?s)" would make the URL
    # configuration non-reversible.
    re_path(r"^[\s\S]*$", _open(views.NotFoundView.as_view()), name="not-found"),
]
