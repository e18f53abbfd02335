"""Django's admin, with every change audited (SECURITY.md H4).

Reference data (categories, SLA and desk settings, scheduled reports, asset types…) is edited
in Django's admin, which writes with the ORM, not through the apps' services. So that each of
those edits still leaves a security-log row, the admin site itself wraps every ModelAdmin it
registers (Relais' own and third-party ones) in `AuditedAdmin`: one hook, no per-model code.
The row names the administrator, their address, the object, and for each changed field its
value before and after; secrets are never written (fields whose name says password, secret,
token or key) and neither are texts (a long text field only says that it changed)."""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterable
from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.db import models
from django.http import HttpRequest

SENSITIVE_WORDS = ("password", "secret", "token", "key", "otp")
REDACTED = "[redacted]"
TEXT_CHANGED = "[changed]"


def _plain(value: Any) -> Any:
    """A JSON-friendly value: ids for objects, strings for dates and numbers."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, models.QuerySet) or (
        isinstance(value, Iterable) and not isinstance(value, str | bytes | dict)
    ):
        return sorted((_plain(v) for v in value), key=str)
    if isinstance(value, datetime.date | datetime.time | datetime.timedelta | decimal.Decimal):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str | dict):
        return value
    return str(value)


def field_change(model: type[models.Model], name: str, before: Any, after: Any) -> list[Any]:
    if any(word in name.lower() for word in SENSITIVE_WORDS):
        return [REDACTED, REDACTED]
    try:
        field = model._meta.get_field(name)
    except Exception:
        field = None
    if isinstance(field, models.TextField):
        return [TEXT_CHANGED, TEXT_CHANGED]
    return [_plain(before), _plain(after)]


def audit_admin_change(
    *, request: HttpRequest, obj: models.Model, operation: str, fields: dict[str, list[Any]]
) -> None:
    from relais.core.choices import AuditAction
    from relais.core.services import audit_record

    actor = request.user if getattr(request.user, "is_authenticated", False) else None
    audit_record(
        action=AuditAction.ADMIN_CHANGE,
        actor=actor,  # type: ignore[arg-type]
        target=obj,
        request=request,
        changes={"operation": operation, "fields": fields},
    )


class AuditedAdmin(admin.ModelAdmin):
    """Mixed into every registered ModelAdmin by RelaisAdminSite."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        model = type(obj)
        fields = {
            name: field_change(
                model,
                name,
                form.initial.get(name) if change else None,
                form.cleaned_data.get(name),
            )
            for name in form.changed_data
        }
        audit_admin_change(
            request=request, obj=obj, operation="change" if change else "add", fields=fields
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        audit_admin_change(request=request, obj=obj, operation="delete", fields={})
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            audit_admin_change(request=request, obj=obj, operation="delete", fields={})
        super().delete_queryset(request, queryset)


class RelaisAdminSite(admin.AdminSite):
    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, AuditedAdmin):
            admin_class = type(
                admin_class.__name__,
                (AuditedAdmin, admin_class),
                {"__module__": admin_class.__module__},
            )
        super().register(model_or_iterable, admin_class, **options)


class RelaisAdminConfig(AdminConfig):
    """Installed instead of "django.contrib.admin": the default site is RelaisAdminSite."""

    default_site = "relais.core.admin_site.RelaisAdminSite"
