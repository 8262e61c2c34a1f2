"""ORC routes of retention, elimination and SEDA transfers (see urls.py)."""

from __future__ import annotations

from django.urls import URLPattern, path

from pigp.orc import views_elimination as views

urlpatterns: list[URLPattern] = [
    path("eliminations/", views.eliminations, name="eliminations"),
    path(
        "eliminations/collectivite/<int:pk>/",
        views.elimination_eligibles,
        name="elimination_eligibles",
    ),
    path("eliminations/<int:pk>/", views.elimination_detail, name="elimination"),
    path(
        "eliminations/<int:pk>/approuver/",
        views.elimination_approuver,
        name="elimination_approuver",
    ),
    path("eliminations/<int:pk>/viser/", views.elimination_viser, name="elimination_viser"),
    path("eliminations/<int:pk>/refuser/", views.elimination_refuser, name="elimination_refuser"),
    path(
        "eliminations/<int:pk>/executer/", views.elimination_executer, name="elimination_executer"
    ),
    path("eliminations/<int:pk>/bordereau.csv", views.elimination_csv, name="elimination_csv"),
    path("eliminations/<int:pk>/bordereau.pdf", views.elimination_pdf, name="elimination_pdf"),
    path("gel/piece/<int:pk>/", views.gel, name="gel"),
    path("transferts/collectivite/<int:pk>/", views.transferts, name="transferts"),
    path("transferts/<int:pk>/", views.transfert, name="transfert"),
    path("transferts/<int:pk>/paquet/", views.transfert_paquet, name="transfert_paquet"),
    path("transferts/<int:pk>/reponse/", views.transfert_reponse, name="transfert_reponse"),
]
