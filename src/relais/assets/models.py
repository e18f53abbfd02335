"""The asset park: catalogue, assets and their history, loans, ticket links, deployment
campaigns, the telework flag on people, import jobs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from relais.assets.choices import (
    AssetKind,
    AssetState,
    CampaignState,
    EventKind,
    ImportState,
    ReturnCondition,
    TargetState,
)
from relais.core.models import TimeStampedModel


class AssetType(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=AssetKind.choices)
    lendable = models.BooleanField(_("can be lent"), default=False)

    class Meta:
        verbose_name = _("asset type")
        verbose_name_plural = _("asset types")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Supplier(models.Model):
    name = models.CharField(_("name"), max_length=150, unique=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AssetModel(models.Model):
    asset_type = models.ForeignKey(
        AssetType, verbose_name=_("type"), on_delete=models.PROTECT, related_name="models"
    )
    manufacturer = models.CharField(_("manufacturer"), max_length=100)
    name = models.CharField(_("model"), max_length=150)
    specifications = models.TextField(_("specifications"), blank=True)

    class Meta:
        verbose_name = _("asset model")
        verbose_name_plural = _("asset models")
        ordering = ["manufacturer", "name"]
        constraints = [
            models.UniqueConstraint(fields=["manufacturer", "name"], name="assets_model_unique")
        ]

    def __str__(self) -> str:
        return f"{self.manufacturer} {self.name}"


class Asset(TimeStampedModel):
    tag = models.CharField(_("asset tag"), max_length=32, unique=True)
    serial_number = models.CharField(_("serial number"), max_length=64, blank=True)
    hostname = models.CharField(_("hostname"), max_length=63, blank=True)
    mac_address = models.CharField(_("MAC address"), max_length=17, blank=True)
    model = models.ForeignKey(
        AssetModel, verbose_name=_("model"), on_delete=models.PROTECT, related_name="assets"
    )
    # Copied from the model by the services so that list filters need no join.
    asset_type = models.ForeignKey(
        AssetType, verbose_name=_("type"), on_delete=models.PROTECT, related_name="assets"
    )
    state = models.CharField(
        _("state"), max_length=16, choices=AssetState.choices, default=AssetState.IN_STOCK
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assets",
    )
    site = models.ForeignKey(
        "accounts.Site",
        verbose_name=_("site"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assets",
    )
    stock_room = models.CharField(_("stock room"), max_length=100, blank=True)
    supplier = models.ForeignKey(
        Supplier,
        verbose_name=_("supplier"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assets",
    )
    purchase_date = models.DateField(_("purchase date"), null=True, blank=True)
    warranty_end = models.DateField(_("end of warranty"), null=True, blank=True)
    cost = models.DecimalField(
        _("cost (€)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    notes = models.TextField(_("notes"), blank=True, max_length=5000)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("asset")
        verbose_name_plural = _("assets")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["state", "-id"], name="asset_state_idx"),
            models.Index(fields=["asset_type", "state", "-id"], name="asset_type_idx"),
            models.Index(fields=["site", "state", "-id"], name="asset_site_idx"),
            models.Index(fields=["assigned_to", "state", "asset_type"], name="asset_holder_idx"),
            models.Index(fields=["serial_number"], name="asset_serial_idx"),
            models.Index(fields=["hostname"], name="asset_hostname_idx"),
        ]

    def __str__(self) -> str:
        return self.tag

    def get_absolute_url(self) -> str:
        return reverse("assets:detail", args=[self.pk])


class AssetEvent(models.Model):
    """One line of an asset's history: who did what, when and why (codes, not labels)."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16, blank=True)
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["asset", "-created_at"], name="asset_event_idx")]

    def __str__(self) -> str:
        return f"{self.asset_id} {self.kind}"


