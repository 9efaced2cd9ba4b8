"""Times in scenario files and control calls: ISO 8601 instants, relative offsets, durations."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from emulator.rules import limits

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_RELATIVE = re.compile(r"[+-](\d{1,12}[smhdw])+")
_DURATION_PART = re.compile(r"(\d+)([smhdw])")
_DURATION = re.compile(r"(\d{1,12}[smhdw])+")
MAX_DURATION_SECONDS = int(limits.MAX_RELATIVE_TIME.total_seconds())


def parse_instant(text: str) -> datetime:
    """An ISO 8601 timestamp, as an aware UTC datetime; naive ones are taken as UTC."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"not an ISO 8601 timestamp: {text!r}") from None
    return as_utc(value)


def as_utc(value: datetime | date) -> datetime:
    """A date or datetime as an aware UTC datetime (YAML gives naive ones: they mean UTC),
    within the clock's range."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if not limits.CLOCK_MIN <= value <= limits.CLOCK_MAX:
        raise ValueError(
            f"{value.isoformat()} is outside {limits.CLOCK_MIN.year}..{limits.CLOCK_MAX.year}"
        )
    return value


def parse_duration(text: str) -> timedelta:
    """`90s`, `30m`, `25h`, `3d`, `2w`, or combined like `1d2h30m`."""
    text = text.strip()
    if not _DURATION.fullmatch(text):
        raise ValueError(f"not a duration: {text!r} (expected e.g. 90s, 30m, 25h, 3d, 1d12h)")
    seconds = sum(int(n) * _UNITS[unit] for n, unit in _DURATION_PART.findall(text))
    if seconds > MAX_DURATION_SECONDS:
        raise ValueError(f"duration too long: {text!r} (at most {MAX_DURATION_SECONDS // 86400}d)")
    return timedelta(seconds=seconds)


def is_relative(text: str) -> bool:
    return bool(_RELATIVE.fullmatch(text.strip()))


def check_time(text: str) -> str:
    """Validate a scenario time (instant or relative); return it normalised."""
    text = text.strip()
    if is_relative(text):
        parse_duration(text[1:])  # bounded, so resolving it can never overflow
        return text
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"not a time: {text!r} (expected ISO 8601 like 2026-01-05T09:00:00Z, "
            "or relative to the start like -90s, -1h, -3d, +60d)"
        ) from None
    return format_instant(as_utc(value))


def resolve(text: str, base: datetime) -> datetime:
    """A scenario time as an instant: relative ones count from `base`."""
    text = text.strip()
    if is_relative(text):
        offset = parse_duration(text[1:])
        return base + offset if text[0] == "+" else base - offset
    return parse_instant(text)


def format_instant(value: datetime) -> str:
    """ISO 8601 UTC with milliseconds and a `Z`, as the control API reports times."""
    global _last
    last = _last  # one tuple, read and replaced whole: safe across threads
    if value == last[0]:  # a frozen clock stamps every call with the same instant
        return last[1]
    text = value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    _last = (value, text)
    return text


_last = (datetime(1970, 1, 1, tzinfo=UTC), "1970-01-01T00:00:00.000Z")
