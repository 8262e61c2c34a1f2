"""ORC's pages, one module of routes per area: search and consultation, proof and seals,
the early-destruction offer, retention and elimination."""

from __future__ import annotations

from pigp.orc import urls_adhesion, urls_elimination, urls_preuve, urls_recherche

app_name = "orc"

urlpatterns = [
    *urls_recherche.urlpatterns,
    *urls_preuve.urlpatterns,
    *urls_adhesion.urlpatterns,
    *urls_elimination.urlpatterns,
]
