"""The command line as users run it: check, schema, serve, ready; never a traceback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import jsonschema
import pytest
from conftest import IN_WINDOW, ROOT, TEST_SCENARIO, LiveServer, send, text_to
from conftest import run_cli as run

SCENARIOS = ROOT / "scenarios"


def test_check_accepts_valid_files() -> None:
    result = run("check", *map(str, sorted(SCENARIOS.iterdir())))
    assert result.returncode == 0, result.stderr
    assert result.stdout.count(": ok") == len(list(SCENARIOS.iterdir()))


def test_check_reports_one_line_per_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nwebhok: {}\npages:\n  - id: acme\n    tokens: [{token: T}]\n")
    result = run("check", str(bad), str(SCENARIOS / "shop.yaml"))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert sorted(lines) == [
        f"{bad}: pages[0].id (line 4): must be a numeric id string, got 'acme'",
        f"{bad}: webhok (line 2): unknown key",
    ]
    assert f"{SCENARIOS / 'shop.yaml'}: ok" in result.stdout


@pytest.mark.parametrize(
    ("content", "expected"),
    [(None, "cannot read"), (b"\xff\xfe\x00", "not UTF-8"), (b"a: [", "invalid YAML")],
    ids=["missing file", "binary file", "broken YAML"],
)
def test_check_bad_files_never_trace(tmp_path: Path, content: bytes | None, expected: str) -> None:
    path = tmp_path / "scenario.yaml"
    if content is not None:
        path.write_bytes(content)
    result = run("check", str(path))
    assert result.returncode == 1
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_schema_is_a_json_schema_that_accepts_the_examples() -> None:
    result = run("schema")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    import yaml

    for path in sorted(SCENARIOS.iterdir()):
        text = path.read_text()
        document = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        jsonschema.validate(document, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"version": 1, "pages": [], "colour": "x"}, schema)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["serve", "--scenario", "missing.yaml"], "missing.yaml: cannot read"),
        (["serve", "--port", "http"], "--port must be a number"),
        (["serve", "--log-level", "loud"], "--log-level must be"),
        (["serve", "--host", "999.1.1.1", "--port", "0"], "cannot listen on 999.1.1.1"),
    ],
    ids=["missing scenario", "bad port", "bad log level", "bad host"],
)
def test_serve_bad_input_is_one_line(args: list[str], expected: str) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_port_in_use_is_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("serve", "--port", str(port))
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


def request_lines(server: LiveServer, count: int) -> list[str]:
    """The log's request lines, once `count` are there (they are written a few milliseconds
    after the answer, off the request path)."""
    deadline = time.monotonic() + 10
    while True:
        lines = [line for line in server.log().splitlines() if "/me/messages" in line]
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.01)


def test_serve_logs_its_port_first_and_one_line_per_request(tmp_path: Path) -> None:
    server = LiveServer(TEST_SCENARIO, tmp_path / "log")
    try:
        first = server.log().splitlines()[0]
        assert f"listening on {server.url}" in first
        assert first.endswith(("; uvloop + httptools)", "; asyncio + h11)"))  # the stack
        with httpx.Client(base_url=server.url) as client:
            send(client, text_to(IN_WINDOW))
            send(client, text_to("2999999999999999"))
        lines = request_lines(server, 2)
        assert len(lines) == 2
        assert (
            "POST /v21.0/me/messages page=110000000000001 recipient=2000000000000001 -> 200 sent m_"
            in lines[0]
        )
        assert lines[1].endswith("-> 400 rejected #100/2018001 no_matching_user")
    finally:
        server.stop()


def test_serve_writes_every_request_line_before_it_stops(tmp_path: Path) -> None:
    """Lines are written in batches off the request path; stopping (SIGTERM) loses none."""
    server = LiveServer(TEST_SCENARIO, tmp_path / "log")
    try:
        with httpx.Client(base_url=server.url) as client:
            for index in range(200):
                send(client, text_to(IN_WINDOW, f"message {index}"))
    finally:
        server.stop()
    lines = [line for line in server.log().splitlines() if "/me/messages" in line]
    assert len(lines) == 200
    assert all(" INFO POST /v21.0/me/messages page=" in line for line in lines)


def test_environment_variables_configure_serve_and_flags_win(tmp_path: Path) -> None:
    env = {"EMULATOR_SCENARIO": str(SCENARIOS / "shop.yaml"), "EMULATOR_PORT": "0"}
    server = LiveServer.__new__(LiveServer)
    log = tmp_path / "log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "emulator", "serve", "--scenario", str(TEST_SCENARIO)],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env={**os.environ, **env},
        )
        server.process, server.log_path, server._log = process, log, out
        try:
            url = server._wait_for_port()
            health = httpx.get(f"{url}/_emulator/health").json()
            assert health["scenario"] == "test"  # --scenario beat EMULATOR_SCENARIO
            assert url.rsplit(":", 1)[1] != "8787"  # EMULATOR_PORT=0 picked a free port
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_ready(live: str) -> None:
    assert run("ready", "--url", live).returncode == 0
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    result = run("ready", "--url", closed, "--wait", "0.3")
    assert result.returncode == 1
    assert "is not ready" in result.stderr
    assert run("ready", "--url", closed, "--wait", "nan", timeout=20).returncode == 1


def test_version_and_help() -> None:
    assert run("--version").stdout.startswith("send-api-emulator ")
    assert run().returncode == 2


@pytest.mark.parametrize("value", ["0", "-1", "ten", "99999999999"])
def test_serve_refuses_a_bad_record_bound(value: str) -> None:
    result = run("serve", "--port", "0", "--max-records", value)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "--max-records must be a number" in result.stderr
