"""Background entry points of the asset park."""

from datetime import timedelta

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from relais.assets import services


@db_task()
def run_import(job_id: int) -> None:
    services.import_job_run(job_id=job_id)


@db_periodic_task(crontab(hour="8", minute="15"))
def remind_loans() -> None:
    services.loans_send_reminders()


@db_periodic_task(crontab(hour="3", minute="53"))
def sweep_orphan_asset_files() -> None:
    services.asset_files_sweep_orphans(older_than=timedelta(hours=24))
