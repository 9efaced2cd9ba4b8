"""Long run: do the emulator's memory and tail latency stay flat over 1,000,000 sends?

    .venv/bin/python bench/longrun.py                          # ~2-4 min, in memory
    .venv/bin/python bench/longrun.py --state /tmp/long.sqlite # with persistence (--state)

Starts `send-api-emulator serve` as users run it (default --max-records, log level info, its
log sent to /dev/null or --server-log), then runs wrk against `POST /v21.0/me/messages` in
consecutive slices of --interval seconds until --sends valid text sends are answered. After
each slice it samples the server's RSS (/proc) and takes that slice's p99 from wrk, so each
row of the table is one interval. The verdict (see bench/README.md): after --warmup samples,
RSS stays within 10 % of its value at the end of the warm-up, and every sample's p99 stays
within 1.5x the median p99 of the samples after the warm-up.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import resource
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
    HEALTH_PATH,
    SEND_PATH,
    Server,
    busy_seconds,
    cpu_seconds,
    emulator_command,
    encode,
    free_port,
    http_get,
    http_post,
    machine,
    memory_mib,
    run_wrk,
    serve_command,
    text_body,
    wrk_path,
)

DISTURBED = 0.10  # other processes took more than 10 % of the server's or wrk's CPU
RSS_BAND = 0.10  # after warm-up, RSS within 10 % of its value at the end of the warm-up
P99_FACTOR = 1.5  # after warm-up, every p99 within 1.5x the median p99 after warm-up


@dataclass
class Sample:
    index: int
    elapsed_s: float  # since the load began, at the end of this interval
    seconds: float  # this interval's length (wrk's own measure)
    requests: int  # answered in this interval
    total: int  # answered since the load began
    errors: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    rss_mib: float
    state_mib: float | None  # the state file with its -wal and -shm, with --state
    cpu_us_per_send: float | None  # the server's CPU time (all threads) per answered send
    # when pinned, the share of the server's CPU and of wrk's CPU other processes used
    others: float | None
    others_wrk: float | None

    @property
    def disturbed(self) -> bool:
        return any(
            share is not None and share > DISTURBED for share in (self.others, self.others_wrk)
        )

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sends", type=int, default=1_000_000, help="(1,000,000)")
    parser.add_argument("--interval", type=int, default=10, help="seconds per sample (10)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (1)")
    parser.add_argument(
        "--warmup", type=int, default=2, help="samples left out of the verdict (2: 20 s)"
    )
    parser.add_argument(
        "--state", type=Path, help="run with `--state FILE` (a new file: it must not exist)"
    )
    parser.add_argument("--log-level", default="info", help="the server's (info, its default)")
    parser.add_argument("--server-log", type=Path, help="the server's stderr (/dev/null)")
    parser.add_argument("--max-records", type=int, help="the server's (its default: 10000)")
    parser.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO)
    parser.add_argument(
        "--bare",
        action="store_true",
        help="run against bare Starlette instead (bench/serve.py): the machine's own noise",
    )
    parser.add_argument("--no-pin", action="store_true", help="no CPU pinning")
    parser.add_argument("--json", type=Path, help="also write the samples and verdict here")
    return parser.parse_args()


def state_mib(path: Path | None) -> float | None:
    if path is None:
        return None
    size = 0
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            size += os.stat(f"{path}{suffix}").st_size
    return size / 2**20


def children_cpu() -> float:
    """CPU time of this process's finished children: the wrk runs (the server still runs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def share(cpu: int | None, busy: float | None, own: float | None, wall: float) -> float | None:
    """The share of CPU `cpu` that others used: its busy time `busy` less `own` time spent on
    it by the process pinned there, over `wall` seconds. None if unknown (not pinned)."""
    if cpu is None or busy is None or own is None or wall <= 0:
        return None
    return max(0.0, (busy - own) / wall)


