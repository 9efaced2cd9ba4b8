"""The pytest plugin (entry point `pytest11`): the `send_api` fixture and marker.

    @pytest.mark.send_api(scenario="scenario.yaml", mode="server")
    def test_greets(send_api): ...

`scenario`: a path (relative to the test file, else the working directory), YAML or JSON text,
a dict, or absent for the bundled default. `mode`: `inprocess` (default; see --send-api-mode
and the `send_api_mode` ini option) or `server`. With --send-api-url or $SEND_API_EMULATOR_URL,
every test gets a namespace of its own on that running emulator instead.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # imported when a test first uses the fixture: pytest starts as fast as ever
    from emulator.testing import EventLoopThread, ScenarioSource, SendApi

SIDECAR_URL_VARIABLE = "SEND_API_EMULATOR_URL"  # as emulator.testing's
SESSION = secrets.token_hex(3)  # two runs sharing one sidecar never share a namespace name


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("send_api", "send-api-emulator")
    group.addoption(
        "--send-api-mode",
        choices=("inprocess", "server"),
        help="where the send_api fixture runs the emulator when no marker says (ini "
        "send_api_mode; default inprocess)",
    )
    group.addoption(
        "--send-api-url",
        help=f"a running emulator: each test gets a namespace there (or ${SIDECAR_URL_VARIABLE})",
    )
    parser.addini("send_api_mode", "default mode of the send_api fixture", default="inprocess")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "send_api(scenario=None, mode=None): the scenario (path, YAML/JSON text or dict) and "
        "mode (inprocess or server) of the send_api fixture",
    )


@pytest.fixture(scope="session")
def _send_api_loop() -> Iterator[EventLoopThread]:
    """One event loop thread for the session's in-process emulators."""
    from emulator.testing import EventLoopThread

    loop = EventLoopThread()
    yield loop
    loop.close()


@pytest.fixture
def send_api(request: pytest.FixtureRequest) -> Iterator[SendApi]:
    """An isolated Send API emulator for this test (see emulator.testing.SendApi)."""
    from emulator.testing import ScenarioError, start

    marker = request.node.get_closest_marker("send_api")
    problem: str | None = None  # failed outside `except`: no chained traceback in the report
    try:
        scenario, mode = _marked(*marker.args, **marker.kwargs) if marker else (None, None)
    except TypeError as exc:
        problem = f"send_api marker: {str(exc).replace('_marked()', 'send_api()')}"
    if problem:
        pytest.fail(problem, pytrace=False)
    config = request.config
    url = config.getoption("send_api_url") or os.environ.get(SIDECAR_URL_VARIABLE)
    if url:
        mode = "sidecar"  # the whole run goes to the sidecar
    mode = mode or config.getoption("send_api_mode") or config.getini("send_api_mode")
    if mode not in ("inprocess", "server", "sidecar") or (mode == "sidecar" and not url):
        message = f"mode must be inprocess or server (or a sidecar URL), got {mode!r}"
        pytest.fail(f"send_api: {message}", pytrace=False)
    loop = request.getfixturevalue("_send_api_loop") if mode == "inprocess" else None
    try:
        api = start(
            scenario,
            mode,
            sidecar_url=url,
            namespace=_namespace(request.node.nodeid),
            loop=loop,
            base_dir=request.path.parent,
        )
    except ScenarioError as exc:
        problem = "send_api: invalid scenario\n" + "\n".join(exc.problems)
    if problem:
        pytest.fail(problem, pytrace=False)
    with api:
        yield api


def _marked(
    scenario: ScenarioSource = None, mode: str | None = None
) -> tuple[ScenarioSource, str | None]:
    """The marker's arguments: send_api(scenario=None, mode=None)."""
    return scenario, mode


def _namespace(nodeid: str) -> str:
    """`<xdist worker>-<session>-<test>`: unique per test and run, in [A-Za-z0-9_.-]."""
    worker = re.sub(r"[^A-Za-z0-9_.-]", "_", os.environ.get("PYTEST_XDIST_WORKER", "main"))[:20]
    return f"{worker}-{SESSION}-{hashlib.sha256(nodeid.encode()).hexdigest()[:12]}"
