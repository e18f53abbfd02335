"""Demo data of the service watch: a dozen services with checks against the local targets
that `relais run` serves (relais.monitoring.demo_targets), an on-call rota, a year of
daily rollups (and a week of hourly ones) and past incidents with their timelines."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from relais.accounts.choices import Role
from relais.core.demo import DemoContext
from relais.monitoring import services
from relais.monitoring.choices import CheckState, IncidentImpact, IncidentStatus, ServiceState
from relais.monitoring.models import (
    Check,
    DailyRollup,
    HourSlot,
    Incident,
    IncidentUpdate,
    Service,
)
from relais.tickets.models import Category

PORT = settings.MONITORING_DEMO_TARGETS_PORT or 18765
BASE = f"http://127.0.0.1:{PORT}"
TCP = f"127.0.0.1:{PORT + 1}"

# (group, service, public, checks)
CATALOGUE: list[tuple[str, str, bool, list[dict[str, Any]]]] = [
    (
        "Communication",
        "Messagerie",
        True,
        [
            {
                "name": "Webmail",
                "kind": "http",
                "target": f"{BASE}/messagerie",
                "config": {"keyword": "OK"},
            },
            {"name": "SMTP", "kind": "tcp", "target": TCP},
        ],
    ),
    (
        "Communication",
        "Teams",
        True,
        [
            {"name": "Accès Teams", "kind": "http", "target": f"{BASE}/teams"},
        ],
    ),
    (
        "Communication",
        "Téléphonie",
        False,
        [
            {"name": "Serveur de téléphonie", "kind": "tcp", "target": TCP},
        ],
    ),
    (
        "Accès distant",
        "VPN",
        True,
        [
            {"name": "Passerelle VPN", "kind": "tcp", "target": TCP},
            {"name": "Portail VPN", "kind": "http", "target": f"{BASE}/vpn"},
        ],
    ),
    (
        "Accès distant",
        "Bureau à distance",
        False,
        [
            {"name": "Passerelle RDS", "kind": "http", "target": f"{BASE}/rds"},
        ],
    ),
    (
        "Applications métier",
        "Extranet locataires",
        True,
        [
            {
                "name": "Santé de l'extranet",
                "kind": "http",
                "target": f"{BASE}/json-extranet",
                "config": {"json_path": "status", "json_expected": "ok"},
            },
        ],
    ),
    (
        "Applications métier",
        "Gestion locative",
        False,
        [
            {
                "name": "Application",
                "kind": "http",
                "target": f"{BASE}/gestion-locative",
                "config": {"keyword": "OK"},
            },
        ],
    ),
    (
        "Applications métier",
        "GED",
        False,
        [
            {
                "name": "Recherche documentaire",
                "kind": "http",
                "target": f"{BASE}/slow-ged",
                "config": {"max_latency_ms": 1000},
            },
        ],
    ),
    (
        "Applications métier",
        "Paie",
        False,
        [
            {
                "name": "Export nocturne",
                "kind": "heartbeat",
                "heartbeat_cron": "0 2 * * *",
                "grace_seconds": 3600,
                "interval_seconds": 86400,
            },
        ],
    ),
    (
        "Infrastructure",
        "Intranet",
        False,
        [
            {"name": "Page d'accueil", "kind": "http", "target": f"{BASE}/intranet"},
        ],
    ),
    (
        "Infrastructure",
        "Impression",
        False,
        [
            {"name": "Serveur d'impression", "kind": "http", "target": f"{BASE}/impression"},
        ],
    ),
    (
        "Infrastructure",
        "Sauvegardes",
        False,
        [
            {
                "name": "Sauvegarde des serveurs",
                "kind": "heartbeat",
                "interval_seconds": 86400,
                "grace_seconds": 7200,
            },
        ],
    ),
]

PAST_INCIDENTS = [
    (
        "VPN",
        12,
        95,
        "La passerelle VPN ne répondait plus",
        "Un certificat intermédiaire avait expiré ; il a été renouvelé.",
    ),
    (
        "Messagerie",
        40,
        50,
        "Messagerie indisponible",
        "Le service de messagerie a redémarré après une saturation de l'espace disque.",
    ),
    (
        "Extranet locataires",
        75,
        30,
        "Extranet locataires ralenti",
        "La base de données de l'extranet a été optimisée.",
    ),
    (
        "Teams",
        130,
        120,
        "Connexions Teams impossibles",
        "Incident chez l'éditeur, résolu de son côté.",
    ),
    (
        "Gestion locative",
        200,
        240,
        "Gestion locative indisponible",
        "Maintenance corrective de l'éditeur prolongée.",
    ),
    ("VPN", 290, 45, "Déconnexions VPN répétées", "Le lien opérateur a été basculé."),
]


def seed(ctx: DemoContext) -> str:
    if not settings.MONITORING_ALLOW_LOOPBACK:
        return "monitoring: skipped (demo targets are on loopback, refused here)"
    users = ctx.data["users"]
    admin = next(u for u in users if u.role == Role.ADMIN and u.is_active)
    agents = [u for u in users if u.role == Role.AGENT and u.is_active][:3]
    now = timezone.now()
    rota = services.rota_create(
        actor=admin,
        name="Astreinte DSI",
        starts_at=now - timedelta(days=now.weekday(), hours=now.hour - 9),
        members=agents,
        fallback_email="astreinte@relais.test",
    )
    category = Category.objects.filter(is_active=True, parent__isnull=False).first()
    created: dict[str, Service] = {}
    checks: list[Check] = []
    for position, (group_name, name, public, specs) in enumerate(CATALOGUE):
        group = services.group_get_or_create(actor=admin, name=group_name)
        service = services.service_create(
            actor=admin,
            data={
                "name": name,
                "group": group,
                "is_public": public,
                "position": position,
                "rota": rota,
                "ticket_category": category,
            },
        )
        created[name] = service
        for spec in specs:
            data = {"interval_seconds": 60, "timeout_seconds": 5, **spec}
            checks.append(services.check_create(actor=admin, service=service, data=data))
    Check.objects.filter(pk__in=[c.pk for c in checks]).update(
        state=CheckState.UP, last_result_at=now, last_ping_at=now
    )
    Service.objects.filter(pk__in=[s.pk for s in created.values()]).update(
        state=ServiceState.OPERATIONAL
    )
    _history(ctx, checks, created, now)
    return f"monitoring: {len(created)} services, {len(checks)} checks, a year of history"


def _history(ctx: DemoContext, checks: list[Check], created: dict[str, Service], now: Any) -> None:
    rng = ctx.rng
    today = timezone.localdate(now)
    outage_days: dict[tuple[str, int], int] = {}
    for service_name, days_ago, minutes, title, cause in PAST_INCIDENTS:
        outage_days[(service_name, days_ago)] = minutes
        started = now - timedelta(days=days_ago, hours=rng.randint(1, 8))
        incident = Incident.objects.create(
            service=created[service_name],
            title=title,
            impact=IncidentImpact.DOWN,
            status=IncidentStatus.RESOLVED,
            started_at=started,
            resolved_at=started + timedelta(minutes=minutes),
            is_automatic=True,
        )
        IncidentUpdate.objects.bulk_create(
            [
                IncidentUpdate(
                    incident=incident,
                    visibility="public",
                    status="investigating",
                    body=f"Nous analysons un problème sur {service_name}.",
                    created_at=started,
                ),
                IncidentUpdate(
                    incident=incident,
                    visibility="internal",
                    status="",
                    body="Astreinte prévenue, analyse des journaux en cours.",
                    created_at=started + timedelta(minutes=5),
                ),
                IncidentUpdate(
                    incident=incident,
                    visibility="public",
                    status="resolved",
                    body=cause,
                    created_at=started + timedelta(minutes=minutes),
                ),
            ]
        )
    daily = []
    per_day = 1440  # one result a minute
    for check in checks:
        service_name = next(n for n, s in created.items() if s.pk == check.service_id)
        base = 40 + rng.random() * 80
        for days_ago in range(1, 366):
            failures = outage_days.get((service_name, days_ago), 0)
            if not failures and rng.random() < 0.03:
                failures = rng.randint(1, 4)
            row = DailyRollup(
                check_ref=check,
                day=today - timedelta(days=days_ago),
                total=per_day,
                failures=failures,
                latency_p50_ms=round(base * (0.9 + rng.random() * 0.2)),
                latency_p95_ms=round(base * (1.8 + rng.random())),
            )
            if days_ago <= 7:  # the last week keeps its hours (the latency graphs)
                slots: list[HourSlot | None] = []
                for hour in range(24):
                    p50 = round(base * (0.85 + rng.random() * 0.3))
                    slots.append(HourSlot(60, failures if hour == 10 else 0, p50, round(p50 * 1.9)))
                row.hours_set(slots)
            daily.append(row)
    DailyRollup.objects.bulk_create(daily, batch_size=2000)
