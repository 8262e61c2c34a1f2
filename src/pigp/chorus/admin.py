"""Suppliers and their accounts in the admin (self-registration creates them; an administrator
confirms the account of a supplier that has no registered address). Invoices are not edited
here: their statuses move through `statuts.transition` only."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from pigp.chorus import fournisseurs
from pigp.chorus.models import CompteFournisseur, Fournisseur


class CompteFournisseurInline(admin.TabularInline):
    model = CompteFournisseur
    extra = 0
    raw_id_fields = ["user"]
    readonly_fields = ["confirme"]


@admin.register(Fournisseur)
class FournisseurAdmin(admin.ModelAdmin):
    list_display = ["raison_sociale", "siret", "email"]
    search_fields = ["raison_sociale", "siret"]
    raw_id_fields = ["compte_service"]
    inlines = [CompteFournisseurInline]


@admin.register(CompteFournisseur)
class CompteFournisseurAdmin(admin.ModelAdmin):
    list_display = ["user", "fournisseur", "confirme", "cree_le"]
    list_filter = ["confirme"]
    search_fields = ["user__email", "fournisseur__siret", "fournisseur__raison_sociale"]
    raw_id_fields = ["user", "fournisseur"]
    readonly_fields = ["confirme"]
    actions = ["confirmer"]

    @admin.action(description="Confirmer les comptes sélectionnés (journalisé, courriel au compte)")
    def confirmer(self, request: HttpRequest, queryset: QuerySet[CompteFournisseur]) -> None:
        done = sum(
            fournisseurs.confirmer(compte, request, by=request.user)  # type: ignore[arg-type]
            for compte in queryset.select_related("user", "fournisseur")
        )
        messages.success(request, f"{done} compte(s) confirmé(s).")
