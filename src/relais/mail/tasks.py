"""Background entry points of the e-mail channel."""

from datetime import timedelta

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from relais.mail import imap, services


@db_periodic_task(crontab(minute="*"))
def poll_mailboxes() -> None:
    imap.poll_all()


@db_periodic_task(crontab(hour="4", minute="23"))
def sweep_orphan_raw_messages() -> None:
    services.raw_sweep_orphans(older_than=timedelta(hours=24))


@db_periodic_task(crontab(hour="4", minute="41"))
def purge_old_raw_messages() -> None:
    services.raw_retention_purge()
