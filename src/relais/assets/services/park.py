"""Assets, their lifecycle and history, attachments, loans, ticket links, remote access."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from relais.assets import permissions
from relais.assets.choices import (
    NEEDS_HOLDER,
    NO_HOLDER,
    TRANSITIONS,
    AssetState,
    EventKind,
    ReturnCondition,
)
from relais.assets.models import (
    Asset,
    AssetAttachment,
    AssetEvent,
    AssetModel,
    Loan,
    RemoteAccess,
    Supplier,
    TicketAsset,
)
from relais.core import files
from relais.core.choices import AuditAction
from relais.core.services import audit_record, email_enqueue

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from relais.accounts.models import Site, User
    from relais.tickets.models import Ticket

TAG_PREFIX = "RLS-"
_MAC_HEX = re.compile(r"[0-9A-Fa-f]{12}")
_MAC_FORMS = (
    re.compile(r"^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$"),
    re.compile(r"^[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}$"),
    re.compile(r"^[0-9A-Fa-f]{12}$"),
)
_HOSTNAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_TAG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,31}$")

# Fields of an asset the edit form and the API may change (mass-assignment allow-list).
EDITABLE_FIELDS = (
    "serial_number",
    "hostname",
    "mac_address",
    "model",
    "site",
    "stock_room",
    "supplier",
    "purchase_date",
    "warranty_end",
    "cost",
    "notes",
)


def mac_normalize(value: str) -> str:
    """`AA:BB:CC:DD:EE:FF` from the usual spellings; ValueError when it is not a MAC."""
    value = value.strip()
    if not value:
        return ""
    if not any(form.match(value) for form in _MAC_FORMS):
        raise ValueError(value)
    digits = re.sub(r"[^0-9A-Fa-f]", "", value).upper()
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


def state_label(state: str) -> str:
    return str(AssetState(state).label) if state in AssetState.values else state


@dataclass
class AssetData:
    model: AssetModel
    tag: str = ""
    serial_number: str = ""
    hostname: str = ""
    mac_address: str = ""
    site: Site | None = None
    stock_room: str = ""
    supplier: Supplier | None = None
    purchase_date: date | None = None
    warranty_end: date | None = None
    cost: Decimal | None = None
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def asset_validate(data: AssetData, *, instance: Asset | None = None) -> dict[str, str]:
    """Normalise `data` in place and return the field errors (French through gettext)."""
    errors: dict[str, str] = {}
    data.tag = data.tag.strip().upper()
    data.serial_number = data.serial_number.strip()[:64]
    data.hostname = data.hostname.strip()
    if data.tag and not _TAG.match(data.tag):
        errors["tag"] = _(
            "An asset tag has 1 to 32 letters, digits, dots, dashes or slashes, and starts "
            "with a letter or a digit."
        )
    elif data.tag:
        clash = Asset.objects.filter(tag=data.tag)
        if instance is not None:
            clash = clash.exclude(pk=instance.pk)
        if clash.exists():
            errors["tag"] = _("Asset tag %(tag)s is already used.") % {"tag": data.tag}
    if data.hostname and not _HOSTNAME.match(data.hostname):
        errors["hostname"] = _("A hostname has letters, digits and dashes only (63 at most).")
    try:
        data.mac_address = mac_normalize(data.mac_address)
    except ValueError:
        errors["mac_address"] = _(
            "This is not a MAC address (expected six pairs of hexadecimal digits, "
            "e.g. 3C:52:82:1A:2B:3C)."
        )
    if data.cost is not None and data.cost < 0:
        errors["cost"] = _("A cost cannot be negative.")
    if data.purchase_date and data.warranty_end and data.warranty_end < data.purchase_date:
        errors["warranty_end"] = _("The warranty cannot end before the purchase date.")
    return errors


def tag_generate() -> str:
    """The next free generated tag (RLS-000001…); the unique constraint settles races."""
    last = Asset.objects.aggregate(m=Max("pk"))["m"] or 0
    number = last + 1
    while True:
        tag = f"{TAG_PREFIX}{number:06d}"
        if not Asset.objects.filter(tag=tag).exists():
            return tag
        number += 1


def _require(actor: User, action: str, asset: Asset | None = None) -> None:
    if not permissions.assets.can(actor, action, asset):
        raise PermissionDenied


def _event(asset: Asset, kind: str, actor: User | None, **fields: Any) -> AssetEvent:
    return AssetEvent.objects.create(asset=asset, kind=kind, actor=actor, **fields)


@transaction.atomic
def asset_create(
    *, actor: User, data: AssetData, request: HttpRequest | None = None, reason: str = ""
) -> Asset:
    _require(actor, "create")
    errors = asset_validate(data)
    if errors:
        raise ValidationError(errors)
    asset = Asset.objects.create(
        tag=data.tag or tag_generate(),
        serial_number=data.serial_number,
        hostname=data.hostname,
        mac_address=data.mac_address,
        model=data.model,
        asset_type_id=data.model.asset_type_id,
        site=data.site,
        stock_room=data.stock_room.strip()[:100],
        supplier=data.supplier,
        purchase_date=data.purchase_date,
        warranty_end=data.warranty_end,
        cost=data.cost,
        notes=data.notes,
    )
    _event(asset, EventKind.CREATED, actor, to_state=asset.state, reason=reason[:500])
    audit_record(
        action=AuditAction.ASSET_CHANGE,
        actor=actor,
        target=asset,
        request=request,
        changes={"created": asset.tag},
    )
    return asset


class AssetConflict(Exception):
    """The asset changed since the editor loaded it."""


@transaction.atomic
def asset_update(
    *,
    actor: User,
    asset: Asset,
    data: AssetData,
    expected_version: int | None = None,
    request: HttpRequest | None = None,
) -> Asset:
    _require(actor, "edit", asset)
    locked = Asset.objects.select_for_update().get(pk=asset.pk)
    if expected_version is not None and locked.version != expected_version:
        raise AssetConflict
    data.tag = ""  # the tag is printed on the label: it never changes
    errors = asset_validate(data, instance=locked)
    if errors:
        raise ValidationError(errors)
    changes: dict[str, list[Any]] = {}
    for name in EDITABLE_FIELDS:
        new = getattr(data, name)
        old = getattr(locked, name)
        if name in ("stock_room",):
            new = new.strip()[:100]
        if old != new:
            changes[name] = [_plain(old), _plain(new)]
            setattr(locked, name, new)
    if not changes:
        return locked
    locked.asset_type_id = locked.model.asset_type_id
    locked.version = F("version") + 1
    locked.save()
    locked.refresh_from_db()
    _event(locked, EventKind.UPDATED, actor, changes=changes)
    audit_record(
        action=AuditAction.ASSET_CHANGE,
        actor=actor,
        target=locked,
        request=request,
        changes=changes,
    )
    return locked


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | int | bool):
        return value
    if hasattr(value, "pk"):
        return value.pk
    return str(value)


def _check_move(asset: Asset, state: str, holder: User | None) -> None:
    if state not in AssetState.values:
        raise ValidationError({"state": _("Unknown state.")})
    if state not in TRANSITIONS[asset.state]:
        raise ValidationError(
            {
                "state": _(
                    "An asset cannot go from “%(old)s” to “%(new)s”. From “%(old)s” it may go "
                    "to: %(allowed)s."
                )
                % {
                    "old": state_label(asset.state),
                    "new": state_label(state),
                    "allowed": ", ".join(state_label(s) for s in sorted(TRANSITIONS[asset.state]))
                    or _("nothing (this is final)"),
                }
            }
        )
    if state in NEEDS_HOLDER and holder is None:
        raise ValidationError(
            {
                "holder": _("Say who receives the asset: “%(state)s” needs a person.")
                % {"state": state_label(state)}
            }
        )
    if holder is not None and not holder.is_active:
        raise ValidationError({"holder": _("This person's account is deactivated.")})


def _apply_move(
    *,
    actor: User | None,
    asset: Asset,
    state: str,
    holder: User | None,
    reason: str,
    request: HttpRequest | None,
    kind: str = EventKind.STATE,
) -> Asset:
    _check_move(asset, state, holder)
    old_state, old_holder_id = asset.state, asset.assigned_to_id
    if state in NO_HOLDER:
        new_holder_id = None
    elif state in NEEDS_HOLDER:
        new_holder_id = holder.pk if holder is not None else None
    else:  # in repair, lost, stolen: the record keeps whose it was
        new_holder_id = holder.pk if holder is not None else old_holder_id
    asset.state = state
    asset.assigned_to_id = new_holder_id
    asset.version = F("version") + 1
    asset.save(update_fields=["state", "assigned_to", "version", "updated_at"])
    asset.refresh_from_db(fields=["version"])
    _event(
        asset,
        kind,
        actor,
        from_state=old_state,
        to_state=state,
        from_user_id=old_holder_id,
        to_user_id=new_holder_id,
        reason=reason.strip()[:500],
    )
    audit_record(
        action=AuditAction.ASSET_CHANGE,
        actor=actor,
        actor_label="" if actor else "system",
        target=asset,
        request=request,
        changes={"state": [old_state, state], "holder": [old_holder_id, new_holder_id]},
    )
    return asset


@transaction.atomic
def asset_move(
    *,
    actor: User,
    asset: Asset,
    state: str,
    holder: User | None = None,
    reason: str = "",
    request: HttpRequest | None = None,
) -> Asset:
    """Move `asset` along its lifecycle; a transition not in TRANSITIONS is refused with a
    sentence saying which ones are possible. Lending and returns go through loans."""
    _require(actor, "move", asset)
    locked = Asset.objects.select_for_update().get(pk=asset.pk)
    if state == AssetState.ON_LOAN or (
        locked.state == AssetState.ON_LOAN and state == AssetState.IN_STOCK
    ):
        raise ValidationError(
            {"state": _("Loans start and end from the loan form (lend, check in).")}
        )
    return _apply_move(
        actor=actor, asset=locked, state=state, holder=holder, reason=reason, request=request
    )


@transaction.atomic
def asset_attach(
    *, actor: User, asset: Asset, upload: UploadedFile, request: HttpRequest | None = None
) -> AssetAttachment:
    """Store a file about the asset (e.g. the signed delivery receipt)."""
    _require(actor, "attach", asset)
    try:
        stored = files.store_upload(upload, folder="assets/attachments")
    except files.UploadRejected as exc:
        raise ValidationError({"file": exc.message}) from exc
    attachment = AssetAttachment.objects.create(
        asset=asset,
        storage_name=stored.storage_name,
        original_name=stored.original_name,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        uploaded_by=actor,
    )
    _event(asset, EventKind.ATTACHMENT, actor, reason=stored.original_name[:500])
    return attachment


def asset_files_sweep_orphans(*, older_than: timedelta) -> int:
    """Remove stored files nothing references any more: attachments whose upload rolled
    back, and import files whose job is gone or finished (a crashed worker's leftovers)."""
    from relais.assets.choices import ImportState
    from relais.assets.models import ImportJob

    removed = files.sweep_orphans(
        folder="assets/attachments",
        referenced=lambda name: AssetAttachment.objects.filter(storage_name=name).exists(),
        older_than=older_than,
    )
    return removed + files.sweep_orphans(
        folder="assets/imports",
        referenced=lambda name: ImportJob.objects.filter(
            storage_name=name, state__in=(ImportState.PENDING, ImportState.RUNNING)
        ).exists(),
        older_than=older_than,
    )


# --- Loans ---------------------------------------------------------------------------------


@transaction.atomic
def loan_create(
    *,
    actor: User,
    asset: Asset,
    borrower: User,
    due_on: date,
    reason: str = "",
    request: HttpRequest | None = None,
) -> Loan:
    _require(actor, "lend", asset)
    locked = Asset.objects.select_related("asset_type").select_for_update().get(pk=asset.pk)
    today = timezone.localdate()
    errors: dict[str, str] = {}
    if not locked.asset_type.lendable:
        errors["asset"] = _("Assets of type “%(type)s” are not lent.") % {
            "type": locked.asset_type.name
        }
    if due_on < today:
        errors["due_on"] = _("The due date cannot be in the past.")
    if errors:
        raise ValidationError(errors)
    _apply_move(
        actor=actor,
        asset=locked,
        state=AssetState.ON_LOAN,
        holder=borrower,
        reason=reason,
        request=request,
        kind=EventKind.LOAN,
    )
    return Loan.objects.create(
        asset=locked, borrower=borrower, lent_by=actor, starts_on=today, due_on=due_on
    )


@transaction.atomic
def loan_return(
    *,
    actor: User,
    loan: Loan,
    condition: str,
    notes: str = "",
    request: HttpRequest | None = None,
) -> Loan:
    """Check a lent asset back in: in stock when it came back in good condition, in repair
    otherwise."""
    locked = Loan.objects.select_for_update().get(pk=loan.pk)
    asset = Asset.objects.select_for_update().get(pk=locked.asset_id)
    _require(actor, "lend", asset)
    if locked.returned_at is not None:
        raise ValidationError(_("This loan has already been checked in."))
    if condition not in ReturnCondition.values:
        raise ValidationError({"condition": _("Say in which condition the asset came back.")})
    locked.returned_at = timezone.now()
    locked.return_condition = condition
    locked.return_notes = notes.strip()[:500]
    locked.save(update_fields=["returned_at", "return_condition", "return_notes"])
    if asset.state == AssetState.ON_LOAN:
        target = AssetState.IN_STOCK if condition == ReturnCondition.GOOD else AssetState.IN_REPAIR
        _apply_move(
            actor=actor,
            asset=asset,
            state=target,
            holder=None,
            reason=notes or str(ReturnCondition(condition).label),
            request=request,
            kind=EventKind.RETURN,
        )
        if target == AssetState.IN_REPAIR:
            asset.assigned_to_id = None
            asset.save(update_fields=["assigned_to"])
    return locked


def _loan_mail(loan: Loan, *, overdue: bool) -> None:
    borrower = loan.borrower
    with translation.override(borrower.language or settings.LANGUAGE_CODE):
        context = {
            "name": borrower.display_name,
            "tag": loan.asset.tag,
            "model": str(loan.asset.model),
            "due": loan.due_on.strftime("%d/%m/%Y"),
        }
        if overdue:
            subject = _("Loan overdue: %(tag)s") % context
            text = (
                _(
                    "Hello %(name)s,\n\nThe %(model)s (asset %(tag)s) lent to you was due back on "
                    "%(due)s. Please bring it back to the IT department or reply to arrange its "
                    "return.\n\nThe IT department"
                )
                % context
            )
        else:
            subject = _("Loan due back on %(due)s: %(tag)s") % context
            text = (
                _(
                    "Hello %(name)s,\n\nThe %(model)s (asset %(tag)s) lent to you is due back on "
                    "%(due)s. Please bring it back to the IT department by then.\n\n"
                    "The IT department"
                )
                % context
            )
    email_enqueue(to=[borrower.email], subject=subject, text=text)


def loans_send_reminders(*, today: date | None = None) -> int:
    """Mail borrowers a few days before the due date (once) and after it (every few days),
    through the outbox. Safe to run any number of times a day."""
    today = today or timezone.localdate()
    before_days = settings.ASSETS_LOAN_REMINDER_DAYS_BEFORE
    every = settings.ASSETS_LOAN_OVERDUE_EVERY_DAYS
    sent = 0
    open_loans = Loan.objects.filter(
        returned_at__isnull=True, borrower__is_active=True, asset__state=AssetState.ON_LOAN
    )
    soon = open_loans.filter(
        due_on__gte=today,
        due_on__lte=today + timedelta(days=before_days),
        reminded_before_on__isnull=True,
    )
    for loan in soon.select_related("asset__model", "borrower").iterator(chunk_size=200):
        with transaction.atomic():
            if Loan.objects.filter(pk=loan.pk, reminded_before_on__isnull=True).update(
                reminded_before_on=today
            ):
                _loan_mail(loan, overdue=False)
                sent += 1
    late = open_loans.filter(due_on__lt=today).exclude(
        reminded_overdue_on__gt=today - timedelta(days=every)
    )
    for loan in late.select_related("asset__model", "borrower").iterator(chunk_size=200):
        with transaction.atomic():
            updated = (
                Loan.objects.filter(pk=loan.pk)
                .exclude(reminded_overdue_on__gt=today - timedelta(days=every))
                .update(reminded_overdue_on=today)
            )
            if updated:
                _loan_mail(loan, overdue=True)
                sent += 1
    return sent


# --- Tickets --------------------------------------------------------------------------------


@transaction.atomic
def ticket_asset_link(*, actor: User, ticket: Ticket, asset: Asset) -> TicketAsset:
    """Say that `ticket` is about `asset`. The requester may link only assets in their hands;
    the desk any asset."""
    if not permissions.is_desk(actor) and not (
        permissions.assets.can(actor, "view", asset) and asset.assigned_to_id == ticket.requester_id
    ):
        raise PermissionDenied
    link, _created = TicketAsset.objects.get_or_create(
        ticket=ticket, asset=asset, defaults={"linked_by": actor}
    )
    return link


def ticket_opened(*, actor: User, ticket: Ticket, asset_id: str | None) -> TicketAsset | None:
    """The hook the ticket form calls after opening a ticket: link the asset the requester
    chose among their own. An unknown or foreign id is ignored (the ticket is already made)."""
    if not asset_id:
        return None
    asset = Asset.objects.filter(
        pk=int(asset_id) if str(asset_id).isdigit() else 0,
        assigned_to_id=ticket.requester_id,
    ).first()
    if asset is None or not (
        permissions.is_desk(actor) or permissions.assets.can(actor, "view", asset)
    ):
        return None
    return ticket_asset_link(actor=actor, ticket=ticket, asset=asset)


# --- Remote access --------------------------------------------------------------------------


@transaction.atomic
def remote_access_set(
    *, actor: User, person: User, enabled: bool, request: HttpRequest | None = None
) -> RemoteAccess:
    if not permissions.readiness_allowed(actor):
        raise PermissionDenied
    row, _created = RemoteAccess.objects.update_or_create(
        person=person, defaults={"enabled": enabled, "updated_by": actor}
    )
    audit_record(
        action=AuditAction.ASSET_CHANGE,
        actor=actor,
        target=person,
        request=request,
        changes={"remote_access": enabled},
    )
    return row
