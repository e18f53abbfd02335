"""Administrators maintain the desk's reference data here (categories, calendars, priority
matrix, SLA targets, canned responses). Tickets themselves change only through the desk's
screens, which call the services."""

from django.contrib import admin

from relais.tickets.models import (
    BusinessCalendar,
    CannedResponse,
    Category,
    DeskSettings,
    PriorityRule,
    SlaPolicy,
    TeamSettings,
    Ticket,
)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("__str__", "default_type", "team", "is_active", "position")
    list_filter = ("is_active", "default_type", "team")
    search_fields = ("name",)


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "timezone", "french_holidays", "is_default")


@admin.register(PriorityRule)
class PriorityRuleAdmin(admin.ModelAdmin):
    list_display = ("impact", "urgency", "priority")
    list_editable = ("priority",)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "priority",
        "category",
        "first_response_minutes",
        "resolution_minutes",
        "calendar",
    )


@admin.register(DeskSettings)
class DeskSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "reopen_days", "auto_close_days", "sla_warning_percent")

    def has_add_permission(self, request):
        return not DeskSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TeamSettings)
class TeamSettingsAdmin(admin.ModelAdmin):
    list_display = ("team", "calendar", "round_robin")
    exclude = ("last_assigned",)


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ("title", "team")


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("reference", "title", "status", "priority", "team", "assignee")
    list_filter = ("status", "priority", "type")
    search_fields = ("reference", "title")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
