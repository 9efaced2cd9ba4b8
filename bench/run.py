"""Benchmark the emulator's Send API against a bare Starlette endpoint, and its startup time.

    .venv/bin/python bench/run.py                      # text and receipt sends, 16 and 64 conns
    .venv/bin/python bench/run.py --workload text      # text sends only

Throughput: wrk POSTs valid sends to `POST /v21.0/me/messages` of a real `send-api-emulator
serve` process, as installed and at its default log level (one line per request, written to a
file) and, alternating in short runs, to the baseline: a bare Starlette endpoint
(bench/serve.py: parse the JSON body, answer a constant JSON) on the fastest stack uvicorn
offers, uvloop + httptools; medians of the rounds compared. Startup: from spawning
`send-api-emulator serve` until GET /_emulator/health answers 200. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from harness import (
    DEFAULT_SCENARIO,
    SEND_PATH,
    Server,
    WrkResult,
    emulator_command,
    encode,
    free_port,
    http_post,
    machine,
    receipt_body,
    run_wrk,
    serve_command,
    text_body,
    wait_ready,
    wrk_path,
)

STARTUP_TARGET_S = 0.3
# the least share of the baseline's throughput, and the most p99 over the baseline's, per workload
RATIO_TARGETS = {"text": 0.80, "receipt": 0.50}
P99_TARGETS = {"text": 1.5}
BASELINE = "bare Starlette on uvicorn with uvloop + httptools"


@dataclass
class Run:
    workload: str
    connections: int
    server: str  # bare | serve | app
    round: int
    result: WrkResult
    rss_mib: float | None


def connection_counts(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text!r}") from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"need at least one positive count: {text!r}")
    return counts


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per run (5)")
    parser.add_argument(
        "--connections",
        type=connection_counts,
        default=[16, 64],
        help="comma-separated wrk connection counts (16,64)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="runs per server and count (3)")
    parser.add_argument(
        "--workload",
        choices=("text", "receipt", "both"),
        default="both",
        help="text message, receipt template with --receipt-elements items, or both (both)",
    )
    parser.add_argument(
        "--log-level",
        default="info",
        help="the emulator's --log-level (info, its default: one line per request)",
    )
    parser.add_argument(
        "--emulator",
        choices=("serve", "app", "both"),
        default="serve",
        help="serve: `send-api-emulator serve` as users run it; app: the emulator's ASGI app "
        "under bench/serve.py's socket setup (TCP_NODELAY); both (serve)",
    )
    parser.add_argument("--receipt-elements", type=int, default=100, help="(100)")
    parser.add_argument(
        "--warmup", type=int, default=1, help="seconds per server and workload; 0 skips (1)"
    )
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (1)")
    parser.add_argument(
        "--startup-runs", type=int, default=7, help="startup measurements; 0 skips them (7)"
    )
    parser.add_argument("--skip-load", action="store_true", help="measure startup only")
    parser.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO)
    parser.add_argument(
        "--no-pin",
        action="store_true",
        help="do not pin the servers to the first CPU and wrk to the second",
    )
    parser.add_argument(
        "--no-reset",
        action="store_true",
        help="keep the emulator's outbox and journal between runs (memory grows)",
    )
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args()
    args.variants = ["serve", "app"] if args.emulator == "both" else [args.emulator]
    return args


# --- startup --------------------------------------------------------------------------------


def measure_startup(scenario: Path | None, runs: int, log_level: str) -> dict[str, Any]:
    """Seconds from spawning `serve` to the first 200 from the health check; and, for scale,
    from spawning a bare `python -c pass` to its exit."""
    times: list[float] = []
    for _ in range(runs):
        port = free_port()
        started = time.monotonic()
        process = subprocess.Popen(
            emulator_command(port, scenario, log_level=log_level),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            ready = wait_ready(port, process, interval=0.001)
        finally:
            process.terminate()
            process.wait(timeout=10)
        times.append(ready - started)
    baseline: list[float] = []
    for _ in range(runs):
        started = time.monotonic()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        baseline.append(time.monotonic() - started)
    return {
        "runs": times,
        "median_s": statistics.median(times),
        "min_s": min(times),
        "max_s": max(times),
        "python_baseline_median_s": statistics.median(baseline),
    }


# --- throughput -----------------------------------------------------------------------------


VARIANTS = {
    "serve": "`send-api-emulator serve`",
    "app": "emulator app, bench/serve.py",
}


def preflight(server: Server, body: bytes, workload: str) -> None:
    """One send: 200, and from an emulator a message id."""
    status, answer = http_post(server.port, SEND_PATH, body)
    if status != 200 or (server.name != "bare" and "message_id" not in json.loads(answer)):
        raise RuntimeError(f"{server.name} refused the {workload} send: {status} {answer[:300]!r}")


def reset(server: Server) -> None:
    """Empty an emulator's outbox and journal (the bare server keeps nothing)."""
    if server.name == "bare":
        return
    status, answer = http_post(server.port, "/_emulator/reset", b"")
    if status != 200:
        raise RuntimeError(f"reset failed: {status} {answer[:300]!r}")


