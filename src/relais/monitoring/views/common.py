"""Helpers shared by the service watch pages."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest

from relais.core.permissions import deny
from relais.monitoring.permissions import (
    is_admin,
    is_staff,
)


def staff_only(request: HttpRequest) -> None:
    if not is_staff(request.user):
        deny(request.user)


def admin_only(request: HttpRequest) -> None:
    if not is_admin(request.user):
        deny(request.user)


def form_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