def load(
    server: Server,
    body_file: Path,
    args: argparse.Namespace,
    server_cpu: int | None,
    wrk_cpu: int | None,
) -> list[Sample]:
    """wrk in consecutive slices until --sends are answered; one sample per slice. The last
    slice is shortened (whole seconds, as wrk takes them) to end near --sends. With the server
    and wrk pinned, each sample also says how much of their CPUs other processes used: on a
    shared machine their load, not the emulator, can make a p99 jump (wrk measures latency,
    so a busy wrk CPU inflates it too)."""

    def now() -> tuple[float, float | None, float, float | None, float | None]:
        return (
            time.monotonic(),
            cpu_seconds(server.process.pid),
            children_cpu(),
            busy_seconds(server_cpu) if server_cpu is not None else None,
            busy_seconds(wrk_cpu) if wrk_cpu is not None else None,
        )

    samples: list[Sample] = []
    total = 0
    began = time.monotonic()
    while total < args.sends:
        before = now()
        duration = args.interval
        if samples and samples[-1].rps:
            needed = math.ceil((args.sends - total) / samples[-1].rps)
            duration = max(1, min(duration, needed))
        result = run_wrk(
            server.port,
            body_file,
            duration=duration,
            connections=args.connections,
            threads=args.threads,
            cpus={wrk_cpu} if wrk_cpu is not None else None,
        )
        total += result.requests
        after = now()
        wall = after[0] - before[0]
        spent = after[1] - before[1] if after[1] is not None and before[1] is not None else None
        sample = Sample(
            index=len(samples) + 1,
            elapsed_s=after[0] - began,
            seconds=result.seconds,
            requests=result.requests,
            total=total,
            errors=result.errors,
            p50_ms=result.p50_ms,
            p99_ms=result.p99_ms,
            max_ms=result.max_ms,
            rss_mib=server.rss_mib() or 0.0,
            state_mib=state_mib(args.state),
            cpu_us_per_send=spent / result.requests * 1e6
            if spent is not None and result.requests
            else None,
            others=share(
                server_cpu,
                _less(after[3], before[3]),
                spent,
                wall,
            ),
            others_wrk=share(wrk_cpu, _less(after[4], before[4]), after[2] - before[2], wall),
        )
        samples.append(sample)
        print(describe(sample), flush=True)
        if server.process.poll() is not None:
            raise RuntimeError(f"the server exited ({server.process.returncode})")
    return samples


def _less(after: float | None, before: float | None) -> float | None:
    return after - before if after is not None and before is not None else None


def describe(s: Sample) -> str:
    state = f"  state file {s.state_mib:6.1f} MiB" if s.state_mib is not None else ""
    errors = f"  ERRORS {s.errors}" if s.errors else ""
    cpu = f"  {s.cpu_us_per_send:4.0f} us CPU/send" if s.cpu_us_per_send is not None else ""
    others = (
        f"  others {s.others:4.0%} of its CPU, {s.others_wrk:4.0%} of wrk's"
        if s.others is not None and s.others_wrk is not None
        else ""
    )
    return (
        f"  {s.index:3d} {s.elapsed_s:6.0f} s {s.total:9,d} sends {s.rps:7,.0f} req/s  "
        f"p50 {s.p50_ms:6.2f}  p99 {s.p99_ms:6.2f}  max {s.max_ms:7.2f} ms  "
        f"RSS {s.rss_mib:6.1f} MiB{state}{cpu}{others}{errors}"
    )


