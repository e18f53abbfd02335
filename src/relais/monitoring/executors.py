"""How each kind of check probes its target, asynchronously, inside the prober's event loop.

Every probe is bounded: a total timeout, at most 64 KiB read from a response and at most 64 KiB
once decompressed (no gzip bomb), keyword matching on that bounded text by plain substring (no
regular expression, so no ReDoS). An HTTP check connects to the address its target resolved to
when checked against the policy, at the first hop as at every redirect (no DNS rebinding).
Outcomes carry an error code and a short detail for the staff; raw exception texts never
reach the public page.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ipaddress
import json
import os
import socket
import ssl
import struct
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import dns.asyncresolver
import dns.exception
import dns.resolver
from cryptography import x509

from relais.monitoring.choices import CheckKind, CheckState, ErrorCode
from relais.monitoring.targets import (
    REDIRECT_STATUSES,
    Destination,
    ForbiddenDestination,
    RedirectGuard,
    TooManyRedirects,
    check_destination,
)

MAX_READ_BYTES = 64 * 1024


@dataclass
class CheckSpec:
    """What the prober needs to run one check (a plain object: no ORM in the event loop)."""

    id: int
    kind: str
    target: str
    interval: int
    timeout: float
    config: dict[str, Any] = field(default_factory=dict)
    auth_kind: str = ""
    secret: dict[str, Any] = field(default_factory=dict)


@dataclass
class Outcome:
    state: str
    latency_ms: float | None = None
    http_status: int | None = None
    error_code: str = ""
    detail: str = ""


def _down(code: str, detail: str = "", **kwargs: Any) -> Outcome:
    return Outcome(CheckState.DOWN, error_code=code, detail=detail[:200], **kwargs)


def _expected_status(config: dict[str, Any], status: int) -> bool:
    expected = config.get("expected_status")
    if expected:
        return status in {int(code) for code in expected}
    return 200 <= status < 400


def json_field(document: Any, path: str) -> Any:
    """`data.items.0.state` in a decoded JSON document; KeyError when absent."""
    current = document
    for part in path.split("."):
        if isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        elif isinstance(current, dict) and part in current:
            current = current[part]
        else:
            raise KeyError(path)
    return current


async def _read_bounded(response: aiohttp.ClientResponse) -> bytes:
    """At most MAX_READ_BYTES from the network and at most MAX_READ_BYTES once decoded: the
    session does not decompress (a gzip bomb would be inflated whole), this does, bounded."""
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    decoder = None
    if encoding in ("gzip", "x-gzip", "deflate"):
        decoder = zlib.decompressobj(wbits=47)  # zlib or gzip header, detected
    elif encoding not in ("", "identity"):
        return b""  # not asked for (Accept-Encoding: gzip, deflate): unreadable
    chunks: list[bytes] = []
    size = read = 0
    while size < MAX_READ_BYTES and read < MAX_READ_BYTES:
        chunk = await response.content.read(MAX_READ_BYTES - read)
        if not chunk:
            break
        read += len(chunk)
        if decoder is not None:
            try:
                chunk = decoder.decompress(chunk, MAX_READ_BYTES - size)
            except zlib.error:
                break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)[:MAX_READ_BYTES]


async def _validated(
    validate: Callable[[str], Destination | None], url: str, deadline: float
) -> Destination | None:
    """`validate(url)` (a Destination, or ForbiddenDestination) off the event loop when the
    host is a name to resolve, within what is left of the check's time."""
    host = urlsplit(url).hostname or ""
    if host and _is_ip_literal(host):
        return validate(url)
    return await asyncio.wait_for(
        asyncio.to_thread(validate, url), timeout=max(deadline - time.monotonic(), 0.01)
    )


def _follow(guard: RedirectGuard, status: int, location: str) -> Destination | None:
    return guard.follow(status, location)


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


