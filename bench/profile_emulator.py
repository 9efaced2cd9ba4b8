"""Profile the emulator under load: py-spy samples the server process while wrk sends.

    .venv/bin/pip install py-spy                       # once; py-spy needs ptrace rights
    .venv/bin/python bench/profile_emulator.py --seconds 10 --workload text

Prints the functions with the most CPU samples, self (the function's own code, including
the C calls it makes) and inclusive (anywhere on the stack), as shares of all samples taken
while the server was busy (idle waits on the event loop are not sampled). `--flamegraph
FILE.svg` also writes py-spy's flame graph.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from harness import (
    DEFAULT_SCENARIO,
    ROOT,
    Server,
    emulator_command,
    encode,
    free_port,
    receipt_body,
    run_wrk,
    serve_command,
    text_body,
    wrk_path,
)

# py-spy's collapsed frames: "function (path/to/file.py:line)"
FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="load and sampling time (10)")
    parser.add_argument("--connections", type=int, default=32, help="(32)")
    parser.add_argument("--workload", choices=("text", "receipt"), default="text")
    parser.add_argument("--receipt-elements", type=int, default=100)
    parser.add_argument(
        "--emulator",
        choices=("serve", "app", "bare"),
        default="app",
        help="app (default): the emulator's app under bench/serve.py, which saturates the "
        "CPU; serve: `send-api-emulator serve`; bare: the baseline endpoint, for comparison",
    )
    parser.add_argument("--rate", type=int, default=200, help="samples per second (200)")
    parser.add_argument("--top", type=int, default=25, help="rows per list (25)")
    parser.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO)
    parser.add_argument("--flamegraph", type=Path, help="also write a flame graph (SVG) here")
    return parser.parse_args()


def short(frame: str) -> str:
    """`function (…/site-packages/starlette/routing.py:12)` -> `starlette/routing.py:function`."""
    match = FRAME.match(frame)
    if not match:
        return frame
    path = match["file"]
    for marker in ("site-packages/", f"{ROOT}/", "lib/python3."):
        if marker in path:
            path = path.split(marker, 1)[1]
            if marker == "lib/python3.":
                path = "stdlib:" + path.split("/", 1)[-1]
            break
    return f"{path}:{match['function']}"


def report(collapsed: Path, top: int) -> str:
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [short(frame) for frame in stack.split(";") if frame]
        if not frames:
            continue
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    if total == 0:
        return "no samples (was the server busy? does py-spy have ptrace rights?)"
    lines = [f"{total} samples while busy", "", "self:"]
    lines += [f"  {n / total:6.1%}  {name}" for name, n in own.most_common(top)]
    lines += ["", "inclusive:"]
    lines += [f"  {n / total:6.1%}  {name}" for name, n in inclusive.most_common(top)]
    ours = [(name, n) for name, n in inclusive.most_common() if name.startswith("emulator/")]
    if ours:
        lines += ["", "inclusive, the emulator's own functions:"]
        lines += [f"  {n / total:6.1%}  {name}" for name, n in ours[:top]]
    return "\n".join(lines)


def main() -> int:
    args = parse_args()
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(py_spy).exists():
        print("py-spy is not installed: .venv/bin/pip install py-spy", file=sys.stderr)
        return 2
    if wrk_path() is None:
        print("wrk is not installed: apt-get install -y wrk", file=sys.stderr)
        return 2
    body = text_body() if args.workload == "text" else receipt_body(args.receipt_elements)
    port = free_port()
    if args.emulator == "serve":
        command = emulator_command(port, args.scenario)
    elif args.emulator == "app":
        command = serve_command("emulator", port, args.scenario)
    else:
        command = serve_command("bare", port)
    server = Server.start(args.emulator, command, port, None)
    try:
        with tempfile.TemporaryDirectory(prefix="send-api-profile-") as tmp:
            body_file = Path(tmp) / "body.json"
            body_file.write_bytes(encode(body))
            run_wrk(port, body_file, duration=1, connections=args.connections, threads=1, cpus=None)
            outputs = [(Path(tmp) / "stacks.txt", "raw")]
            if args.flamegraph:
                outputs.append((args.flamegraph, "flamegraph"))
            samplers = [
                subprocess.Popen(
                    [
                        py_spy,
                        "record",
                        "--pid",
                        str(server.process.pid),
                        "--rate",
                        str(args.rate),
                        "--duration",
                        str(args.seconds),
                        "--function",
                        "--format",
                        kind,
                        "--output",
                        str(path),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for path, kind in outputs
            ]
            result = run_wrk(
                port,
                body_file,
                duration=args.seconds,
                connections=args.connections,
                threads=1,
                cpus=None,
            )
            for sampler in samplers:
                _, errors = sampler.communicate(timeout=args.seconds + 30)
                if sampler.returncode != 0:
                    print(f"py-spy failed: {errors.strip()}", file=sys.stderr)
                    return 1
            print(
                f"{args.emulator}, {args.workload} sends, {args.connections} connections: "
                f"{result.rps:.0f} req/s under sampling, {result.requests} requests, "
                f"{result.errors} errors"
            )
            print(report(outputs[0][0], args.top))
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
