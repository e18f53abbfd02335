"""Crash points for the crash tests: the ingester stops dead at a named point.

`reached(point)` does nothing unless a test armed that point with `arm(point, after=n)`; then
the n-th time the point is reached it raises `Crash`, a BaseException that no `except
Exception` in the ingester catches, so that nothing after it runs — as if the process had been
killed there (the open transaction rolls back, nothing is flagged on the IMAP server).
"""

from __future__ import annotations

from typing import Any


class Crash(BaseException):
    """The simulated kill."""


_armed: dict[str, int] = {}


def arm(point: str, *, after: int = 1) -> None:
    _armed[point] = after


def disarm() -> None:
    _armed.clear()


def reached(point: str, **info: Any) -> None:
    remaining = _armed.get(point)
    if remaining is None:
        return
    if remaining <= 1:
        del _armed[point]
        raise Crash(f"crash at {point} {info}")
    _armed[point] = remaining - 1
