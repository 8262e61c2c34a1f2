"""ORC routes of one area (see urls.py): the proof report of an archive unit."""

from __future__ import annotations

from django.urls import URLPattern, path

from pigp.orc import views_preuve

urlpatterns: list[URLPattern] = [
    path("pieces/<int:pk>/preuve/", views_preuve.preuve, name="preuve"),
    path("pieces/<int:pk>/preuve.json", views_preuve.preuve_json, name="preuve_json"),
    path("pieces/<int:pk>/preuve.pdf", views_preuve.preuve_pdf, name="preuve_pdf"),
]
