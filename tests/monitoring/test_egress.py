"""The egress policy against real servers (SECURITY.md C1, C2, C5): a canary HTTP server that
private destinations must never reach, in every spelling; a real DNS server on a loopback port
that answers one address the first time and another one after (DNS rebinding); a gzip bomb and
the ReDoS input of C5 against HTTP checks."""

from __future__ import annotations

import socketserver
import threading
import tracemalloc
from collections.abc import Iterator
from typing import Any

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest
from django.core.exceptions import ValidationError

from relais.core.outbox import PermanentDeliveryError
from relais.monitoring.choices import CheckState, ErrorCode
from relais.monitoring.executors import MAX_READ_BYTES, CheckSpec, Outcome, new_session, probe
from relais.monitoring.targets import webhook_url_validate
from relais.monitoring.webhooks import post
from tests.monitoring.servers import BOMB_KEYWORD, TargetServer, gzip_bomb, run_in_thread

ALLOWED_DOMAIN = "rebind.test"


class RebindingDns(socketserver.ThreadingUDPServer):
    """A real DNS server on a loopback UDP port. `answers[name]` is a list of addresses: the
    n-th A (or AAAA) query for the name gets the n-th one, the last one for ever after."""

    daemon_threads = True

    def __init__(self) -> None:
        self.answers: dict[str, list[str]] = {}
        self.queries: list[tuple[str, str]] = []

        class Handler(socketserver.BaseRequestHandler):
            def handle(inner) -> None:  # type: ignore[no-untyped-def]
                data, sock = inner.request
                query = dns.message.from_wire(data)
                response = dns.message.make_response(query)
                question = query.question[0]
                name = question.name.to_text().rstrip(".").lower()
                kind = dns.rdatatype.to_text(question.rdtype)
                if name not in self.answers:
                    response.set_rcode(dns.rcode.NXDOMAIN)
                else:
                    asked = sum(1 for n, k in self.queries if n == name and k in ("A", "AAAA"))
                    sequence = self.answers[name]
                    address = sequence[min(asked, len(sequence) - 1)]
                    wanted = "AAAA" if ":" in address else "A"
                    if kind == wanted:
                        self.queries.append((name, kind))
                        response.answer.append(
                            dns.rrset.from_text_list(question.name, 0, "IN", kind, [address])
                        )
                sock.sendto(response.to_wire(), inner.client_address)

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def nameserver(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"

    def asked(self, name: str) -> int:
        return sum(1 for n, _kind in self.queries if n == name)


@pytest.fixture
def resolver(settings: Any) -> Iterator[RebindingDns]:
    server = RebindingDns()
    settings.MONITORING_NAMESERVER = server.nameserver
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def canary() -> Iterator[TargetServer]:
    """The private service nothing may reach: every request it gets is recorded."""
    server = TargetServer().start()
    yield server
    server.stop()


@pytest.fixture
def decoy(target_server: TargetServer) -> Iterator[TargetServer]:
    """A second server on 127.0.0.2, same port as `target_server`: where a second DNS answer
    would lead."""
    server = TargetServer("127.0.0.2", target_server.port).start()
    yield server
    server.stop()


def private_spellings(port: int) -> list[str]:
    """The loopback canary (and other private places) written every way SECURITY.md C1 lists."""
    return [
        f"http://127.0.0.1:{port}/",
        f"http://localhost:{port}/",
        f"http://localhost.:{port}/",
        f"http://LOCALHOST:{port}/",
        f"http://[::1]:{port}/",
        f"http://[::ffff:127.0.0.1]:{port}/",
        f"http://[::ffff:7f00:1]:{port}/",
        f"http://2130706433:{port}/",
        f"http://0x7f000001:{port}/",
        f"http://0177.0.0.1:{port}/",
        f"http://127.1:{port}/",
        f"http://0.0.0.0:{port}/",
        f"http://0:{port}/",
        f"http://public.example@127.0.0.1:{port}/",
        f"http://loopback.{ALLOWED_DOMAIN}:{port}/",  # DNS: 127.0.0.1
        f"http://mapped.{ALLOWED_DOMAIN}:{port}/",  # DNS: ::ffff:127.0.0.1
        f"http://rfc1918.{ALLOWED_DOMAIN}:{port}/",  # DNS: 10.0.0.1
        f"http://cgnat.{ALLOWED_DOMAIN}:{port}/",  # DNS: 100.64.0.1
        f"http://metadata.{ALLOWED_DOMAIN}:{port}/",  # DNS: 169.254.169.254
        f"http://ula.{ALLOWED_DOMAIN}:{port}/",  # DNS: fd12:3456::1
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/",
        "http://10.0.0.1/",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",
        "http://[fd00::1]/",
        "file:///etc/passwd",
        f"gopher://127.0.0.1:{port}/_x",
        f"dict://127.0.0.1:{port}/x",
        f"ftp://127.0.0.1:{port}/",
    ]


PRIVATE_ANSWERS = {
    f"loopback.{ALLOWED_DOMAIN}": ["127.0.0.1"],
    f"mapped.{ALLOWED_DOMAIN}": ["::ffff:127.0.0.1"],
    f"rfc1918.{ALLOWED_DOMAIN}": ["10.0.0.1"],
    f"cgnat.{ALLOWED_DOMAIN}": ["100.64.0.1"],
    f"metadata.{ALLOWED_DOMAIN}": ["169.254.169.254"],
    f"ula.{ALLOWED_DOMAIN}": ["fd12:3456::1"],
}


# --- C1: webhooks reach public addresses only, at save and at send ---------------------------


def test_no_private_spelling_of_a_webhook_reaches_the_canary(
    canary: TargetServer, resolver: RebindingDns, settings: Any
) -> None:
    settings.MONITORING_WEBHOOK_ALLOW_LOOPBACK = False
    resolver.answers.update(PRIVATE_ANSWERS)
    for url in private_spellings(canary.port):
        with pytest.raises(ValidationError):
            webhook_url_validate(url)
        with pytest.raises(PermanentDeliveryError, match="egress policy"):
            post(url, b"{}", {"Content-Type": "application/json"})
    assert canary.received == [] and canary.hits == []
    assert resolver.asked(f"loopback.{ALLOWED_DOMAIN}") >= 1  # the names were resolved


# --- C1/C3 for checks: a redirect to a private place never connects ---------------------------


def run(spec: CheckSpec, allow_list: list[tuple[str, str]]) -> Outcome:
    async def go() -> Outcome:
        async with new_session() as session:
            return await probe(spec, session, allow_list)

    return run_in_thread(go)


def http(url: str, **config: object) -> CheckSpec:
    return CheckSpec(id=1, kind="http", target=url, interval=30, timeout=3, config=config)


def test_a_check_redirected_to_a_private_place_never_reaches_it(
    target_server: TargetServer, canary: TargetServer, resolver: RebindingDns, settings: Any
) -> None:
    """Checks may reach loopback in the tests (MONITORING_ALLOW_LOOPBACK), so the canary is
    made one of the places checks may never reach, as Relais's own database is."""
    settings.MONITORING_FORBIDDEN_ENDPOINTS = [f"127.0.0.1:{canary.port}"]
    resolver.answers.update(PRIVATE_ANSWERS)
    allow = [("domain", ALLOWED_DOMAIN), ("cidr", "192.0.2.0/24")]
    # Names of an allowed domain may lead to internal networks (that is what checks are for),
    # not to loopback, the metadata service or Relais's own endpoints.
    internal = ("rfc1918.", "cgnat.", "ula.")
    for private in private_spellings(canary.port):
        if (
            not private.startswith("http://")
            or "@" in private
            or any(n in private for n in internal)
        ):
            continue
        outcome = run(http(target_server.url("/redirect?to=") + private), allow)
        assert (outcome.state, outcome.error_code) == (
            CheckState.DOWN,
            ErrorCode.FORBIDDEN_TARGET,
        ), private
    assert canary.hits == []


# --- C2: DNS rebinding --------------------------------------------------------------------------


def test_a_check_connects_to_the_address_it_validated(
    target_server: TargetServer, decoy: TargetServer, resolver: RebindingDns
) -> None:
    name = f"svc.{ALLOWED_DOMAIN}"
    resolver.answers[name] = ["127.0.0.1", "127.0.0.2"]
    outcome = run(
        http(f"http://{name}:{target_server.port}/ok", keyword="tout va bien"),
        [("domain", ALLOWED_DOMAIN)],
    )
    assert outcome.state == CheckState.UP
    assert target_server.hits == ["/ok"] and decoy.hits == []
    assert resolver.asked(name) == 1  # resolved once, for the check and the connection


def test_a_check_whose_first_answer_is_forbidden_is_refused(
    target_server: TargetServer, resolver: RebindingDns
) -> None:
    name = f"svc.{ALLOWED_DOMAIN}"
    resolver.answers[name] = ["169.254.169.254", "127.0.0.1"]
    outcome = run(http(f"http://{name}:{target_server.port}/ok"), [("domain", ALLOWED_DOMAIN)])
    assert outcome.error_code == ErrorCode.FORBIDDEN_TARGET
    assert target_server.hits == [] and resolver.asked(name) == 1


def test_a_webhook_connects_to_the_address_it_validated(
    target_server: TargetServer, decoy: TargetServer, resolver: RebindingDns, settings: Any
) -> None:
    settings.MONITORING_WEBHOOK_ALLOW_LOOPBACK = True  # so that 127.0.0.x may stand for public
    name = f"hooks.{ALLOWED_DOMAIN}"
    resolver.answers[name] = ["127.0.0.1", "127.0.0.2"]
    assert post(f"http://{name}:{target_server.port}/hook", b"{}", {}) == 200
    assert [r["path"] for r in target_server.received] == ["/hook"]
    assert target_server.received[0]["headers"]["Host"] == f"{name}:{target_server.port}"
    assert decoy.received == [] and resolver.asked(name) == 1


def test_a_webhook_whose_first_answer_is_private_is_refused(
    target_server: TargetServer, resolver: RebindingDns, settings: Any
) -> None:
    settings.MONITORING_WEBHOOK_ALLOW_LOOPBACK = False
    name = f"hooks.{ALLOWED_DOMAIN}"
    resolver.answers[name] = ["10.0.0.1", "127.0.0.1"]
    with pytest.raises(PermanentDeliveryError):
        post(f"http://{name}:{target_server.port}/hook", b"{}", {})
    assert target_server.received == [] and resolver.asked(name) == 1


# --- C5: gzip bomb and ReDoS ------------------------------------------------------------------


def test_a_gzipped_page_is_read_decompressed(target_server: TargetServer) -> None:
    outcome = run(http(target_server.url("/gzip"), keyword="tout va bien"), [])
    assert outcome.state == CheckState.UP


def test_a_gzip_bomb_is_read_at_most_64_kib_decompressed(target_server: TargetServer) -> None:
    """64 MiB once inflated, about 64 KB on the wire, its keyword at the very end: the check
    stops after 64 KiB of decoded text (keyword not found) and never holds the 64 MiB."""
    gzip_bomb()  # made once, before the measure (the server sends the cached bytes)
    spec = http(target_server.url("/gzip-bomb"), keyword=BOMB_KEYWORD.decode())
    spec.timeout = 15  # a loaded CI machine: the bound under test is memory, not time
    tracemalloc.start()
    try:
        outcome = run(spec, [])
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (outcome.state, outcome.error_code) == (CheckState.DOWN, ErrorCode.KEYWORD)
    assert peak < 16 * MAX_READ_BYTES * 8  # < 8 MiB, where the whole body is 64 MiB


def test_a_keyword_is_text_never_a_regular_expression(target_server: TargetServer) -> None:
    """The C5 ReDoS input: `(a+)+$` against 50 KB of "a" ending in "!" is a plain substring
    search (no backtracking engine), missing there and found where it is written."""
    redos = run(http(target_server.url("/aaa"), keyword="(a+)+$"), [])
    assert (redos.state, redos.error_code) == (CheckState.DOWN, ErrorCode.KEYWORD)
    absent = run(http(target_server.url("/aaa"), keyword_absent="(a+)+$"), [])
    assert absent.state == CheckState.UP
    assert run(http(target_server.url("/regex-literal"), keyword="(a+)+$"), []).state == "up"
