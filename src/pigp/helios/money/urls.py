"""Payments, recovery and treasury pages (namespace "helios_money"), included by `pigp.helios.urls`."""

from django.urls import path

from pigp.helios.money.views import payments, recovery, statements, treasury

app_name = "helios_money"

urlpatterns = [
    path("paiements/", payments.paiements, name="paiements"),
    path("paiements/apercu/", payments.paiements_apercu, name="paiements_apercu"),
    path("paiements/lancer/", payments.paiements_lancer, name="paiements_lancer"),
    path("paiements/<int:pk>/", statements.campagne, name="campagne"),
    path("paiements/<int:pk>/fichier/", payments.paiement_fichier, name="paiement_fichier"),
    path("recouvrement/", recovery.recouvrement, name="recouvrement"),
    path("recouvrement/titres/<int:pk>/", recovery.titre, name="titre"),
    path(
        "recouvrement/titres/<int:pk>/encaissement/",
        recovery.titre_encaissement,
        name="titre_encaissement",
    ),
    path("recouvrement/titres/<int:pk>/stade/", recovery.titre_stade, name="titre_stade"),
    path("recouvrement/releves/", recovery.releve_importer, name="releve_importer"),
    path("recouvrement/releves/<int:pk>/", statements.releve, name="releve"),
    path("recouvrement/releves/debits/<int:pk>/", statements.debit, name="debit"),
    path("recouvrement/lignes/", recovery.lignes, name="lignes"),
    path("recouvrement/lignes/<int:pk>/", recovery.ligne, name="ligne"),
    path("recouvrement/prelevements/", recovery.prelevements_lancer, name="prelevements_lancer"),
    path(
        "recouvrement/prelevements/<int:pk>/fichier/",
        recovery.prelevement_fichier,
        name="prelevement_fichier",
    ),
    path(
        "recouvrement/prelevements/<int:pk>/regle/",
        recovery.prelevement_regle,
        name="prelevement_regle",
    ),
    path("tresorerie/", treasury.tresorerie, name="tresorerie"),
    path("tresorerie/compte/", treasury.compte, name="compte"),
    path("tresorerie/export.csv", treasury.tresorerie_csv, name="tresorerie_csv"),
    path(
        "tresorerie/<int:budget_pk>/<int:annee>/solde/",
        treasury.tresorerie_solde,
        name="tresorerie_solde",
    ),
]
