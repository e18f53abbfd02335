"""What anyone sees of the service watch, signed in or not (SECURITY.md A6): the public status
page and its JSON, and per public service a status badge, an availability badge, a JSON
history and an incident and maintenance feed (Atom and RSS).

Only services marked public exist here: any other id is a 404, identical to an id that does
not exist. Outputs name a service by its published name only; check targets, addresses,
results and their error texts never leave the staff pages. Each output is built at most once
per cache period, language and service (relais.monitoring.public_cache)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import linebreaksbr
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed, SyndicationFeed
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from relais.monitoring import selectors
from relais.monitoring.choices import ServiceState
from relais.monitoring.models import Incident, Maintenance, Service
from relais.monitoring.permissions import public_services
from relais.monitoring.public_cache import public_cached


def _public_response(
    parts: tuple[object, ...], build: Callable[[], tuple[bytes, str]]
) -> HttpResponse:
    content, content_type = public_cached((*parts, get_language()), build)
    response = HttpResponse(content, content_type=content_type)
    response["Cache-Control"] = f"public, max-age={settings.MONITORING_PUBLIC_CACHE_SECONDS}"
    return response


def _public_service(pk: int) -> Service:
    return get_object_or_404(public_services().select_related("group"), pk=pk)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _incident_json(incident: Incident) -> dict[str, Any]:
    return {
        "title": incident.title,
        "component": incident.service.name,
        "impact": incident.impact,
        "status": incident.status,
        "started_at": _iso(incident.started_at),
        "resolved_at": _iso(incident.resolved_at),
        "updates": [
            {"status": u.status, "body": u.body, "at": _iso(u.created_at)}
            for u in incident.public_updates  # type: ignore[attr-defined]
        ],
    }


# --- The page and its JSON ----------------------------------------------------------------------


@require_GET
def public_status(request: HttpRequest) -> HttpResponse:
    """The page has no inline script or style: the same bytes serve every visitor, and the
    Content-Security-Policy needs no nonce for it (tests/monitoring/test_public_outputs.py)."""

    def build() -> tuple[bytes, str]:
        board = selectors.status_board(public=True)
        html = render_to_string(
            "monitoring/public.html",
            {**board, "refresh": settings.MONITORING_PUBLIC_CACHE_SECONDS * 2},
        )
        return html.encode(), "text/html; charset=utf-8"

    return _public_response(("page",), build)


def _public_board_json() -> dict[str, Any]:
    board = selectors.status_board(public=True)
    return {
        "status": board["overall"],
        "stale": board["any_stale"],
        "updated_at": board["now"].isoformat(),
        "components": [
            {
                "name": row.service.name,
                "group": row.service.group.name if row.service.group else None,
                "status": row.state,
                "uptime_90d": round(row.uptime_90, 3) if row.uptime_90 is not None else None,
            }
            for row in board["rows"]
        ],
        "incidents": [
            {key: value for key, value in _incident_json(incident).items() if key != "resolved_at"}
            for incident in board["incidents"]
        ],
    }


def _json_bytes(data: dict[str, Any]) -> tuple[bytes, str]:
    return JsonResponse(data).content, "application/json"


@require_GET
def public_status_json(request: HttpRequest) -> HttpResponse:
    return _public_response(("json",), lambda: _json_bytes(_public_board_json()))


# --- Per public service: badges and history ------------------------------------------------------

BADGE_COLOURS: dict[str, str] = {
    ServiceState.OPERATIONAL: "#1e7b34",
    ServiceState.DEGRADED: "#9a5b00",
    ServiceState.DOWN: "#b42318",
    ServiceState.MAINTENANCE: "#1d4ed8",
    ServiceState.UNKNOWN: "#5b616b",
}


def _badge(label: str, value: str, colour: str) -> tuple[bytes, str]:
    """A flat two-part badge; widths estimated from the text (≈ 7 px a character)."""
    left, right = 12 + 7 * len(label), 12 + 7 * len(value)
    svg = render_to_string(
        "monitoring/badge.svg",
        {
            "label": label,
            "value": value,
            "colour": colour,
            "left": left,
            "right": right,
            "width": left + right,
            "label_x": left / 2,
            "value_x": left + right / 2,
        },
    )
    return svg.encode(), "image/svg+xml; charset=utf-8"


@require_GET
def public_badge(request: HttpRequest, pk: int) -> HttpResponse:
    """The service's state, e.g. to show on an intranet page."""

    def build() -> tuple[bytes, str]:
        service = _public_service(pk)
        state = selectors.public_service_state(service)
        return _badge(service.name, str(ServiceState(state).label).lower(), BADGE_COLOURS[state])

    return _public_response(("badge", pk), build)


def _uptime_colour(uptime: float | None) -> str:
    if uptime is None:
        return BADGE_COLOURS[ServiceState.UNKNOWN]
    if uptime >= 99.9:
        return BADGE_COLOURS[ServiceState.OPERATIONAL]
    if uptime >= 98:
        return BADGE_COLOURS[ServiceState.DEGRADED]
    return BADGE_COLOURS[ServiceState.DOWN]


def _percent(value: float) -> str:
    text = f"{value:.2f}"
    return (text.replace(".", ",") if get_language() == "fr" else text) + " %"


