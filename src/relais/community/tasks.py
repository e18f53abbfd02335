"""Background entry points of the peer-help community (idempotent: each claims its rows)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from relais.community import services


@db_periodic_task(crontab(minute="23"))
def alert_unanswered_questions() -> None:
    services.questions_unanswered_alert()


@db_periodic_task(crontab(day_of_week="1", hour="8", minute="0"))
def send_weekly_digest() -> None:
    services.weekly_digest()


@db_periodic_task(crontab(day="1", hour="6", minute="30"))
def award_helper_of_the_month() -> None:
    services.helper_of_month_award()
