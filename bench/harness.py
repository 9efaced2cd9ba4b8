"""Shared pieces of the benchmark scripts: request bodies, server processes, wrk runs."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DEFAULT_SCENARIO = ROOT / "tests" / "data" / "test-scenario.yaml"
LUA_SCRIPT = BENCH / "post.lua"
HOST = "127.0.0.1"
TOKEN = "PAGE_TOKEN"
RECIPIENT = "2000000000000001"  # inside the 24 h window in tests/data/test-scenario.yaml
SEND_PATH = f"/v21.0/me/messages?access_token={TOKEN}"
HEALTH_PATH = "/_emulator/health"


# --- request bodies -------------------------------------------------------------------------


def text_body() -> dict[str, Any]:
    return {
        "recipient": {"id": RECIPIENT},
        "messaging_type": "RESPONSE",
        "message": {"text": "hello, world"},
    }


def receipt_body(elements: int = 100) -> dict[str, Any]:
    """A valid receipt template send with `elements` line items (Meta's documented maximum
    is 100): every field is validated by the emulator's content rules."""
    items = [
        {
            "title": f"Classic White T-Shirt, size {index % 5 + 1}",
            "subtitle": "100% Soft and Luxurious Cotton",
            "quantity": index % 3 + 1,
            "price": 19.99,
            "currency": "USD",
            "image_url": f"https://shop.example.com/img/items/{index:04d}.png",
        }
        for index in range(elements)
    ]
    return {
        "recipient": {"id": RECIPIENT},
        "messaging_type": "RESPONSE",
        "message": {
            "attachment": {
                "type": "template",
                "payload": {
                    "template_type": "receipt",
                    "recipient_name": "Ada Lovelace",
                    "order_number": "12345678902",
                    "currency": "USD",
                    "payment_method": "Visa 2345",
                    "order_url": "https://shop.example.com/order?order_id=123456",
                    "timestamp": "1767603600",
                    "address": {
                        "street_1": "1 Hacker Way",
                        "street_2": "",
                        "city": "Menlo Park",
                        "postal_code": "94025",
                        "state": "CA",
                        "country": "US",
                    },
                    "summary": {
                        "subtotal": 75.00,
                        "shipping_cost": 4.95,
                        "total_tax": 6.19,
                        "total_cost": 56.14,
                    },
                    "adjustments": [
                        {"name": "New Customer Discount", "amount": 20},
                        {"name": "$10 Off Coupon", "amount": 10},
                    ],
                    "elements": items,
                },
            }
        },
    }


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


# --- processes ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def emulator_command(
    port: int, scenario: Path | None, *, log_level: str = "warning", extra: Sequence[str] = ()
) -> list[str]:
    """`send-api-emulator serve` from this interpreter's environment (the venv), on `scenario`
    (None: the bundled default); `extra` arguments (such as `--state FILE`) go last."""
    script = Path(sys.executable).parent / "send-api-emulator"
    head = [str(script)] if script.exists() else [sys.executable, "-m", "emulator"]
    chosen = ["--scenario", str(scenario)] if scenario is not None else []
    return [*head, "serve", "--port", str(port), "--log-level", log_level, *chosen, *extra]


def serve_command(app: str, port: int, scenario: Path | None = None) -> list[str]:
    """bench/serve.py: the bare endpoint, or the emulator's app on a TCP_NODELAY socket."""
    command = [sys.executable, str(BENCH / "serve.py"), "--app", app, "--port", str(port)]
    return [*command, "--scenario", str(scenario)] if scenario else command


def pinned(cpus: set[int] | None) -> Callable[[], None] | None:
    """A preexec_fn pinning the child (and the threads it starts) to `cpus`."""
    if not cpus:
        return None

    def pin() -> None:
        os.sched_setaffinity(0, cpus)

    return pin


