from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.slapd import (
    AD_ACTIVE_FILTER,
    GROUPS,
    PEOPLE,
    SERVICE_DN,
    SERVICE_PASSWORD,
    Slapd,
    slapd_available,
)


@pytest.fixture(scope="session")
def slapd() -> Iterator[Slapd]:
    if not slapd_available():
        if os.environ.get("CI") == "true":
            pytest.fail("slapd is required in CI (scripts/test-services.sh installs it).")
        pytest.skip("slapd is not installed (run scripts/test-services.sh)")
    server = Slapd()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def directory(slapd: Slapd, settings: Any) -> Slapd:
    """Relais configured for the test directory, as an administrator would by environment."""
    settings.LDAP_URIS = [slapd.uri]
    settings.LDAP_ENABLED = True
    settings.LDAP_BIND_DN = SERVICE_DN
    settings.LDAP_BIND_PASSWORD = SERVICE_PASSWORD
    settings.LDAP_USER_BASE = PEOPLE
    settings.LDAP_USER_FILTER = f"(&(sAMAccountName=%(user)s){AD_ACTIVE_FILTER})"
    settings.LDAP_SYNC_FILTER = f"(&(objectClass=inetOrgPerson){AD_ACTIVE_FILTER})"
    settings.LDAP_GROUP_BASE = GROUPS
    settings.LDAP_GROUP_FILTER = "(objectClass=groupOfNames)"
    settings.LDAP_PAGE_SIZE = 200
    settings.LDAP_ROLE_GROUPS = {
        "admin": [f"cn=relais-admins,{GROUPS}"],
        "supervisor": [f"cn=relais-supervisors,{GROUPS}"],
        "agent": [f"cn=relais-agents,{GROUPS}"],
    }
    settings.AUTHENTICATION_BACKENDS = [
        "axes.backends.AxesStandaloneBackend",
        "relais.accounts.directory.DirectoryBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    return slapd
