"""Prometheus metrics. With several processes (gunicorn workers), PROMETHEUS_MULTIPROC_DIR
makes every process write its samples where /metrics aggregates them."""

from __future__ import annotations

import os
from collections.abc import Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

REQUESTS = Counter("relais_http_requests_total", "HTTP requests served", ["method", "status"])
LATENCY = Histogram(
    "relais_http_request_duration_seconds",
    "Time to serve an HTTP request",
    ["method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5),
)


class OutboxCollector:
    """Outbox backlog read from the database at scrape time (exact, whatever the process)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from django.db.models import Count

        from relais.core.models import OutboxMessage

        family = GaugeMetricFamily(
            "relais_outbox_messages", "Outbox messages by status", labels=["status"]
        )
        counts = dict(
            OutboxMessage.objects.values_list("status").annotate(n=Count("id")).order_by()
        )
        for status in ("pending", "sent", "dead"):
            family.add_metric([status], counts.get(status, 0))
        yield family


def render() -> tuple[bytes, str]:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY

        registry = REGISTRY
    output = generate_latest(registry)
    outbox = CollectorRegistry()
    outbox.register(OutboxCollector())
    return output + generate_latest(outbox), CONTENT_TYPE_LATEST
