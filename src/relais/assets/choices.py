"""States and kinds of the asset park."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AssetKind(models.TextChoices):
    LAPTOP = "laptop", _("Laptop")
    DESKTOP = "desktop", _("Desktop")
    SCREEN = "screen", _("Screen")
    PHONE = "phone", _("Phone")
    TABLET = "tablet", _("Tablet")
    DONGLE_4G = "dongle_4g", _("4G dongle")
    SECURITY_KEY = "security_key", _("Security key / VPN token")
    DOCKING_STATION = "docking_station", _("Docking station")
    HEADSET = "headset", _("Headset")
    OTHER = "other", _("Other")


# Kinds that give remote access on their own (telework readiness).
REMOTE_ACCESS_KINDS = frozenset({AssetKind.SECURITY_KEY})


class AssetState(models.TextChoices):
    IN_STOCK = "in_stock", _("In stock")
    PREPARED = "prepared", _("Prepared")
    ASSIGNED = "assigned", _("Assigned")
    ON_LOAN = "on_loan", _("On loan")
    IN_REPAIR = "in_repair", _("In repair")
    LOST = "lost", _("Lost")
    STOLEN = "stolen", _("Stolen")
    RETIRED = "retired", _("Retired")


# Which state may follow which; anything else is refused with a message (services).
TRANSITIONS: dict[str, frozenset[str]] = {
    AssetState.IN_STOCK: frozenset(
        {
            AssetState.PREPARED,
            AssetState.ON_LOAN,
            AssetState.IN_REPAIR,
            AssetState.LOST,
            AssetState.STOLEN,
            AssetState.RETIRED,
        }
    ),
    AssetState.PREPARED: frozenset({AssetState.IN_STOCK, AssetState.ASSIGNED, AssetState.ON_LOAN}),
    AssetState.ASSIGNED: frozenset(
        {AssetState.IN_STOCK, AssetState.IN_REPAIR, AssetState.LOST, AssetState.STOLEN}
    ),
    AssetState.ON_LOAN: frozenset(
        {AssetState.IN_STOCK, AssetState.IN_REPAIR, AssetState.LOST, AssetState.STOLEN}
    ),
    AssetState.IN_REPAIR: frozenset({AssetState.IN_STOCK, AssetState.ASSIGNED, AssetState.RETIRED}),
    AssetState.LOST: frozenset({AssetState.IN_STOCK, AssetState.RETIRED}),
    AssetState.STOLEN: frozenset({AssetState.IN_STOCK, AssetState.RETIRED}),
    AssetState.RETIRED: frozenset(),
}

# States in which an asset is in someone's hands (it shows in "Mon équipement").
HELD_STATES = frozenset({AssetState.ASSIGNED, AssetState.ON_LOAN, AssetState.IN_REPAIR})
# States that need a person; the others (in stock, prepared, retired) have nobody.
NEEDS_HOLDER = frozenset({AssetState.ASSIGNED, AssetState.ON_LOAN})
NO_HOLDER = frozenset({AssetState.IN_STOCK, AssetState.PREPARED, AssetState.RETIRED})


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    IMPORTED = "imported", _("Imported")
    STATE = "state", _("State changed")
    UPDATED = "updated", _("Details changed")
    ATTACHMENT = "attachment", _("Attachment added")
    LOAN = "loan", _("Lent")
    RETURN = "return", _("Returned")


class ReturnCondition(models.TextChoices):
    GOOD = "good", _("Good condition")
    DAMAGED = "damaged", _("Damaged")
    INCOMPLETE = "incomplete", _("Missing parts")


class CampaignState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("In progress")
    CLOSED = "closed", _("Closed")


class TargetState(models.TextChoices):
    TO_PREPARE = "to_prepare", _("To prepare")
    READY = "ready", _("Ready")
    DELIVERED = "delivered", _("Delivered")
    REFUSED = "refused", _("Refused")


WAITING_TARGET_STATES = frozenset({TargetState.TO_PREPARE, TargetState.READY})


class ImportState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