def verdict(samples: list[Sample], warmup: int) -> dict[str, Any]:
    """Flat after warm-up: RSS within RSS_BAND of its value at the end of the warm-up, and the
    p99 of every undisturbed sample within P99_FACTOR of their median. A sample is disturbed
    when other processes used more than DISTURBED of the server's or wrk's CPU: its p99 then
    measures the machine, so it is left out of the p99 verdict (listed; RSS counts them all).
    Also, for reading it: the RSS trend (least squares, MiB per 100,000 sends), which shows a
    slow growth the band hides on a short run, and the server's CPU time per send (more work
    per send as records pile up would show there, whatever else runs on the machine)."""
    after = samples[warmup:]
    if warmup < 1 or len(after) < 2:
        return {"flat": None, "why": f"need --warmup >= 1 and 2 samples after it ({len(after)})"}
    reference = samples[warmup - 1].rss_mib
    rss_low, rss_high = min(s.rss_mib for s in after), max(s.rss_mib for s in after)
    rss_flat = max(rss_high - reference, reference - rss_low) <= RSS_BAND * reference
    xs = [s.total for s in after]
    slope = (
        statistics.linear_regression(xs, [s.rss_mib for s in after]).slope
        if len(set(xs)) > 1
        else 0.0
    )
    cpu = [s.cpu_us_per_send for s in after if s.cpu_us_per_send is not None]
    result: dict[str, Any] = {
        "warmup_samples": warmup,
        "rss_reference_mib": reference,
        "rss_min_mib": rss_low,
        "rss_max_mib": rss_high,
        "rss_flat": rss_flat,
        "rss_mib_per_100k_sends": slope * 100_000,
        "cpu_us_per_send_median": statistics.median(cpu) if cpu else None,
        "cpu_us_per_send_max": max(cpu, default=None),
        "disturbed_samples": [s.index for s in after if s.disturbed],
    }
    clean = [s for s in after if not s.disturbed]
    if len(clean) < 2:
        why = f"{len(after) - len(clean)} of {len(after)} samples after warm-up disturbed"
        return {**result, "flat": None, "p99_flat": None, "why": why}
    p99_median = statistics.median(s.p99_ms for s in clean)
    p99_worst = max(clean, key=lambda s: s.p99_ms)
    p99_flat = p99_worst.p99_ms <= P99_FACTOR * p99_median
    return {
        **result,
        "flat": rss_flat and p99_flat,
        "p99_samples": len(clean),
        "p99_median_ms": p99_median,
        "p99_worst_ms": p99_worst.p99_ms,
        "p99_worst_sample": p99_worst.index,
        "p99_flat": p99_flat,
    }


def table(samples: list[Sample], warmup: int, result: dict[str, Any], context: str) -> str:
    with_state = any(s.state_mib is not None for s in samples)
    with_others = any(s.others is not None for s in samples)
    head = "| # | at | sends | req/s | p50 | p99 | max | RSS | CPU per send |"
    head += " state file |" * with_state + " others on its / wrk's CPU |" * with_others
    lines = [head, "|---:" * (9 + with_state + with_others) + "|"]
    for s in samples:
        mark = " (warm-up)" if s.index <= warmup else " !" if s.disturbed else ""
        cpu = f"{s.cpu_us_per_send:.0f} µs" if s.cpu_us_per_send is not None else "n/a"
        row = (
            f"| {s.index}{mark} | {s.elapsed_s:.0f} s | {s.total:,} | {s.rps:,.0f} "
            f"| {s.p50_ms:.2f} ms | {s.p99_ms:.2f} ms | {s.max_ms:.1f} ms "
            f"| {s.rss_mib:.1f} MiB | {cpu} |"
        )
        if with_state:
            row += f" {s.state_mib or 0:.1f} MiB |"
        if with_others:
            row += (
                f" {s.others:.0%} / {s.others_wrk:.0%} |"
                if s.others is not None and s.others_wrk is not None
                else " n/a |"
            )
        lines.append(row)
    notes = [context]
    if "rss_flat" not in result:
        notes.append(f"No verdict: {result['why']}.")
        return "\n".join(lines) + "\n\n" + "\n\n".join(notes)
    rss = (
        f"RSS after warm-up {result['rss_min_mib']:.1f}-{result['rss_max_mib']:.1f} MiB "
        f"against {result['rss_reference_mib']:.1f} MiB at the end of the warm-up "
        f"({'within' if result['rss_flat'] else 'OUTSIDE'} {RSS_BAND:.0%}; trend "
        f"{result['rss_mib_per_100k_sends']:+.2f} MiB per 100,000 sends)"
    )
    if result["p99_flat"] is None:
        p99 = f"no p99 verdict: {result['why']}"
    else:
        p99 = (
            f"p99 of the {result['p99_samples']} undisturbed samples: median "
            f"{result['p99_median_ms']:.2f} ms, worst {result['p99_worst_ms']:.2f} ms (sample "
            f"{result['p99_worst_sample']}; {'within' if result['p99_flat'] else 'OVER'} "
            f"{P99_FACTOR}x the median)"
        )
    flat = {True: "**flat**", False: "**NOT flat**", None: "**no verdict**"}[result["flat"]]
    notes.append(f"Verdict: {flat} after {warmup} warm-up samples. {rss}; {p99}.")
    if result["cpu_us_per_send_median"] is not None:
        notes.append(
            f"Server CPU per send after warm-up: median "
            f"{result['cpu_us_per_send_median']:.0f} µs, most "
            f"{result['cpu_us_per_send_max']:.0f} µs."
        )
    disturbed = result["disturbed_samples"]
    if disturbed:
        notes.append(
            f"Samples marked ! ({', '.join(map(str, disturbed))}): other processes used more "
            f"than {DISTURBED:.0%} of the server's or wrk's CPU; their req/s and p99 measure "
            "the machine's load, not the emulator, and are left out of the p99 verdict."
        )
    errors = sum(s.errors for s in samples)
    if errors:
        notes.append(f"**{errors} requests failed** (non-2xx, socket errors or timeouts).")
    return "\n".join(lines) + "\n\n" + "\n\n".join(notes)


