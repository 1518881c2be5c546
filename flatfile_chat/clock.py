"""Injectable time, so scenarios can move the clock and get byte-identical runs."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Current time, always timezone-aware."""
        ...


class SystemClock:
    """Wall-clock time in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to (frozen until ``advance`` or ``set``)."""

    def __init__(self, start: datetime | str = "2026-01-01T09:00:00+00:00") -> None:
        self._lock = threading.Lock()
        self._now = _aware(start)

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        """Move forward by ``delta`` or by keyword parts (``hours=25``); never backwards."""
        step = delta if delta is not None else timedelta(**kwargs)
        if step < timedelta(0):
            raise ValueError(f"ManualClock only moves forward, got {step}")
        with self._lock:
            self._now += step
            return self._now

    def set(self, when: datetime | str) -> datetime:
        with self._lock:
            self._now = _aware(when)
            return self._now


def _aware(value: datetime | str) -> datetime:
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    if when.tzinfo is None:
        raise ValueError(f"clock time must be timezone-aware, got {value!r}")
    return when


def isoformat(when: datetime) -> str:
    """The one timestamp format the store writes: ISO 8601 with microseconds and offset."""
    return when.isoformat(timespec="microseconds")


def parse_timestamp(value: str) -> datetime:
    """Parse a stored timestamp; naive upstream timestamps are read as UTC."""
    when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
