from django.urls import path

from pigp.portal.views import administration, auth, habilitations, home

app_name = "portal"

urlpatterns = [
    path("", home.home, name="home"),
    path("connexion/", auth.LoginView.as_view(), name="login"),
    path("deconnexion/", auth.LogoutView.as_view(), name="logout"),
    path("mot-de-passe/oublie/", auth.ResetView.as_view(), name="password_reset"),
    path("mot-de-passe/envoye/", auth.ResetDoneView.as_view(), name="password_reset_done"),
    path(
        "mot-de-passe/nouveau/<uidb64>/<token>/",
        auth.ResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("mot-de-passe/modifie/", auth.ResetCompleteView.as_view(), name="password_reset_complete"),
    path("securite/double-authentification/", auth.otp_setup, name="otp_setup"),
    path("securite/verification/", auth.otp_verify, name="otp_verify"),
    path("compte/", home.account, name="account"),
    path("collectivite/choisir/", home.switch_collectivite, name="switch_collectivite"),
    path(
        "applications/<str:application>/<int:collectivite_pk>/",
        home.application_entry,
        name="application",
    ),
    path("habilitations/demander/", habilitations.request_access, name="request_access"),
    path("comptable/demandes/", habilitations.comptable_demandes, name="comptable_demandes"),
    path(
        "comptable/habilitations/",
        habilitations.comptable_habilitations,
        name="comptable_habilitations",
    ),
    path(
        "comptable/habilitations/<int:pk>/<str:decision>/",
        habilitations.decide,
        name="comptable_decide",
    ),
    path("administration/import/", administration.import_csv, name="import_csv"),
    path("accessibilite/", home.accessibilite, name="accessibilite"),
    path("mentions-legales/", home.mentions, name="mentions"),
]
