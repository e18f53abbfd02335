"""Demo search index: the bulk seeders bypass the model signals, so index everything once."""

from __future__ import annotations

from relais.core.demo import DemoContext


def seed(ctx: DemoContext) -> str:
    from relais.search import registry, services

    counts = services.reindex(registry.sources())
    return "Search index: " + ", ".join(f"{n} {kind}s" for kind, n in sorted(counts.items()))
