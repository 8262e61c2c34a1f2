"""Payments, recovery and treasury pages, mounted at /helios/ (namespace "helios_money")."""

from django.urls import path

from pigp.helios.views import money as views

app_name = "helios_money"

urlpatterns = [
    path("paiements/", views.paiements, name="paiements"),
    path("paiements/lancer/", views.paiements_lancer, name="paiements_lancer"),
    path("paiements/<int:pk>/fichier/", views.paiement_fichier, name="paiement_fichier"),
    path("recouvrement/", views.recouvrement, name="recouvrement"),
    path("recouvrement/titres/<int:pk>/", views.titre, name="titre"),
    path(
        "recouvrement/titres/<int:pk>/encaissement/",
        views.titre_encaissement,
        name="titre_encaissement",
    ),
    path("recouvrement/titres/<int:pk>/stade/", views.titre_stade, name="titre_stade"),
    path("recouvrement/releves/", views.releve_importer, name="releve_importer"),
    path("recouvrement/lignes/", views.lignes, name="lignes"),
    path("recouvrement/lignes/<int:pk>/", views.ligne, name="ligne"),
    path("recouvrement/prelevements/", views.prelevements_lancer, name="prelevements_lancer"),
    path(
        "recouvrement/prelevements/<int:pk>/fichier/",
        views.prelevement_fichier,
        name="prelevement_fichier",
    ),
    path(
        "recouvrement/prelevements/<int:pk>/regle/",
        views.prelevement_regle,
        name="prelevement_regle",
    ),
    path("tresorerie/", views.tresorerie, name="tresorerie"),
    path("tresorerie/compte/", views.compte, name="compte"),
    path("tresorerie/export.csv", views.tresorerie_csv, name="tresorerie_csv"),
    path(
        "tresorerie/<int:budget_pk>/<int:annee>/solde/",
        views.tresorerie_solde,
        name="tresorerie_solde",
    ),
]
