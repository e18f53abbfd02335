"""Background entry points of the service watch (Huey periodic tasks)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from relais.monitoring import services


@db_periodic_task(crontab(minute="*"))
def escalate_and_remind() -> None:
    services.alerts_escalate_due()
    services.alerts_remind_due()
    services.maintenances_announce_started()


@db_periodic_task(crontab(minute="7"))
def roll_up_results() -> None:
    services.rollups_compute()


@db_periodic_task(crontab(hour="3", minute="17"))
def purge_old_results() -> None:
    services.results_purge()
