"""The service watch pages: `watch` (status pages, services, incidents, alerts, heartbeats)
and `config` (what administrators set up: services, allow-list, maintenance, rotas,
channels)."""
