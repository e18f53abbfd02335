"""Audit-log receivers for authentication events raised by Django and django-axes.

Signals are the only hook these libraries offer; the receivers only record, they decide nothing.
"""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from relais.core.choices import AuditAction
from relais.core.services import audit_record


@receiver(user_logged_in)
def audit_login(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    audit_record(action=AuditAction.LOGIN_SUCCESS, actor=user, target=user, request=request)


@receiver(user_logged_out)
def audit_logout(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(action=AuditAction.LOGOUT, actor=user, target=user, request=request)


def _attempted_username(credentials: dict[str, Any]) -> str:
    # Only the identifier is kept (truncated); never the password.
    return str(credentials.get("username") or credentials.get("email") or "")[:254]


@receiver(user_login_failed)
def audit_login_failure(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    audit_record(
        action=AuditAction.LOGIN_FAILURE,
        actor_label=_attempted_username(credentials),
        request=request,
    )


@receiver(user_locked_out)
def audit_lockout(
    sender: Any, request: HttpRequest, username: str | None = None, **kwargs: Any
) -> None:
    audit_record(
        action=AuditAction.LOGIN_LOCKOUT, actor_label=(username or "")[:254], request=request
    )
