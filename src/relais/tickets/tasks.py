"""Background entry points of the service desk."""

from datetime import timedelta

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from relais.tickets import services


@db_periodic_task(crontab(minute="*"))
def watch_sla() -> None:
    services.sla_watch()


@db_periodic_task(crontab(minute="17"))
def auto_close_resolved_tickets() -> None:
    services.tickets_auto_close()


@db_periodic_task(crontab(hour="3", minute="41"))
def sweep_orphan_attachments() -> None:
    services.attachments_sweep_orphans(older_than=timedelta(hours=24))


@db_periodic_task(crontab(hour="3", minute="37"))
def apply_ticket_retention() -> None:
    services.tickets_retention_run()
