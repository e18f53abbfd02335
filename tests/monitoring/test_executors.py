"""Each kind of check against real local servers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from relais.monitoring.choices import CheckState, ErrorCode
from relais.monitoring.executors import MAX_READ_BYTES, CheckSpec, Outcome, new_session, probe
from tests.monitoring.servers import (
    BlackHole,
    DnsServer,
    TargetServer,
    TlsServer,
    run_in_thread,
)


def run(spec: CheckSpec) -> Outcome:
    async def go() -> Outcome:
        async with new_session() as session:
            return await probe(spec, session)

    return run_in_thread(go)


def http(url: str, timeout: float = 2, **config: object) -> CheckSpec:
    return CheckSpec(id=1, kind="http", target=url, interval=30, timeout=timeout, config=config)


def test_http_up_with_status_and_latency(target_server: TargetServer) -> None:
    outcome = run(http(target_server.url("/ok")))
    assert outcome.state == CheckState.UP
    assert outcome.http_status == 200
    assert outcome.latency_ms is not None


def test_http_unexpected_status_is_down(target_server: TargetServer) -> None:
    outcome = run(http(target_server.url("/status/500")))
    assert (outcome.state, outcome.error_code, outcome.http_status) == ("down", "status", 500)
    assert run(http(target_server.url("/status/500"), expected_status=[500])).state == "up"


def test_http_keyword_present_and_absent(target_server: TargetServer) -> None:
    assert run(http(target_server.url("/ok"), keyword="tout va bien")).state == "up"
    missing = run(http(target_server.url("/ok"), keyword="maintenance"))
    assert (missing.state, missing.error_code) == ("down", ErrorCode.KEYWORD)
    present = run(http(target_server.url("/ok"), keyword_absent="tout va bien"))
    assert present.error_code == ErrorCode.KEYWORD


def test_http_json_field(target_server: TargetServer) -> None:
    url = target_server.url("/json")
    assert run(http(url, json_path="health.db", json_expected="ok")).state == "up"
    assert run(http(url, json_path="health.db", json_expected="ko")).error_code == "json"
    assert run(http(url, json_path="health.cache")).error_code == "json"


def test_http_reads_at_most_64_kib_of_a_10_mb_body(target_server: TargetServer) -> None:
    outcome = run(http(target_server.url("/big"), keyword="never-there"))
    assert outcome.error_code == ErrorCode.KEYWORD  # read stopped at the cap, no hang
    assert MAX_READ_BYTES == 65536


def test_http_slow_loris_hits_the_total_timeout(target_server: TargetServer) -> None:
    outcome = run(http(target_server.url("/slowloris"), timeout=1.5, keyword="x" * 10))
    assert (outcome.state, outcome.error_code) == ("down", ErrorCode.TIMEOUT)


def test_http_black_hole_times_out(black_hole: BlackHole) -> None:
    outcome = run(http(f"http://127.0.0.1:{black_hole.port}/", timeout=1))
    assert (outcome.state, outcome.error_code) == ("down", ErrorCode.TIMEOUT)


def test_http_bearer_auth_from_the_stored_secret(target_server: TargetServer) -> None:
    spec = http(target_server.url("/auth"))
    assert run(spec).http_status == 401
    spec.auth_kind, spec.secret = "bearer", {"token": "s3cret-token"}
    assert run(spec).state == "up"


def test_http_max_latency_degrades(target_server: TargetServer) -> None:
    outcome = run(http(target_server.url("/ok"), max_latency_ms=0.0001))
    assert (outcome.state, outcome.error_code) == (CheckState.DEGRADED, ErrorCode.SLOW)


def test_tcp_up_and_refused(target_server: TargetServer) -> None:
    spec = CheckSpec(
        id=1, kind="tcp", target=f"127.0.0.1:{target_server.port}", interval=30, timeout=2
    )
    assert run(spec).state == "up"
    closed = CheckSpec(id=1, kind="tcp", target="127.0.0.1:1", interval=30, timeout=2)
    assert run(closed).error_code == ErrorCode.REFUSED


def test_dns_resolves_and_equals(dns_server: DnsServer) -> None:
    nameserver = f"127.0.0.1:{dns_server.port}"
    spec = CheckSpec(
        id=1,
        kind="dns",
        target="intranet.example.fr",
        interval=30,
        timeout=2,
        config={"nameserver": nameserver, "expected": ["10.1.2.3"]},
    )
    assert run(spec).state == "up"
    spec.config["expected"] = ["10.9.9.9"]
    assert run(spec).error_code == ErrorCode.DNS_MISMATCH
    spec.target = "absent.example.fr"
    assert run(spec).error_code == ErrorCode.DNS


@pytest.mark.parametrize(
    ("days", "state", "code"),
    [(90, CheckState.UP, ""), (5, CheckState.DEGRADED, ErrorCode.CERT_EXPIRING)],
)
def test_tls_certificate_days_before_expiry(days: int, state: str, code: str) -> None:
    server = TlsServer(not_after=datetime.now(UTC) + timedelta(days=days))
    try:
        spec = CheckSpec(
            id=1,
            kind="tls",
            target=f"127.0.0.1:{server.port}",
            interval=30,
            timeout=3,
            config={"tls_days": 14, "verify_tls": False},
        )
        outcome = run(spec)
    finally:
        server.stop()
    assert (outcome.state, outcome.error_code) == (state, code)


def test_tls_untrusted_certificate_is_down_when_verified() -> None:
    server = TlsServer(not_after=datetime.now(UTC) + timedelta(days=90))
    try:
        spec = CheckSpec(
            id=1, kind="tls", target=f"127.0.0.1:{server.port}", interval=30, timeout=3
        )
        outcome = run(spec)
    finally:
        server.stop()
    assert (outcome.state, outcome.error_code) == ("down", ErrorCode.TLS)


@pytest.fixture
def canary() -> Iterator[TargetServer]:
    """A second local server standing for a place checks must never reach."""
    server = TargetServer().start()
    yield server
    server.stop()


def redirect(server: TargetServer, to: str) -> str:
    return server.url(f"/redirect?{urlencode({'to': to})}")


def test_http_redirect_to_a_forbidden_endpoint_is_refused_before_connecting(
    target_server: TargetServer, canary: TargetServer, settings: Any
) -> None:
    # Say the canary is Relais's own mail server: a check may not be bounced onto it.
    settings.MONITORING_FORBIDDEN_ENDPOINTS = [f"127.0.0.1:{canary.port}"]
    outcome = run(http(redirect(target_server, canary.url("/ok"))))
    assert (outcome.state, outcome.error_code) == ("down", ErrorCode.FORBIDDEN_TARGET)
    assert canary.hits == []
    # The same name written differently is the same place.
    outcome = run(http(redirect(target_server, f"http://localhost:{canary.port}/ok")))
    assert outcome.error_code == ErrorCode.FORBIDDEN_TARGET
    assert canary.hits == []


@pytest.mark.parametrize(
    "to",
    [
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://[::ffff:169.254.169.254]/",
        "http://10.9.9.9/",  # outside the allow-list
        "http://intranet.example.fr.attacker.com/",  # a suffix is not a domain
        "file:///etc/passwd",
    ],
)
def test_http_redirect_outside_the_policy_is_refused(target_server: TargetServer, to: str) -> None:
    outcome = run(http(redirect(target_server, to)))
    assert (outcome.state, outcome.error_code) == ("down", ErrorCode.FORBIDDEN_TARGET)


def test_http_redirect_into_the_allow_list_is_followed(
    target_server: TargetServer, canary: TargetServer
) -> None:
    outcome = run(http(redirect(target_server, canary.url("/ok")), keyword="tout va bien"))
    assert (outcome.state, outcome.http_status) == ("up", 200)
    assert canary.hits == ["/ok"]
    # Not followed when the check says so: the redirect itself is the answer.
    unfollowed = run(http(redirect(target_server, canary.url("/ok")), follow_redirects=False))
    assert (unfollowed.state, unfollowed.http_status) == ("up", 302)
    assert canary.hits == ["/ok"]


def test_http_at_most_three_redirects(target_server: TargetServer) -> None:
    url = target_server.url("/ok")
    for _ in range(4):
        url = redirect(target_server, url)
    outcome = run(http(url))
    assert (outcome.state, outcome.detail) == ("down", "too many redirects")
    three = redirect(target_server, redirect(target_server, redirect(target_server, "/ok")))
    assert run(http(three)).state == "up"
