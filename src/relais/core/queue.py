"""The task queue's embedded backend: Huey on SQLite, without an fsync per enqueue.

Huey's SQLite storage leaves SQLite's default `synchronous=FULL`, so every enqueue — one per
committed outbox message, one per e-mail ingested — waits for the disk. In WAL mode
`synchronous=NORMAL` keeps the queue consistent through crashes and loses at most the last
enqueues on a power cut; those only nudge work that the database already holds (the outbox
sweep and the periodic jobs find it again), so nothing is lost with them.
"""

from __future__ import annotations

import sqlite3

from huey import SqliteHuey as _SqliteHuey
from huey.storage import SqliteStorage as _SqliteStorage


class SqliteStorage(_SqliteStorage):
    def _create_connection(self) -> sqlite3.Connection:
        connection = super()._create_connection()
        connection.execute("pragma synchronous=NORMAL")
        return connection


class SqliteHuey(_SqliteHuey):
    storage_class = SqliteStorage
