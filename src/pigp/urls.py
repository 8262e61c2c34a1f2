from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path

from pigp.ui import views as ui_views

admin.site.site_header = "Administration du portail de la gestion publique"
admin.site.site_title = "Administration PIGP"


@login_not_required
def admin_login(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        raise PermissionDenied(
            "L'administration du portail est réservée aux administrateurs nationaux."
        )
    target = request.GET.get("next", "")
    return redirect_to_login(
        target if target.startswith("/admin/") else "/admin/", login_url="portal:login"
    )


@login_not_required
def favicon(request: HttpRequest) -> HttpResponse:
    return HttpResponsePermanentRedirect(static("dsfr/dist/favicon/favicon.ico"))


# Error pages in French, in the portal's layout (JSON under /api/).
handler400 = ui_views.bad_request
handler403 = ui_views.permission_denied
handler404 = ui_views.page_not_found
handler500 = ui_views.server_error

urlpatterns = [
    # Browsers and feed readers ask for /favicon.ico whatever the page's links say.
    path("favicon.ico", favicon),
    # The admin signs in through the portal's login, which enforces the second factor; a
    # signed-in user who is not an administrator is told so (no loop back to the login).
    path("admin/login/", admin_login),
    path("admin/", admin.site.urls),
    path("passerelle/comptes/", include("pigp.passerelle.account_urls")),
    path("passerelle/", include("pigp.passerelle.urls")),
    path("api/", include("pigp.api.urls")),
    path("helios/", include("pigp.helios.urls")),
    path("extranet/", include("pigp.extranet.urls")),
    path("chorus/", include("pigp.chorus.urls")),
    path("orc/", include("pigp.orc.urls")),
    path("", include("pigp.portal.urls")),
]
