"""French full-text search for Relais: analysis, ranking and backends."""
