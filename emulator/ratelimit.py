"""The Send API's documented rate limits, opt-in per scenario (`rate_limits:`).

Per page: calls per second (300; 10 with audio or video) and a rolling 24-hour quota of
200 x engaged users (reference §10). Engaged users are the page's people who have written
at least once (`last_message` set) and have not blocked it; at least one is assumed, so a
new page may still send. The windows slide on the emulated clock: with a frozen clock every
call falls in the same second until the clock is moved, which keeps tests deterministic.

Counted: the sends that pass the rules and the policy (also those an injected fault then
fails: they reached the page). Not counted: refused calls, throttled calls included.

Cost: the windows keep counts per tick, not one entry per call (per millisecond in the
1-second windows, at most 1,000 buckets; per second in the 24-hour one, at most 86,400), so
memory is bounded whatever the limits and the traffic. A counted call leaves its window when
its tick's start does: up to a millisecond, or a second for the day, before its exact time.
The engaged users of a page are counted again only when its people change (a person added,
a first message), not on every call.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from emulator.rules import limits
from emulator.rules.request import SendRequest
from emulator.scenario.model import RateLimitSpec
from emulator.wire import catalog

if TYPE_CHECKING:
    from emulator.state import PageState, Person

BUC_HEADER = "x-business-use-case-usage"
APP_HEADER = "x-app-usage"
_MS = timedelta(milliseconds=1)
SECOND_MS = limits.RATE_SECOND_WINDOW // _MS
DAY_MS = limits.RATE_DAILY_WINDOW // _MS
SECOND_TICK_MS = 1  # the 1-second windows count per millisecond: at most 1,000 buckets
DAY_TICK_MS = 1000  # the 24-hour window counts per second: at most 86,400 buckets


def _ms(now: datetime) -> int:
    """Milliseconds since 1970 on the emulated clock (an exact integer: no float rounding)."""
    return (now - limits.CLOCK_MIN) // _MS


class _Window:
    """The calls counted in one sliding window, as `[tick, count]` buckets, oldest first.

    A bucket is in the window while its tick's start is: after `now - span`, not after
    `now` (a clock set back forgets the calls not yet made)."""

    __slots__ = ("buckets", "span", "tick", "total")

    def __init__(self, span: int, tick: int) -> None:
        self.span = span
        self.tick = tick
        self.buckets: deque[list[int]] = deque()
        self.total = 0

    def slide(self, now: int) -> None:
        buckets, tick = self.buckets, self.tick
        while buckets and buckets[0][0] * tick <= now - self.span:
            self.total -= buckets.popleft()[1]
        while buckets and buckets[-1][0] * tick > now:
            self.total -= buckets.pop()[1]

    def add(self, now: int) -> None:
        """Count one call at `now` (the window has slid to `now`: the newest bucket is not
        later, so the buckets stay in order)."""
        key = now // self.tick
        buckets = self.buckets
        if buckets and buckets[-1][0] == key:
            buckets[-1][1] += 1
        else:
            buckets.append([key, 1])
        self.total += 1

    def oldest(self) -> int | None:
        """When the oldest counted bucket began (ms), or None when the window is empty."""
        return self.buckets[0][0] * self.tick if self.buckets else None


class _Windows:
    """One page's counted calls."""

    __slots__ = ("day", "media", "second")

    def __init__(self) -> None:
        self.second = _Window(SECOND_MS, SECOND_TICK_MS)
        self.media = _Window(SECOND_MS, SECOND_TICK_MS)
        self.day = _Window(DAY_MS, DAY_TICK_MS)

    def slide(self, now: int) -> None:
        self.second.slide(now)
        self.media.slide(now)
        self.day.slide(now)


@dataclass(slots=True)
class _Engaged:
    """A page's engaged users as last counted, and what the count was made from."""

    people: dict[str, Person]  # the very dict (restoring saved state replaces it whole)
    size: int
    version: int
    count: int


def engaged_users(page: PageState) -> int:
    """Count them (a scan of the page's people: RateLimits.engaged keeps the figure)."""
    return sum(
        1
        for person in page.people.values()
        if person.last_message is not None and not person.blocked
    )


def is_media(request: SendRequest) -> bool:
    return request.attachment_type in limits.RATE_MEDIA_TYPES


