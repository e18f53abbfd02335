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
from relais.monitoring.models import AllowListEntry, Check, Incident, Maintenance, Service
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
    return {"service": service, "check": check, "incident": incident}


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
    objects = {
        "service": {"messagerie": lambda user: service},
        "check": {"webmail": lambda user: check},
        "incident": {"auto": lambda user: incident},
        "maintenance": {"new": lambda user: None},
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
            )
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
    assert Check.objects.count() == 1 and not Maintenance.objects.exists()
    assert not AllowListEntry.objects.exists()
    assert Service.objects.count() == 1