@require_GET
def public_uptime_badge(request: HttpRequest, pk: int) -> HttpResponse:
    """Availability over 24 hours, 7 or 30 days (?periode=24h|7j|30j), from the rollups."""
    period = request.GET.get("periode", "24h")
    if period not in selectors.UPTIME_PERIODS:
        raise Http404

    def build() -> tuple[bytes, str]:
        service = _public_service(pk)
        uptime = selectors.public_uptimes(service.pk)[period]
        label = _("availability %(period)s") % {"period": period.replace("j", " j")}
        value = _("no data") if uptime is None else _percent(uptime)
        return _badge(f"{service.name} · {label}", value, _uptime_colour(uptime))

    return _public_response(("uptime", pk, period), build)


@require_GET
def public_history(request: HttpRequest, pk: int) -> HttpResponse:
    """The service's state, availability over 24 h / 7 / 30 days, 90 daily figures and its
    latest incidents with their public updates."""

    def build() -> tuple[bytes, str]:
        service = _public_service(pk)
        now = timezone.now()
        bars = selectors.uptime_bars([service.pk], timezone.localdate(now))[service.pk]
        uptimes = selectors.public_uptimes(service.pk, now=now)
        return _json_bytes(
            {
                "name": service.name,
                "group": service.group.name if service.group else None,
                "status": selectors.public_service_state(service, now=now),
                "updated_at": now.isoformat(),
                "uptime": {
                    period: round(value, 3) if value is not None else None
                    for period, value in uptimes.items()
                },
                "days": [
                    {
                        "day": bar.day.isoformat(),
                        "uptime": round(bar.uptime, 3) if bar.uptime is not None else None,
                    }
                    for bar in bars
                ],
                "incidents": [
                    _incident_json(incident)
                    for incident in selectors.public_incidents(service_ids=[service.pk], limit=20)
                ],
            }
        )

    return _public_response(("history", pk), build)


# --- Feeds ---------------------------------------------------------------------------------------


class StatusFeed(Feed):
    """Incidents and maintenance windows of the public services, newest first; all of them, or
    one service's."""

    feed_type: type[SyndicationFeed] = Atom1Feed

    def get_object(self, request: HttpRequest, pk: int | None = None) -> Service | None:
        return None if pk is None else _public_service(pk)

    def title(self, obj: Service | None) -> str:
        if obj is None:
            return _("Service status: incidents and maintenance")
        return _("%(name)s: incidents and maintenance") % {"name": obj.name}

    def subtitle(self, obj: Service | None) -> str:
        return _("Updates published on the service status page.")

    description = subtitle  # RSS

    def link(self, obj: Service | None) -> str:
        return settings.SITE_URL + reverse("monitoring:public")

    def items(self, obj: Service | None) -> list[Incident | Maintenance]:
        ids = [obj.pk] if obj else list(public_services().values_list("pk", flat=True))
        entries: list[Incident | Maintenance] = [
            *selectors.public_incidents(service_ids=ids),
            *selectors.public_maintenances(service_ids=ids),
        ]
        entries.sort(key=self.item_pubdate, reverse=True)
        return entries[:30]

    def item_title(self, item: Incident | Maintenance) -> str:
        if isinstance(item, Incident):
            return f"{item.service.name} — {item.title}"
        return _("Maintenance: %(title)s") % {"title": item.title}

    def item_description(self, item: Incident | Maintenance) -> str:
        """HTML: every text is escaped first."""
        if isinstance(item, Incident):
            lines = [
                (f"{update.get_status_display()} — " if update.status else "")
                + linebreaksbr(escape(update.body))
                for update in item.public_updates  # type: ignore[attr-defined]
            ]
            return "<br>".join(lines)
        when = _("From %(start)s to %(end)s.") % {
            "start": timezone.localtime(item.starts_at).strftime("%d/%m/%Y %H:%M"),
            "end": timezone.localtime(item.ends_at).strftime("%d/%m/%Y %H:%M"),
        }
        names = ", ".join(s.name for s in item.services.all())
        parts = [escape(when), escape(names)]
        if item.description:
            parts.append(linebreaksbr(escape(item.description)))
        return "<br>".join(parts)

    def item_link(self, item: Incident | Maintenance) -> str:
        anchor = "incident" if isinstance(item, Incident) else "maintenance"
        return f"{settings.SITE_URL}{reverse('monitoring:public')}#{anchor}-{item.pk}"

    def item_pubdate(self, item: Incident | Maintenance) -> datetime:
        return item.started_at if isinstance(item, Incident) else item.starts_at

    def item_updateddate(self, item: Incident | Maintenance) -> datetime:
        return item.updated_at


class StatusRssFeed(StatusFeed):
    feed_type = Rss201rev2Feed


def _feed_view(feed: StatusFeed, kind: str) -> Callable[..., HttpResponse]:
    @require_GET
    def view(request: HttpRequest, pk: int | None = None) -> HttpResponse:
        def build() -> tuple[bytes, str]:
            response = feed(request, pk=pk) if pk is not None else feed(request)
            return response.content, response["Content-Type"]

        return _public_response(("feed", kind, pk), build)

    return view


public_feed_atom = _feed_view(StatusFeed(), "atom")
public_feed_rss = _feed_view(StatusRssFeed(), "rss")
