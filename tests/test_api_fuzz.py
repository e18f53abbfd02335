"""API fuzzing (issue 12 §5): schemathesis generates requests for every operation of
/api/v1/openapi.json and sends them in-process (WSGI), with a personal token of each role.

Every response must be free of server errors and conform to the schema where the schema
documents the status code (body and content type). Bounded for CI: RELAIS_FUZZ_EXAMPLES
examples per operation and role (default 1); raise it locally to dig deeper, e.g.
`RELAIS_FUZZ_EXAMPLES=50 pytest tests/test_api_fuzz.py -n 2`.

Every role on SQLite; on PostgreSQL (the second half of `make test`, where the same code
answers) the two ends of the role scale, a requester and an administrator
(`RELAIS_FUZZ_ROLES=all` for the four)."""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from django.db import connection
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

from relais.accounts.choices import Role, TokenScope
from relais.accounts.services import token_create
from relais.core.api import api
from relais.wsgi import application
from tests.factories import UserFactory

EXAMPLES = int(os.environ.get("RELAIS_FUZZ_EXAMPLES", "1"))
ROLES = [Role.COLLABORATOR, Role.AGENT, Role.SUPERVISOR, Role.ADMIN]
SAMPLE_ROLES = [Role.COLLABORATOR, Role.ADMIN]


def roles() -> list[str]:
    if os.environ.get("RELAIS_FUZZ_ROLES") == "all" or connection.vendor == "sqlite":
        return ROLES
    return SAMPLE_ROLES


schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = application


@pytest.fixture(autouse=True)
def keep_the_test_connection() -> Any:
    """Requests go through the WSGI handler, whose request signals close a connection that is
    not in autocommit mode: the test's own, inside its transaction, on PostgreSQL. Django's
    test client disconnects them the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def bearers(db: Any) -> dict[str, dict[str, str]]:
    """A write token for one person of each role."""
    headers = {}
    for role in roles():
        issued = token_create(user=UserFactory(role=role), name="fuzz", scope=TokenScope.WRITE)
        headers[role] = {"Authorization": f"Bearer {issued.secret}"}
    return headers


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_every_generated_request_within_its_schema(
    case: Any, bearers: dict[str, dict[str, str]]
) -> None:
    for headers in bearers.values():
        case.call_and_validate(
            headers=headers,
            checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
        )
