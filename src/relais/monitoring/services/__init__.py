"""Every write of the service watch. Views, the API, tasks, the prober and commands call these."""

from relais.monitoring.services.alerts import (
    alert_acknowledge,
    alerts_escalate_due,
    alerts_remind_due,
    alerts_send,
    on_call,
    rota_schedule,
)
from relais.monitoring.services.config import (
    allow_entry_add,
    allow_entry_remove,
    channel_create,
    check_create,
    check_delete,
    check_update,
    group_get_or_create,
    maintenance_create,
    remote_prober_authenticate,
    remote_prober_create,
    rota_create,
    rota_override_add,
    service_create,
    service_update,
)
from relais.monitoring.services.incidents import (
    incident_create,
    incident_join,
    incident_link_ticket,
    incident_update_add,
)
from relais.monitoring.services.results import (
    ProbeResult,
    heartbeat_ping,
    heartbeats_evaluate,
    owns,
    results_record,
    service_state_refresh,
    shard_of,
)
from relais.monitoring.services.retention import (
    results_purge,
    rollups_compute,
)
from relais.monitoring.services.subscriptions import (
    subscription_confirm,
    subscription_request,
    subscription_unsubscribe,
)

__all__ = [
    "ProbeResult",
    "alert_acknowledge",
    "alerts_escalate_due",
    "alerts_remind_due",
    "alerts_send",
    "allow_entry_add",
    "allow_entry_remove",
    "channel_create",
    "check_create",
    "check_delete",
    "check_update",
    "group_get_or_create",
    "heartbeat_ping",
    "heartbeats_evaluate",
    "incident_create",
    "incident_join",
    "incident_link_ticket",
    "incident_update_add",
    "maintenance_create",
    "on_call",
    "owns",
    "remote_prober_authenticate",
    "remote_prober_create",
    "results_purge",
    "results_record",
    "rollups_compute",
    "rota_create",
    "rota_override_add",
    "rota_schedule",
    "service_create",
    "service_state_refresh",
    "service_update",
    "shard_of",
    "subscription_confirm",
    "subscription_request",
    "subscription_unsubscribe",
]
