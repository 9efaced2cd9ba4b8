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
from typing import Any

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


def emulator_command(port: int, scenario: Path) -> list[str]:
    """`send-api-emulator serve` from this interpreter's environment (the venv)."""
    script = Path(sys.executable).parent / "send-api-emulator"
    head = [str(script)] if script.exists() else [sys.executable, "-m", "emulator"]
    return [
        *head,
        "serve",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--scenario",
        str(scenario),
    ]


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


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]

    @classmethod
    def start(cls, name: str, command: Sequence[str], port: int, cpus: set[int] | None) -> Server:
        process = subprocess.Popen(
            list(command),
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
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
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return None

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