class RateLimits:
    """The counters of one world; rebuilt (emptied) on reset."""

    def __init__(self, spec: RateLimitSpec, pages: Mapping[str, PageState]) -> None:
        self.spec = spec
        self._pages = pages
        self._windows: dict[str, _Windows] = {}
        self._engaged: dict[str, _Engaged] = {}
        self._versions: dict[str, int] = {}  # per page: bumped when its engaged users change

    def _of(self, page_id: str, now: int) -> _Windows:
        windows = self._windows.get(page_id)
        if windows is None:
            windows = self._windows[page_id] = _Windows()
        windows.slide(now)
        return windows

    def before_write(self, page: PageState, person: Person) -> None:
        """Called (by World.person_acts) before `person` writes to `page`, i.e. before their
        `last_message` is set: a first message makes them an engaged user. Whatever else
        changes a page's people or whether they are engaged must call this too, or replace
        `page.people` (a new dict is counted afresh)."""
        if person.last_message is None and not person.blocked:
            self._versions[page.id] = self._versions.get(page.id, 0) + 1

    def engaged(self, page: PageState) -> int:
        """The page's engaged users, counted again only when its people have changed."""
        people = page.people
        version = self._versions.get(page.id, 0)
        cached = self._engaged.get(page.id)
        if (
            cached is None
            or cached.people is not people
            or cached.size != len(people)
            or cached.version != version
        ):
            cached = _Engaged(people, len(people), version, engaged_users(page))
            self._engaged[page.id] = cached
        return cached.count

    def quota(self, page: PageState) -> int:
        return self.spec.daily_per_engaged_user * max(1, self.engaged(page))

    def admit(self, page: PageState, request: SendRequest, now: datetime) -> None:
        """Count this send, or raise the throttling error (the daily quota first)."""
        at = _ms(now)
        windows = self._of(page.id, at)
        second, limit = (
            (windows.media, self.spec.media_per_second)
            if is_media(request)
            else (windows.second, self.spec.per_second)
        )
        if windows.day.total >= self.quota(page):
            raise catalog.PAGE_RATE_LIMIT()
        if second.total >= limit:
            raise catalog.RATE_LIMIT()
        second.add(at)
        windows.day.add(at)

    def headers(self, journal: dict[str, Any], page: PageState, now: datetime) -> None:
        """Put the usage headers on this answer (when the scenario wants them); once per
        call, after the call was counted or refused."""
        if not self.spec.headers:
            return
        at = _ms(now)
        usage = self._usage(page, at)  # this page's windows exist from here on
        buc = {
            page.id: [
                {
                    "type": "messenger",
                    "call_count": usage["call_count"],
                    "total_cputime": usage["call_count"],
                    "total_time": usage["call_count"],
                    "estimated_time_to_regain_access": usage["estimated_time_to_regain_access"],
                }
            ]
        }
        calls = quota = 0
        for page_id, windows in self._windows.items():
            other = self._pages.get(page_id)
            if other is not None:
                windows.slide(at)
                calls += windows.day.total
                quota += self.quota(other)
        share = _percent(calls, quota)
        app = {"call_count": share, "total_cputime": share, "total_time": share}
        journal["headers"] = {
            BUC_HEADER: json.dumps(buc, separators=(",", ":")),
            APP_HEADER: json.dumps(app, separators=(",", ":")),
        }

    def _usage(self, page: PageState, at: int) -> dict[str, int]:
        windows = self._of(page.id, at)
        engaged = self.engaged(page)
        quota = self.spec.daily_per_engaged_user * max(1, engaged)
        used = windows.day.total
        regain = 0
        oldest = windows.day.oldest()
        if used >= quota and oldest is not None:
            regain = -(-(oldest + DAY_MS - at) // 60_000)  # minutes, rounded up
        return {
            "engaged_users": engaged,
            "daily_quota": quota,
            "last_24h": used,
            "last_second": windows.second.total,
            "media_last_second": windows.media.total,
            "call_count": _percent(used, quota),
            "estimated_time_to_regain_access": regain,
        }

    def kept(self) -> int:
        """How many buckets the windows hold (for tests and bench/ratelimit_cost.py)."""
        return sum(
            len(window.buckets)
            for windows in self._windows.values()
            for window in (windows.second, windows.media, windows.day)
        )

    def view(self, now: datetime) -> dict[str, Any]:
        """Every page's usage now (GET /_emulator/ratelimits)."""
        at = _ms(now)
        return {
            "enabled": True,
            "limits": self.spec.model_dump(mode="json"),
            "pages": {page_id: self._usage(page, at) for page_id, page in self._pages.items()},
        }


def _percent(used: int, quota: int) -> int:
    return min(100, used * 100 // quota) if quota else 0
