"""What the opt-in rate limits cost per send, and what they keep, as a page's people grow.

    .venv/bin/python bench/ratelimit_cost.py                 # 10,000 people, 2,000 sends
    .venv/bin/python bench/ratelimit_cost.py --people 50000 --sends 5000

In process (Starlette's TestClient, no sockets), so the figures are the emulator's own work
plus the test client's overhead, the same with and without `rate_limits`. For each of
(without rate limits, with them) it prints the time per send, how many times a page's people
were scanned for engaged users per send, and how many entries the rate-limit windows hold
after the sends (the clock frozen: all in one emulated second), then after one more send every
10 emulated seconds. A benchmark, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from starlette.testclient import TestClient  # noqa: E402

from emulator import ratelimit  # noqa: E402
from emulator.app import create_app  # noqa: E402
from emulator.scenario.load import load_text  # noqa: E402

PAGE = "110000000000001"
RECIPIENT = "2000000000000000"


def scenario(people: int, rate_limits: bool) -> str:
    users = [{"psid": str(int(RECIPIENT) + i), "last_message": "-1h"} for i in range(people)]
    document: dict[str, Any] = {
        "version": 1,
        "clock": {"start": "2026-01-05T09:00:00Z"},
        "pages": [{"id": PAGE, "tokens": [{"token": "T"}], "users": users}],
    }
    if rate_limits:
        document["rate_limits"] = {"per_second": 1_000_000, "daily_per_engaged_user": 1_000}
    return json.dumps(document)  # JSON is YAML


def run(people: int, sends: int, rate_limits: bool) -> dict[str, Any]:
    scans = 0
    scan = ratelimit.engaged_users

    def counted(page: Any) -> int:
        nonlocal scans
        scans += 1
        return scan(page)

    ratelimit.engaged_users = counted  # type: ignore[assignment]
    try:
        with TestClient(create_app(load_text(scenario(people, rate_limits), "bench"))) as client:
            body = {
                "recipient": {"id": RECIPIENT},
                "messaging_type": "RESPONSE",
                "message": {"text": "hello"},
            }
            for _ in range(50):  # warm up
                client.post("/v21.0/me/messages", params={"access_token": "T"}, json=body)
            scans = 0
            started = time.perf_counter()
            for _ in range(sends):
                answer = client.post("/v21.0/me/messages", params={"access_token": "T"}, json=body)
                assert answer.status_code == 200, answer.text
            elapsed = time.perf_counter() - started
            per_send_scans = scans / sends
            rates = client.app.state.world.rates
            burst_kept = 0 if rates is None else rates.kept()
            # sends spread over the day: one every 10 emulated seconds
            for _ in range(min(sends, 2_000)):  # within the recipient's 24 h window
                client.post("/_emulator/clock", json={"advance": "10s"})
                client.post("/v21.0/me/messages", params={"access_token": "T"}, json=body)
            kept = 0 if rates is None else rates.kept()
            return {
                "ms_per_send": 1000 * elapsed / sends,
                "scans_per_send": per_send_scans,
                "burst_entries": burst_kept,
                "window_entries": kept,
            }
    finally:
        ratelimit.engaged_users = scan  # type: ignore[assignment]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--sends", type=int, default=2_000)
    args = parser.parse_args()
    for rate_limits in (False, True):
        figures = run(args.people, args.sends, rate_limits)
        label = "with rate_limits   " if rate_limits else "without rate_limits"
        print(
            f"{label}: {figures['ms_per_send']:.3f} ms/send, "
            f"{figures['scans_per_send']:.3f} people scans/send, "
            f"window entries kept: {figures['burst_entries']} after the sends (one emulated "
            f"second), {figures['window_entries']} after more spread over the day"
        )


if __name__ == "__main__":
    main()
