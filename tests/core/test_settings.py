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