def start_servers(
    args: argparse.Namespace, cpus: set[int] | None, servers: list[Server], log: IO[bytes]
) -> None:
    """The bare server first, then each emulator variant; appended as they come up. The
    emulator logs at `--log-level` (one line per request at info) into `log`, a file, as a
    sidecar's log is captured."""
    port = free_port()
    servers.append(Server.start("bare", serve_command("bare", port), port, cpus))
    for variant in args.variants:
        port = free_port()
        command = (
            emulator_command(port, args.scenario, log_level=args.log_level)
            if variant == "serve"
            else serve_command("emulator", port, args.scenario)
        )
        servers.append(Server.start(variant, command, port, cpus, stderr=log))


def run_load(
    args: argparse.Namespace,
    workloads: dict[str, bytes],
    server_cpus: set[int] | None,
    wrk_cpus: set[int] | None,
) -> list[Run]:
    runs: list[Run] = []
    servers: list[Server] = []
    try:
        with (
            tempfile.TemporaryDirectory(prefix="send-api-bench-") as tmp,
            (Path(tmp) / "emulator.log").open("wb") as log,
        ):
            start_servers(args, server_cpus, servers, log)
            for workload, body in workloads.items():
                body_file = Path(tmp) / f"{workload}.json"
                body_file.write_bytes(body)
                for server in servers:
                    preflight(server, body, workload)
                    if args.warmup > 0:
                        run_wrk(
                            server.port,
                            body_file,
                            duration=args.warmup,
                            connections=args.connections[0],
                            threads=args.threads,
                            cpus=wrk_cpus,
                        )
                    reset(server)
                for connections in args.connections:
                    for index in range(args.rounds):
                        # alternate the order, so drift over time favours no server
                        order = servers if index % 2 == 0 else servers[::-1]
                        for server in order:
                            result = run_wrk(
                                server.port,
                                body_file,
                                duration=args.duration,
                                connections=connections,
                                threads=args.threads,
                                cpus=wrk_cpus,
                            )
                            rss = server.rss_mib()
                            if not args.no_reset:
                                reset(server)
                            run = Run(workload, connections, server.name, index + 1, result, rss)
                            runs.append(run)
                            print(describe(run), flush=True)
    finally:
        for server in servers:
            server.stop()
    return runs


def describe(run: Run) -> str:
    r = run.result
    rss = f"{run.rss_mib:6.1f} MiB" if run.rss_mib is not None else "n/a"
    errors = f"  ERRORS {r.errors}" if r.errors else ""
    return (
        f"  {run.workload:<7} c={run.connections:<3} round {run.round} {run.server:<5} "
        f"{r.rps:7.0f} req/s  p50 {r.p50_ms:6.2f} ms  p99 {r.p99_ms:6.2f} ms  "
        f"{r.requests:6d} requests  rss after {rss}{errors}"
    )


