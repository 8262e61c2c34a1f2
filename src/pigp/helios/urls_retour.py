"""PES_Retour and clôture pages, mounted under /helios/ (namespace "helios_retour")."""

from django.urls import path

from pigp.helios.views import retour as views

app_name = "helios_retour"

urlpatterns = [
    path("retours/", views.retour_list, name="list"),
    path("retours/<int:pk>/telecharger/", views.retour_download, name="download"),
    path("retours/collectivites/<int:pk>/generer/", views.retour_generate, name="generate"),
    path("cloture/", views.cloture_list, name="cloture"),
    path("cloture/<int:pk>/", views.cloture_confirm, name="cloture_confirm"),
]
