"""/healthz, /readyz and /metrics."""

from __future__ import annotations

import pytest
from django.test import Client

from relais.core.services import email_enqueue
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_login():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_checks_database_and_queue():
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "queue": "ok"}}


def test_metrics_in_prometheus_format_with_outbox_backlog(admin_user):
    email_enqueue(to=["x@relais.test"], subject="s", text="t")
    Client().get("/healthz")
    response = client_for(admin_user).get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert 'relais_outbox_messages{status="pending"} 1.0' in text
    assert "relais_http_requests_total" in text


def test_metrics_are_not_public(collaborator, settings):
    assert Client(REMOTE_ADDR="192.0.2.10").get("/metrics").status_code == 404
    assert client_for(collaborator).get("/metrics", REMOTE_ADDR="192.0.2.10").status_code == 404
    settings.METRICS_TOKEN = "scrape-secret"
    assert Client().get("/metrics").status_code == 404
    assert Client(HTTP_AUTHORIZATION="Bearer scrape-secret").get("/metrics").status_code == 200
