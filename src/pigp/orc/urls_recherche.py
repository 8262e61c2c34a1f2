"""ORC routes of one area (see urls.py): search and consultation."""

from __future__ import annotations

from django.urls import URLPattern, path

from pigp.orc import views

urlpatterns: list[URLPattern] = [
    path("", views.recherche, name="recherche"),
    path("pieces/<int:pk>/", views.piece, name="piece"),
    path("documents/<int:pk>/", views.document, name="document"),
    path("documents/<int:pk>/telecharger/", views.telecharger, name="telecharger"),
]
