"""Personal data (RGPD): everything Relais holds about one person, exported or erased.

What "about one person" means is read from the models, so that a table added later is
covered without a list to maintain: every row that points to the person through a foreign key
or a many-to-many relation, plus the rows that name them only by e-mail address
(`ADDRESS_FIELDS`: mail that came from them, the status-page subscription). Fields holding
secrets (password and token hashes, sealed values, OTP keys) are never exported.

Export: a ZIP (`personal-data.json` + the files the person uploaded) in the storage, behind a
link that works for an administrator during EXPORT_HOURS; creating it is audited.

Erasure is pseudonymisation: the account keeps its row — ticket numbers, the history of
tickets, the audit trail and the community's threads stay whole — but its name, address,
phone, directory identity and password are replaced or removed, it cannot log in again, its
tokens, second-factor devices and personal settings are deleted, mail from its address loses
the address, the raw message and the originals, its status-page subscription ends, the exports
of its data are deleted with their files, and the cached lists of people are dropped. Text
the person wrote stays, under the pseudonym: an administrator removes it where it names them.
"""

from __future__ import annotations

import hashlib
import io
import json
import secrets
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.apps import apps
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from relais.core.cache import delete_prefixed
from relais.core.choices import AuditAction
from relais.core.models import OutboxMessage, PersonalDataExport
from relais.core.services import audit_record

if TYPE_CHECKING:
    from relais.accounts.models import User

EXPORT_HOURS = 24
EXPORT_FOLDER = "exports"
SECRET_WORDS = ("password", "hash", "secret", "sealed", "key", "token", "otp")
# Rows that name a person by address only: (model, field).
ADDRESS_FIELDS = [
    ("mail.InboundMessage", "sender"),
    ("mail.Correspondent", "address"),
    ("mail.MailReference", "address"),
    ("monitoring.Subscription", "email"),
]
# Rows that are the person's own settings or credentials: deleted on erasure.
PERSONAL_SETTINGS = [
    ("accounts.ApiToken", "user"),
    ("tickets.SavedView", "owner"),
    ("tickets.NotificationPreference", "user"),
    ("community.Follow", "user"),
    ("community.Notification", "user"),
    ("otp_totp.TOTPDevice", "user"),
    ("otp_static.StaticDevice", "user"),
]
# Cache entries that may hold people's names (lists of people for forms, the queue's filter
# panel): dropped after an erasure rather than left to expire. A new cache of names or
# addresses adds its key prefix here (tests/core/test_privacy_traces.py scans the whole cache).
PEOPLE_CACHE_PREFIXES = ("choices:", "template.cache.ticket_filters.")
# Files a row points to, and the field naming who uploaded them.
UPLOADS = [
    ("tickets.Attachment", "storage_name", "uploaded_by"),
    ("kb.ArticleImage", "storage_name", "uploaded_by"),
    ("assets.AssetAttachment", "storage_name", "uploaded_by"),
]


# --- what there is about a person -------------------------------------------------------------


def _is_secret(name: str) -> bool:
    return any(word in name for word in SECRET_WORDS)


def _value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return None
    return value


def _row(obj: models.Model) -> dict[str, Any]:
    return {
        field.attname: _value(getattr(obj, field.attname))
        for field in obj._meta.concrete_fields
        if not _is_secret(field.name)
    }


def _user_model() -> type[models.Model]:
    return apps.get_model(settings.AUTH_USER_MODEL)


def _relations() -> list[tuple[type[models.Model], str]]:
    """(model, lookup) for every relation that can point to a person."""
    user_model = _user_model()
    found: list[tuple[type[models.Model], str]] = []
    for model in apps.get_models():
        if model is user_model or model._meta.proxy:
            continue
        for field in model._meta.get_fields():
            if (
                (field.many_to_one or field.one_to_one or field.many_to_many)
                and field.concrete
                and field.related_model is user_model
            ):
                found.append((model, field.name))
    return found


def _label(model: type[models.Model]) -> str:
    return f"{model._meta.app_label}.{model.__name__}"


def _address_query(model: type[models.Model], field: str, address: str) -> models.QuerySet[Any]:
    return model._default_manager.filter(**{f"{field}__iexact": address})


def personal_data(person: User) -> dict[str, Any]:
    """Everything about `person`, as JSON-ready data."""
    data: dict[str, Any] = {"profile": _row(person), "relations": {}}
    for model, lookup in _relations():
        rows = [_row(obj) for obj in model._default_manager.filter(**{lookup: person})]
        if rows:
            data["relations"].setdefault(_label(model), {})[lookup] = rows
    for label, field in ADDRESS_FIELDS:
        model = apps.get_model(label)
        rows = [_row(obj) for obj in _address_query(model, field, person.email)]
        if rows:
            data["relations"].setdefault(label, {})[field] = rows
    return data


def _uploads(person: User) -> list[tuple[str, str]]:
    """(storage name, name in the archive) of the files the person uploaded."""
    files = []
    for label, name_field, owner in UPLOADS:
        model = apps.get_model(label)
        for name, original in model._default_manager.filter(**{owner: person}).values_list(
            name_field, "original_name"
        ):
            files.append((name, f"files/{name.replace('/', '_')}-{original}"))
    return files


# --- export -------------------------------------------------------------------------------------


