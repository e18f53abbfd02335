"""Configuration writes: services, checks, the allow-list, channels, rotas, maintenance.
Only administrators reach these (the policy is checked here, whatever the interface)."""

from __future__ import annotations

import hashlib
import secrets as token_secrets
from datetime import datetime
from typing import TYPE_CHECKING, Any

from croniter import croniter  # type: ignore[import-untyped,unused-ignore]
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from relais.core.choices import AuditAction
from relais.core.services import audit_record
from relais.monitoring import secrets, targets
from relais.monitoring.choices import AllowKind, AuthKind, ChannelKind, CheckKind
from relais.monitoring.executors import icmp_supported
from relais.monitoring.models import (
    AlertChannel,
    AllowListEntry,
    Check,
    ComponentGroup,
    Maintenance,
    OnCallOverride,
    OnCallRota,
    RemoteProber,
    RotaMember,
    Service,
)
from relais.monitoring.permissions import is_admin, is_staff
from relais.monitoring.public_cache import public_outputs_changed
from relais.monitoring.services.subscriptions import maintenance_announce

if TYPE_CHECKING:
    from relais.accounts.models import User

CHECK_FIELDS = (
    "name",
    "kind",
    "target",
    "config",
    "interval_seconds",
    "timeout_seconds",
    "failures_before_down",
    "successes_before_up",
    "auth_kind",
    "heartbeat_cron",
    "grace_seconds",
    "is_enabled",
)
CONFIG_KEYS: dict[str, set[str]] = {
    CheckKind.HTTP: {
        "expected_status",
        "keyword",
        "keyword_absent",
        "json_path",
        "json_expected",
        "max_latency_ms",
        "follow_redirects",
        "headers",
        "verify_tls",
    },
    CheckKind.TCP: set(),
    CheckKind.DNS: {"record_type", "expected", "nameserver"},
    CheckKind.TLS: {"tls_days", "verify_tls"},
    CheckKind.HEARTBEAT: set(),
    CheckKind.ICMP: set(),
}
DNS_RECORD_TYPES = {"A", "AAAA", "CNAME", "MX", "TXT", "NS"}


def _require_admin(actor: User) -> None:
    if not is_admin(actor):
        raise PermissionDenied


def allow_list() -> list[tuple[str, str]]:
    return list(AllowListEntry.objects.values_list("kind", "value"))


