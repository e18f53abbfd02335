"""Service-watch permission matrix (tests/permissions/monitoring.yaml): every role × object ×
action through the HTML views and the API. Refusals are 404 for people who cannot see the
watch (collaborators), 403 for staff on administrators' actions, and change nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from relais.accounts.models import User
from relais.monitoring import services
from relais.monitoring.executors import Outcome
from relais.monitoring.models import (
    AlertChannel,
    AllowListEntry,
    Check,
    Incident,
    Maintenance,
    OnCallOverride,
    OnCallRota,
    Service,
)
from tests.factories import UserFactory
from tests.matrix import Action, Call, check_matrix, load_matrix
from tests.monitoring.conftest import http_check

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(admin_user: User) -> dict[str, Any]:
    service = services.service_create(actor=admin_user, data={"name": "Messagerie"})
    check = http_check(admin_user, service, "http://127.0.0.1:9/", failures_before_down=1)
    services.results_record(
        results=[services.ProbeResult(check.pk, timezone.now(), Outcome("down"))]
    )
    incident = Incident.objects.get()
    later = timezone.now() + timedelta(days=3)
    maintenance = services.maintenance_create(
        actor=admin_user,
        title="Bascule",
        services=[service],
        starts_at=later,
        ends_at=later + timedelta(hours=1),
    )
    on_call = UserFactory(role="agent", email="astreinte@relais.test")
    rota = services.rota_create(
        actor=admin_user, name="Réseau", starts_at=timezone.now(), members=[on_call]
    )
    channel = services.channel_create(
        actor=admin_user, name="Équipe", kind="email", target="reseau@relais.test"
    )
    return {
        "service": service,
        "check": check,
        "incident": incident,
        "maintenance": maintenance,
        "rota": rota,
        "on_call": on_call,
        "channel": channel,
        "admin": admin_user,
    }


def _check_form(check: Any = None) -> dict[str, Any]:
    return {
        "name": "Webmail",
        "kind": "http",
        "target": "http://127.0.0.1:9/webmail",
        "interval_seconds": 60,
        "timeout_seconds": 5,
        "failures_before_down": 3,
        "successes_before_up": 1,
        "grace_seconds": 300,
        "is_enabled": "on",
    }


def _api_check(check: Any = None) -> dict[str, Any]:
    return {"name": "Webmail", "kind": "http", "target": "http://127.0.0.1:9/webmail"}


def test_monitoring_matrix(users_by_role: dict[str, User], world: dict[str, Any]) -> None:
    service, check, incident = world["service"], world["check"], world["incident"]
    start = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    maintenance_html = {
        "action": "maintenance",
        "maintenance-title": "Migration",
        "maintenance-services": [service.pk],
        "maintenance-starts_at": start.strftime("%Y-%m-%d %H:%M"),
        "maintenance-ends_at": (start + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M"),
    }
    maintenance_api = {
        "title": "Migration",
        "service_ids": [service.pk],
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=1)).isoformat(),
    }
    maintenance, rota, channel = world["maintenance"], world["rota"], world["channel"]
    on_call, admin = world["on_call"], world["admin"]
    rota_html = {
        "name": "Réseau",
        "starts_at": start.strftime("%Y-%m-%d %H:%M"),
        "members": on_call.email,
        "fallback_email": "reseau@relais.test",
    }
    rota_api = {
        "name": "Réseau",
        "starts_at": start.isoformat(),
        "member_ids": [on_call.pk],
        "fallback_email": "reseau@relais.test",
    }
    new_rota_html = {**rota_html, "name": "Serveurs"}
    new_rota_api = {**rota_api, "name": "Serveurs"}
    override_html = {
        "rota": rota.pk,
        "user": on_call.pk,
        "starts_at": start.strftime("%Y-%m-%d %H:%M"),
        "ends_at": (start + timedelta(days=2)).strftime("%Y-%m-%d %H:%M"),
        "reason": "Congés",
    }
    override_api = {
        "user_id": on_call.pk,
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(days=2)).isoformat(),
    }
    service_html = {"name": "Messagerie", "locations_required": 1, "escalation_minutes": 15}
    service_html["reminder_minutes"] = 60
    service_api = {"name": "Messagerie"}
    maintenance_edit_html = {
        "title": "Bascule",
        "services": [service.pk],
        "starts_at": start.strftime("%Y-%m-%d %H:%M"),
        "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%d %H:%M"),
    }
    channel_html = {"name": "Équipe", "target": "reseau@relais.test", "is_enabled": "on"}
    channel_api = {"name": "Équipe", "kind": "email", "target": "reseau@relais.test"}

    def spare_service(user: User) -> Service:
        return services.service_create(actor=admin, data={"name": "Annuaire"})

    objects = {
        "service": {"messagerie": lambda user: service},
        "empty_service": {"annuaire": spare_service},
        "rota": {"reseau": lambda user: rota},
        "channel": {"equipe": lambda user: channel},
        "check": {"webmail": lambda user: check},
        "incident": {"auto": lambda user: incident},
        "maintenance": {"bascule": lambda user: maintenance},
        "allow_list": {"new": lambda user: None},
    }
    actions = {
        "service": {
            "view": Action(
                html=Call("GET", lambda s: f"/veille/services/{s.pk}/"),
                api=Call("GET", lambda s: f"/api/v1/monitoring/services/{s.pk}"),
            ),
            "board": Action(
                html=Call("GET", lambda s: "/veille/statut/"), on_object=False, admin_only=True
            ),
            "change": Action(
                html=Call("POST", lambda s: f"/veille/services/{s.pk}/modifier/", service_html),
                api=Call("PUT", lambda s: f"/api/v1/monitoring/services/{s.pk}", service_api),
                admin_only=True,
            ),
        },
        "empty_service": {
            "delete": Action(
                html=Call(
                    "POST", lambda s: f"/veille/services/{s.pk}/modifier/", {"action": "delete"}
                ),
                api=Call("DELETE", lambda s: f"/api/v1/monitoring/services/{s.pk}"),
                admin_only=True,
            ),
        },
        "rota": {
            "view": Action(
                html=Call("GET", lambda r: "/veille/astreinte/"),
                api=Call("GET", lambda r: f"/api/v1/monitoring/rotas/{r.pk}"),
            ),
            "create": Action(
                html=Call("POST", lambda _o: "/veille/astreinte/nouvelle/", new_rota_html),
                api=Call("POST", lambda _o: "/api/v1/monitoring/rotas", new_rota_api),
                on_object=False,
                admin_only=True,
            ),
            "change": Action(
                html=Call("POST", lambda r: f"/veille/astreinte/{r.pk}/modifier/", rota_html),
                api=Call("PUT", lambda r: f"/api/v1/monitoring/rotas/{r.pk}", rota_api),
                admin_only=True,
            ),
            "delete": Action(
                html=Call(
                    "POST", lambda r: f"/veille/astreinte/{r.pk}/modifier/", {"action": "delete"}
                ),
                api=Call("DELETE", lambda r: f"/api/v1/monitoring/rotas/{r.pk}"),
                admin_only=True,
            ),
            "override": Action(
                html=Call("POST", lambda r: "/veille/astreinte/", override_html),
                api=Call(
                    "POST", lambda r: f"/api/v1/monitoring/rotas/{r.pk}/overrides", override_api
                ),
                admin_only=True,
            ),
        },
        "channel": {
            "view": Action(
                html=Call("GET", lambda c: f"/veille/canaux/{c.pk}/modifier/"),
                api=Call("GET", lambda c: f"/api/v1/monitoring/channels/{c.pk}"),
                admin_only=True,
            ),
            "create": Action(
                html=Call(
                    "POST",
                    lambda _o: "/veille/configuration/",
                    {
                        "action": "channel",
                        "channel-name": "Serveurs",
                        "channel-kind": "email",
                        "channel-target": "serveurs@relais.test",
                    },
                ),
                api=Call(
                    "POST",
                    lambda _o: "/api/v1/monitoring/channels",
                    {**channel_api, "name": "Serveurs"},
                ),
                on_object=False,
                admin_only=True,
            ),
            "change": Action(
                html=Call("POST", lambda c: f"/veille/canaux/{c.pk}/modifier/", channel_html),
                api=Call("PUT", lambda c: f"/api/v1/monitoring/channels/{c.pk}", channel_api),
                admin_only=True,
            ),
            "delete": Action(
                html=Call(
                    "POST", lambda c: f"/veille/canaux/{c.pk}/modifier/", {"action": "delete"}
                ),
                api=Call("DELETE", lambda c: f"/api/v1/monitoring/channels/{c.pk}"),
                admin_only=True,
            ),
        },
        "check": {
            "view": Action(api=Call("GET", lambda c: f"/api/v1/monitoring/checks/{c.pk}")),
            "change": Action(
                html=Call("POST", lambda c: f"/veille/controles/{c.pk}/modifier/", _check_form),
                api=Call("PUT", lambda c: f"/api/v1/monitoring/checks/{c.pk}", _api_check),
                admin_only=True,
            ),
            "delete": Action(
                api=Call("DELETE", lambda c: f"/api/v1/monitoring/checks/{c.pk}"),
                admin_only=True,
            ),
            "create": Action(
                html=Call(
                    "POST",
                    lambda _o: f"/veille/services/{service.pk}/nouveau-controle/",
                    _check_form,
                ),
                api=Call(
                    "POST",
                    lambda _o: f"/api/v1/monitoring/services/{service.pk}/checks",
                    _api_check,
                ),
                on_object=False,
                admin_only=True,
            ),
        },
        "incident": {
            "view": Action(
                html=Call("GET", lambda i: f"/veille/incidents/{i.pk}/"),
                api=Call("GET", lambda i: f"/api/v1/monitoring/incidents/{i.pk}"),
            ),
            "update": Action(
                html=Call(
                    "POST",
                    lambda i: f"/veille/incidents/{i.pk}/",
                    {"visibility": "internal", "status": "", "body": "Note"},
                ),
                api=Call(
                    "POST",
                    lambda i: f"/api/v1/monitoring/incidents/{i.pk}/updates",
                    {"visibility": "internal", "body": "Note"},
                ),
            ),
        },
        "maintenance": {
            "create": Action(
                html=Call("POST", lambda _o: "/veille/configuration/", maintenance_html),
                api=Call("POST", lambda _o: "/api/v1/monitoring/maintenances", maintenance_api),
                on_object=False,
                admin_only=True,
            ),
            "view": Action(
                api=Call("GET", lambda m: f"/api/v1/monitoring/maintenances/{m.pk}"),
            ),
            "change": Action(
                html=Call(
                    "POST",
                    lambda m: f"/veille/maintenances/{m.pk}/modifier/",
                    maintenance_edit_html,
                ),
                api=Call(
                    "PUT", lambda m: f"/api/v1/monitoring/maintenances/{m.pk}", maintenance_api
                ),
                admin_only=True,
            ),
            "delete": Action(
                html=Call(
                    "POST",
                    lambda m: f"/veille/maintenances/{m.pk}/modifier/",
                    {"action": "delete"},
                ),
                api=Call("DELETE", lambda m: f"/api/v1/monitoring/maintenances/{m.pk}"),
                admin_only=True,
            ),
        },
        "allow_list": {
            "create": Action(
                html=Call(
                    "POST",
                    lambda _o: "/veille/configuration/",
                    {"action": "allow", "allow-kind": "cidr", "allow-value": "10.9.0.0/16"},
                ),
                on_object=False,
                admin_only=True,
            )
        },
    }
    outcome = check_matrix(
        matrix=load_matrix("monitoring"), people=users_by_role, objects=objects, actions=actions
    )
    assert not outcome.failures, "\n".join(outcome.failures)
    assert outcome.cells >= 60
    # Every refused cell was rolled back, and so were the allowed ones: nothing leaked.
    assert Check.objects.count() == 1 and Maintenance.objects.count() == 1
    assert not AllowListEntry.objects.exists()
    assert Service.objects.count() == 1
    assert list(OnCallRota.objects.values_list("name", flat=True)) == ["Réseau"]
    assert list(AlertChannel.objects.values_list("name", flat=True)) == ["Équipe"]
    assert not OnCallOverride.objects.exists()
