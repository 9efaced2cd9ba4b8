"""`send-api-emulator ready` as sidecar set-ups use it (Docker HEALTHCHECK, compose, CI), and
the sidecar recipes in examples/ (docker compose, GitHub Actions) as their tools read them."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from conftest import ROOT
from conftest import run_cli as run

EXAMPLES = ROOT / "examples"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def assert_one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("send-api-emulator: ")
    return lines[0]


# --- ready ----------------------------------------------------------------------------------


def test_ready_against_a_live_server(live: str) -> None:
    result = run("ready", "--url", live)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{live}: ready"
    # a trailing slash is fine, and --wait does not delay an answer already there
    assert run("ready", "--url", live + "/", "--wait", "30").returncode == 0


def test_ready_defaults_to_emulator_port(live: str) -> None:
    """The Docker HEALTHCHECK passes no URL: 127.0.0.1:$EMULATOR_PORT."""
    port = live.rsplit(":", 1)[1]
    result = run("ready", env={"EMULATOR_PORT": port})
    assert result.returncode == 0, result.stderr
    # `--url "$EMULATOR_URL"` with the variable unset: the default as well
    assert run("ready", "--url", "", env={"EMULATOR_PORT": port}).returncode == 0


def test_ready_is_1_when_nothing_listens() -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    result = run("ready", "--url", closed)
    assert result.returncode == 1
    assert result.stdout == ""
    assert assert_one_line_error(result) == f"send-api-emulator: {closed} is not ready"
    assert run("ready", "--url", closed, "--wait", "-5").returncode == 1


class _Unhealthy(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(503)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def unhealthy() -> Iterator[str]:
    """Something that answers HTTP, but not 200 on /_emulator/health."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Unhealthy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_ready_needs_a_healthy_answer(unhealthy: str) -> None:
    result = run("ready", "--url", unhealthy, "--wait", "0.3")
    assert result.returncode == 1
    assert "is not ready" in assert_one_line_error(result)


def test_ready_waits_for_a_server_that_starts_late(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    waiting = subprocess.Popen(
        [sys.executable, "-m", "emulator", "ready", "--url", url, "--wait", "60"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    server = None
    log = (tmp_path / "emulator.log").open("w")
    try:
        time.sleep(0.5)
        assert waiting.poll() is None  # nothing listens yet: still trying
        server = subprocess.Popen(
            [sys.executable, "-m", "emulator", "serve", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        out, err = waiting.communicate(timeout=60)
        assert waiting.returncode == 0, (err, (tmp_path / "emulator.log").read_text())
        assert out.strip() == f"{url}: ready"
        # ready means ready: the control API answers now
        assert httpx.get(f"{url}/_emulator/health", timeout=5).json()["status"] == "ok"
    finally:
        if waiting.poll() is None:
            waiting.kill()
            waiting.communicate()
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        log.close()


@pytest.mark.parametrize(
    "url",
    ["not a url", "ftp://127.0.0.1/", "http://[::1", "http://127.0.0.1:99999", "127.0.0.1:8787"],
)
def test_ready_bad_url_is_one_line(url: str) -> None:
    result = run("ready", "--url", url, "--wait", "0.2")
    assert result.returncode != 0
    assert result.stdout == ""
    assert url.rstrip("/") in assert_one_line_error(result)


def test_ready_bad_wait_is_a_usage_error() -> None:
    result = run("ready", "--wait", "soon")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "--wait" in result.stderr


# --- the sidecar recipes ----------------------------------------------------------------


def test_dockerfile_healthcheck_uses_ready() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'CMD ["send-api-emulator", "ready", "--wait", "0"]' in dockerfile


def test_docker_compose_recipe() -> None:
    compose = yaml.safe_load((EXAMPLES / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"emulator", "bot", "tests"}

    emulator = services["emulator"]
    context = (EXAMPLES / emulator["build"]["context"]).resolve()
    assert (context / emulator["build"]["dockerfile"]).is_file()
    assert context == ROOT
    test = emulator["healthcheck"]["test"]
    assert test[0] == "CMD"
    assert test[1:] == ["send-api-emulator", "ready", "--wait", "0"]
    # the scenario named by EMULATOR_SCENARIO is in a mounted folder, and is valid
    scenario = emulator["environment"]["EMULATOR_SCENARIO"]
    mounts = [volume.split(":") for volume in emulator["volumes"]]
    found = [
        EXAMPLES / source / Path(scenario).relative_to(target)
        for source, target, *_ in mounts
        if Path(scenario).is_relative_to(target)
    ]
    assert len(found) == 1
    assert found[0].is_file()
    assert run("check", str(found[0])).returncode == 0

    for name in ("bot", "tests"):
        assert services[name]["depends_on"] == {"emulator": {"condition": "service_healthy"}}
    assert services["tests"]["environment"]["EMULATOR_URL"] == "http://emulator:8787"
    assert services["bot"]["environment"]["GRAPH_URL"] == "http://emulator:8787"
    source, target, *_ = services["tests"]["volumes"][0].split(":")
    assert (EXAMPLES / source / "send_api.test.mjs").is_file()
    assert target == services["tests"]["working_dir"]


def test_github_actions_recipe() -> None:
    workflow = yaml.safe_load((EXAMPLES / "github-actions.yml").read_text())
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert set(on) == {"push", "pull_request"}
    jobs = workflow["jobs"]
    assert set(jobs) == {"with-service-container", "with-pip"}

    service = jobs["with-service-container"]["services"]["emulator"]
    assert service["image"] == "ghcr.io/OWNER/send-api-emulator:latest"
    assert '--health-cmd "send-api-emulator ready --wait 0"' in service["options"]
    assert "--health-interval 2s" in service["options"]
    assert service["ports"] == ["8787:8787"]

    pip_steps = "\n".join(step.get("run", "") for step in jobs["with-pip"]["steps"])
    assert "send-api-emulator serve --scenario tests/scenario.yaml" in pip_steps
    assert "send-api-emulator ready --wait 30" in pip_steps
    for job in jobs.values():
        assert job["runs-on"] == "ubuntu-latest"
        tests = [step for step in job["steps"] if step.get("name") == "Tests"]
        assert len(tests) == 1
        assert tests[0]["env"]["EMULATOR_URL"] == "http://127.0.0.1:8787"
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), step