def _config_clean(kind: str, config: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(config, dict):
        raise ValidationError({"config": _("Options must be an object.")})
    unknown = set(config) - CONFIG_KEYS.get(kind, set())
    if unknown:
        raise ValidationError(
            {"config": _("Unknown options: %(keys)s.") % {"keys": ", ".join(sorted(unknown))}}
        )
    clean = dict(config)
    if "expected_status" in clean:
        try:
            codes = [int(c) for c in clean["expected_status"]]
        except (TypeError, ValueError) as exc:
            raise ValidationError({"config": _("Expected statuses are numbers.")}) from exc
        if not all(100 <= c <= 599 for c in codes):
            raise ValidationError({"config": _("Expected statuses are between 100 and 599.")})
        clean["expected_status"] = codes
    for key in ("keyword", "keyword_absent", "json_path"):
        if key in clean and (not isinstance(clean[key], str) or len(clean[key]) > 200):
            raise ValidationError({"config": _("Keywords are texts of 200 characters at most.")})
    if "max_latency_ms" in clean:
        try:
            clean["max_latency_ms"] = float(clean["max_latency_ms"])
        except (TypeError, ValueError) as exc:
            raise ValidationError({"config": _("The maximum latency is a number.")}) from exc
    if "headers" in clean and not (
        isinstance(clean["headers"], dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in clean["headers"].items())
    ):
        raise ValidationError({"config": _("Headers are names and texts.")})
    if "record_type" in clean and str(clean["record_type"]).upper() not in DNS_RECORD_TYPES:
        raise ValidationError({"config": _("Unknown DNS record type.")})
    if "expected" in clean and not isinstance(clean["expected"], list):
        raise ValidationError({"config": _("Expected DNS answers are a list.")})
    if "nameserver" in clean:
        targets.check_target_validate(CheckKind.TCP, _with_port(clean["nameserver"]), allow_list())
    if "tls_days" in clean:
        try:
            clean["tls_days"] = int(clean["tls_days"])
        except (TypeError, ValueError) as exc:
            raise ValidationError({"config": _("Days before expiry is a number.")}) from exc
    return clean


def _with_port(nameserver: str) -> str:
    return nameserver if ":" in nameserver else f"{nameserver}:53"


def _check_validate(check: Check) -> None:
    errors: dict[str, str] = {}
    if check.kind not in CheckKind.values:
        raise ValidationError({"kind": _("Unknown kind of check.")})
    if check.kind == CheckKind.ICMP and not icmp_supported():
        raise ValidationError(
            {
                "kind": _(
                    "Ping is not available on this server: the system does not allow "
                    "unprivileged ICMP (net.ipv4.ping_group_range). Use a TCP check instead."
                )
            }
        )
    if not check.name.strip():
        errors["name"] = _("Give the check a name.")
    if check.interval_seconds < 10:
        errors["interval_seconds"] = _("The interval is at least 10 seconds.")
    if not 0.5 <= check.timeout_seconds <= 60:
        errors["timeout_seconds"] = _("The timeout is between 0.5 and 60 seconds.")
    elif check.timeout_seconds > check.interval_seconds:
        errors["timeout_seconds"] = _("The timeout cannot exceed the interval.")
    if not 1 <= check.failures_before_down <= 20:
        errors["failures_before_down"] = _("Between 1 and 20.")
    if not 1 <= check.successes_before_up <= 20:
        errors["successes_before_up"] = _("Between 1 and 20.")
    if check.auth_kind not in AuthKind.values or (check.auth_kind and check.kind != CheckKind.HTTP):
        errors["auth_kind"] = _("Authentication applies to HTTP checks only.")
    if (
        check.kind == CheckKind.HEARTBEAT
        and check.heartbeat_cron
        and not croniter.is_valid(check.heartbeat_cron)
    ):
        errors["heartbeat_cron"] = _("This is not a valid cron expression.")
    if errors:
        raise ValidationError(errors)
    check.config = _config_clean(check.kind, check.config or {})
    if check.kind == CheckKind.HEARTBEAT:
        # A missing heartbeat is down at once: its period and grace already waited.
        check.target = ""
        check.failures_before_down = 1
    else:
        targets.check_target_validate(check.kind, check.target, allow_list())


def _secret_apply(check: Check, secret: dict[str, str] | None) -> bool:
    """Store new credentials when given (None keeps the current ones)."""
    if secret is None:
        return False
    if check.auth_kind == AuthKind.BASIC:
        if not secret.get("username"):
            raise ValidationError({"username": _("Give the user name.")})
        value = {"username": secret["username"], "password": secret.get("password", "")}
    elif check.auth_kind == AuthKind.BEARER:
        if not secret.get("token"):
            raise ValidationError({"token": _("Give the token.")})
        value = {"token": secret["token"]}
    else:
        value = {}
    check.secret_encrypted = secrets.encrypt(value) if value else ""
    return True


def check_create(
    *,
    actor: User,
    service: Service,
    data: dict[str, Any],
    secret: dict[str, str] | None = None,
    request: HttpRequest | None = None,
) -> Check:
    _require_admin(actor)
    check = Check(service=service, **{k: v for k, v in data.items() if k in CHECK_FIELDS})
    _check_validate(check)
    with transaction.atomic():
        secret_changed = _secret_apply(check, secret)
        check.save()
        audit_record(
            action=AuditAction.MONITORING_CONFIG,
            actor=actor,
            target=check,
            request=request,
            changes={"created": {k: getattr(check, k) for k in ("name", "kind", "target")}},
        )
        if secret_changed:
            audit_record(
                action=AuditAction.SECRET_CHANGE, actor=actor, target=check, request=request
            )
        public_outputs_changed()
    return check


def check_update(
    *,
    actor: User,
    check: Check,
    data: dict[str, Any],
    secret: dict[str, str] | None = None,
    request: HttpRequest | None = None,
) -> Check:
    _require_admin(actor)
    with transaction.atomic():
        locked = Check.objects.select_for_update().get(pk=check.pk)
        before = {k: getattr(locked, k) for k in CHECK_FIELDS}
        for key, value in data.items():
            if key in CHECK_FIELDS:
                setattr(locked, key, value)
        _check_validate(locked)
        if locked.auth_kind != before["auth_kind"] and secret is None:
            secret = {} if not locked.auth_kind else None
            if secret is None:
                raise ValidationError({"auth_kind": _("Give the new credentials.")})
        secret_changed = _secret_apply(locked, secret)
        locked.save()
        changes = {
            k: [before[k], getattr(locked, k)]
            for k in CHECK_FIELDS
            if before[k] != getattr(locked, k)
        }
        audit_record(
            action=AuditAction.MONITORING_CONFIG,
            actor=actor,
            target=locked,
            request=request,
            changes=changes,
        )
        if secret_changed:
            audit_record(
                action=AuditAction.SECRET_CHANGE, actor=actor, target=locked, request=request
            )
        public_outputs_changed()
    return locked


def _delete_audited(*, actor: User, target: Any, name: str, request: HttpRequest | None) -> None:
    """Delete a configuration object, recording who deleted what (in one transaction)."""
    with transaction.atomic():
        audit_record(
            action=AuditAction.MONITORING_CONFIG,
            actor=actor,
            target=target,
            request=request,
            changes={"deleted": name},
        )
        target.delete()
        public_outputs_changed()


def check_delete(*, actor: User, check: Check, request: HttpRequest | None = None) -> None:
    _require_admin(actor)
    _delete_audited(actor=actor, target=check, name=check.name, request=request)


SERVICE_FIELDS = (
    "name",
    "group",
    "description",
    "position",
    "is_public",
    "locations_required",
    "rota",
    "escalation_minutes",
    "reminder_minutes",
    "ticket_category",
)


def service_create(
    *, actor: User, data: dict[str, Any], request: HttpRequest | None = None
) -> Service:
    _require_admin(actor)
    service = Service(created_by=actor, **{k: v for k, v in data.items() if k in SERVICE_FIELDS})
    _service_validate(service)
    with transaction.atomic():
        service.save()
        audit_record(
            action=AuditAction.MONITORING_CONFIG,
            actor=actor,
            target=service,
            request=request,
            changes={"created": service.name},
        )
        public_outputs_changed()
    return service


def service_update(
    *, actor: User, service: Service, data: dict[str, Any], request: HttpRequest | None = None
) -> Service:
    _require_admin(actor)
    with transaction.atomic():
        locked = Service.objects.select_for_update().get(pk=service.pk)
        changes = {}
        for key, value in data.items():
            if key in SERVICE_FIELDS and getattr(locked, key) != value:
                changes[key] = [str(getattr(locked, key)), str(value)]
                setattr(locked, key, value)
        _service_validate(locked)
        locked.save()
        audit_record(
            action=AuditAction.MONITORING_CONFIG,
            actor=actor,
            target=locked,
            request=request,
            changes=changes,
        )
        public_outputs_changed()
    return locked


def _service_validate(service: Service) -> None:
    if not service.name.strip():
        raise ValidationError({"name": _("Give the service a name.")})
    if Service.objects.filter(name__iexact=service.name.strip()).exclude(pk=service.pk).exists():
        raise ValidationError({"name": _("A service already has this name.")})
    if not 1 <= service.locations_required <= 5:
        raise ValidationError({"locations_required": _("Between 1 and 5.")})


def service_delete(*, actor: User, service: Service, request: HttpRequest | None = None) -> None:
    """A service with incidents keeps its history: it cannot be deleted (disable its checks)."""
    _require_admin(actor)
    if service.incidents.exists():
        raise ValidationError(
            _("This service has incidents in its history: disable its checks instead.")
        )
    _delete_audited(actor=actor, target=service, name=service.name, request=request)


def group_get_or_create(*, actor: User, name: str) -> ComponentGroup:
    _require_admin(actor)
    group, _created = ComponentGroup.objects.get_or_create(name=name.strip())
    return group


def allow_entry_add(
    *, actor: User, kind: str, value: str, note: str = "", request: HttpRequest | None = None
) -> AllowListEntry:
    _require_admin(actor)
    clean = targets.allow_entry_validate(kind, value)
    with transaction.atomic():
        entry, _created = AllowListEntry.objects.get_or_create(
            kind=AllowKind(kind), value=clean, defaults={"note": note[:200]}
        )
        audit_record(
            action=AuditAction.MONITORING_CONFIG,
            actor=actor,
            target=entry,
            request=request,
            changes={"allow": [kind, clean]},
        )
    return entry


def allow_entry_remove(
    *, actor: User, entry: AllowListEntry, request: HttpRequest | None = None
) -> None:
    _require_admin(actor)
    with transaction.atomic():
        audit_record(
            action=AuditAction.MONITORING_CONFIG,
            actor=actor,
            target=entry,
            request=request,
            changes={"disallow": [entry.kind, entry.value]},
        )
        entry.delete()


def channel_create(
    *,
    actor: User,
    name: str,
    kind: str,
    target: str,
    signing_secret: str = "",
    request: HttpRequest | None = None,
) -> AlertChannel:
    _require_admin(actor)
    if kind not in ChannelKind.values:
        raise ValidationError({"kind": _("Unknown kind of channel.")})
    if not name.strip():
        raise ValidationError({"name": _("Give the channel a name.")})
    _channel_target_validate(kind, target)
    channel = AlertChannel(name=name.strip()[:100], kind=kind, target=target.strip())
    if kind == ChannelKind.WEBHOOK:
        channel.secret_encrypted = secrets.encrypt(
            signing_secret or "whsec_" + _b64(token_secrets.token_bytes(24))
        )
    with transaction.atomic():
        channel.save()
        audit_record(
            action=AuditAction.MONITORING_CONFIG,
            actor=actor,
            target=channel,
            request=request,
            changes={"channel": [kind, name]},
        )
        if channel.secret_encrypted:
            audit_record(
                action=AuditAction.SECRET_CHANGE, actor=actor, target=channel, request=request
            )
    return channel


def channel_update(
    *,
    actor: User,
    channel: AlertChannel,
    name: str,
    target: str,
    is_enabled: bool = True,
    signing_secret: str = "",
    request: HttpRequest | None = None,
) -> AlertChannel:
    """Rename, re-point, enable or disable a channel; a new signing secret replaces the
    stored one only when given (the stored one is never shown)."""
    _require_admin(actor)
    if not name.strip():
        raise ValidationError({"name": _("Give the channel a name.")})
    _channel_target_validate(channel.kind, target)
    with transaction.atomic():
        locked = AlertChannel.objects.select_for_update().get(pk=channel.pk)
        before = {"name": locked.name, "target": locked.target, "is_enabled": locked.is_enabled}
        locked.name, locked.target, locked.is_enabled = (
            name.strip()[:100],
            target.strip(),
            is_enabled,
        )
        if signing_secret and locked.kind == ChannelKind.WEBHOOK:
            locked.secret_encrypted = secrets.encrypt(signing_secret)
        locked.save()
        after = {"name": locked.name, "target": locked.target, "is_enabled": locked.is_enabled}
        audit_record(
            action=AuditAction.MONITORING_CONFIG,
            actor=actor,
            target=locked,
            request=request,
            changes={k: [before[k], after[k]] for k in before if before[k] != after[k]},
        )
        if signing_secret:
            audit_record(
                action=AuditAction.SECRET_CHANGE, actor=actor, target=locked, request=request
            )
    return locked


def channel_delete(
    *, actor: User, channel: AlertChannel, request: HttpRequest | None = None
) -> None:
    _require_admin(actor)
    _delete_audited(actor=actor, target=channel, name=channel.name, request=request)


def _channel_target_validate(kind: str, target: str) -> None:
    if kind == ChannelKind.EMAIL:
        from django.core.validators import validate_email

        try:
            validate_email(target)
        except ValidationError as exc:
            raise ValidationError({"target": _("Give a valid e-mail address.")}) from exc
    else:
        targets.webhook_url_validate(target)


def _b64(raw: bytes) -> str:
    import base64

    return base64.b64encode(raw).decode()


def _rota_validate(rota: OnCallRota, members: list[User], fallback_email: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not rota.name.strip():
        errors["name"] = _("Give the rota a name.")
    elif OnCallRota.objects.filter(name__iexact=rota.name.strip()).exclude(pk=rota.pk).exists():
        errors["name"] = _("A rota already has this name.")
    if len({m.pk for m in members}) != len(members):
        errors["members"] = _("Each person appears once in the rotation.")
    elif any(not is_staff(m) for m in members):
        errors["members"] = _("Only active members of the IT staff can be on call.")
    if fallback_email:
        from django.core.validators import validate_email

        try:
            validate_email(fallback_email)
        except ValidationError:
            errors["fallback_email"] = _("Give a valid e-mail address.")
    return errors


def rota_create(
    *,
    actor: User,
    name: str,
    starts_at: datetime,
    members: list[User],
    fallback_email: str = "",
    request: HttpRequest | None = None,
) -> OnCallRota:
    """A weekly rotation: members[n] is on duty during week n (mod len) from `starts_at`."""
    _require_admin(actor)
    rota = OnCallRota(name=name.strip()[:100], starts_at=starts_at, fallback_email=fallback_email)
    errors = _rota_validate(rota, members, fallback_email)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        rota.save()
        RotaMember.objects.bulk_create(
            RotaMember(rota=rota, user=user, position=i) for i, user in enumerate(members)
        )
        audit_record(
            action=AuditAction.MONITORING_CONFIG,
            actor=actor,
            target=rota,
            request=request,
            changes={"rota": name, "members": [m.pk for m in members]},
        )
    return rota


def rota_update(
    *,
    actor: User,
    rota: OnCallRota,
    name: str,
    starts_at: datetime,
    members: list[User],
    fallback_email: str = "",
    request: HttpRequest | None = None,
) -> OnCallRota:
    """Rename, move the first handover, or change who rotates and in which order."""
    _require_admin(actor)
    with transaction.atomic():
        locked = OnCallRota.objects.select_for_update().get(pk=rota.pk)
        before_members = list(locked.members.values_list("user_id", flat=True))
        locked.name, locked.starts_at, locked.fallback_email = (
            name.strip()[:100],
            starts_at,
            fallback_email,
        )
        errors = _rota_validate(locked, members, fallback_email)
        if errors:
            raise ValidationError(errors)
        locked.save()
        if before_members != [m.pk for m in members]:
            locked.members.all().delete()
            RotaMember.objects.bulk_create(
                RotaMember(rota=locked, user=user, position=i) for i, user in enumerate(members)
            )
        audit_record(
            action=AuditAction.MONITORING_CONFIG,
            actor=actor,
            target=locked,
            request=request,
            changes={
                "rota": locked.name,
                "starts_at": starts_at.isoformat(),
                "members": [before_members, [m.pk for m in members]],
            },
        )
    return locked


def rota_delete(*, actor: User, rota: OnCallRota, request: HttpRequest | None = None) -> None:
    """The services it called fall back to their channels (their rota becomes empty)."""
    _require_admin(actor)
    _delete_audited(actor=actor, target=rota, name=rota.name, request=request)


def rota_override_add(
    *,
    actor: User,
    rota: OnCallRota,
    user: User,
    starts_at: datetime,
    ends_at: datetime,
    reason: str = "",
    request: HttpRequest | None = None,
) -> OnCallOverride:
    _require_admin(actor)
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("The end comes after the start.")})
    if not is_staff(user):
        raise ValidationError({"user": _("Only active members of the IT staff can be on call.")})
    with transaction.atomic():
        override = OnCallOverride.objects.create(
            rota=rota, user=user, starts_at=starts_at, ends_at=ends_at, reason=reason[:200]
        )
        audit_record(
            action=AuditAction.MONITORING_CONFIG,
            actor=actor,
            target=rota,
            request=request,
            changes={"override": [user.pk, starts_at.isoformat(), ends_at.isoformat()]},
        )
    return override


