"""Background entry points of the knowledge base."""

from datetime import timedelta

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from relais.kb import services


@db_periodic_task(crontab(hour="7", minute="5"))
def remind_article_reviews() -> None:
    services.articles_review_reminders()


@db_periodic_task(crontab(hour="3", minute="47"))
def sweep_orphan_article_images() -> None:
    services.article_images_sweep_orphans(older_than=timedelta(hours=24))
