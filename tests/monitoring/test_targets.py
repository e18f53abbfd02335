"""Where checks and webhooks may go (SECURITY.md C1, C4)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from relais.monitoring import targets
from relais.monitoring.choices import AllowKind, CheckKind

ALLOW = [(AllowKind.CIDR, "10.20.0.0/16"), (AllowKind.DOMAIN, "example.fr")]


@pytest.fixture(autouse=True)
def _own_servers(settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # setitem: restored after each test (the connection settings are shared with Django's).
    monkeypatch.setitem(settings.DATABASES["default"], "HOST", "10.20.0.5")
    monkeypatch.setitem(settings.DATABASES["default"], "PORT", "5432")
    settings.REDIS_URL = "redis://10.20.0.6:6379/0"
    settings.EMAIL_HOST = "10.20.0.7"
    settings.EMAIL_PORT = 25
    settings.AUTH_LDAP_SERVER_URI = "ldap://10.20.0.8"
    settings.MONITORING_FORBIDDEN_ENDPOINTS = ["10.20.0.9:993"]
    settings.SITE_URL = "https://relais.example.fr"


@pytest.mark.parametrize(
    ("kind", "target"),
    [
        (CheckKind.HTTP, "http://169.254.169.254/latest/meta-data/"),
        (CheckKind.TCP, "10.20.0.5:5432"),  # the database
        (CheckKind.TCP, "10.20.0.6:6379"),  # Redis
        (CheckKind.TCP, "10.20.0.7:25"),  # SMTP
        (CheckKind.TCP, "10.20.0.8:389"),  # LDAP
        (CheckKind.TCP, "10.20.0.9:993"),  # IMAP (declared)
        (CheckKind.HTTP, "https://relais.example.fr/admin/"),  # Relais itself
        (CheckKind.HTTP, "http://192.168.1.10/"),  # outside the allowed networks
        (CheckKind.HTTP, "http://intranet.example.fr.attacker.com/"),  # suffix trick
        (CheckKind.HTTP, "http://badexample.fr/"),  # not a whole label
        (CheckKind.TCP, "[fd00:ec2::254]:80"),
        (CheckKind.HTTP, "http://[::ffff:169.254.169.254]/"),
    ],
)
def test_forbidden_targets_are_refused_at_save(kind: str, target: str) -> None:
    with pytest.raises(ValidationError) as caught:
        targets.check_target_validate(kind, target, ALLOW, resolve=False)
    assert list(caught.value.message_dict) == ["target"]


@pytest.mark.parametrize(
    ("kind", "target"),
    [
        (CheckKind.HTTP, "https://10.20.3.4/sante"),
        (CheckKind.TCP, "10.20.0.5:443"),  # the database host, another port
        (CheckKind.HTTP, "https://intranet.example.fr/"),
        (CheckKind.DNS, "example.fr"),
    ],
)
def test_allowed_targets_are_accepted(kind: str, target: str) -> None:
    targets.check_target_validate(kind, target, ALLOW, resolve=False)


def test_loopback_needs_the_test_and_demo_setting(settings) -> None:  # type: ignore[no-untyped-def]
    targets.check_target_validate(CheckKind.TCP, "127.0.0.1:8080", ALLOW, resolve=False)
    settings.MONITORING_ALLOW_LOOPBACK = False
    for target in ("127.0.0.1:8080", "localhost:8080", "[::1]:8080"):
        with pytest.raises(ValidationError):
            targets.check_target_validate(CheckKind.TCP, target, ALLOW, resolve=False)


def test_production_refuses_the_loopback_setting(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    env = {
        "RELAIS_PRODUCTION": "1",
        "RELAIS_MONITORING_ALLOW_LOOPBACK": "1",
        "SECRET_KEY": "x" * 60,
        "ALLOWED_HOSTS": "relais.example.fr",
        "DATABASE_URL": "sqlite:////tmp/never.sqlite3",
        "RELAIS_SITE_URL": "https://relais.example.fr",
        "DEFAULT_FROM_EMAIL": "relais@example.fr",
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [sys.executable, "-c", "import relais.settings"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "RELAIS_MONITORING_ALLOW_LOOPBACK" in done.stderr


@pytest.mark.parametrize(
    "value", ["0.0.0.0/0", "169.254.0.0/16", "10.0.0.0/33", "example", "exa mple.fr"]
)
def test_bad_allow_list_entries_are_refused(value: str) -> None:
    kind = AllowKind.CIDR if "/" in value else AllowKind.DOMAIN
    with pytest.raises(ValidationError):
        targets.allow_entry_validate(kind, value)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:5432/",
        "http://localhost./",
        "http://[::1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:127.0.0.1]/",
        "http://10.0.0.1/",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://2130706433/",
        "http://0x7f000001/",
        "http://0177.0.0.1/",
        "http://public.example@127.0.0.1/",
        "file:///etc/passwd",
        "gopher://127.0.0.1:6379/_",
        "dict://127.0.0.1:11211/",
        "ftp://example.com/",
    ],
)
def test_webhooks_reach_public_addresses_only(url: str) -> None:
    with pytest.raises(ValidationError):
        targets.webhook_url_validate(url)


def test_a_public_webhook_address_is_accepted() -> None:
    targets.webhook_url_validate("https://93.184.215.14/hooks/relais")
