from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.slapd import Slapd, configure_relais, slapd_available


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
    configure_relais(settings, slapd, page_size=200)
    settings.AUTHENTICATION_BACKENDS = [
        "axes.backends.AxesStandaloneBackend",
        "relais.accounts.directory.DirectoryBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    return slapd
