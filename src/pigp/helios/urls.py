"""Hélios' pages, mounted at /helios/: the comptable's workbench (namespace "helios"), PES_Retour
and clôture ("helios_retour"), and the money side ("helios_money", in `pigp.helios.money.urls`)."""

from django.urls import include, path

from pigp.helios.views import retour, workbench

workbench_patterns = [
    path("", workbench.queue, name="queue"),
    path("collectivites/<int:pk>/", workbench.collectivite, name="collectivite"),
    path("bordereaux/<int:pk>/", workbench.bordereau, name="bordereau"),
    path("bordereaux/<int:pk>/actions/", workbench.bordereau_action, name="bordereau_action"),
    path(
        "bordereaux/<int:pk>/actions/<int:bulk_pk>/reprendre/",
        workbench.bordereau_action_reprendre,
        name="bordereau_action_reprendre",
    ),
    path("pieces/<int:pk>/", workbench.piece, name="piece"),
    path("pieces/<int:pk>/actions/", workbench.piece_action, name="piece_action"),
    path("pj/<int:pk>/", workbench.pj, name="pj"),
]

retour_patterns = [
    path("retours/", retour.retour_list, name="list"),
    path("retours/<int:pk>/telecharger/", retour.retour_download, name="download"),
    path("retours/collectivites/<int:pk>/generer/", retour.retour_generate, name="generate"),
    path("cloture/", retour.cloture_list, name="cloture"),
    path("cloture/<int:pk>/", retour.cloture_confirm, name="cloture_confirm"),
]

urlpatterns = [
    path("", include((workbench_patterns, "helios"))),
    path("", include((retour_patterns, "helios_retour"))),
    path("", include("pigp.helios.money.urls")),
]
