"""The Extranet Hélios, mounted at /extranet/."""

from collections.abc import Callable

from django.http.response import HttpResponseBase
from django.urls import URLPattern, path

from pigp.extranet import views, views_alertes, views_balance, views_recouvrement, views_tresorerie

app_name = "extranet"


def exports(page: str, view: Callable[..., HttpResponseBase], name: str) -> list[URLPattern]:
    """The CSV and XLSX exports of a collectivité's list `page`, named `name`_csv and _xlsx."""
    return [
        path(
            f"collectivites/<int:pk>/{page}/export.{fmt}", view, {"fmt": fmt}, name=f"{name}_{fmt}"
        )
        for fmt in ("csv", "xlsx")
    ]


urlpatterns = [
    path("", views.index, name="index"),
    path("collectivites/<int:pk>/", views.tableau_de_bord, name="tableau_de_bord"),
    path("collectivites/<int:pk>/paiements/", views.paiements, name="paiements"),
    *exports("paiements", views.paiements_export, "paiements"),
    path("collectivites/<int:pk>/recouvrement/", views.recouvrement, name="recouvrement"),
    *exports("recouvrement", views_recouvrement.recouvrement_export, "recouvrement"),
    path("collectivites/<int:pk>/restes-a-recouvrer/", views_recouvrement.restes, name="restes"),
    *exports("restes-a-recouvrer", views_recouvrement.restes_export, "restes"),
    path("collectivites/<int:pk>/tresorerie/", views_tresorerie.tresorerie, name="tresorerie"),
    *exports("tresorerie", views_tresorerie.tresorerie_export, "tresorerie"),
    path("collectivites/<int:pk>/balance/", views_balance.balance, name="balance"),
    *exports("balance", views_balance.balance_export, "balance"),
    path("collectivites/<int:pk>/alertes/", views_alertes.alertes, name="alertes"),
    path(
        "collectivites/<int:pk>/alertes/<int:abonnement>/supprimer/",
        views_alertes.alerte_supprimer,
        name="alerte_supprimer",
    ),
    path("mandats/<int:pk>/", views.mandat, name="mandat"),
    path("titres/<int:pk>/", views_recouvrement.titre, name="titre"),
    path("tiers/<int:pk>/", views.tiers, name="tiers"),
    path("pj/<int:pk>/", views.pj, name="pj"),
]
