from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COLLABORATOR = "collaborator", _("Collaborator")
    AGENT = "agent", _("Agent")
    SUPERVISOR = "supervisor", _("Supervisor")
    ADMIN = "admin", _("Administrator")


STAFF_ROLES = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})


class OrgUnitKind(models.TextChoices):
    DIRECTION = "direction", _("Direction")
    SERVICE = "service", _("Service")


class SiteKind(models.TextChoices):
    HEAD_OFFICE = "head_office", _("Head office")
    AGENCY = "agency", _("Agency")
    BUILDING = "building", _("Building")
    STOCK_ROOM = "stock_room", _("Stock room")


class TokenScope(models.TextChoices):
    READ = "read", _("Read only")
    WRITE = "write", _("Read and write")
