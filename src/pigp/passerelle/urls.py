from django.urls import path

from pigp.passerelle.views import deposit, flux, home, mailbox, preferences, supervision

app_name = "passerelle"

urlpatterns = [
    path("", home.index, name="index"),
    path("<int:coll_pk>/", home.collectivite_home, name="home"),
    path("<int:coll_pk>/deposer/", deposit.deposit, name="deposit"),
    path("<int:coll_pk>/deposer/fichier/", deposit.deposit_file, name="deposit_file"),
    path("<int:coll_pk>/flux/", flux.flux_list, name="flux_list"),
    path("<int:coll_pk>/boite/", mailbox.mailbox_list, name="mailbox"),
    path("flux/", flux.flux_list_all, name="flux_all"),
    path("flux/<int:pk>/", flux.flux_detail, name="flux"),
    path("flux/<int:pk>/statut/", deposit.flux_status, name="flux_status"),
    path("flux/<int:pk>/original/", flux.flux_original, name="flux_original"),
    path("flux/<int:pk>/acquittement/", flux.flux_acquit, name="flux_acquit"),
    path("flux/<int:pk>/annuler/", flux.flux_cancel, name="flux_cancel"),
    path("boite/<int:pk>/", mailbox.mailbox_item, name="mailbox_item"),
    path("boite/<int:pk>/telecharger/", mailbox.mailbox_download, name="mailbox_download"),
    path("supervision/", supervision.supervision, name="supervision"),
    path("preferences/", preferences.preferences, name="preferences"),
]
