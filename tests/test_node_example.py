"""The plain-HTTP example in another language (examples/node/send_api.test.mjs) passes against
a real server on the bundled default scenario, as a sidecar user runs it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, LiveServer

NODE = shutil.which("node")
EXAMPLE = ROOT / "examples" / "node" / "send_api.test.mjs"
DEFAULT_SCENARIO = ROOT / "emulator" / "scenario" / "default.yaml"


def node_major() -> int:
    assert NODE is not None
    version = subprocess.run([NODE, "--version"], capture_output=True, text=True, timeout=30)
    match = re.match(r"v(\d+)\.", version.stdout.strip())
    return int(match.group(1)) if match else 0


pytestmark = pytest.mark.skipif(NODE is None, reason="node is not on PATH (the example needs 18+)")


@pytest.fixture(scope="module")
def default_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real server on the bundled default scenario (the live fixture runs the test one)."""
    server = LiveServer(DEFAULT_SCENARIO, tmp_path_factory.mktemp("node") / "emulator.log")
    yield server.url
    server.stop()


def test_node_example_passes_against_the_default_scenario(default_server: str) -> None:
    assert NODE is not None
    if node_major() < 18:
        pytest.skip("node is older than 18: no global fetch or node:test")
    result = subprocess.run(
        [NODE, "--test", str(EXAMPLE)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "EMULATOR_URL": default_server, "NODE_NO_WARNINGS": "1"},
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # the summary (TAP `# pass 4`, or the spec reporter's `ℹ pass 4`): the tests did run
    assert re.search(r"^\S+ pass [1-9]", result.stdout, re.MULTILINE), result.stdout
    assert re.search(r"^\S+ fail 0$", result.stdout, re.MULTILINE), result.stdout


def test_node_example_fails_clearly_without_an_emulator(tmp_path: Path) -> None:
    """Against nothing it fails, and says where it looked."""
    assert NODE is not None
    if node_major() < 18:
        pytest.skip("node is older than 18: no global fetch or node:test")
    closed = "http://127.0.0.1:9"  # discard: nothing answers HTTP there
    result = subprocess.run(
        [NODE, "--test", str(EXAMPLE)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "EMULATOR_URL": closed, "NODE_NO_WARNINGS": "1"},
        timeout=120,
    )
    assert result.returncode != 0
    assert f"no emulator answers at {closed}" in result.stdout + result.stderr