def rota_override_remove(
    *, actor: User, override: OnCallOverride, request: HttpRequest | None = None
) -> None:
    _require_admin(actor)
    with transaction.atomic():
        audit_record(
            action=AuditAction.MONITORING_CONFIG,
            actor=actor,
            target=override.rota,
            request=request,
            changes={
                "override_removed": [
                    override.user_id,
                    override.starts_at.isoformat(),
                    override.ends_at.isoformat(),
                ]
            },
        )
        override.delete()


def _maintenance_validate(
    title: str, services: list[Service], starts_at: datetime, ends_at: datetime
) -> None:
    errors = {}
    if not title.strip():
        errors["title"] = _("Give the maintenance a title.")
    if ends_at <= starts_at:
        errors["ends_at"] = _("The end comes after the start.")
    if not services:
        errors["services"] = _("Choose at least one service.")
    if errors:
        raise ValidationError(errors)


def maintenance_create(
    *,
    actor: User,
    title: str,
    services: list[Service],
    starts_at: datetime,
    ends_at: datetime,
    description: str = "",
    request: HttpRequest | None = None,
) -> Maintenance:
    """Announce a window: the status pages show it, alerts of its services are held back,
    and the subscribers are mailed (now, and when it starts)."""
    _require_admin(actor)
    _maintenance_validate(title, services, starts_at, ends_at)
    with transaction.atomic():
        maintenance = Maintenance.objects.create(
            title=title.strip()[:200],
            description=description.strip(),
            starts_at=starts_at,
            ends_at=ends_at,
            created_by=actor,
        )
        maintenance.services.set(services)
        audit_record(
            action=AuditAction.MONITORING_CONFIG,
            actor=actor,
            target=maintenance,
            request=request,
            changes={"maintenance": [starts_at.isoformat(), ends_at.isoformat()]},
        )
        now = timezone.now()
        event = "started" if starts_at <= now else "planned"
        maintenance_announce(maintenance=maintenance, event=event, at=now)
        public_outputs_changed()
    return maintenance