@dataclass
class IssuedExport:
    export: PersonalDataExport
    token: str  # shown once, in the link; only its hash is stored


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def export_archive(person: User) -> bytes:
    """The ZIP: personal-data.json and the files the person uploaded."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        payload = {
            "generated_at": timezone.now().isoformat(),
            "person": person.pk,
            **personal_data(person),
        }
        archive.writestr(
            "personal-data.json", json.dumps(payload, indent=1, ensure_ascii=False, default=str)
        )
        for name, archived in _uploads(person):
            if default_storage.exists(name):
                with default_storage.open(name, "rb") as handle:
                    archive.writestr(archived, handle.read())
    return buffer.getvalue()


def personal_data_export(
    *, person: User, actor: User | None, request: HttpRequest | None = None
) -> IssuedExport:
    """Write the archive to the storage behind a link valid EXPORT_HOURS (audited)."""
    token = secrets.token_urlsafe(32)
    # Named like every stored file (core.files): served only through file_response.
    stored = default_storage.save(
        f"{EXPORT_FOLDER}/{timezone.now():%Y/%m}/{secrets.token_hex(16)}",
        ContentFile(export_archive(person)),
    )
    with transaction.atomic():
        export = PersonalDataExport.objects.create(
            person=person,
            created_by=actor,
            storage_name=stored,
            token_hash=_token_hash(token),
            expires_at=timezone.now() + timedelta(hours=EXPORT_HOURS),
        )
        audit_record(
            action=AuditAction.PERSONAL_DATA_EXPORT,
            actor=actor,
            actor_label="" if actor else "relais privacy",
            target=person,
            request=request,
        )
    return IssuedExport(export, token)


def personal_data_export_to(path: Path, *, person: User, actor: User | None = None) -> None:
    """Write the archive to a file (the command line's export; audited)."""
    path.write_bytes(export_archive(person))
    audit_record(
        action=AuditAction.PERSONAL_DATA_EXPORT,
        actor=actor,
        actor_label="" if actor else "relais privacy",
        target=person,
    )


def export_for_token(token: str) -> PersonalDataExport | None:
    """The export a link names, while it lasts."""
    return PersonalDataExport.objects.filter(
        token_hash=_token_hash(token), expires_at__gt=timezone.now()
    ).first()


def exports_purge(*, now: datetime | None = None) -> int:
    """Delete expired exports and their files (hourly)."""
    removed = 0
    for export in PersonalDataExport.objects.filter(expires_at__lte=now or timezone.now()):
        default_storage.delete(export.storage_name)
        export.delete()
        removed += 1
    return removed


# --- erasure ------------------------------------------------------------------------------------


ERASED_DOMAIN = "@relais.invalid"


def pseudonym_address(person: User) -> str:
    return f"personne-effacee-{person.pk}{ERASED_DOMAIN}"


def personal_data_erase(
    *, person: User, actor: User | None, request: HttpRequest | None = None
) -> dict[str, int]:
    """Pseudonymise `person` (see the module's docstring); returns what changed, by kind."""
    address = person.email
    alias = pseudonym_address(person)
    counts: dict[str, int] = {}
    with transaction.atomic():
        for label, lookup in PERSONAL_SETTINGS:
            deleted, _details = (
                apps.get_model(label)._default_manager.filter(**{lookup: person}).delete()
            )
            counts[label] = deleted
        counts.update(_erase_address(address, alias))
        # Archives of the person's data made for the DPO: their files go with them.
        exports = PersonalDataExport.objects.filter(person=person)
        for name in exports.values_list("storage_name", flat=True):
            transaction.on_commit(partial(default_storage.delete, name))
        counts["core.PersonalDataExport"], _details = exports.delete()
        transaction.on_commit(partial(delete_prefixed, PEOPLE_CACHE_PREFIXES))
        person.display_name = f"Personne effacée n° {person.pk}"
        person.email = alias
        person.phone = ""
        person.org_unit = None
        person.site = None
        person.manager = None
        person.directory_login = None
        person.directory_dn = ""
        person.is_active = False
        person.set_unusable_password()
        person.save()
        audit_record(
            action=AuditAction.PERSONAL_DATA_ERASE,
            actor=actor,
            actor_label="" if actor else "relais privacy",
            target=person,
            request=request,
            changes={"pseudonym": person.display_name},
        )
    return counts


def _erase_address(address: str, alias: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    inbound = apps.get_model("mail.InboundMessage")
    raw_names = list(
        _address_query(inbound, "sender", address)
        .filter(raw_purged_at__isnull=True)
        .values_list("raw_name", flat=True)
    )
    counts["mail.InboundMessage"] = _address_query(inbound, "sender", address).update(
        sender=alias,
        sender_name="",
        original_text="",
        original_html="",
        raw_purged_at=timezone.now(),
    )
    for name in raw_names:
        transaction.on_commit(partial(default_storage.delete, name))
    counts["mail.Correspondent"], _details = _address_query(
        apps.get_model("mail.Correspondent"), "address", address
    ).delete()
    counts["mail.MailReference"] = _address_query(
        apps.get_model("mail.MailReference"), "address", address
    ).update(address=alias)
    counts["monitoring.Subscription"], _details = _address_query(
        apps.get_model("monitoring.Subscription"), "email", address
    ).delete()
    # Mail to the person, queued or sent: the address and the bodies go (an address ending in
    # .invalid is never delivered).
    rewritten = 0
    for message in OutboxMessage.objects.filter(Q(payload__to__icontains=address)):
        recipients = message.payload.get("to") or []
        if not any(str(r).lower() == address.lower() for r in recipients):
            continue
        message.payload = {
            **message.payload,
            "to": [alias if str(r).lower() == address.lower() else r for r in recipients],
            "text": "",
            "html": "",
        }
        message.save(update_fields=["payload"])
        rewritten += 1
    counts["core.OutboxMessage"] = rewritten
    return counts