# --- report ---------------------------------------------------------------------------------


def summarise(runs: list[Run], workloads: dict[str, bytes]) -> list[dict[str, Any]]:
    """One row per workload, connection count and emulator variant, beside the bare figures."""

    def medians(workload: str, connections: int, name: str) -> dict[str, Any]:
        mine = [
            r
            for r in runs
            if r.workload == workload and r.connections == connections and r.server == name
        ]
        return {
            "rps": statistics.median(r.result.rps for r in mine),
            "p50_ms": statistics.median(r.result.p50_ms for r in mine),
            "p99_ms": statistics.median(r.result.p99_ms for r in mine),
            "requests_per_run": statistics.median(r.result.requests for r in mine),
            "max_rss_mib": max((r.rss_mib or 0.0) for r in mine),
            "errors": sum(r.result.errors for r in mine),
        }

    rows: list[dict[str, Any]] = []
    names = list(dict.fromkeys(run.server for run in runs if run.server != "bare"))
    keys = dict.fromkeys((run.workload, run.connections) for run in runs)
    for workload, connections in keys:
        bare = medians(workload, connections, "bare")
        for name in names:
            emulator = medians(workload, connections, name)
            rows.append(
                {
                    "workload": workload,
                    "body_bytes": len(workloads[workload]),
                    "connections": connections,
                    "emulator": name,
                    "bare_stats": bare,
                    "emulator_stats": emulator,
                    "ratio": emulator["rps"] / bare["rps"] if bare["rps"] else 0.0,
                }
            )
    return rows


def environment(pinned: bool, threads: int) -> str:
    placement = (
        f"servers pinned to one CPU, wrk ({threads} thread) to the other"
        if pinned
        else f"no CPU pinning, wrk {threads} thread"
    )
    return f"{machine()}; {placement}"


