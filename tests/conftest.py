from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from relais.accounts.choices import Role, TokenScope
from relais.accounts.models import User
from relais.accounts.services import token_create
from tests.factories import PASSWORD, OrgUnitFactory, SiteFactory, UserFactory
from tests.s3 import S3Server
from tests.smtp import SmtpServer

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API


@pytest.fixture(scope="session", autouse=True)
def _lift_the_audit_triggers_during_sqlite_flushes() -> None:
    """Transactional tests end with a flush, which SQLite does by DELETE: the append-only
    triggers are lifted for the flush alone (relais.core.audit_guard)."""
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    from relais.core.audit_guard import sqlite_flush_around

    operations = type(connection.ops)
    if not getattr(operations.execute_sql_flush, "audit_guarded", False):
        guarded = sqlite_flush_around(operations.execute_sql_flush)
        guarded.audit_guarded = True  # type: ignore[attr-defined]
        operations.execute_sql_flush = guarded  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):  # type: ignore[no-untyped-def]
    """pytest-django's, then: the search threads' connections are closed before the test
    database is dropped (relais.search.engine: live-server tests search in parallel)."""
    yield
    from relais.search.engine import shutdown_parallel

    shutdown_parallel()


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _isolated_side_effects(settings, smtp_server: SmtpServer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Every test mails a real SMTP server of its own session, and stores files in its own
    temporary directory."""
    smtp_server.handler.reset()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_TIMEOUT = 5
    settings.MEDIA_ROOT = str(tmp_path / "media")
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    server = S3Server()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def s3_bucket(s3_server: S3Server, settings, monkeypatch) -> str:  # type: ignore[no-untyped-def]
    """The test's files go to an empty bucket of the S3 test server, configured the way an
    installation is: through the RELAIS_S3_* environment read by relais.settings."""
    from relais import settings as relais_settings

    bucket = s3_server.new_bucket()
    for name, value in s3_server.environment(bucket).items():
        monkeypatch.setenv(name, value)
    settings.STORAGES = {**settings.STORAGES, "default": relais_settings._s3_storage()}
    return bucket


@pytest.fixture
def password() -> str:
    return PASSWORD


def make_user(role: Role, **kwargs) -> User:  # type: ignore[no-untyped-def]
    return UserFactory(role=role, **kwargs)


@pytest.fixture
def collaborator(db) -> User:  # type: ignore[no-untyped-def]
    return make_user(Role.COLLABORATOR, org_unit=OrgUnitFactory(), site=SiteFactory())


@pytest.fixture
def agent(db) -> User:  # type: ignore[no-untyped-def]
    return make_user(Role.AGENT)


@pytest.fixture
def supervisor(db) -> User:  # type: ignore[no-untyped-def]
    return make_user(Role.SUPERVISOR)


@pytest.fixture
def admin_user(db) -> User:  # type: ignore[no-untyped-def]
    return make_user(Role.ADMIN)


@pytest.fixture
def users_by_role(collaborator, agent, supervisor, admin_user) -> dict[str, User]:  # type: ignore[no-untyped-def]
    return {
        Role.COLLABORATOR: collaborator,
        Role.AGENT: agent,
        Role.SUPERVISOR: supervisor,
        Role.ADMIN: admin_user,
    }


def client_for(user: User | None) -> Client:
    client = Client(enforce_csrf_checks=False)
    if user is not None:
        client.force_login(user)
    return client


def api_client_for(user: User, scope: TokenScope = TokenScope.WRITE) -> Client:
    issued = token_create(user=user, name="tests", scope=scope)
    return Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")


def child_process_env(data_dir: Any, **extra: str) -> dict[str, str]:
    """The environment of a `relais …` process a test starts against the test's own
    PostgreSQL database (on SQLite the test database lives in the test process's memory)."""
    from django.conf import settings
    from django.db import connection

    db = settings.DATABASES["default"]
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("RELAIS_", "PYTEST", "DATABASE_URL"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "relais.settings",
            "DATABASE_URL": (
                f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
                f"/{connection.settings_dict['NAME']}"
            ),
            "RELAIS_DATA_DIR": str(data_dir),
            **extra,
        }
    )
    return env
