"""Django admin for national administrators."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from pigp.core.journal import action_label
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

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ActionFilter(admin.SimpleListFilter):
    title = "action"
    parameter_name = "action"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        actions = JournalEntry.objects.values_list("action", flat=True).distinct()
        return sorted(((a, action_label(a)) for a in actions), key=lambda pair: pair[1])

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[JournalEntry]
    ) -> QuerySet[JournalEntry]:
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(JournalEntry)
class JournalEntryAdmin(admin.ModelAdmin):
    list_display = ["timestamp", "action_display", "actor_label", "object_repr", "ip"]
    list_filter = [ActionFilter]
    search_fields = ["actor_label", "object_repr", "action"]
    ordering = ["-pk"]  # newest first: the journal is read from its end

    @admin.display(description="action", ordering="action")
    def action_display(self, obj: JournalEntry) -> str:
        return action_label(obj.action)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


# Third-party apps that ship no French: their names as the administrators read them. Only the
# runtime labels change (migrations read the models' declared Meta, which stays as it is).
_FRENCH_LABELS = {
    "django_tasks_database": ("Tâches de fond", {"dbtaskresult": ("tâche", "tâches")}),
    "otp_totp": (
        "Double authentification",
        {"totpdevice": ("application d'authentification", "applications d'authentification")},
    ),
}


def _label_in_french() -> None:
    from django.apps import apps

    for app_label, (app_name, models) in _FRENCH_LABELS.items():
        try:
            config = apps.get_app_config(app_label)
        except LookupError:  # not installed in this configuration
            continue
        config.verbose_name = app_name
        for model_name, (singular, plural) in models.items():
            meta = config.get_model(model_name)._meta
            meta.verbose_name = singular
            meta.verbose_name_plural = plural


_label_in_french()
