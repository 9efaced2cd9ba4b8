"""The emulated clock: frozen at a scenario's start (moving only when told) or real time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """`now()` is the only time the rules and policy see; tests move it with advance/set."""

    def __init__(self, start: datetime | None) -> None:
        self._start = start
        self._offset = timedelta(0)

    @property
    def frozen(self) -> bool:
        return self._start is not None

    def _base(self) -> datetime:
        return self._start if self._start is not None else datetime.now(UTC)

    def now(self) -> datetime:
        return self._base() + self._offset

    def advance(self, delta: timedelta) -> datetime:
        self._offset += delta
        return self.now()

    def set(self, instant: datetime) -> datetime:
        self._offset = instant - self._base()
        return self.now()
