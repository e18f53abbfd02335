"""SECURITY.md G2: API and anonymous quotas (relais.core.ratelimit), with tiny configured
limits. A caller over its quota gets 429, `Retry-After` and (API) the JSON error body; other
callers are not affected; the counters are shared by every web node through Redis."""

from __future__ import annotations

import http.client
import ipaddress
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from relais import settings as relais_settings
from relais.accounts.choices import TokenScope
from relais.accounts.services import token_create
from relais.core.ratelimit import Rate, over_quota, parse_rate
from tests.conftest import client_for
from tests.redis_server import RedisServer, redis_available

ME = "/api/v1/me"


def bearer(user) -> Client:  # type: ignore[no-untyped-def]
    secret = token_create(user=user, name="quota", scope=TokenScope.READ).secret
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_rates_are_read_as_count_per_period():
    assert parse_rate("600/min") == Rate(600, 60)
    assert parse_rate("5/s") == Rate(5, 1)
    assert parse_rate("") is None
    for bad in ("600", "x/min", "0/min", "10/week"):
        with pytest.raises(ValueError):
            parse_rate(bad)
    # Fixed windows: the wait is what is left of the current one.
    rate = Rate(1, 60)
    assert over_quota("k", rate, now=120.0) is None
    assert over_quota("k", rate, now=150.2) == 30
    assert over_quota("k", rate, now=180.0) is None


@pytest.mark.django_db
def test_a_token_over_its_quota_gets_429_json_and_retry_after(settings, collaborator, agent):
    settings.RELAIS_API_RATE = "3/min"
    client = bearer(collaborator)
    assert [client.get(ME).status_code for _ in range(3)] == [200, 200, 200]

    refused = client.get(ME)
    assert refused.status_code == 429
    assert refused.json() == {"detail": "Too many requests.", "code": "throttled"}
    assert 1 <= int(refused["Retry-After"]) <= 60

    # Another token of the same person, and another person, have quotas of their own.
    assert bearer(collaborator).get(ME).status_code == 200
    assert bearer(agent).get(ME).status_code == 200


@pytest.mark.django_db
def test_a_browser_session_has_its_own_api_quota(settings, collaborator):
    settings.RELAIS_API_RATE = "2/min"
    browser = client_for(collaborator)
    assert [browser.get(ME).status_code for _ in range(3)] == [200, 200, 429]
    # The HTML pages are not the API quota's business.
    assert browser.get(reverse("tickets:portal")).status_code == 200
    assert client_for(collaborator).get(ME).status_code == 200  # another session


@pytest.mark.django_db
def test_anonymous_visitors_are_limited_per_address_on_pages_and_api(settings, collaborator):
    settings.RELAIS_ANONYMOUS_RATE = "3/min"
    visitor = Client(REMOTE_ADDR="198.51.100.7")
    statuses = [
        visitor.get(reverse("monitoring:public")).status_code,
        visitor.get(reverse("monitoring:public_json")).status_code,
        visitor.get(reverse("accounts:login")).status_code,
    ]
    assert statuses == [200, 200, 200]

    page = visitor.get(reverse("monitoring:public"))
    assert page.status_code == 429
    assert 1 <= int(page["Retry-After"]) <= 60
    assert "Trop de requêtes" in page.content.decode()
    api = visitor.get(ME)
    assert api.status_code == 429
    assert api.json()["code"] == "throttled"
    # Nor does a made-up bearer token or header get around the address's quota.
    guessed = visitor.get(ME, HTTP_AUTHORIZATION="Bearer rls_guessed")
    assert guessed.status_code == 429
    assert guessed.json()["code"] == "throttled"
    assert 1 <= int(guessed["Retry-After"]) <= 60
    page_with_header = visitor.get(reverse("accounts:login"), HTTP_AUTHORIZATION="Bearer x")
    assert page_with_header.status_code == 429
    # Health probes are never counted.
    assert visitor.get("/healthz").status_code == 200

    # Another address, a signed-in person and a token holder on the same address are served.
    assert Client(REMOTE_ADDR="198.51.100.8").get(reverse("accounts:login")).status_code == 200
    signed_in = client_for(collaborator)
    signed_in.defaults["REMOTE_ADDR"] = "198.51.100.7"
    assert signed_in.get(reverse("tickets:portal")).status_code == 200
    token = bearer(collaborator)
    token.defaults["REMOTE_ADDR"] = "198.51.100.7"
    assert token.get(ME).status_code == 200


@pytest.mark.django_db
def test_behind_the_trusted_proxy_the_quota_is_per_client_not_per_proxy(settings):
    settings.RELAIS_ANONYMOUS_RATE = "1/min"
    settings.RELAIS_PROXY_COUNT = 1
    settings.RELAIS_TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/24")]
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    first = Client(HTTP_X_FORWARDED_FOR="203.0.113.1", **proxy)
    second = Client(HTTP_X_FORWARDED_FOR="203.0.113.2", **proxy)
    login = reverse("accounts:login")
    assert first.get(login).status_code == 200
    assert first.get(login).status_code == 429
    assert second.get(login).status_code == 200


def test_defaults_leave_people_and_the_load_benchmark_alone():
    """600 a minute per token is ten a second for a minute; the load benchmark (bench/load.py)
    gives each simulated person a token of their own and sends anonymous traffic (the status
    page) at a few requests a second in all."""
    assert parse_rate(relais_settings.RELAIS_API_RATE) == Rate(600, 60)
    assert parse_rate(relais_settings.RELAIS_ANONYMOUS_RATE) == Rate(1200, 60)


# --- Shared counters on Redis, through real HTTP ----------------------------------------------


@pytest.fixture
def redis_cache(settings, tmp_path: Path) -> Iterator[RedisServer]:
    if not redis_available() and os.environ.get("CI") != "true":
        pytest.skip("redis-server is not installed (scripts/test-services.sh installs it)")
    server = RedisServer(tmp_path)
    server.start()
    settings.CACHES = {"default": relais_settings.redis_cache(server.url)}
    yield server
    server.stop()


def _get(live_server, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:  # type: ignore[no-untyped-def]
    host, port = live_server.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_token_quota_is_counted_in_redis_and_survives_a_redis_outage(
    settings, redis_cache: RedisServer, live_server, collaborator
):
    settings.RELAIS_API_RATE = "2/min"
    secret = token_create(user=collaborator, name="quota", scope=TokenScope.READ).secret
    auth = {"Authorization": f"Bearer {secret}"}
    assert [_get(live_server, ME, auth)[0] for _ in range(2)] == [200, 200]
    status, headers, body = _get(live_server, ME, auth)
    assert status == 429
    assert int(headers["Retry-After"]) >= 1
    assert json.loads(body)["code"] == "throttled"
    # The counter is in Redis, where every web node reads it.
    assert [k for k in redis_cache.client().keys("*") if b"ratelimit:api:token:" in k]

    # Redis down: the quota cannot be counted and the API keeps answering.
    redis_cache.stop()
    assert _get(live_server, ME, auth)[0] == 200
