from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from relais.reports import services


@db_periodic_task(crontab(hour="2", minute="47"))
def fill_missing_ticket_facts() -> int:
    """Nightly: tickets without report facts (from before the upgrade that added them, or
    loaded in bulk) get them, so the figures are whole without a manual step."""
    from relais.tickets.services import ticket_facts_fill_missing

    return ticket_facts_fill_missing()


@db_periodic_task(crontab(hour="5", minute="37"))
def send_scheduled_reports() -> int:
    """Daily (05:37 UTC): weekly reports go out on Monday, monthly ones on the 1st, and a
    period missed while the worker was down goes out on the next run; never twice."""
    return services.scheduled_reports_send()
