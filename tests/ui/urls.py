"""The portal's URLs plus one view that fails, to see the 500 page (handlers come along)."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.urls import path

from pigp.urls import *  # noqa: F403
from pigp.urls import urlpatterns as portal_urlpatterns


@login_not_required
def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


urlpatterns = [path("test-boom/", boom), *portal_urlpatterns]
