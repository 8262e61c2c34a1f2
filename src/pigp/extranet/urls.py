"""The Extranet Hélios, mounted at /extranet/."""

from django.urls import path

from pigp.extranet import views, views_alertes, views_balance

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
    path("collectivites/<int:pk>/balance/", views_balance.balance, name="balance"),
    *(
        path(
            f"collectivites/<int:pk>/balance/export.{fmt}",
            views_balance.balance_export,
            {"fmt": fmt},
            name=f"balance_{fmt}",
        )
        for fmt in ("csv", "xlsx")
    ),
    path("collectivites/<int:pk>/alertes/", views_alertes.alertes, name="alertes"),
    path(
        "collectivites/<int:pk>/alertes/<int:abonnement>/supprimer/",
        views_alertes.alerte_supprimer,
        name="alerte_supprimer",
    ),
]
