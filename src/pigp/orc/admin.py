"""ORC's settings in the admin: the retention rules (data, per kind of document) and the public
archives services with their agents. Archived objects, units, seals and eliminations are never
edited here: they change only through ORC's services, which journal every change."""

from __future__ import annotations

from django.contrib import admin

from pigp.orc.models import RegleConservation, ServiceArchives


@admin.register(RegleConservation)
class RegleConservationAdmin(admin.ModelAdmin):
    list_display = ["code", "libelle", "annees", "action_finale"]
    ordering = ["code"]


@admin.register(ServiceArchives)
class ServiceArchivesAdmin(admin.ModelAdmin):
    list_display = ["nom", "departements"]
    search_fields = ["nom"]
    filter_horizontal = ["agents"]
