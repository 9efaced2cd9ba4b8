"""Does any request stall the server? Each worst input of tests/stall_inputs.py (at most 1 MB)
is sent to `send-api-emulator serve` while another thread probes /_emulator/health every few
milliseconds on its own connection. Per input: the answer's status and time, and the longest
probe; anything over the budget (answer 1 s, probe 100 ms; issue 10) is flagged.

    .venv/bin/python bench/stalls.py                     # every input, about 30 s
    .venv/bin/python bench/stalls.py --only yaml --repeat 3
    .venv/bin/python bench/stalls.py --timeout 10 --json stalls.json

An input that gets no answer within --timeout is reported as such and the server restarted,
so one stall does not spill into the next row.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from harness import DEFAULT_SCENARIO, HEALTH_PATH, HOST, Server, emulator_command, free_port
from harness import machine as describe_machine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from stall_inputs import LEGIT, WORST, Worst

ANSWER_BUDGET = 1.0  # seconds for a request of up to 1 MB
PROBE_BUDGET = 0.100  # seconds for a health probe sent meanwhile


@dataclass
class Result:
    input: str
    bytes: int
    status: int | None  # None: no answer (timeout or connection error)
    expected: int
    answer_s: float
    probe_max_s: float
    probes: int
    error: str = ""

    @property
    def verdict(self) -> str:
        if self.status is None:
            return f"NO ANSWER ({self.error})"
        flags = []
        if self.status != self.expected:
            flags.append(f"STATUS {self.status} (expected {self.expected})")
        if self.answer_s > ANSWER_BUDGET:
            flags.append("SLOW ANSWER")
        if self.probe_max_s > PROBE_BUDGET:
            flags.append("PROBE STALLED")
        return ", ".join(flags) or "ok"


class Prober(threading.Thread):
    """GET /_emulator/health in a loop on one keep-alive connection, timing each answer."""

    def __init__(self, port: int, interval: float, timeout: float) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.interval = interval
        self.timeout = timeout
        self.latencies: list[float] = []
        self.pending_since: float | None = None  # a probe still waiting for its answer
        self.done = threading.Event()

    def run(self) -> None:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
        try:
            while not self.done.is_set():
                self.pending_since = time.perf_counter()
                try:
                    connection.request("GET", HEALTH_PATH)
                    connection.getresponse().read()
                except OSError:
                    connection.close()  # counted as a probe as long as the wait
                self.latencies.append(time.perf_counter() - self.pending_since)
                self.pending_since = None
                self.done.wait(self.interval)
        finally:
            connection.close()

    def longest(self) -> float:
        """The longest probe so far, counting one still waiting."""
        pending = self.pending_since
        waiting = [time.perf_counter() - pending] if pending is not None else []
        return max(self.latencies + waiting, default=0.0)


def send(port: int, worst: Worst, timeout: float) -> tuple[int | None, float, str]:
    """The worst request: its status (None if unanswered), its time and any error."""
    body = worst.body()
    headers = {**worst.headers(), "content-length": str(len(body))}
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    started = time.perf_counter()
    try:
        connection.request(worst.method, worst.target(), body, headers)
        response = connection.getresponse()
        response.read()
        return response.status, time.perf_counter() - started, ""
    except TimeoutError:
        return None, time.perf_counter() - started, f"none within {timeout:g} s"
    except OSError as exc:
        return None, time.perf_counter() - started, type(exc).__name__
    finally:
        connection.close()


def measure(port: int, worst: Worst, args: argparse.Namespace) -> Result:
    worst.body()  # built before the clock starts
    worst.target()
    prober = Prober(port, args.probe_interval, args.timeout)
    prober.start()
    time.sleep(0.02)  # a few probes first: the connection is open and warm
    status, seconds, error = send(port, worst, args.timeout)
    longest = prober.longest()
    prober.done.set()
    prober.join(args.timeout)
    query = worst.target().partition("?")[2]
    return Result(
        worst.id,
        len(worst.body()) + len(query),
        status,
        worst.status,
        seconds,
        longest,
        len(prober.latencies),
        error,
    )


def start(scenario: Path) -> Server:
    port = free_port()
    return Server.start("emulator", emulator_command(port, scenario), port, None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", default=[], help="inputs whose id has this")
    parser.add_argument("--repeat", type=int, default=1, help="runs per input (worst kept)")
    parser.add_argument("--timeout", type=float, default=15.0, help="seconds to wait for one")
    parser.add_argument("--probe-interval", type=float, default=0.005)
    parser.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO)
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    chosen = [w for w in [*WORST, *LEGIT] if not args.only or any(s in w.id for s in args.only)]
    print(describe_machine(), file=sys.stderr)
    server = start(args.scenario)
    results: list[Result] = []
    try:
        for worst in chosen:
            runs = []
            for _ in range(args.repeat):
                result = measure(server.port, worst, args)
                runs.append(result)
                if result.status is None:  # stalled or dead: a fresh server for what follows
                    server.stop()
                    server = start(args.scenario)
                    break
            worst_run = max(runs, key=lambda r: (r.status is None, r.probe_max_s))
            worst_run.answer_s = statistics.median(r.answer_s for r in runs)
            results.append(worst_run)
            print(
                f"{worst.id}: {worst_run.status} in {worst_run.answer_s * 1000:.0f} ms, "
                f"probe max {worst_run.probe_max_s * 1000:.0f} ms: {worst_run.verdict}",
                file=sys.stderr,
            )
    finally:
        server.stop()
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2))
    return 1 if any(r.verdict != "ok" for r in results) else 0


def table(results: list[Result]) -> str:
    lines = [
        "| input | bytes | status | answer ms | longest probe ms | probes | verdict |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        status = "-" if r.status is None else str(r.status)
        lines.append(
            f"| {r.input} | {r.bytes} | {status} | {r.answer_s * 1000:.0f} | "
            f"{r.probe_max_s * 1000:.0f} | {r.probes} | {r.verdict} |"
        )
    over = sum(r.verdict != "ok" for r in results)
    lines.append("")
    lines.append(
        f"{len(results)} inputs, {over} over budget (answer > {ANSWER_BUDGET * 1000:.0f} ms, "
        f"probe > {PROBE_BUDGET * 1000:.0f} ms, or not the expected status)"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
