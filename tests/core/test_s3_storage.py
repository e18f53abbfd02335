"""The S3-compatible storage's settings and check-deploy's bucket check, against a real S3
server on loopback (tests/s3.py)."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.s3 import S3Server

pytestmark = pytest.mark.django_db


def test_the_default_storage_is_the_bucket(s3_bucket: str) -> None:
    from storages.backends.s3 import S3Storage

    default_storage.exists("x")  # resolve the lazy object
    assert isinstance(default_storage._wrapped, S3Storage)  # type: ignore[attr-defined]
    assert default_storage.bucket_name == s3_bucket  # type: ignore[attr-defined]


def _storage_line(**options: object) -> str:
    out = io.StringIO()
    with pytest.raises(CommandError):  # not a production installation: other checks fail
        call_command("check-deploy", stdout=out)
    (line,) = [line for line in out.getvalue().splitlines() if "file storage" in line]
    return line


def test_check_deploy_writes_to_the_bucket(s3_bucket: str, s3_server: S3Server) -> None:
    line = _storage_line()
    assert line.startswith("OK")
    assert f"S3 bucket {s3_bucket} at {s3_server.endpoint} writable" in line
    assert s3_server.keys(s3_bucket) == []  # the probe file was removed


def test_check_deploy_fails_on_a_bucket_that_does_not_exist(s3_bucket: str, settings) -> None:
    default = settings.STORAGES["default"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**default, "OPTIONS": {**default["OPTIONS"], "bucket_name": "absent"}},
    }
    line = _storage_line()
    assert line.startswith("FAIL")
    assert "S3 bucket absent" in line and "not writable" in line
    assert "relais-test-secret" not in line


def test_the_s3_storage_needs_a_bucket_and_keeps_objects_private(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from django.core.exceptions import ImproperlyConfigured

    from relais import settings as relais_settings

    monkeypatch.delenv("RELAIS_S3_BUCKET", raising=False)
    with pytest.raises(ImproperlyConfigured, match="RELAIS_S3_BUCKET is required"):
        relais_settings._s3_storage()
    monkeypatch.setenv("RELAIS_S3_BUCKET", "pieces-jointes")
    options = relais_settings._s3_storage()["OPTIONS"]
    assert options["bucket_name"] == "pieces-jointes"  # type: ignore[index]
    assert options["default_acl"] is None  # type: ignore[index]
    assert options["file_overwrite"] is False  # type: ignore[index]
