"""Reads of the service watch, shared by the pages and the API."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from relais.monitoring.choices import CheckKind, ServiceState, UpdateVisibility
from relais.monitoring.models import (
    Check,
    CheckResult,
    ComponentGroup,
    DailyRollup,
    Incident,
    IncidentUpdate,
    Maintenance,
    Service,
    day_start,
    hours_unpack,
)
from relais.monitoring.permissions import public_services

BAR_DAYS = 90


@dataclass
class Bar:
    day: date
    uptime: float | None
    x: int = 0

    @property
    def level(self) -> str:
        if self.uptime is None:
            return "none"
        if self.uptime >= 99.9:
            return "ok"
        if self.uptime >= 98:
            return "minor"
        return "major"


@dataclass
class ServiceRow:
    service: Service
    state: str
    stale: bool
    bars: list[Bar] = field(default_factory=list)
    uptime_90: float | None = None

    @property
    def state_label(self) -> str:
        return str(ServiceState(self.state).label)


def stale_service_ids(service_ids: list[int], now: datetime) -> set[int]:
    """Services with an enabled probing check that has had no result for two intervals."""
    stale = set()
    rows = (
        Check.objects.filter(service_id__in=service_ids, is_enabled=True)
        .exclude(kind=CheckKind.HEARTBEAT)
        .values_list("service_id", "last_result_at", "interval_seconds")
    )
    for service_id, last, interval in rows:
        if last is None or (now - last).total_seconds() > 2 * interval:
            stale.add(service_id)
    return stale


def uptime_bars(service_ids: list[int], today: date, days: int = BAR_DAYS) -> dict[int, list[Bar]]:
    """Daily uptime per service over `days` days, oldest first (today's row holds the hours
    rolled up so far)."""
    start = today - timedelta(days=days - 1)
    totals: dict[tuple[int, date], list[int]] = defaultdict(lambda: [0, 0])
    for service_id, day, total, failures in (
        DailyRollup.objects.filter(check_ref__service_id__in=service_ids, day__gte=start)
        .values("check_ref__service_id", "day")
        .annotate(total=Sum("total"), failures=Sum("failures"))
        .values_list("check_ref__service_id", "day", "total", "failures")
    ):
        totals[(service_id, day)] = [total or 0, failures or 0]
    bars: dict[int, list[Bar]] = {}
    for service_id in service_ids:
        row = []
        for n in range(days):
            day = start + timedelta(days=n)
            total, failures = totals.get((service_id, day), (0, 0))
            row.append(Bar(day, 100.0 * (total - failures) / total if total else None, x=n * 4))
        bars[service_id] = row
    return bars


def _uptime(bars: list[Bar]) -> float | None:
    values = [b.uptime for b in bars if b.uptime is not None]
    return sum(values) / len(values) if values else None


def status_board(*, public: bool, now: datetime | None = None) -> dict[str, Any]:
    """Groups of services with their displayed state (stale data shows as unknown), 90-day
    bars, ongoing incidents and current or coming maintenance."""
    now = now or timezone.now()
    services_qs = Service.objects.select_related("group").order_by("position", "name")
    if public:
        services_qs = services_qs.filter(pk__in=public_services())
    services = list(services_qs)
    ids = [s.pk for s in services]
    stale = stale_service_ids(ids, now)
    bars = uptime_bars(ids, timezone.localdate(now))
    groups: dict[int | None, list[ServiceRow]] = defaultdict(list)
    for service in services:
        is_stale = service.pk in stale and service.state != ServiceState.MAINTENANCE
        state = ServiceState.UNKNOWN if is_stale else service.state
        groups[service.group_id].append(
            ServiceRow(service, state, is_stale, bars[service.pk], _uptime(bars[service.pk]))
        )
    group_objects = {
        g.pk: g for g in ComponentGroup.objects.filter(pk__in=[k for k in groups if k])
    }
    ordered = sorted(
        groups.items(),
        key=lambda item: (
            (group_objects[item[0]].position, group_objects[item[0]].name)
            if item[0]
            else (10**6, "")
        ),
    )
    public_updates = IncidentUpdate.objects.filter(visibility=UpdateVisibility.PUBLIC)
    incidents = list(
        Incident.objects.filter(resolved_at__isnull=True, service_id__in=ids)
        .select_related("service")
        .prefetch_related(Prefetch("updates", queryset=public_updates, to_attr="public_updates"))
        .order_by("-started_at")[:20]
    )
    # The public page names only the public services of a window (a window may cover both).
    shown = public_services() if public else Service.objects.all()
    maintenances = list(
        Maintenance.objects.filter(ends_at__gt=now, services__in=ids)
        .distinct()
        .prefetch_related(Prefetch("services", queryset=shown.order_by("position", "name")))
        .order_by("starts_at")[:10]
    )
    rows = [row for _k, items in ordered for row in items]
    overall = ServiceState.OPERATIONAL
    states = {row.state for row in rows}
    for candidate in (
        ServiceState.DOWN,
        ServiceState.DEGRADED,
        ServiceState.UNKNOWN,
        ServiceState.MAINTENANCE,
    ):
        if candidate in states:
            overall = candidate
            break
    return {
        "groups": [(group_objects.get(k) if k else None, items) for k, items in ordered],
        "rows": rows,
        "overall": overall,
        "overall_label": ServiceState(overall).label,
        "incidents": incidents,
        "maintenances": maintenances,
        "now": now,
        "any_stale": any(row.stale for row in rows),
    }


def down_services_for_banner() -> list[dict[str, Any]]:
    """Services currently down or degraded, with the open incident people can join."""
    incidents = (
        Incident.objects.filter(resolved_at__isnull=True)
        .filter(Q(service__state=ServiceState.DOWN) | Q(service__state=ServiceState.DEGRADED))
        .select_related("service", "ticket")
        .order_by("-started_at")[:5]
    )
    return [
        {
            "service": incident.service.name,
            "state": incident.service.state,
            "incident": incident,
            "joinable": incident.ticket_id is not None,
        }
        for incident in incidents
    ]


def latency_series(
    check: Check, *, hours: int = 24, now: datetime | None = None
) -> list[tuple[datetime, float]]:
    """Hourly median latency (rollups) plus the current hour's raw results."""
    now = now or timezone.now()
    since = now - timedelta(hours=hours)
    series: list[tuple[datetime, float]] = []
    rows = DailyRollup.objects.filter(
        check_ref=check, day__gte=timezone.localtime(since).date()
    ).order_by("day")
    for row in rows.only("day", "hours"):
        midnight = day_start(row.day)
        for n, slot in enumerate(row.hour_slots()):
            hour = midnight + timedelta(hours=n)
            if slot is not None and slot.latency_p50_ms is not None and hour >= since:
                series.append((hour, float(slot.latency_p50_ms)))
    if len(series) < 2:
        series = [
            (at, float(latency or 0))
            for at, latency in CheckResult.objects.filter(check_ref=check, at__gte=since)
            .exclude(latency_ms=None)
            .order_by("-at")
            .values_list("at", "latency_ms")[:200]
        ][::-1]
    return series


