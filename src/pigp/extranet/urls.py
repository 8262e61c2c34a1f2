"""The Extranet Hélios, mounted at /extranet/."""

from django.urls import path

from pigp.extranet import views, views_tresorerie

app_name = "extranet"

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
    path(
        "collectivites/<int:pk>/tresorerie/export.csv",
        views_tresorerie.tresorerie_export,
        {"fmt": "csv"},
        name="tresorerie_csv",
    ),
    path(
        "collectivites/<int:pk>/tresorerie/export.xlsx",
        views_tresorerie.tresorerie_export,
        {"fmt": "xlsx"},
        name="tresorerie_xlsx",
    ),
]
