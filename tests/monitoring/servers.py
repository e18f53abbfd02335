"""Real local servers for the service-watch tests: HTTP (with pages that misbehave), a
black hole, a DNS server and a TLS server with a certificate made in the test."""

from __future__ import annotations

import json
import socket
import socketserver
import ssl
import threading
import time
import zlib
from datetime import datetime
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import dns.message
import dns.rrset


class _Handler(BaseHTTPRequestHandler):
    server: TargetServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, ctype: str = "text/plain", **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in headers.items():
            self.send_header(key.replace("_", "-"), value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:
        self.server.hits.append(self.path)
        path = self.path.split("?")[0]
        if path in self.server.stopped:
            self._send(503, b"unavailable")
        elif path == "/ok":
            self._send(200, b"Bienvenue sur le service: tout va bien")
        elif path.startswith("/status/"):
            self._send(int(path.rsplit("/", 1)[1]), b"status")
        elif path == "/json":
            self._send(200, json.dumps({"health": {"db": "ok"}}).encode(), "application/json")
        elif path == "/big":
            # 10 MB announced and sent in chunks until the client stops reading.
            self.send_response(200)
            self.send_header("Content-Length", str(10 * 1024 * 1024))
            self.end_headers()
            try:
                for _ in range(160):
                    self.wfile.write(b"a" * 65536)
            except OSError:
                pass
        elif path == "/slowloris":
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            try:
                for _ in range(30):
                    self.wfile.write(b"a")
                    self.wfile.flush()
                    time.sleep(1)
            except OSError:
                pass
        elif path == "/redirect":
            # GET /redirect?to=<url>: a 302 to wherever the test says.
            target = parse_qs(urlsplit(self.path).query)["to"][0]
            self._send(302, b"", Location=target)
        elif path == "/gzip":
            body = zlib.compress(b"Bienvenue sur le service: tout va bien", wbits=31)
            self._send(200, body, Content_Encoding="gzip")
        elif path == "/gzip-bomb":
            self._send(200, gzip_bomb(), Content_Encoding="gzip")
        elif path == "/aaa":
            # The ReDoS input of SECURITY.md C5: 50 KB of "a" ending in "!".
            self._send(200, b"a" * 50_000 + b"!")
        elif path == "/regex-literal":
            self._send(200, b"motif (a+)+$ en toutes lettres")
        elif path == "/auth":
            if self.headers.get("Authorization") == "Bearer s3cret-token":
                self._send(200, b"welcome")
            else:
                self._send(401, b"no")
        else:
            self._send(404, b"not found")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        self.server.received.append(
            {"path": self.path, "headers": dict(self.headers), "body": body}
        )
        path = self.path.split("?")[0]
        if path.startswith("/status/"):
            self._send(int(path.rsplit("/", 1)[1]), b"")
        elif path.startswith("/redirect"):
            self.send_response(307)
            self.send_header("Location", self.server.redirect_to)
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self._send(200, b"ok")


BOMB_BYTES = 64 * 1024 * 1024
BOMB_KEYWORD = b"tout va bien"


@cache
def gzip_bomb() -> bytes:
    """64 MiB of zeros then BOMB_KEYWORD, gzipped: about 64 KB on the wire."""
    compressor = zlib.compressobj(9, wbits=31)
    zeros = bytes(1024 * 1024)
    parts = [compressor.compress(zeros) for _ in range(BOMB_BYTES // len(zeros))]
    return b"".join([*parts, compressor.compress(BOMB_KEYWORD), compressor.flush()])


class TargetServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__((host, port), _Handler)
        self.hits: list[str] = []
        self.received: list[dict[str, Any]] = []
        self.stopped: set[str] = set()
        self.redirect_to = ""
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server_address[1]

    def url(self, path: str) -> str:
        return f"http://{self.server_address[0]}:{self.port}{path}"

    def start(self) -> TargetServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class BlackHole:
    """Accepts TCP connections and never answers (a hung service)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1024)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self.running = True
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        self.sock.settimeout(0.2)
        while self.running:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                continue
            self.held.append(conn)

    def stop(self) -> None:
        self.running = False
        for conn in self.held:
            conn.close()
        self.sock.close()


class DnsServer(socketserver.ThreadingUDPServer):
    """Answers A queries from a table; NXDOMAIN otherwise."""

    daemon_threads = True

    def __init__(self, records: dict[str, list[str]]) -> None:
        self.records = records

        class Handler(socketserver.BaseRequestHandler):
            def handle(inner) -> None:  # type: ignore[no-untyped-def]
                data, sock = inner.request
                query = dns.message.from_wire(data)
                response = dns.message.make_response(query)
                question = query.question[0]
                name = question.name.to_text().rstrip(".")
                if name in self.records:
                    response.answer.append(
                        dns.rrset.from_text_list(question.name, 60, "IN", "A", self.records[name])
                    )
                else:
                    response.set_rcode(dns.rcode.NXDOMAIN)
                sock.sendto(response.to_wire(), inner.client_address)

        super().__init__(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class TlsServer:
    """A TLS listener whose certificate expires at `not_after` (made with trustme)."""

    def __init__(self, not_after: datetime) -> None:
        import trustme

        ca = trustme.CA()
        cert = ca.issue_cert("localhost", "127.0.0.1", not_after=not_after)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(self.context)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.running = True
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        self.sock.settimeout(0.2)
        while self.running:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                continue
            try:
                tls = self.context.wrap_socket(conn, server_side=True)
                tls.close()
            except (ssl.SSLError, OSError):
                conn.close()

    def stop(self) -> None:
        self.running = False
        self.sock.close()


def run_in_thread(make_coroutine: Any) -> Any:
    """asyncio.run in a thread of its own: the browser tests' Playwright (sync API) keeps an
    event loop running in the main thread for the whole session."""
    import asyncio

    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(make_coroutine())
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box.get("value")


def probe_for(seconds: float) -> None:
    """One prober (as `relais prober` runs it) for `seconds`: every check due at once, then
    every second; in a thread of its own (see run_in_thread)."""
    from relais.monitoring.prober import Prober

    prober = Prober()

    async def go() -> None:
        await prober.reload()
        for spec in prober.specs.values():
            spec.interval = 1
        prober.heap = [(0.0, pk) for pk in prober.specs]
        await prober.run(duration=seconds)

    run_in_thread(go)