def table(rows: list[dict[str, Any]], startup: dict[str, Any] | None, env: str) -> str:
    lines = [
        "| workload | body | conns | emulator | bare req/s | bare p50 / p99 | emulator req/s "
        "| emulator p50 / p99 | req/s, emulator / bare | p99, emulator / bare |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    stalled = False
    for row in rows:
        bare, emu = row["bare_stats"], row["emulator_stats"]
        ratio = row["ratio"]
        target = RATIO_TARGETS.get(row["workload"], 0.0)
        verdict = "" if ratio >= target else f" (below {target:.0%})"
        p99 = emu["p99_ms"] / bare["p99_ms"] if bare["p99_ms"] else 0.0
        most = P99_TARGETS.get(row["workload"])
        p99_verdict = "" if most is None or p99 <= most else f" (over {most}x)"
        # the delayed-ACK pattern: a small send held ~40 ms whatever the load
        small = row["workload"] == "text"
        stalled = stalled or (small and emu["p50_ms"] >= 35 and bare["p50_ms"] < 20)
        lines.append(
            f"| {row['workload']} | {_size(row['body_bytes'])} | {row['connections']} "
            f"| {VARIANTS[row['emulator']]} "
            f"| {bare['rps']:,.0f} | {bare['p50_ms']:.1f} / {bare['p99_ms']:.1f} ms "
            f"| {emu['rps']:,.0f} | {emu['p50_ms']:.1f} / {emu['p99_ms']:.1f} ms "
            f"| **{ratio:.2f}**{verdict} | {p99:.2f}x{p99_verdict} |"
        )
    notes = []
    if startup is not None:
        plain, with_file = startup["default"], startup["file"]
        verdict = "within" if plain["median_s"] < STARTUP_TARGET_S else "OVER"
        notes.append(
            f"Startup to ready (`serve` spawned until `GET /_emulator/health` is 200): "
            f"median **{plain['median_s'] * 1000:.0f} ms** of {len(plain['runs'])} runs "
            f"(min {plain['min_s'] * 1000:.0f}, max {plain['max_s'] * 1000:.0f}; "
            f"`python -c pass` alone: {plain['python_baseline_median_s'] * 1000:.0f} ms), "
            f"{verdict} the {STARTUP_TARGET_S * 1000:.0f} ms target; with `--scenario` "
            f"(a YAML file, parsed and validated): median {with_file['median_s'] * 1000:.0f} ms."
        )
    if rows:
        notes.append(
            f"Baseline (bare): {BASELINE}, a route that parses the JSON body and answers a "
            "constant JSON. Medians of the rounds, the servers alternating; req/s and latency "
            "from wrk (closed loop, `--latency`); each accepted send is kept in the emulator's "
            "outbox and journal (the newest --max-records, 10000 by default) until the reset "
            "after the run. Targets: text sends at least 0.80 of bare with p99 at most 1.5x "
            "bare's, receipts at least 0.50 of bare."
        )
        peak = max(row["emulator_stats"]["max_rss_mib"] for row in rows)
        notes.append(f"Emulator peak RSS after a run: {peak:.0f} MiB.")
        errors = sum(
            row[name]["errors"] for row in rows for name in ("bare_stats", "emulator_stats")
        )
        if errors:
            notes.append(f"**{errors} requests failed** (non-2xx, socket errors or timeouts).")
        if stalled:
            notes.append(
                "A p50 near 40 ms at any load is the delayed-ACK stall of a listening socket "
                "without TCP_NODELAY (see bench/README.md), not time spent in the emulator."
            )
    notes.append(env)
    body = "\n".join(lines) + "\n\n" if rows else ""
    return body + "\n\n".join(notes)


def _size(count: int) -> str:
    return f"{count} B" if count < 1024 else f"{count / 1024:.1f} KiB"


def main() -> int:
    args = parse_args()
    if args.rounds < 1 or args.duration <= 0 or args.threads < 1:
        print("--rounds, --duration and --threads must be positive", file=sys.stderr)
        return 2
    if not args.skip_load and wrk_path() is None:
        print("wrk is not installed: apt-get install -y wrk", file=sys.stderr)
        return 2
    available = sorted(os.sched_getaffinity(0))
    pin = not args.no_pin and len(available) >= 2
    server_cpus = {available[0]} if pin else None
    wrk_cpus = {available[1]} if pin else None

    workloads: dict[str, bytes] = {}
    if args.workload in ("text", "both"):
        workloads["text"] = encode(text_body())
    if args.workload in ("receipt", "both"):
        workloads["receipt"] = encode(receipt_body(args.receipt_elements))

    startup = None
    if args.startup_runs > 0:
        startup = {}
        # a plain `serve` (the bundled default), then `serve --scenario FILE` (YAML, validated)
        for label, scenario in (("default", None), ("file", args.scenario)):
            print(f"startup: {args.startup_runs} runs of serve ({label}) ...", flush=True)
            startup[label] = measure_startup(scenario, args.startup_runs, args.log_level)
            runs = startup[label]["runs"]
            print("  " + ", ".join(f"{t * 1000:.0f} ms" for t in runs), flush=True)

    runs: list[Run] = []
    if not args.skip_load:
        print(
            f"load: {args.rounds} x {args.duration:g} s per server, connections "
            f"{','.join(map(str, args.connections))}, workloads {', '.join(workloads)}",
            flush=True,
        )
        runs = run_load(args, workloads, server_cpus, wrk_cpus)
    rows = summarise(runs, workloads)

    print()
    print(table(rows, startup, environment(pin, args.threads)))
    if args.json:
        raw = {
            "startup": startup,
            "summary": rows,
            "runs": [{**asdict(run), "rps": run.result.rps} for run in runs],
        }
        args.json.write_text(json.dumps(raw, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
