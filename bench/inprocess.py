"""What the emulator costs inside a test run (the pytest plugin's default, in-process mode).

    .venv/bin/python bench/inprocess.py                 # ~20 s
    .venv/bin/python bench/inprocess.py --profile 20    # + where a send's time goes (cProfile)

Three figures, each the median of `--rounds` rounds:

- **app**: one valid text send through the emulator's ASGI app, called directly on an event
  loop (no HTTP, no client): the emulator's own work per send, as a server spends it;
- **plugin send**: one valid text send as a test makes it, `send_api.client.post(...)` on an
  in-process emulator (httpx, the ASGI transport, the event loop thread), and for scale the
  same httpx call answered by a bare ASGI app that decodes the body and returns a constant;
- **test setup**: starting an in-process emulator on the test scenario and closing it, as
  the `send_api` fixture does around every test (the scenario's parse is cached after the
  first test, as in the plugin).

Times are CPU time of the process (`time.process_time`) and wall time, per operation; the
machine's other work inflates wall time, not CPU time.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx
from harness import DEFAULT_SCENARIO, RECIPIENT, SEND_PATH, machine, text_body

from emulator.app import create_app
from emulator.scenario.load import load_file
from emulator.testing import EventLoopThread, start

TEXT = json.dumps(text_body(), separators=(",", ":")).encode()


def timed(work: Callable[[], None], count: int) -> tuple[float, float]:
    """(CPU µs, wall µs) per call of `work`, run `count` times."""
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(count):
        work()
    return (
        (time.process_time() - cpu) / count * 1e6,
        (time.perf_counter() - wall) / count * 1e6,
    )


# --- the app, called directly -------------------------------------------------------------------


def app_sends(count: int) -> tuple[float, float]:
    """Per send: the emulator's ASGI app answering a text send, no HTTP."""
    app = create_app(load_file(DEFAULT_SCENARIO))
    path, _, query = SEND_PATH.partition("?")
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(TEXT)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8787),
    }
    request = {"type": "http.request", "body": TEXT, "more_body": False}
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return request

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    async def run() -> tuple[float, float]:
        for _ in range(200):  # warm up
            await app(dict(scope), receive, send)
        app.state.world.reset()
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(count):
            await app(dict(scope), receive, send)
        return (
            (time.process_time() - cpu) / count * 1e6,
            (time.perf_counter() - wall) / count * 1e6,
        )

    result = asyncio.run(run())
    if set(statuses) != {200}:
        raise RuntimeError(f"the app refused a send: {sorted(set(statuses))}")
    return result


def profile_app(count: int, top: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    app_sends(count)
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(top)


# --- as a test makes it -------------------------------------------------------------------------


class BareApp:
    """The baseline for the plugin figure: decode the JSON body, answer a constant."""

    answer = json.dumps({"recipient_id": RECIPIENT, "message_id": "m_" + "A" * 86}).encode()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        json.loads(body)
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": self.answer})


def plugin_sends(count: int, loop: EventLoopThread) -> dict[str, tuple[float, float]]:
    with start(str(DEFAULT_SCENARIO), loop=loop) as api:
        client = api.client
        headers = {"content-type": "application/json"}

        def one() -> None:
            response = client.post(SEND_PATH, content=TEXT, headers=headers)
            if response.status_code != 200:
                raise RuntimeError(response.text)

        for _ in range(100):
            one()
        api.reset()
        emulator = timed(one, count)

    from emulator.testing.backends import InProcessTransport

    transport = InProcessTransport(httpx.ASGITransport(app=BareApp()), loop)
    with httpx.Client(base_url="http://bare.test", transport=transport) as bare:

        def bare_one() -> None:
            bare.post(SEND_PATH, content=TEXT, headers={"content-type": "application/json"})

        for _ in range(100):
            bare_one()
        baseline = timed(bare_one, count)
    return {"emulator": emulator, "bare": baseline}


def setups(count: int, loop: EventLoopThread) -> tuple[float, float]:
    scenario = str(DEFAULT_SCENARIO)
    start(scenario, loop=loop).close()  # the scenario's parse is cached from here on

    def one() -> None:
        start(scenario, loop=loop).close()

    return timed(one, count)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sends", type=int, default=5000, help="sends per round (5000)")
    parser.add_argument("--setups", type=int, default=100, help="setups per round (100)")
    parser.add_argument("--rounds", type=int, default=3, help="(3)")
    parser.add_argument("--profile", type=int, metavar="N", help="print cProfile's top N")
    args = parser.parse_args()
    if args.profile:
        profile_app(args.sends, args.profile)
        return 0
    rows: dict[str, list[tuple[float, float]]] = {
        "app": [],
        "plugin": [],
        "plugin_bare": [],
        "setup": [],
    }
    loop = EventLoopThread()
    try:
        for _ in range(args.rounds):
            rows["app"].append(app_sends(args.sends))
            plugin = plugin_sends(args.sends, loop)
            rows["plugin"].append(plugin["emulator"])
            rows["plugin_bare"].append(plugin["bare"])
            rows["setup"].append(setups(args.setups, loop))
    finally:
        loop.close()

    def median(name: str) -> tuple[float, float]:
        cpu = statistics.median(cpu for cpu, _ in rows[name])
        wall = statistics.median(wall for _, wall in rows[name])
        return cpu, wall

    labels = {
        "app": "one text send, the emulator's ASGI app called directly (no HTTP)",
        "plugin": "one text send from a test: `send_api.client.post(...)`, in-process",
        "plugin_bare": "the same httpx call answered by a bare ASGI app (decode, constant)",
        "setup": "a test's setup and teardown: start an in-process emulator, close it",
    }
    print("| what | CPU per operation | wall per operation |")
    print("|---|---:|---:|")
    for name, label in labels.items():
        cpu, wall = median(name)
        print(f"| {label} | {cpu:,.0f} µs | {wall:,.0f} µs |")
    print()
    print(
        f"Medians of {args.rounds} rounds of {args.sends} sends and {args.setups} setups; "
        f"{machine()}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
