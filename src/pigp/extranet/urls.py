"""The Extranet Hélios, mounted at /extranet/."""

from collections.abc import Callable

from django.http.response import HttpResponseBase
from django.urls import URLPattern, path

from pigp.extranet import views, views_tresorerie

app_name = "extranet"


def exports(route: str, view: Callable[..., HttpResponseBase], name: str) -> list[URLPattern]:
    """A list's CSV and XLSX exports, `<name>_csv` and `<name>_xlsx`, at `<route>export.<fmt>`."""
    return [
        path(f"{route}export.{fmt}", view, {"fmt": fmt}, name=f"{name}_{fmt}")
        for fmt in ("csv", "xlsx")
    ]


urlpatterns = [
    path("", views.index, name="index"),
    path("collectivites/<int:pk>/", views.tableau_de_bord, name="tableau_de_bord"),
    path("collectivites/<int:pk>/paiements/", views.paiements, name="paiements"),
    path(
        "collectivites/<int:pk>/paiements/export.csv",
        views.paiements_export,
        {"fmt": "csv"},
        name="paiements_csv",
    ),
    path(
        "collectivites/<int:pk>/paiements/export.xlsx",
        views.paiements_export,
        {"fmt": "xlsx"},
        name="paiements_xlsx",
    ),
    path("collectivites/<int:pk>/recouvrement/", views.recouvrement, name="recouvrement"),
    path("mandats/<int:pk>/", views.mandat, name="mandat"),
    path("tiers/<int:pk>/", views.tiers, name="tiers"),
    path("pj/<int:pk>/", views.pj, name="pj"),
    path("collectivites/<int:pk>/tresorerie/", views_tresorerie.tresorerie, name="tresorerie"),
    *exports(
        "collectivites/<int:pk>/tresorerie/", views_tresorerie.tresorerie_export, "tresorerie"
    ),
]
