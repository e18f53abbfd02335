"""Users, the organisation they belong to, agent teams and personal API tokens."""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from relais.accounts.choices import STAFF_ROLES, OrgUnitKind, Role, SiteKind, TokenScope
from relais.core.models import TimeStampedModel


class OrgUnit(TimeStampedModel):
    """A direction, or a service inside a direction."""

    name = models.CharField(_("name"), max_length=150)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=OrgUnitKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent direction"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        verbose_name = _("organisational unit")
        verbose_name_plural = _("organisational units")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind=OrgUnitKind.DIRECTION, parent__isnull=True)
                | models.Q(kind=OrgUnitKind.SERVICE, parent__isnull=False),
                name="orgunit_service_has_direction",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def direction(self) -> OrgUnit:
        return self.parent if self.parent_id and self.parent is not None else self


class Site(TimeStampedModel):
    name = models.CharField(_("name"), max_length=150)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=SiteKind.choices)
    address = models.CharField(_("address"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def with_email(self, address: str | None) -> models.QuerySet[User]:
        """People with this address, whatever its case. Written as lower(email) = …, the form
        the unique index on lower(email) serves (`email__iexact` compiles to a scan)."""
        return self.alias(email_lower=Lower("email")).filter(
            email_lower=(address or "").strip().lower()
        )

    def get_by_natural_key(self, username: str | None) -> User:
        return self.with_email(username).get()

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(role=Role.ADMIN, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("e-mail address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=150)
    role = models.CharField(
        _("role"), max_length=16, choices=Role.choices, default=Role.COLLABORATOR
    )
    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("direction / service"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    site = models.ForeignKey(
        Site,
        verbose_name=_("site"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, default="fr"
    )
    manager = models.ForeignKey(
        "self",
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
    )
    # Set for people who come from the directory (LDAP / Active Directory): their login there
    # (lower case) and their entry's DN. Local accounts (break-glass administrators) have none
    # and are never touched by directory-sync.
    directory_login = models.CharField(
        _("directory login"), max_length=150, null=True, blank=True, unique=True
    )
    directory_dn = models.CharField(_("directory DN"), max_length=512, blank=True, db_index=True)
    directory_synced_at = models.DateTimeField(_("last directory update"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # An explicit grant, given by an administrator (audited): reads the intermediate archive
    # of closed tickets (tickets.permissions.ArchivePolicy), whatever the role.
    reads_archive = models.BooleanField(_("archive reader"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["display_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["display_name", "id"]
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]
        indexes = [models.Index(fields=["role", "is_active"], name="user_role_idx")]

    def __str__(self) -> str:
        return self.display_name or self.email

    # Django admin compatibility: only administrators reach it.
    @property
    def is_staff(self) -> bool:
        return self.is_active and self.role == Role.ADMIN

    @property
    def is_staff_member(self) -> bool:
        """Agents, supervisors and administrators: the people who work the desk."""
        return self.role in STAFF_ROLES

    @property
    def is_directory_user(self) -> bool:
        return self.directory_login is not None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    # Administrators hold every model permission (the Django admin relies on them); the
    # product's own rules live in the permission policies, not in these flags.
    def has_perm(self, perm: str, obj: models.Model | None = None) -> bool:
        if self.is_active and self.role == Role.ADMIN:
            return True
        return super().has_perm(perm, obj)

    def has_module_perms(self, app_label: str) -> bool:
        if self.is_active and self.role == Role.ADMIN:
            return True
        return super().has_module_perms(app_label)

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.display_name.split(" ")[0] if self.display_name else self.email


class Team(TimeStampedModel):
    """An agent team (support group) that tickets are assigned to."""

    name = models.CharField(_("name"), max_length=150, unique=True)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    email = models.EmailField(_("team e-mail"), blank=True)
    members = models.ManyToManyField(
        User, verbose_name=_("members"), related_name="teams", blank=True
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def hash_token(secret: str) -> str:
    # Tokens carry 256 bits of entropy, so a fast hash is enough (no dictionary to guess from).
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiToken(models.Model):
    TOKEN_PREFIX = "rls_"  # noqa: S105  (a public marker, not a secret)

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    scope = models.CharField(
        _("scope"), max_length=8, choices=TokenScope.choices, default=TokenScope.READ
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