async def probe_http(
    spec: CheckSpec,
    session: aiohttp.ClientSession,
    allow_list: Sequence[tuple[str, str]] = (),
) -> Outcome:
    config = spec.config
    headers = {str(k): str(v) for k, v in (config.get("headers") or {}).items()}
    if spec.auth_kind == "basic" and spec.secret:
        raw = f"{spec.secret.get('username', '')}:{spec.secret.get('password', '')}"
        headers["Authorization"] = "Basic " + base64.b64encode(raw.encode()).decode()
    elif spec.auth_kind == "bearer" and spec.secret.get("token"):
        headers["Authorization"] = f"Bearer {spec.secret['token']}"
    needs_body = bool(
        config.get("keyword") or config.get("keyword_absent") or config.get("json_path")
    )
    follow = bool(config.get("follow_redirects", True))
    # Every hop, the first one included, passes the same policy as a saved target (allow-list,
    # forbidden addresses), checked now, and is reached at the address checked: a name that
    # resolves elsewhere the second time is never asked again. Redirects are followed by hand.
    guard = RedirectGuard(
        spec.target, lambda url: check_destination(url, allow_list), validate_first=False
    )
    deadline = time.monotonic() + spec.timeout
    started = time.perf_counter()
    target_host = (urlsplit(spec.target).hostname or "").lower().rstrip(".")
    try:
        try:
            hop = await _validated(guard.validate, spec.target, deadline)
        except ForbiddenDestination as exc:
            code = ErrorCode.DNS if exc.args and exc.args[0] == "unresolved" else None
            return _down(code or ErrorCode.FORBIDDEN_TARGET, "target")
        while True:
            assert hop is not None
            # Credentials go only to the host they were configured for.
            async with session.get(
                hop.pinned_url(),
                headers={**(headers if hop.host == target_host else {}), "Host": hop.netloc},
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=max(deadline - time.monotonic(), 0.01)),
                ssl=bool(config.get("verify_tls", True)),
                server_hostname=hop.host if hop.scheme == "https" else None,
            ) as response:
                status = response.status
                location = response.headers.get("Location")
                redirected = follow and status in REDIRECT_STATUSES and bool(location)
                body = await _read_bounded(response) if needs_body and not redirected else b""
            if not redirected:
                break
            hop = await _validated(partial(_follow, guard, status), location or "", deadline)
    except ForbiddenDestination as exc:
        code = ErrorCode.DNS if exc.args and exc.args[0] == "unresolved" else None
        return _down(code or ErrorCode.FORBIDDEN_TARGET, "redirect")
    except TooManyRedirects:
        return _down(ErrorCode.NETWORK, "too many redirects")
    except TimeoutError:
        return _down(ErrorCode.TIMEOUT)
    except aiohttp.ClientConnectorCertificateError as exc:
        return _down(ErrorCode.TLS, type(exc).__name__)
    except aiohttp.ClientSSLError as exc:
        return _down(ErrorCode.TLS, type(exc).__name__)
    except aiohttp.ClientConnectorDNSError:
        return _down(ErrorCode.DNS)
    except aiohttp.ClientConnectorError as exc:
        if isinstance(exc.os_error, ConnectionRefusedError):
            return _down(ErrorCode.REFUSED)
        return _down(ErrorCode.NETWORK, type(exc.os_error).__name__)
    except (aiohttp.ClientError, OSError) as exc:
        return _down(ErrorCode.NETWORK, type(exc).__name__)
    latency = (time.perf_counter() - started) * 1000
    if not _expected_status(config, status):
        return _down(ErrorCode.STATUS, f"HTTP {status}", latency_ms=latency, http_status=status)
    text = body.decode("utf-8", "replace") if body else ""
    keyword = config.get("keyword")
    if keyword and keyword not in text:
        return _down(ErrorCode.KEYWORD, "missing", latency_ms=latency, http_status=status)
    absent = config.get("keyword_absent")
    if absent and absent in text:
        return _down(ErrorCode.KEYWORD, "present", latency_ms=latency, http_status=status)
    if config.get("json_path"):
        try:
            value = json_field(json.loads(text), config["json_path"])
        except (ValueError, KeyError):
            return _down(ErrorCode.JSON, "absent", latency_ms=latency, http_status=status)
        expected = config.get("json_expected")
        if expected is not None and str(value) != str(expected):
            return _down(ErrorCode.JSON, "value", latency_ms=latency, http_status=status)
    max_latency = config.get("max_latency_ms")
    if max_latency and latency > float(max_latency):
        return Outcome(CheckState.DEGRADED, latency, status, ErrorCode.SLOW, f"{latency:.0f} ms")
    return Outcome(CheckState.UP, latency, status)


def _split_host_port(target: str, default_port: int) -> tuple[str, int]:
    host, sep, port = target.rpartition(":")
    if not sep:
        return target, default_port
    return host.strip("[]"), int(port)


async def probe_tcp(spec: CheckSpec) -> Outcome:
    host, port = _split_host_port(spec.target, 0)
    started = time.perf_counter()
    try:
        _reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port), timeout=spec.timeout
        )
    except TimeoutError:
        return _down(ErrorCode.TIMEOUT)
    except ConnectionRefusedError:
        return _down(ErrorCode.REFUSED)
    except socket.gaierror:
        return _down(ErrorCode.DNS)
    except OSError as exc:
        return _down(ErrorCode.NETWORK, type(exc).__name__)
    latency = (time.perf_counter() - started) * 1000
    writer.close()
    with contextlib.suppress(TimeoutError, OSError):
        await asyncio.wait_for(writer.wait_closed(), timeout=1)
    return Outcome(CheckState.UP, latency)


