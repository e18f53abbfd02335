"""The prober against real local targets: sharding, black holes, restarts."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from relais.accounts.models import User
from relais.monitoring import executors, services
from relais.monitoring.choices import CheckState, ServiceState
from relais.monitoring.executors import CheckSpec
from relais.monitoring.models import Alert, Check, CheckResult, Incident, Service
from relais.monitoring.prober import Prober, parse_shard, phase
from tests.monitoring.conftest import http_check
from tests.monitoring.servers import BlackHole, TargetServer, probe_for, run_in_thread


def test_each_check_is_owned_by_exactly_one_shard() -> None:
    for shards in (1, 2, 3, 7):
        owners = {
            check_id: [k for k in range(1, shards + 1) if services.owns((k, shards), check_id)]
            for check_id in range(1, 3000)
        }
        assert all(len(found) == 1 for found in owners.values())
        counts = [sum(1 for f in owners.values() if f == [k]) for k in range(1, shards + 1)]
        assert min(counts) > 0.8 * 2999 / shards  # evenly spread


def test_shard_argument_errors_are_sentences() -> None:
    assert parse_shard("2/3") == (2, 3)
    for bad in ("3", "0/2", "4/3", "a/b"):
        with pytest.raises(ValueError, match="--shard"):
            parse_shard(bad)
    with pytest.raises(CommandError, match="--shard"):
        call_command("prober", shard="5/2")


def test_schedule_is_drift_free_and_spread() -> None:
    prober = Prober.__new__(Prober)
    spec = CheckSpec(id=42, kind="http", target="", interval=30, timeout=5)
    first = Prober._next_slot(prober, spec, 1_000_000.0)
    # The next slot is on the check's own grid, whatever time the previous run ended.
    assert Prober._next_slot(prober, spec, first + 0.7) == first + 30
    assert (first - phase(42, 30)) % 30 == 0
    phases = {round(phase(i, 30)) for i in range(1, 500)}
    assert len(phases) >= 25  # 500 checks spread over the 30 seconds


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_black_holed_targets_do_not_slow_the_others(
    admin_user: User, target_server: TargetServer, black_hole: BlackHole
) -> None:
    service = services.service_create(actor=admin_user, data={"name": "Extranet"})
    healthy = [
        http_check(admin_user, service, target_server.url("/ok"), name=f"ok {n}") for n in range(7)
    ]
    holes = [
        http_check(admin_user, service, f"http://127.0.0.1:{black_hole.port}/", name=f"trou {n}")
        for n in range(3)
    ]
    prober = Prober()

    async def go() -> None:
        await prober.reload()
        # Every check is due now, and again every second (interval shortened for the test).
        for spec in prober.specs.values():
            spec.interval = 1
            spec.timeout = 5 if spec.id in {c.pk for c in holes} else 2
        prober.heap = [(0.0, pk) for pk in prober.specs]
        await prober.run(duration=3.2)

    run_in_thread(go)
    for check in healthy:
        # The hung targets (5 s timeouts) held only their own coroutines.
        assert CheckResult.objects.filter(check_ref=check, state=CheckState.UP).count() >= 3
    assert Check.objects.get(pk=healthy[0].pk).state == CheckState.UP


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_restart_resumes_without_duplicate_incidents_or_alerts(
    admin_user: User, target_server: TargetServer
) -> None:
    service = services.service_create(actor=admin_user, data={"name": "Messagerie"})
    check = http_check(admin_user, service, target_server.url("/ok"), failures_before_down=2)
    target_server.stopped.add("/ok")

    probe_for(2.5)
    assert Service.objects.get(pk=service.pk).state == ServiceState.DOWN
    assert Incident.objects.count() == 1
    alerts = Alert.objects.count()
    # A new prober process (restart) keeps finding the target down.
    probe_for(2.5)
    assert Incident.objects.count() == 1
    assert Alert.objects.count() == alerts
    target_server.stopped.clear()
    probe_for(3.5)
    assert Check.objects.get(pk=check.pk).state == CheckState.UP
    assert Incident.objects.get().resolved_at is not None


def test_status_page_says_data_stale_without_results(
    client: Any, vpn_check: Check, agent: User
) -> None:
    from tests.conftest import client_for

    Service.objects.filter(pk=vpn_check.service_id).update(state=ServiceState.OPERATIONAL)
    page = client_for(agent).get("/veille/statut/").content.decode()
    assert 'data-state="unknown"' in page
    assert 'data-state="operational"' not in page


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_remote_prober_reads_checks_and_reports_over_the_api(
    admin_user: User, target_server: TargetServer, live_server: Any
) -> None:
    from relais.monitoring.prober import RemoteLink

    service = services.service_create(
        actor=admin_user, data={"name": "Extranet", "locations_required": 2}
    )
    check = http_check(admin_user, service, target_server.url("/ok"), failures_before_down=1)
    _prober, token = services.remote_prober_create(actor=admin_user, location="agence-nord")
    target_server.stopped.add("/ok")
    prober = Prober(remote=RemoteLink(live_server.url, token))

    async def go() -> None:
        await prober.reload()
        assert list(prober.specs) == [check.pk]
        for spec in prober.specs.values():
            spec.interval = 1
        prober.heap = [(0.0, pk) for pk in prober.specs]
        await prober.run(duration=2.5)

    run_in_thread(go)
    assert set(CheckResult.objects.values_list("location", flat=True)) == {"agence-nord"}
    check.refresh_from_db()
    # One zone alone sees it down; two must agree: degraded, not an outage.
    assert check.location_states["agence-nord"]["state"] == CheckState.DOWN
    assert check.state == CheckState.DEGRADED
    assert Service.objects.get(pk=service.pk).state == ServiceState.DEGRADED


def test_remote_mode_needs_a_token(monkeypatch: Any) -> None:
    monkeypatch.delenv("RELAIS_PROBER_TOKEN", raising=False)
    with pytest.raises(CommandError, match="RELAIS_PROBER_TOKEN"):
        call_command("prober", remote="https://relais.example.fr")
    monkeypatch.setenv("RELAIS_PROBER_TOKEN", "rlp_x")
    with pytest.raises(CommandError, match="--remote"):
        call_command("prober", remote="relais.example.fr")


def test_a_starved_prober_skips_slots_instead_of_queueing_them(black_hole: BlackHole) -> None:
    """Every probe hangs on a black hole: with a concurrency of 2, at most 4 probes are in
    flight and the other due slots are skipped (bounded memory, a prompt stop)."""
    import asyncio
    import time

    async def go() -> Prober:
        prober = Prober(concurrency=2, writer=lambda batch: None)
        prober.session = executors.new_session()
        specs = {
            n: CheckSpec(
                id=n,
                kind="http",
                target=f"http://127.0.0.1:{black_hole.port}/",
                interval=10,
                timeout=5,
            )
            for n in range(1, 11)
        }
        prober.specs = specs
        prober.heap = [(time.time() - 1, n) for n in specs]
        scheduler = asyncio.create_task(prober._scheduler())
        await asyncio.sleep(0.5)
        in_flight = len(prober.tasks)
        prober.stop()
        await scheduler
        for task in list(prober.tasks):
            task.cancel()
        await prober.session.close()
        prober.db_thread.shutdown()
        assert in_flight == 4
        return prober

    prober = run_in_thread(go)
    # Six of the ten due slots at least (a slot falling due again at once is skipped too).
    assert prober.stats.skipped >= 6
