"""The comptable's workbench, mounted at /helios/. Other Hélios pages have their own modules."""

from django.urls import path

from pigp.helios.views import workbench as views

app_name = "helios"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("collectivites/<int:pk>/", views.collectivite, name="collectivite"),
    path("bordereaux/<int:pk>/", views.bordereau, name="bordereau"),
    path("bordereaux/<int:pk>/actions/", views.bordereau_action, name="bordereau_action"),
    path(
        "bordereaux/<int:pk>/actions/<int:bulk_pk>/reprendre/",
        views.bordereau_action_reprendre,
        name="bordereau_action_reprendre",
    ),
    path("pieces/<int:pk>/", views.piece, name="piece"),
    path("pieces/<int:pk>/actions/", views.piece_action, name="piece_action"),
    path("pj/<int:pk>/", views.pj, name="pj"),
]
