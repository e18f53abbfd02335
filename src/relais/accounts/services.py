"""Every write on users, the organisation and API tokens."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from relais.accounts.choices import Role, TokenScope
from relais.accounts.models import ApiToken, OrgUnit, Site, User, hash_token
from relais.core.choices import AuditAction
from relais.core.services import audit_record

# Last-used times are refreshed at most this often, so that token use does not write on
# every request.
TOKEN_LAST_USED_RESOLUTION = timedelta(minutes=1)


def user_create(
    *,
    email: str,
    display_name: str = "",
    role: Role = Role.COLLABORATOR,
    password: str | None = None,
    org_unit: OrgUnit | None = None,
    site: Site | None = None,
    phone: str = "",
    language: str = "fr",
    actor: User | None = None,
    request: HttpRequest | None = None,
    validate_password_strength: bool = True,
) -> User:
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": _("Enter a valid e-mail address.")}) from exc
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("A user with this e-mail address already exists.")})
    user = User(
        email=email,
        display_name=display_name.strip() or email.split("@")[0],
        role=role,
        org_unit=org_unit,
        site=site,
        phone=phone,
        language=language,
    )
    if password:
        if validate_password_strength:
            validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
            audit_record(
                action=AuditAction.USER_CREATE,
                actor=actor,
                actor_label="" if actor else "system",
                target=user,
                request=request,
                changes={"email": email, "role": role},
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"email": _("A user with this e-mail address already exists.")}
        ) from exc
    return user


PROFILE_FIELDS = ("display_name", "phone", "language")
ADMIN_FIELDS = (*PROFILE_FIELDS, "org_unit", "site", "role")


def user_update(
    *,
    user: User,
    actor: User,
    data: dict[str, Any],
    allowed_fields: tuple[str, ...] = PROFILE_FIELDS,
    request: HttpRequest | None = None,
) -> User:
    """Change the allow-listed fields; anything else in `data` is refused, not ignored."""
    unknown = set(data) - set(allowed_fields)
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    if "role" in data and data["role"] not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    changes: dict[str, list[Any]] = {}
    for field, value in data.items():
        old = getattr(user, field)
        if old != value:
            changes[field] = [_audit_value(old), _audit_value(value)]
            setattr(user, field, value)
    if not changes:
        return user
    user.full_clean(exclude=["password"])
    with transaction.atomic():
        user.save(update_fields=list(changes))
        audit_record(
            action=AuditAction.ROLE_CHANGE if "role" in changes else AuditAction.USER_UPDATE,
            actor=actor,
            target=user,
            request=request,
            changes=changes,
        )
    return user


def _audit_value(value: Any) -> Any:
    return value.pk if hasattr(value, "pk") else value


def user_deactivate(*, user: User, actor: User | None, request: HttpRequest | None = None) -> User:
    """Deactivate a leaver. Their sessions stop at the next request (the auth backend refuses
    inactive users) and their API tokens are revoked; nothing they wrote is deleted."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=False)
        ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        audit_record(
            action=AuditAction.USER_DEACTIVATE,
            actor=actor,
            actor_label="" if actor else "system",
            target=user,
            request=request,
        )
    user.is_active = False
    return user


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once, never stored


def token_create(
    *,
    user: User,
    name: str,
    scope: TokenScope = TokenScope.READ,
    days: int | None = None,
    actor: User | None = None,
    request: HttpRequest | None = None,
) -> IssuedToken:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name.")})
    if len(name) > 100:
        raise ValidationError({"name": _("The name is too long (100 characters at most).")})
    if scope not in TokenScope.values:
        raise ValidationError({"scope": _("Unknown scope.")})
    days = settings.API_TOKEN_DEFAULT_DAYS if days is None else days
    if not 1 <= days <= 366:
        raise ValidationError({"days": _("A token lasts between 1 and 366 days.")})
    if not user.is_active:
        raise ValidationError(_("This account is deactivated."))
    secret = ApiToken.TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=secret[:10],
            token_hash=hash_token(secret),
            scope=scope,
            expires_at=timezone.now() + timedelta(days=days),
        )
        audit_record(
            action=AuditAction.TOKEN_CREATE,
            actor=actor or user,
            target=token,
            request=request,
            changes={"user": user.pk, "name": name, "scope": scope, "days": days},
        )
    return IssuedToken(token=token, secret=secret)


def token_revoke(*, token: ApiToken, actor: User, request: HttpRequest | None = None) -> None:
    with transaction.atomic():
        updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if updated:
            audit_record(
                action=AuditAction.TOKEN_REVOKE, actor=actor, target=token, request=request
            )


def token_authenticate(*, secret: str) -> ApiToken | None:
    """The usable token matching `secret`, with its user; records its use."""
    if not secret.startswith(ApiToken.TOKEN_PREFIX) or len(secret) > 128:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=hash_token(secret), revoked_at__isnull=True)
        .first()
    )
    now = timezone.now()
    if token is None or token.expires_at <= now or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > TOKEN_LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
