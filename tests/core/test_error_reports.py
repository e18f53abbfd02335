"""SECURITY.md F4, error reporting: the report of a 500 (the log line and its traceback, and
the administrators' mail when ADMINS is set) carries no cookie, no Authorization header, no
password field and no request body."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

from relais.core.logging import KeyValueFormatter
from tests.smtp import SmtpServer

SECRETS = {
    "password": "pw-Canary-3f9e1",
    "cookie": "sess-Canary-77a0c",
    "token": "rls_Canary-bearer-5d2b",
    "body": "body-Canary-c0ffee",
}


def _explode(request: HttpRequest) -> HttpResponse:
    request.POST.get("password")  # the body is parsed, as a form view would
    raise RuntimeError("the handler failed")


urlpatterns = [path("explode/", _explode)]


class Captured(logging.Handler):
    """The log output as the production handler writes it (KeyValueFormatter)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(KeyValueFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def log_output() -> Iterator[Captured]:
    handler = Captured()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


def test_the_report_of_a_500_holds_no_secret(
    settings: Any, log_output: Captured, smtp_server: SmtpServer
) -> None:
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False
    settings.ADMINS = [("Exploitation", "exploitation@relais.test")]
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = SECRETS["cookie"]
    response = client.post(
        "/explode/",
        {"email": "x@relais.test", "password": SECRETS["password"], "note": SECRETS["body"]},
        HTTP_AUTHORIZATION=f"Bearer {SECRETS['token']}",
    )
    assert response.status_code == 500
    logged = "\n".join(log_output.lines)
    assert "Internal Server Error: /explode/" in logged and "the handler failed" in logged
    reports = [
        "\n".join(
            str(part.get_payload(decode=True).decode("utf-8", "replace"))
            for part in m.walk()
            if not part.is_multipart()
        )
        for m in smtp_server.messages
        if "exploitation@" in str(m["To"])
    ]
    assert reports, "the administrators' error mail was not sent"
    assert "RuntimeError" in reports[0] and "POST:" in reports[0] and "password" in reports[0]
    for what, secret in SECRETS.items():
        assert secret not in logged, f"{what} in the log"
        for report in reports:
            assert secret not in report, f"{what} in the error mail"
