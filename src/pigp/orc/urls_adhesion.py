"""ORC routes of the early-destruction offer: adhesion, attestations, digitised paper PJ."""

from __future__ import annotations

from django.urls import URLPattern, path

from pigp.orc import views_adhesion as v

urlpatterns: list[URLPattern] = [
    path("<int:collectivite_pk>/adhesion/", v.adhesion_page, name="adhesion"),
    path(
        "<int:collectivite_pk>/adhesion/resilier/",
        v.adhesion_resilier,
        name="adhesion_resilier",
    ),
    path("adhesions/<int:pk>/convention.pdf", v.adhesion_convention, name="adhesion_convention"),
    path("pieces/<int:pk>/attestation/", v.attestation, name="attestation"),
    path("pieces/<int:pk>/attestation.json", v.attestation_json, name="attestation_json"),
    path("pieces/<int:pk>/attestation.pdf", v.attestation_pdf, name="attestation_pdf"),
    path("pieces/<int:pk>/numerisation/", v.numerisation_depot, name="numerisation"),
    path(
        "attestations/<int:pk>/",
        v.attestation_mensuelle,
        name="attestation_mensuelle",
    ),
    path(
        "attestations/<int:pk>.json",
        v.attestation_mensuelle_json,
        name="attestation_mensuelle_json",
    ),
    path(
        "attestations/<int:pk>.pdf",
        v.attestation_mensuelle_pdf,
        name="attestation_mensuelle_pdf",
    ),
]