def chart_points(
    series: list[tuple[datetime, float]], width: int = 600, height: int = 120
) -> dict[str, Any]:
    """SVG polyline points of a latency series (no JavaScript: drawn on the server)."""
    if len(series) < 2:
        return {"points": "", "max": None, "width": width, "height": height}
    start, end = series[0][0], series[-1][0]
    span = max((end - start).total_seconds(), 1)
    top = max(v for _t, v in series) or 1
    points = " ".join(
        f"{(t - start).total_seconds() / span * width:.1f},{height - v / top * (height - 4):.1f}"
        for t, v in series
    )
    return {"points": points, "max": round(top), "width": width, "height": height}


def incident_list(*, open_only: bool = False) -> QuerySet[Incident]:
    qs = Incident.objects.select_related("service").order_by("-started_at", "-id")
    if open_only:
        qs = qs.filter(resolved_at__isnull=True)
    return qs


def check_results(check: Check) -> QuerySet[CheckResult]:
    return CheckResult.objects.filter(check_ref=check).order_by("-at")


# --- Per-service anonymous outputs (badges, history, feeds): public services only -------------

UPTIME_PERIODS: dict[str, timedelta] = {
    "24h": timedelta(hours=24),
    "7j": timedelta(days=7),
    "30j": timedelta(days=30),
}


def public_uptimes(service_id: int, *, now: datetime | None = None) -> dict[str, float | None]:
    """Availability (%) of a service over 24 hours (hourly rollups), 7 and 30 days (daily
    rollups, today's included), all its checks together; None without data."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    since_24h = now - UPTIME_PERIODS["24h"]
    totals = {period: [0, 0] for period in UPTIME_PERIODS}
    rows = DailyRollup.objects.filter(
        check_ref__service_id=service_id, day__gte=today - timedelta(days=29)
    ).values_list("day", "total", "failures", "hours")
    for day, total, failures, hours in rows:
        for period, days in (("7j", 7), ("30j", 30)):
            if day > today - timedelta(days=days):
                totals[period][0] += total
                totals[period][1] += failures
        if day >= timezone.localtime(since_24h).date():
            midnight = day_start(day)
            for n, slot in enumerate(hours_unpack(hours or b"")):
                if slot is not None and midnight + timedelta(hours=n) >= since_24h:
                    totals["24h"][0] += slot.total
                    totals["24h"][1] += slot.failures
    return {
        period: (100.0 * (total - failures) / total if total else None)
        for period, (total, failures) in totals.items()
    }


def public_service_state(service: Service, *, now: datetime | None = None) -> str:
    """The state the public page shows: stale data is "unknown", never "operational"."""
    now = now or timezone.now()
    if service.state != ServiceState.MAINTENANCE and stale_service_ids([service.pk], now):
        return ServiceState.UNKNOWN
    return service.state


def public_incidents(*, service_ids: list[int], limit: int = 30) -> list[Incident]:
    """The latest incidents of these (public) services with their public updates, newest
    first."""
    public_updates = IncidentUpdate.objects.filter(visibility=UpdateVisibility.PUBLIC)
    return list(
        Incident.objects.filter(service_id__in=service_ids)
        .select_related("service")
        .prefetch_related(Prefetch("updates", queryset=public_updates, to_attr="public_updates"))
        .order_by("-started_at", "-id")[:limit]
    )


def public_maintenances(*, service_ids: list[int], limit: int = 30) -> list[Maintenance]:
    """The latest maintenance windows touching these (public) services; each names only its
    public services."""
    return list(
        Maintenance.objects.filter(services__in=service_ids)
        .distinct()
        .prefetch_related(
            Prefetch("services", queryset=public_services().order_by("position", "name"))
        )
        .order_by("-starts_at")[:limit]
    )
