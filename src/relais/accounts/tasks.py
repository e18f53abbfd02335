"""Background entry points of accounts: the scheduled directory-sync."""

from __future__ import annotations

import logging

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

logger = logging.getLogger(__name__)


def _schedule() -> crontab:
    fields = settings.DIRECTORY_SYNC_CRON.split()
    if not settings.LDAP_ENABLED or len(fields) != 5:
        # Never due: no directory, or no schedule (run `relais directory-sync` by hand).
        return lambda _moment: False
    minute, hour, day, month, day_of_week = fields
    return crontab(minute=minute, hour=hour, day=day, month=month, day_of_week=day_of_week)


@db_periodic_task(_schedule())
def directory_sync_scheduled() -> None:
    from relais.accounts.directory import DirectoryError, sync

    try:
        report = sync()
    except DirectoryError:
        logger.exception("directory-sync failed")
        return
    logger.info(
        "directory-sync: %s read, %s created, %s updated, %s reactivated, %s deactivated, "
        "%s skipped, %s deactivations refused",
        report.seen,
        len(report.created),
        len(report.updated),
        len(report.reactivated),
        len(report.deactivated),
        len(report.skipped),
        report.refused_deactivations,
    )
