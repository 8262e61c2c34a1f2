"""Chorus Pro access, mounted at /chorus/."""

from django.urls import path

from pigp.chorus import views, views_actions, views_structure

app_name = "chorus"

urlpatterns = [
    path("", views.index, name="index"),
    path("collectivites/<int:pk>/factures/", views.inbox_view, name="inbox"),
    path("collectivites/<int:pk>/factures/export.csv", views.inbox_csv, name="inbox_csv"),
    path(
        "collectivites/<int:pk>/factures/service-fait/",
        views_actions.service_fait_selection,
        name="service_fait_selection",
    ),
    path("collectivites/<int:pk>/structure/", views_structure.settings_page, name="structure"),
    path(
        "collectivites/<int:pk>/services/ajouter/",
        views_structure.service_edit,
        name="service_add",
    ),
    path(
        "collectivites/<int:pk>/services/<int:service_pk>/",
        views_structure.service_edit,
        name="service_edit",
    ),
    path("factures/<int:pk>/", views.facture, name="facture"),
    path("factures/<int:pk>/pdf/", views.facture_pdf, name="facture_pdf"),
    path("factures/<int:pk>/original/", views.facture_original, name="facture_original"),
    path("factures/<int:pk>/service-fait/", views_actions.service_fait, name="service_fait"),
    path("factures/<int:pk>/suspendre/", views_actions.suspendre, name="suspendre"),
    path("factures/<int:pk>/rejeter/", views_actions.rejeter, name="rejeter"),
    path("factures/<int:pk>/mandater/", views_actions.mandater, name="mandater"),
]
