"""Django admin for national administrators."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from pigp.core.models import (
    Budget,
    Collectivite,
    Habilitation,
    JournalEntry,
    Juridiction,
    PosteComptable,
    User,
)


@admin.register(PosteComptable)
class PosteComptableAdmin(admin.ModelAdmin):
    list_display = ["codique", "nom"]
    search_fields = ["codique", "nom"]


class BudgetInline(admin.TabularInline):
    model = Budget
    extra = 0


@admin.register(Collectivite)
class CollectiviteAdmin(admin.ModelAdmin):
    list_display = ["nom", "siret", "nature", "poste", "departement"]
    list_filter = ["nature", "departement"]
    search_fields = ["nom", "siret"]
    list_select_related = ["poste"]
    inlines = [BudgetInline]


@admin.register(Budget)
class BudgetAdmin(admin.ModelAdmin):
    list_display = ["libelle", "collectivite", "cod_col", "cod_bud", "nomenclature", "actif"]
    list_filter = ["nomenclature", "actif"]
    list_select_related = ["collectivite"]


@admin.register(Juridiction)
class JuridictionAdmin(admin.ModelAdmin):
    list_display = ["nom", "departements"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "poste", "juridiction", "is_national_admin"]
    list_filter = ["is_national_admin", "is_active", "poste"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Identité", {"fields": ("first_name", "last_name")}),
        ("Rôles", {"fields": ("poste", "juridiction", "is_national_admin")}),
        ("Droits Django", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(Habilitation)
class HabilitationAdmin(admin.ModelAdmin):
    """Read-only here: decisions go through the comptable pages, which journal them."""

    list_display = ["user", "collectivite", "application", "profil", "statut", "date_fin"]
    list_filter = ["statut", "application", "profil"]
    list_select_related = ["user", "collectivite"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(JournalEntry)
class JournalEntryAdmin(admin.ModelAdmin):
    list_display = ["timestamp", "action", "actor_label", "object_repr", "ip"]
    list_filter = ["action"]
    search_fields = ["actor_label", "object_repr"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
