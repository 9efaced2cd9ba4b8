"""The Send API's documented rate limits, opt-in per scenario (`rate_limits:`).

Per page: calls per second (300; 10 with audio or video) and a rolling 24-hour quota of
200 x engaged users (reference §10). Engaged users are the page's people who have written
at least once (`last_message` set) and have not blocked it; at least one is assumed, so a
new page may still send. The windows slide on the emulated clock: with a frozen clock every
call falls in the same second until the clock is moved, which keeps tests deterministic.

Counted: the sends that pass the rules and the policy (also those an injected fault then
fails: they reached the page). Not counted: refused calls, throttled calls included.
"""

from __future__ import annotations

import json
import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from emulator.rules import limits
from emulator.rules.request import SendRequest
from emulator.scenario.model import RateLimitSpec
from emulator.wire import catalog

if TYPE_CHECKING:
    from emulator.state import PageState

BUC_HEADER = "x-business-use-case-usage"
APP_HEADER = "x-app-usage"
SECOND = limits.RATE_SECOND_WINDOW.total_seconds()
DAY = limits.RATE_DAILY_WINDOW.total_seconds()


@dataclass(slots=True)
class _Windows:
    """One page's counted calls (POSIX seconds on the emulated clock), oldest first."""

    second: deque[float] = field(default_factory=deque)
    media: deque[float] = field(default_factory=deque)
    day: deque[float] = field(default_factory=deque)

    def slide(self, now: float) -> None:
        for window, span in ((self.second, SECOND), (self.media, SECOND), (self.day, DAY)):
            while window and window[0] <= now - span:
                window.popleft()
            while window and window[-1] > now:  # the clock was set back: not yet happened
                window.pop()


def engaged_users(page: PageState) -> int:
    return sum(
        1
        for person in page.people.values()
        if person.last_message is not None and not person.blocked
    )


def is_media(request: SendRequest) -> bool:
    attachment = (request.message or {}).get("attachment")
    return isinstance(attachment, dict) and (
        str(attachment.get("type", "")).lower() in limits.RATE_MEDIA_TYPES
    )


class RateLimits:
    """The counters of one world; rebuilt (emptied) on reset."""

    def __init__(self, spec: RateLimitSpec, pages: Mapping[str, PageState]) -> None:
        self.spec = spec
        self._pages = pages
        self._windows: dict[str, _Windows] = {}

    def _of(self, page_id: str, now: float) -> _Windows:
        windows = self._windows.get(page_id)
        if windows is None:
            windows = self._windows[page_id] = _Windows()
        windows.slide(now)
        return windows

    def quota(self, page: PageState) -> int:
        return self.spec.daily_per_engaged_user * max(1, engaged_users(page))

    def admit(
        self, journal: dict[str, Any], page: PageState, request: SendRequest, now: datetime
    ) -> None:
        """Count this send, or raise the throttling error; either way the usage headers."""
        at = now.timestamp()
        windows = self._of(page.id, at)
        media = is_media(request)
        second, limit = (
            (windows.media, self.spec.media_per_second)
            if media
            else (windows.second, self.spec.per_second)
        )
        error = None
        if len(windows.day) >= self.quota(page):
            error = catalog.PAGE_RATE_LIMIT
        elif len(second) >= limit:
            error = catalog.RATE_LIMIT
        else:
            second.append(at)
            windows.day.append(at)
        self.headers(journal, page, now)
        if error is not None:
            raise error()

    def headers(self, journal: dict[str, Any], page: PageState, now: datetime) -> None:
        """Put the usage headers on this answer (when the scenario wants them)."""
        if not self.spec.headers:
            return
        at = now.timestamp()
        usage = self._usage(page, at)
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
                calls += len(windows.day)
                quota += self.quota(other)
        share = _percent(calls, quota)
        app = {"call_count": share, "total_cputime": share, "total_time": share}
        journal["headers"] = {
            BUC_HEADER: json.dumps(buc, separators=(",", ":")),
            APP_HEADER: json.dumps(app, separators=(",", ":")),
        }

    def _usage(self, page: PageState, at: float) -> dict[str, int]:
        windows = self._of(page.id, at)
        quota = self.quota(page)
        used = len(windows.day)
        regain = 0
        if used >= quota and windows.day:
            regain = math.ceil((windows.day[0] + DAY - at) / 60)
        return {
            "engaged_users": engaged_users(page),
            "daily_quota": quota,
            "last_24h": used,
            "last_second": len(windows.second),
            "media_last_second": len(windows.media),
            "call_count": _percent(used, quota),
            "estimated_time_to_regain_access": regain,
        }

    def view(self, now: datetime) -> dict[str, Any]:
        """Every page's usage now (GET /_emulator/ratelimits)."""
        at = now.timestamp()
        return {
            "enabled": True,
            "limits": self.spec.model_dump(mode="json"),
            "pages": {page_id: self._usage(page, at) for page_id, page in self._pages.items()},
        }


def _percent(used: int, quota: int) -> int:
    return min(100, used * 100 // quota) if quota else 0
