from django.db import models
from django.utils.translation import gettext_lazy as _


class DashboardKey(models.TextChoices):
    TICKETS = "tickets", _("Service desk activity")
    SLA = "sla", _("Service levels")
    SATISFACTION = "satisfaction", _("Satisfaction")
    KNOWLEDGE = "knowledge", _("Knowledge")
    COMMUNITY = "community", _("Peer help")
    WATCH = "watch", _("Service watch")
    PARK = "park", _("Assets")


# Dashboards whose figures are tickets: the team, category, priority, direction and site
# filters apply, and an agent's are forced to their teams.
TICKET_DASHBOARDS = frozenset({DashboardKey.TICKETS, DashboardKey.SLA, DashboardKey.SATISFACTION})


class PeriodKind(models.TextChoices):
    WEEK = "week", _("This week")
    MONTH = "month", _("This month")
    QUARTER = "quarter", _("This quarter")
    PREVIOUS_MONTH = "previous_month", _("Last month")
    CUSTOM = "custom", _("Custom dates")


class Frequency(models.TextChoices):
    WEEKLY = "weekly", _("Weekly (the past week, on Mondays)")
    MONTHLY = "monthly", _("Monthly (the past month, on the 1st)")
