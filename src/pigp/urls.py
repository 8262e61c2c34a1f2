from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

admin.site.site_header = "Administration du portail de la gestion publique"
admin.site.site_title = "Administration PIGP"

urlpatterns = [
    # The admin signs in through the portal's login, which enforces the second factor.
    path(
        "admin/login/",
        RedirectView.as_view(url="/connexion/?next=/admin/", permanent=False),
    ),
    path("admin/", admin.site.urls),
    path("passerelle/comptes/", include("pigp.passerelle.account_urls")),
    path("passerelle/", include("pigp.passerelle.urls")),
    path("api/", include("pigp.api.urls")),
    path("helios/", include("pigp.helios.urls")),
    path("helios/", include("pigp.helios.urls_retour")),
    path("helios/", include("pigp.helios.urls_money")),
    path("", include("pigp.portal.urls")),
]
