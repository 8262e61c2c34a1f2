"""The Extranet Hélios, mounted at /extranet/."""

from collections.abc import Callable

from django.http.response import HttpResponseBase
from django.urls import URLPattern, path

from pigp.extranet import views, views_recouvrement

app_name = "extranet"


def _exports(page: str, view: Callable[..., HttpResponseBase], name: str) -> list[URLPattern]:
    """The CSV and XLSX exports of a collectivité's list `page`, named `name`_csv and _xlsx."""
    return [
        path(
            f"collectivites/<int:pk>/{page}/export.{fmt}",
            view,
            {"fmt": fmt},
            name=f"{name}_{fmt}",
        )
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
    path("titres/<int:pk>/", views_recouvrement.titre, name="titre"),
    *_exports("recouvrement", views_recouvrement.recouvrement_export, "recouvrement"),
    path(
        "collectivites/<int:pk>/restes-a-recouvrer/",
        views_recouvrement.restes,
        name="restes",
    ),
    *_exports("restes-a-recouvrer", views_recouvrement.restes_export, "restes"),
]
