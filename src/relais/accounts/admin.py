from django.contrib import admin

from relais.accounts.models import ApiToken, OrgUnit, Site, Team, User


class ReadOnlyAdmin(admin.ModelAdmin):
    """Objects whose writes carry rules (audit, sessions, tokens) change through Relais's own
    screens and commands, which call the services; the Django admin only shows them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    list_display = ("email", "display_name", "role", "org_unit", "site", "is_active")
    list_filter = ("role", "is_active", "org_unit")
    search_fields = ("email", "display_name")
    fields = (
        "email",
        "display_name",
        "role",
        "org_unit",
        "site",
        "phone",
        "language",
        "is_active",
        "reads_archive",
        "last_login",
        "date_joined",
    )
    readonly_fields = ("last_login", "date_joined")


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind", "parent")
    list_filter = ("kind",)


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "email")
    filter_horizontal = ("members",)


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ("name", "user", "prefix", "scope", "expires_at", "last_used_at", "revoked_at")
    readonly_fields = ("user", "prefix", "scope", "created_at", "expires_at", "last_used_at")
    exclude = ("token_hash",)