def http_get(port: int, path: str, timeout: float = 2.0) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def http_post(port: int, path: str, body: bytes, timeout: float = 5.0) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("POST", path, body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def wait_ready(
    port: int, process: subprocess.Popen[bytes], timeout: float = 15.0, interval: float = 0.002
) -> float:
    """Poll the health endpoint until it answers 200; the monotonic time it first did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            status, _ = http_get(port, HEALTH_PATH, timeout=1.0)
        except OSError:
            status = 0
        if status == 200:
            return time.monotonic()
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before it was ready")
        time.sleep(interval)
    raise RuntimeError(f"server on port {port} not ready after {timeout} s")


def memory_mib(pid: int) -> dict[str, float]:
    """The memory lines of /proc/PID/status in MiB (VmRSS: resident now, VmHWM: its peak);
    empty if the process is gone or there is no /proc."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    return {
        key: int(value.split()[0]) / 1024
        for key, _, value in (line.partition(":") for line in status.splitlines())
        if key.startswith("Vm") and value.strip().endswith("kB")
    }


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system, all threads) the process has used; None if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # after the command's ")": state is field 3 of proc(5), utime 14 and stime 15
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def busy_seconds(cpu: int) -> float | None:
    """Time CPU number `cpu` has spent not idle since boot (/proc/stat), by anyone."""
    try:
        lines = Path("/proc/stat").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        name, *ticks = line.split()
        if name == f"cpu{cpu}":
            user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, ticks[:8])
            return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
    return None


def machine() -> str:
    """The CPU count and model, the kernel, Python, and the server stack: uvicorn's HTTP
    implementation and event loop (httptools/uvloop when installed, else h11/asyncio)."""
    import importlib.metadata
    import importlib.util
    import platform

    def version(name: str) -> str:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return "?"

    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{len(os.sched_getaffinity(0))} CPUs ({model}), {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}, uvicorn "
        f"{version('uvicorn')} ({http}, {loop}), starlette {version('starlette')}"
    )


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]

    @classmethod
    def start(
        cls,
        name: str,
        command: Sequence[str],
        port: int,
        cpus: set[int] | None,
        stderr: IO[bytes] | int | None = None,
    ) -> Server:
        """Start and wait until ready; `stderr` as for Popen (None: this process's)."""
        process = subprocess.Popen(
            list(command),
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            preexec_fn=pinned(cpus),
        )
        server = cls(name, port, process)
        try:
            wait_ready(port, process)
        except BaseException:
            server.stop()
            raise
        return server

    def rss_mib(self) -> float | None:
        """Resident memory of the server process, from /proc (Linux only)."""
        return memory_mib(self.process.pid).get("VmRSS")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# --- wrk ------------------------------------------------------------------------------------


@dataclass
class WrkResult:
    requests: int
    seconds: float
    errors: int  # connect/read/write errors, timeouts and non-2xx/3xx answers
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk_path() -> str | None:
    return shutil.which("wrk")


def run_wrk(
    port: int,
    body_file: Path,
    *,
    duration: int,
    connections: int,
    threads: int,
    cpus: set[int] | None,
    path: str = SEND_PATH,
) -> WrkResult:
    wrk = wrk_path()
    if wrk is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    command = [
        wrk,
        "--threads",
        str(threads),
        "--connections",
        str(connections),
        "--duration",
        f"{duration}s",
        "--timeout",
        "10s",
        "--latency",
        "--script",
        str(LUA_SCRIPT),
        f"http://{HOST}:{port}{path}",
    ]
    completed = subprocess.run(
        command,
        env={**os.environ, "BENCH_BODY_FILE": str(body_file)},
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=pinned(cpus),
    )
    for line in completed.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            data = json.loads(line.removeprefix("BENCH_JSON "))
            break
    else:
        raise RuntimeError(
            f"wrk failed ({completed.returncode}):\n{completed.stdout}\n{completed.stderr}"
        )
    errors = sum(
        data[key]
        for key in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts")
    )
    return WrkResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        errors=errors,
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        mean_ms=data["mean_us"] / 1000,
        max_ms=data["max_us"] / 1000,
    )