def main() -> int:
    args = parse_args()
    if args.sends < 1 or args.interval < 1 or args.connections < 1 or args.warmup < 0:
        print("--sends, --interval and --connections must be positive", file=sys.stderr)
        return 2
    if wrk_path() is None:
        print("wrk is not installed: apt-get install -y wrk", file=sys.stderr)
        return 2
    if args.bare and (args.state is not None or args.max_records is not None):
        print("--bare takes neither --state nor --max-records", file=sys.stderr)
        return 2
    if args.state is not None and any(
        Path(f"{args.state}{suffix}").exists() for suffix in ("", "-wal", "-shm")
    ):
        print(f"{args.state} exists: give a new file (the run starts fresh)", file=sys.stderr)
        return 2
    available = sorted(os.sched_getaffinity(0))
    pin = not args.no_pin and len(available) >= 2
    server_cpu = available[0] if pin else None
    wrk_cpu = available[1] if pin else None

    extra: list[str] = []
    if args.state is not None:
        extra += ["--state", str(args.state)]
    if args.max_records is not None:
        extra += ["--max-records", str(args.max_records)]
    served = (
        "bare Starlette (`bench/serve.py --app bare`)"
        if args.bare
        else f"`send-api-emulator serve` at log level {args.log_level}"
        + (f", `--state {args.state}`" if args.state else "")
    )
    port = free_port()
    command = (
        serve_command("bare", port)
        if args.bare
        else emulator_command(port, args.scenario, log_level=args.log_level, extra=extra)
    )
    log: IO[bytes] | int = (
        args.server_log.open("wb") if args.server_log is not None else subprocess.DEVNULL
    )
    body = encode(text_body())
    server_cpus = {server_cpu} if server_cpu is not None else None
    server = Server.start("serve", command, port, server_cpus, stderr=log)
    try:
        status, answer = http_post(port, SEND_PATH, body)
        if status != 200 or b"message_id" not in answer:
            raise RuntimeError(f"the server refused the send: {status} {answer[:300]!r}")
        print(
            f"{args.sends:,} sends to {served}, {args.connections} connections, samples every "
            f"{args.interval} s",
            flush=True,
        )
        with tempfile.TemporaryDirectory(prefix="send-api-longrun-") as tmp:
            body_file = Path(tmp) / "text.json"
            body_file.write_bytes(body)
            samples = load(server, body_file, args, server_cpu, wrk_cpu)
        _, health = http_get(port, HEALTH_PATH)
        records = json.loads(health).get("records")  # the bare server keeps none
        peak = memory_mib(server.process.pid).get("VmHWM")
    finally:
        server.stop()
        if not isinstance(log, int):
            log.close()

    result = verdict(samples, args.warmup)
    placement = "server and wrk pinned to different CPUs" if pin else "no CPU pinning"
    kept = (
        f" ({records['outbox'] + records['outbox_dropped']:,} recorded by the emulator, which "
        f"keeps the newest {records['max_records']:,})"
        if records
        else ""
    )
    context = (
        f"`bench/longrun.py`: {samples[-1].total:,} valid text sends answered{kept}, "
        f"{args.connections} connections, wrk in {args.interval} s slices, {served}; "
        f"peak RSS {peak or 0:.1f} MiB. {machine()}; {placement}."
    )
    print()
    print(table(samples, args.warmup, result, context))
    if args.json:
        raw = {
            "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
            "machine": machine(),
            "records": records,
            "peak_rss_mib": peak,
            "verdict": result,
            "samples": [{**asdict(s), "rps": s.rps} for s in samples],
        }
        args.json.write_text(json.dumps(raw, indent=2) + "\n")
    return 0 if result["flat"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
