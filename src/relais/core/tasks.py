"""Background entry points: fetch by id, call a service; safe to run twice."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from relais.core import services


@db_task()
def deliver_outbox_message(message_id: int) -> None:
    services.outbox_deliver(message_id=message_id)


@db_periodic_task(crontab(minute="*"))
def deliver_due_outbox_messages() -> None:
    services.outbox_deliver_due()


@db_periodic_task(crontab(minute="17"))
def purge_idempotency_keys() -> None:
    services.idempotency_keys_purge()


@db_periodic_task(crontab(minute="23"))
def purge_personal_data_exports() -> None:
    from relais.core import privacy

    privacy.exports_purge()


@db_periodic_task(crontab(hour="4", minute="53"))
def purge_old_audit_entries() -> None:
    services.audit_log_purge()
