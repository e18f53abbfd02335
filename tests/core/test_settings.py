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
