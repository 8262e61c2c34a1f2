"""The Extranet Hélios, mounted at /extranet/."""

from collections.abc import Callable

from django.http.response import HttpResponseBase
from django.urls import URLPattern, path

from pigp.extranet import (
    views,
    views_alertes,
    views_balance,
    views_exports,
    views_recouvrement,
    views_tresorerie,
)

app_name = "extranet"


def exports(page: str, name: str) -> list[URLPattern]:
    """The CSV and XLSX exports of a collectivité's list at `page`, named `name`_csv and _xlsx;
    `name` is the list's key in `export_lists.LISTS` (a `ListeExport` value)."""
    view: Callable[..., HttpResponseBase] = views_exports.export
    return [
        path(
            f"collectivites/<int:pk>/{page}/export.{fmt}",
            view,
            {"fmt": fmt, "page": name},
            name=f"{name}_{fmt}",
        )
        for fmt in ("csv", "xlsx")
    ]


urlpatterns = [
    path("", views.index, name="index"),
    path("collectivites/<int:pk>/", views.tableau_de_bord, name="tableau_de_bord"),
    path("collectivites/<int:pk>/paiements/", views.paiements, name="paiements"),
    *exports("paiements", "paiements"),
    path("collectivites/<int:pk>/recouvrement/", views.recouvrement, name="recouvrement"),
    *exports("recouvrement", "recouvrement"),
    path("collectivites/<int:pk>/restes-a-recouvrer/", views_recouvrement.restes, name="restes"),
    *exports("restes-a-recouvrer", "restes"),
    path("collectivites/<int:pk>/tresorerie/", views_tresorerie.tresorerie, name="tresorerie"),
    *exports("tresorerie", "tresorerie"),
    path("collectivites/<int:pk>/balance/", views_balance.balance, name="balance"),
    *exports("balance", "balance"),
    path("collectivites/<int:pk>/alertes/", views_alertes.alertes, name="alertes"),
    path(
        "collectivites/<int:pk>/alertes/<int:abonnement>/supprimer/",
        views_alertes.alerte_supprimer,
        name="alerte_supprimer",
    ),
    path("collectivites/<int:pk>/mes-exports/", views_exports.mes_exports, name="mes_exports"),
    path("exports/<int:pk>/fichier/", views_exports.export_fichier, name="export_fichier"),
    path("mandats/<int:pk>/", views.mandat, name="mandat"),
    path("titres/<int:pk>/", views_recouvrement.titre, name="titre"),
    path("tiers/<int:pk>/", views.tiers, name="tiers"),
    path("pj/<int:pk>/", views.pj, name="pj"),
]
