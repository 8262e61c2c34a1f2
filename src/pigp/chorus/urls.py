"""Chorus Pro access, mounted at /chorus/."""

from django.urls import path

from pigp.chorus import (
    views,
    views_actions,
    views_fournisseur,
    views_fournisseur_compte,
    views_structure,
)

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
    # The supplier's side (registration is public; the rest for a confirmed supplier account).
    path(
        "fournisseur/inscription/",
        views_fournisseur_compte.inscription,
        name="inscription",
    ),
    path(
        "fournisseur/inscription/envoyee/",
        views_fournisseur_compte.inscription_envoyee,
        name="inscription_envoyee",
    ),
    path(
        "fournisseur/inscription/confirmer/<str:token>/",
        views_fournisseur_compte.inscription_confirmer,
        name="inscription_confirmer",
    ),
    path("fournisseur/", views_fournisseur.deposer, name="fournisseur_depot"),
    path("fournisseur/factures/", views_fournisseur.factures, name="fournisseur_factures"),
    path(
        "fournisseur/factures/<int:pk>/",
        views_fournisseur.facture,
        name="fournisseur_facture",
    ),
    path(
        "fournisseur/factures/<int:pk>/resoumettre/",
        views_fournisseur.resoumettre,
        name="fournisseur_resoumettre",
    ),
    path(
        "fournisseur/factures/<int:pk>/completer/",
        views_fournisseur.completer,
        name="fournisseur_completer",
    ),
    path("fournisseur/depots/", views_fournisseur.depots, name="fournisseur_depots"),
    path(
        "fournisseur/depots/<int:pk>/",
        views_fournisseur.depot_detail,
        name="fournisseur_depot_detail",
    ),
    path(
        "fournisseur/depots/<int:pk>/fichier/",
        views_fournisseur.depot_fichier,
        name="fournisseur_depot_fichier",
    ),
    path("fournisseur/jetons/", views_fournisseur_compte.jetons, name="fournisseur_jetons"),
    path(
        "fournisseur/jetons/<int:pk>/revoquer/",
        views_fournisseur_compte.jeton_revoquer,
        name="fournisseur_jeton_revoquer",
    ),
]