def maintenance_update(
    *,
    actor: User,
    maintenance: Maintenance,
    title: str,
    services: list[Service],
    starts_at: datetime,
    ends_at: datetime,
    description: str = "",
    request: HttpRequest | None = None,
) -> Maintenance:
    """Change a window (e.g. end it early or extend it). A window moved to a later start is
    announced again when it starts."""
    _require_admin(actor)
    _maintenance_validate(title, services, starts_at, ends_at)
    with transaction.atomic():
        locked = Maintenance.objects.select_for_update().get(pk=maintenance.pk)
        before = [locked.starts_at.isoformat(), locked.ends_at.isoformat()]
        if starts_at > timezone.now():
            locked.start_announced_at = None
        locked.title = title.strip()[:200]
        locked.description = description.strip()
        locked.starts_at, locked.ends_at = starts_at, ends_at
        locked.save()
        locked.services.set(services)
        audit_record(
            action=AuditAction.MONITORING_CONFIG,
            actor=actor,
            target=locked,
            request=request,
            changes={"maintenance": [before, [starts_at.isoformat(), ends_at.isoformat()]]},
        )
        public_outputs_changed()
    return locked


def maintenance_delete(
    *, actor: User, maintenance: Maintenance, request: HttpRequest | None = None
) -> None:
    _require_admin(actor)
    _delete_audited(actor=actor, target=maintenance, name=maintenance.title, request=request)


def remote_prober_create(*, actor: User, location: str) -> tuple[RemoteProber, str]:
    """A prober in another zone; its token is shown once and stored hashed."""
    _require_admin(actor)
    location = location.strip()
    if not location or location == "local":
        raise ValidationError({"location": _("Give the prober's location name.")})
    token = "rlp_" + token_secrets.token_urlsafe(32)
    with transaction.atomic():
        prober = RemoteProber.objects.create(
            location=location[:50], token_hash=hashlib.sha256(token.encode()).hexdigest()
        )
        audit_record(action=AuditAction.SECRET_CHANGE, actor=actor, target=prober)
    return prober, token


def remote_prober_authenticate(token: str) -> RemoteProber | None:
    if not token.startswith("rlp_"):
        return None
    digest = hashlib.sha256(token.encode()).hexdigest()
    return RemoteProber.objects.filter(token_hash=digest, is_active=True).first()


def remote_prober_seen(*, prober: RemoteProber) -> None:
    from django.utils import timezone

    RemoteProber.objects.filter(pk=prober.pk).update(last_seen_at=timezone.now())