class AssetAttachment(models.Model):
    """A file about an asset (a signed delivery receipt…), stored through core.files."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="attachments")
    storage_name = models.CharField(max_length=200, editable=False)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.original_name


class Loan(models.Model):
    asset = models.ForeignKey(
        Asset, verbose_name=_("asset"), on_delete=models.PROTECT, related_name="loans"
    )
    borrower = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("borrower"),
        on_delete=models.PROTECT,
        related_name="asset_loans",
    )
    lent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    starts_on = models.DateField(_("lent on"))
    due_on = models.DateField(_("due back on"))
    returned_at = models.DateTimeField(_("returned"), null=True, blank=True)
    return_condition = models.CharField(
        _("condition on return"), max_length=16, choices=ReturnCondition.choices, blank=True
    )
    return_notes = models.CharField(_("return notes"), max_length=500, blank=True)
    reminded_before_on = models.DateField(null=True, blank=True, editable=False)
    reminded_overdue_on = models.DateField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["asset"], condition=Q(returned_at__isnull=True), name="loan_one_open"
            )
        ]
        indexes = [
            models.Index(
                fields=["due_on"], condition=Q(returned_at__isnull=True), name="loan_open_due_idx"
            ),
            models.Index(fields=["borrower", "-starts_on"], name="loan_borrower_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.asset_id} → {self.borrower_id}"

    @property
    def is_open(self) -> bool:
        return self.returned_at is None


class TicketAsset(models.Model):
    """An asset a ticket is about (chosen in the ticket form or linked by an agent)."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="ticket_links")
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "asset"], name="ticket_asset_unique")
        ]
        indexes = [models.Index(fields=["asset", "-created_at"], name="ticket_asset_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id} ↔ {self.asset_id}"


class RemoteAccess(models.Model):
    """A person's remote-access means not carried by an asset (VPN account, MFA enrolled)."""

    person = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="remote_access"
    )
    enabled = models.BooleanField(_("remote access (VPN / MFA enrolled)"), default=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("remote access")
        verbose_name_plural = _("remote access")

    def __str__(self) -> str:
        return f"{self.person_id}: {self.enabled}"


class Campaign(TimeStampedModel):
    name = models.CharField(_("name"), max_length=150)
    description = models.TextField(_("description"), blank=True, max_length=5000)
    state = models.CharField(
        _("state"), max_length=16, choices=CampaignState.choices, default=CampaignState.ACTIVE
    )
    asset_models = models.ManyToManyField(
        AssetModel, verbose_name=_("models to deploy"), related_name="campaigns", blank=True
    )
    org_units = models.ManyToManyField(
        "accounts.OrgUnit", verbose_name=_("directions"), related_name="+", blank=True
    )
    sites = models.ManyToManyField(
        "accounts.Site", verbose_name=_("sites"), related_name="+", blank=True
    )
    due_on = models.DateField(_("deadline"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("deployment campaign")
        verbose_name_plural = _("deployment campaigns")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("assets:campaign", args=[self.pk])


class CampaignTarget(models.Model):
    """One person of a campaign's population and where their delivery stands."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="targets")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="campaign_targets"
    )
    # The person's direction when they were added: the chart groups by it.
    direction = models.ForeignKey(
        "accounts.OrgUnit", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(
        _("state"), max_length=16, choices=TargetState.choices, default=TargetState.TO_PREPARE
    )
    asset = models.ForeignKey(
        Asset, null=True, blank=True, on_delete=models.SET_NULL, related_name="campaign_targets"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "person"], name="campaign_target_once")
        ]
        indexes = [models.Index(fields=["campaign", "state"], name="campaign_target_state_idx")]

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.person_id} {self.state}"


class ImportJob(models.Model):
    """An uploaded asset file, checked (dry run) or imported in the background."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    dry_run = models.BooleanField(default=True)
    state = models.CharField(
        max_length=16, choices=ImportState.choices, default=ImportState.PENDING
    )
    storage_name = models.CharField(max_length=200, editable=False)
    original_name = models.CharField(max_length=255)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.state})"

    @property
    def percent(self) -> int:
        if self.state in (ImportState.DONE, ImportState.FAILED):
            return 100
        if not self.total_rows:
            return 0
        return min(100, self.processed_rows * 100 // self.total_rows)
