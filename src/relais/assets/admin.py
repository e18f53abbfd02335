"""Catalogue reference data, edited by administrators in Django's admin. Assets, loans and
campaigns carry rules (history, audit, lifecycle): they are changed through Relais's pages."""

from django.contrib import admin

from relais.assets.models import AssetModel, AssetType, Supplier


@admin.register(AssetType)
class AssetTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "lendable")


@admin.register(AssetModel)
class AssetModelAdmin(admin.ModelAdmin):
    list_display = ("manufacturer", "name", "asset_type")
    list_filter = ("asset_type",)
    search_fields = ("manufacturer", "name")


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "phone")
