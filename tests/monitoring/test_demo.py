"""The demo's service watch: a dozen services on local targets, a year of history."""

from __future__ import annotations

from typing import Any

import pytest

from relais.core import demo
from relais.monitoring.models import Check, DailyRollup, Incident, Service
from relais.monitoring.selectors import status_board


@pytest.mark.django_db
def test_demo_services_history_and_status_page(client: Any) -> None:
    demo.seed(scale=0.05)
    assert Service.objects.count() == 12
    assert Check.objects.filter(target__startswith="http://127.0.0.1:").exists()
    assert Incident.objects.filter(resolved_at__isnull=False).count() >= 5
    days = DailyRollup.objects.values("day").distinct().count()
    assert days == 365
    board = status_board(public=True)
    assert {row.service.name for row in board["rows"]} >= {"Extranet locataires", "VPN"}
    vpn = next(row for row in board["rows"] if row.service.name == "VPN")
    assert vpn.uptime_90 is not None and vpn.uptime_90 < 100
    assert client.get("/veille/statut-public/").status_code == 200
