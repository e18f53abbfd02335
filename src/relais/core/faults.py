"""Crash points for the crash tests: a process stops dead at a named point (the mail
ingester between its steps, the outbox between the send and marking it sent).

`reached(point)` does nothing unless the point is armed:
- in-process, by a test: `arm(point, after=n)` makes the n-th arrival raise `Crash`, a
  BaseException that no `except Exception` in the ingester catches, so nothing after it runs
  (the open transaction rolls back, nothing is flagged on the IMAP server);
- in-process, with something to do instead: `arm(point, action=callable)` calls it at the
  n-th arrival (tests/tickets/test_database_down.py cuts the database connection there);
- in a separate process, by the environment: `RELAIS_FAULT_INJECTION=<point>:<n>` makes the
  n-th arrival send the process SIGKILL — a real kill, nothing cleaned up (tests/mail/
  test_kill.py). Never set it outside tests.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from typing import Any


class Crash(BaseException):
    """The simulated kill."""


_armed: dict[str, int] = {}
_actions: dict[str, Callable[[], None]] = {}
_kill: dict[str, int] = {}


def _from_environment() -> None:
    spec = os.environ.get("RELAIS_FAULT_INJECTION", "")
    if ":" in spec:
        point, _sep, count = spec.partition(":")
        _kill[point] = int(count or "1")


_from_environment()


def arm(point: str, *, after: int = 1, action: Callable[[], None] | None = None) -> None:
    _armed[point] = after
    if action is not None:
        _actions[point] = action


def disarm() -> None:
    _armed.clear()
    _actions.clear()


def reached(point: str, **info: Any) -> None:
    if point in _kill:
        _kill[point] -= 1
        if _kill[point] <= 0:
            os.kill(os.getpid(), signal.SIGKILL)
    remaining = _armed.get(point)
    if remaining is None:
        return
    if remaining <= 1:
        del _armed[point]
        action = _actions.pop(point, None)
        if action is not None:
            action()
            return
        raise Crash(f"crash at {point} {info}")
    _armed[point] = remaining - 1
