"""The emulated clock: frozen at a scenario's start (moving only when told) or real time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from emulator.rules import limits


class Clock:
    """`now()` is the only time the rules and policy see; tests move it with advance/set."""

    def __init__(self, start: datetime | None) -> None:
        self._start = start
        self._offset = timedelta(0)

    @property
    def frozen(self) -> bool:
        return self._start is not None

    @property
    def offset(self) -> timedelta:
        """How far the clock was moved: from its start (frozen) or from real time."""
        return self._offset

    def _base(self) -> datetime:
        return self._start if self._start is not None else datetime.now(UTC)

    def now(self) -> datetime:
        start = self._start  # _base(), inlined: every Graph call reads the clock
        return (start if start is not None else datetime.now(UTC)) + self._offset

    def advance(self, delta: timedelta) -> datetime:
        """Move forward; ValueError (and no change) if that leaves the supported range."""
        return self.set(_checked(lambda: self.now() + delta))

    def set(self, instant: datetime) -> datetime:
        """Jump to `instant`; ValueError (and no change) if it is out of the supported range."""
        if instant.tzinfo is None:
            raise ValueError("the time needs a UTC offset, e.g. 2026-01-05T09:00:00Z")
        _in_range(instant)
        self._offset = instant - self._base()
        return self.now()

    def restore_offset(self, offset: timedelta) -> datetime:
        """Be moved by `offset` again (a saved `offset`: a real-time clock keeps its lead over
        real time exactly); ValueError (and no change) if that leaves the supported range."""
        _in_range(_checked(lambda: self._base() + offset))
        self._offset = offset
        return self.now()


def _in_range(instant: datetime) -> None:
    if not limits.CLOCK_MIN <= instant <= limits.CLOCK_MAX:
        raise ValueError(
            f"the clock stays between {limits.CLOCK_MIN.date()} and {limits.CLOCK_MAX.date()}"
        )


def _checked(compute: Callable[[], datetime]) -> datetime:
    try:
        return compute()
    except OverflowError:
        raise ValueError(
            f"the clock stays between {limits.CLOCK_MIN.date()} and {limits.CLOCK_MAX.date()}"
        ) from None
