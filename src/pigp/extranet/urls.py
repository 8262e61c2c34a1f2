"""The Extranet Hélios, mounted at /extranet/."""

from collections.abc import Callable

from django.http.response import HttpResponseBase
from django.urls import URLPattern, path

from pigp.extranet import views, views_alertes, views_balance, views_tresorerie

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
    *exports("collectivites/<int:pk>/paiements/", views.paiements_export, "paiements"),
    path("collectivites/<int:pk>/recouvrement/", views.recouvrement, name="recouvrement"),
    path("mandats/<int:pk>/", views.mandat, name="mandat"),
    path("tiers/<int:pk>/", views.tiers, name="tiers"),
    path("pj/<int:pk>/", views.pj, name="pj"),
    path("collectivites/<int:pk>/balance/", views_balance.balance, name="balance"),
    *exports("collectivites/<int:pk>/balance/", views_balance.balance_export, "balance"),
    path("collectivites/<int:pk>/tresorerie/", views_tresorerie.tresorerie, name="tresorerie"),
    *exports(
        "collectivites/<int:pk>/tresorerie/", views_tresorerie.tresorerie_export, "tresorerie"
    ),
    path("collectivites/<int:pk>/alertes/", views_alertes.alertes, name="alertes"),
    path(
        "collectivites/<int:pk>/alertes/<int:abonnement>/supprimer/",
        views_alertes.alerte_supprimer,
        name="alerte_supprimer",
    ),
]
