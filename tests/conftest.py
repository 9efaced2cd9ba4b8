"""Shared fixtures: an in-process emulator (httpx via Starlette's TestClient) and a real
server started through the command line on a free port, as users run it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.scenario.load import load_file, load_text

DATA = Path(__file__).parent / "data"
TEST_SCENARIO = DATA / "test-scenario.yaml"
ROOT = Path(__file__).parent.parent

PAGE = "110000000000001"
IN_WINDOW = "2000000000000001"  # wrote 1 h ago
IN_7_DAYS = "2000000000000002"  # wrote 3 days ago
NEVER_WROTE = "2000000000000003"
BLOCKED = "2000000000000004"
LONG_AGO = "2000000000000005"  # wrote 10 days ago
IG_PAGE = "130000000000001"
IG_IN_WINDOW = "1780000000000001"
IG_IN_7_DAYS = "1780000000000002"


def make_client(scenario_text: str | None = None) -> TestClient:
    scenario = load_text(scenario_text, "test") if scenario_text else load_file(TEST_SCENARIO)
    return TestClient(create_app(scenario))


@pytest.fixture
def client() -> Iterator[TestClient]:
    with make_client() as test_client:
        yield test_client


def send(
    client: httpx.Client | TestClient,
    body: dict[str, Any],
    *,
    token: str | None = "PAGE_TOKEN",
    path: str = "/v21.0/me/messages",
) -> httpx.Response:
    """A JSON-body send with the token in the query string, the most common documented form."""
    params = {"access_token": token} if token else {}
    return client.post(path, params=params, json=body)


def text_to(psid: str, text: str = "hello", **extra: Any) -> dict[str, Any]:
    return {
        "recipient": {"id": psid},
        "messaging_type": "RESPONSE",
        "message": {"text": text},
        **extra,
    }


def graph_error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert "error" in body, body
    error: dict[str, Any] = body["error"]
    return error


def assert_refused(client: TestClient, response: httpx.Response, rule: str) -> dict[str, Any]:
    """The response is the catalog error `rule` (status, code, subcode, type, message), and the
    journal names that rule. Returns the error object."""
    from emulator.wire import catalog

    spec = catalog.BY_KEY[rule]
    error = graph_error(response)
    assert response.status_code == spec.status, error
    assert (error["code"], error.get("error_subcode"), error["type"]) == (
        spec.code,
        spec.subcode,
        spec.type,
    ), error
    if "{" in spec.message:
        assert error["message"].startswith(spec.message.split("{")[0]), error["message"]
    else:
        assert error["message"] == spec.message
    assert client.get("/_emulator/requests").json()["data"][-1]["rule"] == rule
    return error


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    """`python -m emulator ARGS` as users run the command, its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "emulator", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )


class LiveServer:
    """A real `send-api-emulator serve --port 0` process, reset between tests."""

    def __init__(self, scenario: Path, log_path: Path, *args: str) -> None:
        self.log_path = log_path
        self._log = log_path.open("w")
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "emulator", "serve", "--port", "0"),
                *("--scenario", str(scenario), *args),
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            self.url = self._wait_for_port()
            httpx.get(f"{self.url}/_emulator/health", timeout=5).raise_for_status()
        except BaseException:
            self.stop()
            raise

    def _wait_for_port(self) -> str:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            match = re.search(r"listening on (http://\S+)", self.log_path.read_text())
            if match:
                return match.group(1)
            if self.process.poll() is not None:
                raise RuntimeError(f"emulator exited: {self.log_path.read_text()}")
            time.sleep(0.02)
        raise RuntimeError("emulator did not report its port")

    def log(self) -> str:
        return self.log_path.read_text()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(TEST_SCENARIO, tmp_path_factory.mktemp("live") / "emulator.log")
    yield server
    server.stop()


@pytest.fixture
def live(live_server: LiveServer) -> Iterator[str]:
    """The live server's base URL, reset to the scenario's initial state. The rules its
    journal shows count towards the ledger's coverage (test_zz_ledger.py)."""
    httpx.post(f"{live_server.url}/_emulator/reset", timeout=5).raise_for_status()
    yield live_server.url
    journal = httpx.get(f"{live_server.url}/_emulator/requests", timeout=30).json()["data"]
    TRIGGERED_RULES.update(entry["rule"] for entry in journal if entry["rule"])


# Every catalog rule raised while the suite runs (see test_zz_ledger.py).
TRIGGERED_RULES: set[str] = set()


@pytest.fixture(autouse=True, scope="session")
def _record_triggered_rules() -> Iterator[None]:
    """Count the rules emulators in this process answered with (their journal entries)."""
    from emulator.state import World

    original = World.record_request

    def recording(self: World, entry: dict[str, Any]) -> None:
        if entry.get("rule"):
            TRIGGERED_RULES.add(entry["rule"])
        original(self, entry)

    World.record_request = recording  # type: ignore[method-assign]
    yield
    World.record_request = original  # type: ignore[method-assign]