async def probe_dns(spec: CheckSpec) -> Outcome:
    config = spec.config
    nameserver = config.get("nameserver")
    resolver = dns.asyncresolver.Resolver(configure=not nameserver)
    if nameserver:
        host, port = _split_host_port(nameserver, 53)
        resolver.nameservers = [host]
        resolver.port = port
    resolver.lifetime = spec.timeout
    record = str(config.get("record_type") or "A").upper()
    started = time.perf_counter()
    try:
        answer = await resolver.resolve(spec.target, record)
    except dns.exception.Timeout:
        return _down(ErrorCode.TIMEOUT)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer, dns.resolver.NoNameservers) as exc:
        return _down(ErrorCode.DNS, type(exc).__name__)
    except (dns.exception.DNSException, OSError) as exc:
        return _down(ErrorCode.DNS, type(exc).__name__)
    latency = (time.perf_counter() - started) * 1000
    expected = config.get("expected")
    if expected:
        got = sorted(rdata.to_text().rstrip(".") for rdata in answer)
        if sorted(str(e).rstrip(".") for e in expected) != got:
            return _down(ErrorCode.DNS_MISMATCH, ",".join(got)[:200], latency_ms=latency)
    return Outcome(CheckState.UP, latency)


async def probe_tls(spec: CheckSpec, *, now: datetime | None = None) -> Outcome:
    host, port = _split_host_port(spec.target, 443)
    context = ssl.create_default_context()
    if not spec.config.get("verify_tls", True):
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    started = time.perf_counter()
    try:
        _reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=context, server_hostname=host),
            timeout=spec.timeout,
        )
    except TimeoutError:
        return _down(ErrorCode.TIMEOUT)
    except ssl.SSLError as exc:
        return _down(ErrorCode.TLS, type(exc).__name__)
    except ConnectionRefusedError:
        return _down(ErrorCode.REFUSED)
    except OSError as exc:
        return _down(ErrorCode.NETWORK, type(exc).__name__)
    latency = (time.perf_counter() - started) * 1000
    ssl_object = writer.get_extra_info("ssl_object")
    der = ssl_object.getpeercert(binary_form=True) if ssl_object else None
    writer.close()
    if not der:
        return _down(ErrorCode.TLS, "no certificate", latency_ms=latency)
    not_after = x509.load_der_x509_certificate(der).not_valid_after_utc
    days_left = (not_after - (now or datetime.now(UTC))).total_seconds() / 86400
    if days_left < 0:
        return _down(ErrorCode.TLS, "expired", latency_ms=latency)
    warn_days = float(spec.config.get("tls_days", 14))
    if days_left < warn_days:
        return Outcome(
            CheckState.DEGRADED, latency, None, ErrorCode.CERT_EXPIRING, f"{days_left:.0f} d"
        )
    return Outcome(CheckState.UP, latency, None, "", f"{days_left:.0f} d")


def icmp_supported() -> bool:
    """Unprivileged ping needs the process's group in net.ipv4.ping_group_range."""
    try:
        with open("/proc/sys/net/ipv4/ping_group_range") as handle:
            low, high = (int(v) for v in handle.read().split())
    except (OSError, ValueError):
        return False
    return any(low <= gid <= high for gid in {os.getgid(), *os.getgroups()})


async def probe_icmp(spec: CheckSpec) -> Outcome:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(spec.target, None, family=socket.AF_INET)
    except socket.gaierror:
        return _down(ErrorCode.DNS)
    address = infos[0][4][0]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
    sock.setblocking(False)
    header = struct.pack("!BBHHH", 8, 0, 0, 0, 1)
    started = time.perf_counter()
    try:
        await loop.sock_sendto(sock, header + b"relais", (address, 0))
        await asyncio.wait_for(loop.sock_recv(sock, 1024), timeout=spec.timeout)
    except TimeoutError:
        return _down(ErrorCode.TIMEOUT)
    except OSError as exc:
        return _down(ErrorCode.NETWORK, type(exc).__name__)
    finally:
        sock.close()
    return Outcome(CheckState.UP, (time.perf_counter() - started) * 1000)


async def probe(
    spec: CheckSpec,
    session: aiohttp.ClientSession,
    allow_list: Sequence[tuple[str, str]] = (),
) -> Outcome:
    """Run one check; never raises, never outlives its timeout by much. `allow_list` is the
    administrators' list of allowed targets, for the places HTTP checks are redirected to."""
    try:
        if spec.kind == CheckKind.HTTP:
            return await probe_http(spec, session, allow_list)
        if spec.kind == CheckKind.TCP:
            return await probe_tcp(spec)
        if spec.kind == CheckKind.DNS:
            return await probe_dns(spec)
        if spec.kind == CheckKind.TLS:
            return await probe_tls(spec)
        if spec.kind == CheckKind.ICMP:
            return await probe_icmp(spec)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a probe must never take the prober down
        return _down(ErrorCode.NETWORK, type(exc).__name__)
    return _down(ErrorCode.NETWORK, "unsupported kind")


def new_session(*, limit: int = 0) -> aiohttp.ClientSession:
    """One session for every HTTP check: a fresh connection per check (force_close), no
    cookies kept between checks."""
    connector = aiohttp.TCPConnector(limit=limit, force_close=True, enable_cleanup_closed=True)
    return aiohttp.ClientSession(
        connector=connector,
        cookie_jar=aiohttp.DummyCookieJar(),
        headers={"User-Agent": "Relais-Veille/1", "Accept-Encoding": "gzip, deflate"},
        raise_for_status=False,
        auto_decompress=False,  # `_read_bounded` decompresses, at most 64 KiB
    )
