"""Administrators name the community's moderators here and read the moderation log and the
flags; posts themselves change only through the community's screens and API (services)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from relais.community.models import Flag, Member, ModerationLog


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ("user", "joined_at", "is_moderator", "reputation")
    list_filter = ("is_moderator",)
    search_fields = ("user__email", "user__display_name")
    fields = ("user", "joined_at", "is_moderator", "reputation", "email_notifications")
    readonly_fields = ("user", "joined_at", "reputation", "email_notifications")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ModerationLog)
class ModerationLogAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "moderator", "action", "target", "reason")
    list_filter = ("action",)


@admin.register(Flag)
class FlagAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "reason", "question", "answer", "comment", "resolved_at")
    list_filter = ("reason",)
