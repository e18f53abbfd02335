"""Two real `relais prober` processes, `--shard 1/2` and `--shard 2/2`: each runs exactly the
checks it owns and every result is written once. PostgreSQL only: the probers are separate
processes and must reach the test's database (on SQLite it lives in the test's memory; the
ownership rule itself is tested on both in test_prober.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings

from relais.accounts.models import User
from relais.monitoring import services
from relais.monitoring.models import CheckResult
from tests.conftest import child_process_env
from tests.monitoring.conftest import http_check
from tests.monitoring.servers import TargetServer

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="the prober processes need a database they can reach (PostgreSQL run)",
    ),
]


def _prober(shard: str, report: Path, data_dir: Path) -> subprocess.Popen[bytes]:
    env = child_process_env(data_dir, RELAIS_MONITORING_ALLOW_LOOPBACK="1")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "relais",
            "prober",
            "--shard",
            shard,
            "--duration",
            "12",
            "--report",
            str(report),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
    )


def test_two_prober_processes_share_the_checks_without_overlap(
    admin_user: User, target_server: TargetServer, tmp_path: Path
) -> None:
    service = services.service_create(actor=admin_user, data={"name": "Extranet"})
    checks = [
        http_check(
            admin_user,
            service,
            target_server.url(f"/ok?c={n}"),
            name=f"page {n}",
            interval_seconds=10,
        )
        for n in range(12)
    ]
    reports = [tmp_path / "shard1.json", tmp_path / "shard2.json"]
    probers = [_prober(f"{k}/2", reports[k - 1], tmp_path / f"data{k}") for k in (1, 2)]
    for prober in probers:
        assert prober.wait(timeout=90) == 0
    owned = [set(json.loads(report.read_text())["check_ids"]) for report in reports]
    ids = {c.pk for c in checks}
    # Each check belongs to exactly one shard, the one its id hashes to.
    assert owned[0] | owned[1] == ids and not owned[0] & owned[1]
    assert owned[0] == {pk for pk in ids if services.owns((1, 2), pk)}
    assert owned[0] and owned[1]
    # Every check ran, and every probe is one result: no check was probed by both processes.
    probes = Counter(int(path.split("c=")[1]) for path in target_server.hits if "c=" in path)
    number = {c.pk: n for n, c in enumerate(checks)}
    results = Counter(number[pk] for pk in CheckResult.objects.values_list("check_ref", flat=True))
    assert set(probes) == set(range(12))
    assert probes == results
