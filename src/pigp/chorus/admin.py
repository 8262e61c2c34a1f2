"""Suppliers and their accounts in the admin, until self-registration (issue 12) creates them.
Invoices are not edited here: their statuses move through `statuts.transition` only."""

from __future__ import annotations

from django.contrib import admin

from pigp.chorus.models import CompteFournisseur, Fournisseur


class CompteFournisseurInline(admin.TabularInline):
    model = CompteFournisseur
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Fournisseur)
class FournisseurAdmin(admin.ModelAdmin):
    list_display = ["raison_sociale", "siret", "email"]
    search_fields = ["raison_sociale", "siret"]
    inlines = [CompteFournisseurInline]
