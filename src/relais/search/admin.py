"""Administrators curate the synonym dictionary here; every change applies to the next search
(the model's signal moves IndexState's synonyms version)."""

from django.contrib import admin
from django.http import HttpRequest

from relais.search.models import SynonymGroup, ZeroResultQuery


@admin.register(SynonymGroup)
class SynonymGroupAdmin(admin.ModelAdmin):
    list_display = ("phrases", "is_active", "updated_at")
    list_filter = ("is_active",)
    search_fields = ("phrases",)


@admin.register(ZeroResultQuery)
class ZeroResultQueryAdmin(admin.ModelAdmin):
    list_display = ("example", "count", "last_seen")
    search_fields = ("example",)
    readonly_fields = ("normalized", "example", "count", "last_seen")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
