"""Every write on users, the organisation and API tokens."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from relais.accounts.choices import STAFF_ROLES, OrgUnitKind, Role, SiteKind, TokenScope
from relais.accounts.models import ApiToken, OrgUnit, Site, User, hash_token
from relais.core.choices import AuditAction
from relais.core.services import audit_record

if TYPE_CHECKING:
    from relais.accounts.entries import DirectoryEntry

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
    if User.objects.with_email(email).exists():
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


def service_account(*, email: str, display_name: str, active: bool) -> User:
    """An account Relais files things under (mail from people without one, anonymised
    tickets): created on first use, never able to log in (unusable password)."""
    user, created = User.objects.get_or_create(
        email=email,
        defaults={"display_name": display_name, "role": Role.COLLABORATOR, "is_active": active},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


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


def user_archive_reader_set(
    *, user: User, actor: User, granted: bool, request: HttpRequest | None = None
) -> User:
    """Grant (or withdraw) reading the tickets' intermediate archive: an administrator's
    explicit decision, in the security log like a role change. The caller has checked that
    `actor` may (accounts.permissions, "grant_archive")."""
    if user.reads_archive == granted:
        return user
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(reads_archive=granted)
        audit_record(
            action=AuditAction.PERMISSION_CHANGE,
            actor=actor,
            target=user,
            request=request,
            changes={"reads_archive": [not granted, granted]},
        )
    user.reads_archive = granted
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


# --- Directory (LDAP / Active Directory, OIDC) --------------------------------------------------

DIRECTORY_ACTOR = "directory"


@dataclass
class DirectoryApplyResult:
    user: User | None
    created: bool = False
    reactivated: bool = False
    changes: dict[str, list[Any]] | None = None
    error: str = ""
    manager_pending: bool = False


class DirectoryResolver:
    """Looks up, and creates when missing, what directory attributes point at: directions,
    sites, managers and existing accounts. A sync preloads them once, so that 10,000 people
    do not cost 10,000 look-ups of each; a single login looks up only what it needs."""

    def __init__(self, *, preload: bool = False) -> None:
        self.preloaded = preload
        self.directions: dict[str, OrgUnit] = {}
        self.sites: dict[str, Site] = {}
        self.by_login: dict[str, User] = {}
        self.by_dn: dict[str, int] = {}
        if preload:
            self.directions = {
                unit.name.lower(): unit
                for unit in OrgUnit.objects.filter(kind=OrgUnitKind.DIRECTION, parent__isnull=True)
            }
            self.sites = {site.name.lower(): site for site in Site.objects.all()}
            self.by_login = {
                user.directory_login: user
                for user in User.objects.filter(directory_login__isnull=False)
                if user.directory_login is not None
            }
            self.by_dn = {user.directory_dn.lower(): user.pk for user in self.by_login.values()}

    def user(self, login: str) -> User | None:
        if self.preloaded or login in self.by_login:
            return self.by_login.get(login)
        return User.objects.filter(directory_login=login).first()

    def manager_pk(self, dn: str) -> int | None:
        if self.preloaded or dn.lower() in self.by_dn:
            return self.by_dn.get(dn.lower())
        return (
            User.objects.filter(directory_dn__iexact=dn, directory_login__isnull=False)
            .values_list("pk", flat=True)
            .first()
        )

    def direction(self, name: str) -> OrgUnit | None:
        name = name.strip()[:150]
        if not name:
            return None
        unit = self.directions.get(name.lower())
        if unit is None and not self.preloaded:
            unit = OrgUnit.objects.filter(
                kind=OrgUnitKind.DIRECTION, parent__isnull=True, name__iexact=name
            ).first()
        if unit is None:
            unit = OrgUnit.objects.create(
                name=name, code=_free_code(OrgUnit, name), kind=OrgUnitKind.DIRECTION
            )
            self.directions[name.lower()] = unit
        return unit

    def site(self, name: str) -> Site | None:
        name = name.strip()[:150]
        if not name:
            return None
        site = self.sites.get(name.lower())
        if site is None and not self.preloaded:
            site = Site.objects.filter(name__iexact=name).first()
        if site is None:
            site = Site.objects.create(name=name, code=_free_code(Site, name), kind=SiteKind.AGENCY)
            self.sites[name.lower()] = site
        return site


def _free_code(model: type[OrgUnit] | type[Site], name: str) -> str:
    base = slugify(name)[:32] or "dir"
    code, n = base, 1
    while model.objects.filter(code=code).exists():
        n += 1
        code = f"{base}-{n}"
    return code


def directory_user_apply(
    *,
    entry: DirectoryEntry,
    resolver: DirectoryResolver | None = None,
    reactivate: bool = False,
    request: HttpRequest | None = None,
) -> DirectoryApplyResult:
    """Create or update the account of one person described by the directory (login and
    directory-sync use it alike). An existing account is matched by directory login, else by
    e-mail when that account has no password of its own (e.g. made from an e-mail to the
    desk); a local account with a password (break-glass) is never taken over."""
    resolver = resolver or DirectoryResolver()
    login = entry.login.strip().lower()
    email = entry.email.strip().lower()
    if not login:
        return DirectoryApplyResult(user=None, error="no login attribute")
    try:
        validate_email(email)
    except ValidationError:
        return DirectoryApplyResult(user=None, error="no valid e-mail address")
    user = resolver.user(login)
    if user is None:
        user = User.objects.with_email(email).first()
        if user is not None and user.directory_login is not None and not entry.authoritative:
            # Single sign-on for someone the directory already brought in (their provider
            # login differs from their directory login): the same person, by their address.
            login = user.directory_login
        elif user is not None and (user.directory_login is not None or user.has_usable_password()):
            return DirectoryApplyResult(
                user=None, error="e-mail address already used by another account"
            )
    elif user.email.lower() != email and User.objects.with_email(email).exists():
        return DirectoryApplyResult(
            user=None, error="e-mail address already used by another account"
        )
    manager_pk = resolver.manager_pk(entry.manager_dn) if entry.manager_dn else None
    wanted: dict[str, Any] = {
        "email": email,
        # A source that omits the name keeps the one Relais has; a new account gets a name.
        "display_name": (
            entry.display_name
            or ("" if user is not None and not entry.authoritative else email.split("@")[0])
        )[:150],
        "phone": entry.phone[:32],
        "org_unit": resolver.direction(entry.department),
        "site": resolver.site(entry.office),
        "directory_login": login,
        "directory_dn": entry.dn[:512],
    }
    if entry.manager_dn == "" or manager_pk is not None:
        wanted["manager_id"] = manager_pk
    if entry.role is not None:
        wanted["role"] = entry.role
    if not entry.authoritative:
        wanted = {name: value for name, value in wanted.items() if value not in ("", None)}
    created = user is None
    if user is None:
        user = User(role=Role.COLLABORATOR)
        user.set_unusable_password()
    changes: dict[str, list[Any]] = {}
    for name, value in wanted.items():
        old = getattr(user, name)
        if old != value:
            changes[name] = [_audit_value(old), _audit_value(value)]
            setattr(user, name, value)
    reactivated = False
    if not user.is_active and reactivate and not created:
        user.is_active = True
        reactivated = True
        changes["is_active"] = [False, True]
    result = DirectoryApplyResult(
        user=user,
        created=created,
        reactivated=reactivated,
        changes=changes,
        manager_pending=bool(entry.manager_dn) and manager_pk is None,
    )
    if not changes:
        return result
    user.directory_synced_at = timezone.now()
    with transaction.atomic():
        user.save()
        if created:
            action = AuditAction.USER_CREATE
        elif "role" in changes:
            action = AuditAction.ROLE_CHANGE
        else:
            action = AuditAction.USER_UPDATE
        audit_record(
            action=action,
            actor_label=DIRECTORY_ACTOR,
            target=user,
            request=request,
            changes={**changes, "via": DIRECTORY_ACTOR},
        )
    resolver.by_login[login] = user
    resolver.by_dn[user.directory_dn.lower()] = user.pk
    return result


@dataclass
class DirectorySyncReport:
    dry_run: bool
    seen: int = 0
    created: list[str] = dataclass_field(default_factory=list)
    updated: list[str] = dataclass_field(default_factory=list)
    reactivated: list[str] = dataclass_field(default_factory=list)
    deactivated: list[str] = dataclass_field(default_factory=list)
    skipped: list[tuple[str, str]] = dataclass_field(default_factory=list)
    # Set when the leavers were too many to deactivate without --force.
    refused_deactivations: int = 0


def directory_sync(
    *, entries: Iterable[DirectoryEntry], dry_run: bool = False, force: bool = False
) -> DirectorySyncReport:
    """Bring directory accounts in line with the directory: create newcomers, update
    everyone, deactivate leavers (their sessions and API tokens stop; nothing they wrote is
    deleted). A dry run does all of it in a transaction that is rolled back."""
    report = DirectorySyncReport(dry_run=dry_run)
    with transaction.atomic():
        resolver = DirectoryResolver(preload=True)
        seen: set[str] = set()
        pending: list[DirectoryEntry] = []
        for entry in entries:
            report.seen += 1
            result = directory_user_apply(entry=entry, resolver=resolver, reactivate=True)
            if result.user is None:
                report.skipped.append((entry.login or entry.dn, result.error))
                continue
            seen.add(entry.login.lower())
            if result.manager_pending:
                pending.append(entry)
            if result.created:
                report.created.append(result.user.email)
            elif result.reactivated:
                report.reactivated.append(result.user.email)
            elif result.changes:
                report.updated.append(result.user.email)
        for entry in pending:  # managers listed after the people they manage
            directory_user_apply(entry=entry, resolver=resolver, reactivate=True)
        leavers = [
            user
            for login, user in resolver.by_login.items()
            if login not in seen and user.is_active
        ]
        active = sum(1 for user in resolver.by_login.values() if user.is_active)
        limit = active * settings.DIRECTORY_SYNC_MAX_DEACTIVATE_PERCENT / 100
        if leavers and len(leavers) > limit and not force:
            report.refused_deactivations = len(leavers)
        else:
            for user in leavers:
                user_deactivate(user=user, actor=None)
                report.deactivated.append(user.email)
        audit_record(
            action=AuditAction.DIRECTORY_SYNC,
            actor_label=DIRECTORY_ACTOR,
            changes={
                "seen": report.seen,
                "created": len(report.created),
                "updated": len(report.updated),
                "reactivated": len(report.reactivated),
                "deactivated": len(report.deactivated),
                "skipped": len(report.skipped),
                "refused_deactivations": report.refused_deactivations,
            },
        )
        if dry_run:
            transaction.set_rollback(True)
    return report


# --- Second factor (TOTP and recovery codes, django-otp) ----------------------------------------


def otp_required_for(user: User) -> bool:
    return bool(settings.OTP_REQUIRED) and user.is_active and user.role in STAFF_ROLES


def otp_pending_device(*, user: User) -> TOTPDevice:
    """The authenticator being enrolled (not yet confirmed): the same one until confirmed,
    so that reloading the page does not change the QR code under the person's phone."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def otp_enrol_confirm(
    *, user: User, code: str, request: HttpRequest | None = None
) -> tuple[TOTPDevice, list[str]]:
    """Confirm the pending authenticator with a first code; returns it and fresh recovery
    codes (shown once; only django-otp's copies are kept)."""
    device = otp_pending_device(user=user)
    if not device.verify_token(code.strip().replace(" ", "")):
        raise ValidationError({"code": _("This code is not right. Check your phone's clock.")})
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=True).delete()
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
        device.confirmed = True
        StaticDevice.objects.filter(user=user).delete()
        static = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
        codes = [StaticToken.random_token() for _ in range(settings.OTP_RECOVERY_CODES)]
        StaticToken.objects.bulk_create([StaticToken(device=static, token=c) for c in codes])
        audit_record(action=AuditAction.OTP_ENROL, actor=user, target=user, request=request)
    return device, codes


def otp_verify(*, user: User, code: str, request: HttpRequest | None = None) -> Device | None:
    """The device that accepts `code` (an authenticator code or a recovery code, used up),
    or None; failures are throttled by django-otp and audit-logged."""
    code = code.strip().replace(" ", "")
    if not code or len(code) > 16:
        return None
    for device in [
        *TOTPDevice.objects.filter(user=user, confirmed=True),
        *StaticDevice.objects.filter(user=user, confirmed=True),
    ]:
        allowed, _data = device.verify_is_allowed()
        if allowed and device.verify_token(code):
            if isinstance(device, StaticDevice):
                audit_record(
                    action=AuditAction.OTP_RECOVERY_USED, actor=user, target=user, request=request
                )
            return device
    audit_record(action=AuditAction.OTP_FAILURE, actor=user, target=user, request=request)
    return None


def otp_has_device(*, user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def otp_reset(*, user: User, actor: User | None, request: HttpRequest | None = None) -> None:
    """An administrator (or the `relais user reset-otp` command: actor None) removes
    someone's second factor (lost phone): they enrol again at their next login."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        audit_record(
            action=AuditAction.OTP_RESET,
            actor=actor,
            actor_label="" if actor else "cli",
            target=user,
            request=request,
        )
