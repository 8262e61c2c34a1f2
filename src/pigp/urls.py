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


def _handler404(request, exception):  # type: ignore[no-untyped-def]
    from django.views import defaults

    from pigp.api.errors import json_error_for_api

    return json_error_for_api(request, 404) or defaults.page_not_found(request, exception)


def _handler500(request):  # type: ignore[no-untyped-def]
    from django.views import defaults

    from pigp.api.errors import json_error_for_api

    return json_error_for_api(request, 500) or defaults.server_error(request)


# Under /api/ every answer is JSON, errors raised outside the API's views included.
handler404 = _handler404
handler500 = _handler500
