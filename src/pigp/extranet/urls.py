"""The Extranet Hélios, mounted at /extranet/."""

from django.urls import path

from pigp.extranet import views, views_recouvrement

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
    path("titres/<int:pk>/", views_recouvrement.titre, name="titre"),
    *(
        path(
            f"collectivites/<int:pk>/recouvrement/export.{fmt}",
            views_recouvrement.recouvrement_export,
            {"fmt": fmt},
            name=f"recouvrement_{fmt}",
        )
        for fmt in ("csv", "xlsx")
    ),
    path(
        "collectivites/<int:pk>/restes-a-recouvrer/",
        views_recouvrement.restes,
        name="restes",
    ),
    *(
        path(
            f"collectivites/<int:pk>/restes-a-recouvrer/export.{fmt}",
            views_recouvrement.restes_export,
            {"fmt": fmt},
            name=f"restes_{fmt}",
        )
        for fmt in ("csv", "xlsx")
    ),
]
