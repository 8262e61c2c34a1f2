"""The local administrator's pages for service accounts, mounted at /passerelle/comptes/."""

from django.urls import path

from pigp.passerelle.views import accounts

app_name = "passerelle_comptes"

urlpatterns = [
    path("", accounts.account_list, name="list"),
    path("<int:pk>/", accounts.account_detail, name="detail"),
    path("<int:pk>/jetons/", accounts.token_create, name="token_create"),
    path("<int:pk>/jetons/<int:token_pk>/revoquer/", accounts.token_revoke, name="token_revoke"),
    path("<int:pk>/revoquer/", accounts.account_revoke, name="revoke"),
    path("<int:pk>/cles/", accounts.account_key_add, name="key_add"),
    path("<int:pk>/cles/<int:key_pk>/supprimer/", accounts.account_key_remove, name="key_remove"),
    path("cles-ssh/", accounts.my_keys, name="my_keys"),
    path("cles-ssh/<int:key_pk>/supprimer/", accounts.my_key_remove, name="my_key_remove"),
]
