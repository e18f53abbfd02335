"""States and kinds of the service watch."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CheckKind(models.TextChoices):
    HTTP = "http", _("HTTP(S)")
    TCP = "tcp", _("TCP connection")
    DNS = "dns", _("DNS resolution")
    TLS = "tls", _("TLS certificate")
    HEARTBEAT = "heartbeat", _("Heartbeat (push)")
    ICMP = "icmp", _("Ping (ICMP)")


class CheckState(models.TextChoices):
    UNKNOWN = "unknown", _("Unknown")
    UP = "up", _("Up")
    DEGRADED = "degraded", _("Degraded")
    DOWN = "down", _("Down")


class ServiceState(models.TextChoices):
    OPERATIONAL = "operational", _("Operational")
    DEGRADED = "degraded", _("Degraded performance")
    DOWN = "down", _("Outage")
    MAINTENANCE = "maintenance", _("Maintenance")
    UNKNOWN = "unknown", _("Unknown (data stale)")


# Worst first: a service shows the worst state of its checks.
STATE_SEVERITY: dict[str, int] = {
    CheckState.DOWN: 3,
    CheckState.DEGRADED: 2,
    CheckState.UNKNOWN: 1,
    CheckState.UP: 0,
}


class AuthKind(models.TextChoices):
    NONE = "", _("None")
    BASIC = "basic", _("Basic (user and password)")
    BEARER = "bearer", _("Bearer token")


class IncidentStatus(models.TextChoices):
    INVESTIGATING = "investigating", _("Investigating")
    IDENTIFIED = "identified", _("Identified")
    MONITORING = "monitoring", _("Monitoring")
    RESOLVED = "resolved", _("Resolved")


OPEN_INCIDENT_STATUSES = (
    IncidentStatus.INVESTIGATING,
    IncidentStatus.IDENTIFIED,
    IncidentStatus.MONITORING,
)


class IncidentImpact(models.TextChoices):
    DEGRADED = "degraded", _("Degraded performance")
    DOWN = "down", _("Outage")


class UpdateVisibility(models.TextChoices):
    PUBLIC = "public", _("Public update")
    INTERNAL = "internal", _("Internal note")


class ChannelKind(models.TextChoices):
    EMAIL = "email", _("E-mail")
    WEBHOOK = "webhook", _("Webhook (signed JSON)")
    TEAMS = "teams", _("Microsoft Teams")
    SLACK = "slack", _("Slack")


class AlertKind(models.TextChoices):
    DOWN = "down", _("Service down")
    DEGRADED = "degraded", _("Service degraded")
    RECOVERED = "recovered", _("Service recovered")
    REMINDER = "reminder", _("Reminder")
    ESCALATION = "escalation", _("Escalation")


class AllowKind(models.TextChoices):
    CIDR = "cidr", _("Network (CIDR)")
    DOMAIN = "domain", _("DNS domain (whole labels)")


class ErrorCode(models.TextChoices):
    """What went wrong, as a code: the public page never shows raw error texts."""

    NONE = "", _("None")
    TIMEOUT = "timeout", _("Timed out")
    REFUSED = "refused", _("Connection refused")
    NETWORK = "network", _("Network error")
    DNS = "dns", _("Name resolution failed")
    DNS_MISMATCH = "dns_mismatch", _("Unexpected DNS answer")
    TLS = "tls", _("TLS error")
    CERT_EXPIRING = "cert_expiring", _("Certificate expires soon")
    STATUS = "status", _("Unexpected HTTP status")
    KEYWORD = "keyword", _("Keyword check failed")
    JSON = "json", _("JSON check failed")
    SLOW = "slow", _("Too slow")
    HEARTBEAT_LATE = "heartbeat_late", _("Heartbeat missing")
    FORBIDDEN_TARGET = "forbidden_target", _("Target refused by the policy")
