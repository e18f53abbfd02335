"""SECURITY.md H3 for the security log, time-travelled: entries are purged after
AUDIT_RETENTION_MONTHS by the nightly job, and never sooner than six months, whatever the
application's clock, settings or code say (H4: the database refuses)."""

from __future__ import annotations

from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from freezegun import freeze_time

from relais.core import faults
from relais.core.choices import AuditAction
from relais.core.models import AuditLogEntry
from relais.core.services import audit_log_purge, audit_record
from tests.core.test_settings import PRODUCTION_ENV, relais

pytestmark = pytest.mark.django_db


def entry_made(months_ago: int, *, days: int = 0, label: str = "") -> AuditLogEntry:
    """A login failure recorded `months_ago` months (and `days` more days) before now."""
    when = timezone.now() - relativedelta(months=months_ago, days=days)
    with freeze_time(when):
        return audit_record(
            action=AuditAction.LOGIN_FAILURE,
            actor_label=label or f"{months_ago} mois",
            changes={"reason": "password"},
        )


def kept() -> set[str]:
    return set(
        AuditLogEntry.objects.exclude(action=AuditAction.AUDIT_PURGE).values_list(
            "actor_label", flat=True
        )
    )


def purges() -> list[dict[str, Any]]:
    return list(
        AuditLogEntry.objects.filter(action=AuditAction.AUDIT_PURGE)
        .order_by("pk")
        .values_list("changes", flat=True)
    )


def test_entries_are_purged_after_the_configured_months_and_the_purge_is_recorded(settings):
    for months in (25, 13, 11, 7, 5, 0):
        entry_made(months)

    settings.AUDIT_RETENTION_MONTHS = 12
    assert audit_log_purge() == 2
    assert kept() == {"11 mois", "7 mois", "5 mois", "0 mois"}
    [purge] = purges()
    assert purge["deleted"] == 2 and purge["months"] == 12
    # The purge is a security event of its own, by the system, with no person behind it.
    entry = AuditLogEntry.objects.get(action=AuditAction.AUDIT_PURGE)
    assert entry.actor_id is None and entry.actor_label == "system"

    # Idempotent: nothing more to do, nothing more recorded.
    assert audit_log_purge() == 0
    assert len(purges()) == 1

    settings.AUDIT_RETENTION_MONTHS = 6
    assert audit_log_purge() == 2
    assert kept() == {"5 mois", "0 mois"}

    # 0: never purged.
    settings.AUDIT_RETENTION_MONTHS = 0
    entry_made(40, label="ancienne")
    assert audit_log_purge() == 0
    assert "ancienne" in kept()


def test_the_nightly_job_runs_the_purge(settings):
    from relais.core.tasks import purge_old_audit_entries

    settings.AUDIT_RETENTION_MONTHS = 12
    entry_made(14)
    entry_made(1)
    purge_old_audit_entries.call_local()
    assert kept() == {"1 mois"}


def test_the_database_refuses_to_delete_an_entry_younger_than_six_months_whatever_asks(
    settings,
):
    """A wrong clock (two years ahead) makes the job try to delete everything: the database
    refuses the batch and nothing is lost. Raw SQL as the application's role: an entry one
    day short of six months stays; one a day past six months may go; no entry is ever
    updated, however old."""
    settings.AUDIT_RETENTION_MONTHS = 6
    entry_made(6, days=-1, label="presque six mois")
    entry_made(0, label="récente")
    entry_made(6, days=1, label="plus de six mois")
    entry_made(9, label="neuf mois")

    ahead = timezone.now() + relativedelta(years=2)
    with freeze_time(ahead), pytest.raises(DatabaseError, match="append-only"):
        audit_log_purge()
    assert kept() == {"presque six mois", "récente", "plus de six mois", "neuf mois"}
    assert purges() == []

    young = AuditLogEntry.objects.get(actor_label="presque six mois")
    old = AuditLogEntry.objects.get(actor_label="plus de six mois")
    ancient = AuditLogEntry.objects.get(actor_label="neuf mois")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM core_auditlogentry WHERE id = %s", [young.pk])
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE core_auditlogentry SET actor_label = %s WHERE id = %s", ["forged", ancient.pk]
        )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditlogentry WHERE id = %s", [old.pk])
    assert kept() == {"presque six mois", "récente", "neuf mois"}


def test_a_purge_that_stops_half_way_is_finished_by_the_next_run(settings):
    settings.AUDIT_RETENTION_MONTHS = 12
    for index in range(5):
        entry_made(13 + index)
    entry_made(2)
    faults.arm("audit.purge.batch", after=1)
    try:
        with pytest.raises(faults.Crash):
            audit_log_purge(batch=2)
    finally:
        faults.disarm()
    # The first batch is done and recorded, nothing else.
    assert len(kept()) == 4
    assert [p["deleted"] for p in purges()] == [2]

    assert audit_log_purge(batch=2) == 3
    assert kept() == {"2 mois"}
    assert [p["deleted"] for p in purges()] == [2, 2, 1]


def test_a_retention_shorter_than_six_months_is_refused_at_start():
    result = relais("check", env={**PRODUCTION_ENV, "RELAIS_AUDIT_RETENTION_MONTHS": "3"})
    assert result.returncode != 0
    assert "RELAIS_AUDIT_RETENTION_MONTHS must be 0 (never purged) or at least 6" in result.stderr
