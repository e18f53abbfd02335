"""Configuration: production mode fails fast on missing values and passes `check --deploy`."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PRODUCTION_ENV = {
    "RELAIS_PRODUCTION": "1",
    "SECRET_KEY": "x" * 30 + "production-secret-key-for-the-test-only-0123456789",
    "ALLOWED_HOSTS": "relais.example.fr",
    "DATABASE_URL": "postgres://relais@db.example.fr:5432/relais",
    "RELAIS_SITE_URL": "https://relais.example.fr",
    "DEFAULT_FROM_EMAIL": "Relais <relais@example.fr>",
}


def relais(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("RELAIS_", "DATABASE_URL", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE")
        )
    }
    return subprocess.run(
        [sys.executable, "-m", "relais", *args],
        capture_output=True,
        text=True,
        env={**clean, **env},
        timeout=120,
    )


@pytest.mark.parametrize(
    "missing",
    ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "RELAIS_SITE_URL", "DEFAULT_FROM_EMAIL"],
)
def test_production_mode_refuses_to_start_without_a_required_value(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = relais("check", env=env)
    assert result.returncode != 0
    assert missing in result.stderr
    assert (
        "is required when RELAIS_PRODUCTION is set" in result.stderr or "required" in result.stderr
    )


def test_check_deploy_is_clean_in_production_mode(tmp_path):
    env = {**PRODUCTION_ENV, "RELAIS_STATIC_ROOT": str(tmp_path)}
    result = relais("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_embedded_mode_generates_and_keeps_a_secret_key(tmp_path):
    env = {"RELAIS_DATA_DIR": str(tmp_path)}
    first = relais(
        "shell", "-c", "from django.conf import settings; print(settings.SECRET_KEY)", env=env
    )
    second = relais(
        "shell", "-c", "from django.conf import settings; print(settings.SECRET_KEY)", env=env
    )
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    assert len(first.stdout.strip()) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_production_hashes_passwords_with_argon2id(tmp_path):
    env = {**PRODUCTION_ENV, "RELAIS_STATIC_ROOT": str(tmp_path)}
    result = relais(
        "shell",
        "-c",
        "from django.contrib.auth.hashers import make_password; print(make_password('s3cret'))",
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("argon2$argon2id$")


def test_check_deploy_refuses_the_embedded_mode_and_an_unreachable_database(tmp_path):
    embedded = relais("check-deploy", env={"RELAIS_DATA_DIR": str(tmp_path)})
    assert embedded.returncode != 0
    assert "RELAIS_PRODUCTION is not set" in embedded.stdout
    unreachable = {
        **PRODUCTION_ENV,
        "RELAIS_STATIC_ROOT": str(tmp_path),
        "DATABASE_URL": "postgres://relais@127.0.0.1:1/relais",
    }
    result = relais("check-deploy", env=unreachable)
    assert result.returncode != 0
    assert "FAIL  database: cannot connect" in result.stdout
    assert "not ready" in result.stderr


def test_check_deploy_passes_a_ready_production_installation(tmp_path, smtp_server):
    """A migrated PostgreSQL database, collected static files, a writable storage and a mail
    server that answers: every check passes (Redis left out: a warning, not a failure)."""
    database = f"relais_checkdeploy_{os.getpid()}"
    admin = "postgres://postgres@127.0.0.1:5432/postgres"
    available = subprocess.run(["psql", admin, "-qc", "select 1"], capture_output=True)
    if available.returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is required in CI")
        pytest.skip("PostgreSQL is not reachable")
    subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {database}"], check=True)
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {database}"], check=True)
    try:
        env = {
            **PRODUCTION_ENV,
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
            "ALLOWED_HOSTS": "relais.example.fr",
            "RELAIS_STATIC_ROOT": str(tmp_path / "static"),
            "RELAIS_MEDIA_ROOT": str(tmp_path / "media"),
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_server.port),
            "RELAIS_SECRETS_KEY": "s" * 50,
        }
        (tmp_path / "static").mkdir()
        (tmp_path / "media").mkdir()
        not_migrated = relais("check-deploy", env=env)
        assert "migration(s) not applied" in not_migrated.stdout
        assert relais("migrate", "-v0", env=env).returncode == 0
        assert relais("collectstatic", "--noinput", "-v0", env=env).returncode == 0
        ready = relais("check-deploy", env=env)
        assert ready.returncode == 0, ready.stdout + ready.stderr
        assert "FAIL" not in ready.stdout and "Ready." in ready.stdout
        assert "WARN  REDIS_URL is not set" in ready.stdout
    finally:
        subprocess.run(
            ["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"], check=True
        )


HEADERS_SCRIPT = """
import json
from django.conf import settings
from django.test import Client
client = Client(HTTP_HOST="relais.example.fr", HTTP_X_FORWARDED_PROTO="https", secure=True)
page = client.get("/healthz")
plain = Client(HTTP_HOST="relais.example.fr").get("/healthz")
print(json.dumps({
    "status": page.status_code,
    "headers": dict(page.headers),
    "plain_status": plain.status_code,
    "plain_location": plain.get("Location", ""),
    "csrf_cookie": [settings.CSRF_COOKIE_SECURE, settings.CSRF_COOKIE_SAMESITE],
    "session_cookie": [settings.SESSION_COOKIE_SECURE, settings.SESSION_COOKIE_HTTPONLY,
                       settings.SESSION_COOKIE_SAMESITE],
}))
"""


def test_production_headers_and_cookies(tmp_path):
    """SECURITY.md F4: the response headers of a page served with the production settings."""
    import json

    env = {
        **PRODUCTION_ENV,
        "RELAIS_STATIC_ROOT": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    result = relais("shell", "-c", HEADERS_SCRIPT, env=env)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["status"] == 200
    headers = {name.lower(): value for name, value in seen["headers"].items()}
    assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    csp = {
        directive.split()[0]: directive.split()[1:]
        for directive in headers["content-security-policy"].split(";")
        if directive.strip()
    }
    assert csp["script-src"][0] == "'self'"
    assert all(source.startswith("'nonce-") for source in csp["script-src"][1:])
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in headers["content-security-policy"]
    assert headers["referrer-policy"] == "same-origin"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cross-origin-opener-policy"] == "same-origin"
    assert headers["x-frame-options"] == "DENY"
    # Plain HTTP is sent to HTTPS; cookies are Secure, HttpOnly for the session, SameSite=Lax.
    assert seen["plain_status"] == 301
    assert seen["plain_location"] == "https://relais.example.fr/healthz"
    assert seen["csrf_cookie"] == [True, "Lax"]
    assert seen["session_cookie"] == [True, True, "Lax"]


# --- Error pages (SECURITY.md F4): generic, in HTML and JSON, with no traceback or settings -----


def _boom(request):  # type: ignore[no-untyped-def]
    raise RuntimeError("SECRET_KEY=leaked-value /work/src/relais/settings.py")


def _urls():  # type: ignore[no-untyped-def]
    from django.urls import path

    from relais.urls import urlpatterns

    return [path("boom/", _boom), path("api/v1/boom", _boom), *urlpatterns]


urlpatterns = _urls()
handler400 = "relais.core.views.error_400"
handler403 = "relais.core.views.error_403"
handler404 = "relais.core.views.error_404"
handler500 = "relais.core.views.error_500"

LEAKS = ("Traceback", "SECRET_KEY", "leaked-value", "settings.py", "DATABASES", 'File "')


def _generic(response, status):  # type: ignore[no-untyped-def]
    body = response.content.decode("utf-8", "replace")
    assert response.status_code == status, body[:300]
    for leak in LEAKS:
        assert leak not in body, leak
    return body


@pytest.mark.django_db
def test_error_pages_are_generic(settings, client):
    from django.test import Client

    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False
    quiet = Client(raise_request_exception=False)
    assert "Une erreur est survenue" in _generic(quiet.get("/boom/"), 500)
    assert quiet.get("/api/v1/boom").json() == {
        "detail": "Internal error.",
        "code": "server_error",
    }
    _generic(client.get("/nulle-part/"), 404)
    assert client.get("/api/v1/nulle-part").json()["code"] == "not_found"
    # An unknown Host is refused before any view runs.
    _generic(Client(HTTP_HOST="evil.example").get("/connexion/"), 400)
    # A multipart body that does not parse: read as an empty form, not a crash.
    broken = quiet.post(
        "/connexion/",
        data=b'--xyz\r\nContent-Disposition: form-data; name="a\r\n\r\n',
        content_type="multipart/form-data; boundary=xyz",
    )
    assert broken.status_code in {200, 400, 403}
    _generic(broken, broken.status_code)
    # Bytes that are not UTF-8 in the path.
    for path in ("/demandes/%FF%FE/", "/%C0%AF/connexion/", "/api/v1/tickets/%FF"):
        response = quiet.get(path)
        assert response.status_code in {302, 400, 401, 404}, path
        _generic(response, response.status_code)
    # A 64 KB header is neither a crash nor echoed back here; in production gunicorn (and
    # nginx) answer 400 before Django sees it (limit_request_field_size: 8190 bytes).
    big = "A" * 65536
    response = quiet.get("/connexion/", HTTP_X_PADDING=big, HTTP_USER_AGENT=big)
    assert response.status_code == 200
    assert big not in response.content.decode()


@pytest.mark.django_db
def test_pages_run_only_scripts_that_carry_the_csp_nonce(client):
    import re

    response = client.get("/connexion/")
    policy = response["Content-Security-Policy"]
    nonce = re.search(r"script-src 'self' 'nonce-([^']+)'", policy)
    assert nonce, policy
    scripts = re.findall(r"<script\b[^>]*>", response.content.decode())
    assert scripts
    for tag in scripts:
        assert f'nonce="{nonce.group(1)}"' in tag or "src=" in tag, tag
