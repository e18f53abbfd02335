"""Background entry points of search: fetch by id, call a service; safe to run twice."""

from huey.contrib.djhuey import db_task

from relais.search import semantic


@db_task(retries=2, retry_delay=60)
def embed_entry(entry_id: int) -> None:
    """(Re-)embed one knowledge entry for the semantic component (no-op if unchanged)."""
    semantic.embed_entry(entry_id)


@db_task()
def embed_missing(after_id: int) -> None:
    """Embed the entries without a vector, 100 at a time (each chunk queues the next, so a
    long backfill never holds a worker for long)."""
    last = semantic.embed_missing_chunk(after_id)
    if last is not None:
        embed_missing(last)
