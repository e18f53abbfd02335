"""Redis mode (REDIS_URL set), against a Redis server of the test's own (tests/redis_server.py,
database 9): the cache and the sessions' cache are shared through Redis, the Huey queue carries
work from one process to a real `relais worker` in another, and Redis going down (fault drill
c) leaves pages served, sessions valid and enqueued work waiting in the outbox table until
the queue is back. The embedded mode (no REDIS_URL) is what the rest of the suite runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from relais import settings as relais_settings
from relais.core.choices import OutboxStatus
from relais.core.models import OutboxMessage
from tests.conftest import child_process_env
from tests.redis_server import RedisServer, redis_available
from tests.smtp import SmtpServer

pytestmark = pytest.mark.skipif(
    not redis_available() and os.environ.get("CI") != "true",
    reason="redis-server is not installed (scripts/test-services.sh installs it)",
)

ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_mode(settings, redis_server: RedisServer) -> RedisServer:  # type: ignore[no-untyped-def]
    """The cache and sessions configured as relais.settings does when REDIS_URL is set."""
    settings.REDIS_URL = redis_server.url
    settings.CACHES = {"default": relais_settings.redis_cache(redis_server.url)}
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    return redis_server


@pytest.mark.django_db
def test_cache_and_sessions_are_kept_in_redis(redis_mode: RedisServer, collaborator) -> None:
    redis = redis_mode.client()
    cache.set("relais:test", {"vpn": "ok"}, 60)
    assert cache.get("relais:test") == {"vpn": "ok"}

    # The public status page is rendered once, then served from Redis.
    anonymous = Client()
    first = anonymous.get(reverse("monitoring:public"))
    assert first.status_code == 200
    cached = [
        key for key in redis.keys("*") if b"monitoring:public:" in key and key.endswith(b":page:fr")
    ]
    assert len(cached) == 1

    # A session: in the database, and cached in Redis for the next reads.
    web = Client()
    web.force_login(collaborator)
    assert web.get(reverse("tickets:portal")).status_code == 200
    assert [key for key in redis.keys("*") if b"django.contrib.sessions.cached_db" in key]


def test_rate_limit_counters_live_in_redis_and_expire(redis_mode: RedisServer) -> None:
    from relais.core.ratelimit import Rate, over_quota

    rate = Rate(2, 60)
    now = 1_000_000_020.0
    assert [over_quota("anon:198.51.100.9", rate, now=now) for _ in range(3)] == [None, None, 60]
    redis = redis_mode.client()
    [key] = [k for k in redis.keys("*") if b"ratelimit:anon:198.51.100.9:60:" in k]
    assert int(redis.get(key)) == 3 and 0 < redis.ttl(key) <= 61


@pytest.mark.django_db
def test_with_redis_down_pages_are_served_and_sessions_hold(
    redis_mode: RedisServer, collaborator
) -> None:
    web = Client()
    web.force_login(collaborator)
    assert web.get(reverse("tickets:portal")).status_code == 200

    redis_mode.stop()
    started = time.monotonic()
    assert cache.get("relais:absent", "miss") == "miss"  # an error is a miss
    cache.set("relais:test", 1)  # and a write is dropped, not raised
    assert web.get(reverse("tickets:portal")).status_code == 200  # session read from the DB
    assert Client().get(reverse("monitoring:public")).status_code == 200
    ready = Client().get("/readyz")
    assert ready.status_code == 200  # still takes traffic
    assert ready.json()["checks"]["database"] == "ok"
    assert time.monotonic() - started < 5

    redis_mode.start()
    cache.set("relais:test", 2)
    assert cache.get("relais:test") == 2


# --- The queue on Redis, with real processes (PostgreSQL: they share the test's database) ----

ENQUEUE = """
from django.db import transaction
from relais.core.services import email_enqueue
with transaction.atomic():
    message = email_enqueue(to=["agent@relais.test"], subject="Exercice Redis", text="Bonjour")
print(message.pk)
"""


def _environment(redis: RedisServer, smtp: SmtpServer, data_dir: Path) -> dict[str, str]:
    return child_process_env(
        data_dir,
        REDIS_URL=redis.url,
        RELAIS_HUEY_IMMEDIATE="0",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp.port),
    )


def _enqueue(env: dict[str, str]) -> int:
    done = subprocess.run(
        [sys.executable, "-m", "relais", "shell", "--no-imports", "-c", ENQUEUE],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout.strip().splitlines()[-1])


def _until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def _stop(worker: subprocess.Popen[bytes]) -> None:
    worker.send_signal(signal.SIGINT)  # Huey's graceful stop
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(not ON_POSTGRESQL, reason="the worker process needs the test's database")
def test_work_enqueued_on_redis_is_done_by_a_worker_process_and_survives_redis_down(
    redis_server: RedisServer, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    env = _environment(redis_server, smtp_server, tmp_path)
    redis = redis_server.client()

    # Enqueued on Redis by one process…
    first = _enqueue(env)
    assert redis.dbsize() > 0
    # …and Redis goes down before the second one commits: the enqueue fails, the row stays.
    redis_server.stop()
    second = _enqueue(env)
    assert OutboxMessage.objects.get(pk=second).status == OutboxStatus.PENDING

    # The queue comes back (empty: nothing was saved), then a worker starts and catches up.
    redis_server.start()
    worker = subprocess.Popen(
        [sys.executable, "-m", "relais", "worker", "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert _until(
            lambda: (
                OutboxMessage.objects.filter(
                    pk__in=[first, second], status=OutboxStatus.SENT
                ).count()
                == 2
            ),
            60,
        )
    finally:
        _stop(worker)
    subjects = [message["Subject"] for message in smtp_server.messages]
    assert subjects == ["Exercice Redis", "Exercice Redis"]  # each once
    assert len({message["Message-ID"] for message in smtp_server.messages}) == 2
