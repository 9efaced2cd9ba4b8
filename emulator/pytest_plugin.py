"""The pytest plugin (entry point `pytest11`): the `send_api` fixture and marker.

    @pytest.mark.send_api(scenario="scenario.yaml", mode="server", intercept=True)
    def test_greets(send_api): ...

`scenario`: a path (relative to the test file, else the working directory), YAML or JSON text,
a dict, or absent for the bundled default. `mode`: `inprocess` (default; see --send-api-mode
and the `send_api_mode` ini option) or `server`. With --send-api-url or $SEND_API_EMULATOR_URL,
every test gets a namespace of its own on that running emulator instead (checked once, before
the first test: a sidecar that does not answer ends the run). `intercept`: the code's own calls
to https://graph.facebook.com reach the test's emulator (default: the `send_api_intercept` ini
option; a marked test gets the fixture even if it does not ask for it). A function's marker is
merged with its class's and module's: the closest one wins per keyword.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # imported when a test first uses the fixture: pytest starts as fast as ever
    from emulator.testing import EventLoopThread, ScenarioSource, SendApi

SIDECAR_URL_VARIABLE = "SEND_API_EMULATOR_URL"  # as emulator.testing's
SESSION = secrets.token_hex(3)  # two runs sharing one sidecar never share a namespace name
SIDECAR_PROBE_SECONDS = 5.0  # a sidecar that has not answered by then is down
_UNSET: Any = object()  # a marker keyword not given (None is a value: the bundled default)


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
    parser.addini(
        "send_api_intercept",
        "route the code's own calls to graph.facebook.com / graph.instagram.com to the "
        "send_api fixture's emulator (the marker's intercept= wins)",
        type="bool",
        default=False,
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "send_api(scenario=None, mode=None, intercept=None): the scenario (path, YAML/JSON "
        "text or dict), mode (inprocess or server) and interception of Graph calls of the "
        "send_api fixture",
    )


def pytest_sessionstart(session: pytest.Session) -> None:
    # pytest-xdist's controller runs no test: check the sidecar before any worker starts (a
    # worker cannot end the run cleanly)
    if session.config.pluginmanager.has_plugin("dsession"):
        _check_sidecar(session.config)


def pytest_collection_finish(session: pytest.Session) -> None:
    config = session.config
    if hasattr(config, "workerinput") or config.pluginmanager.has_plugin("dsession"):
        return  # an xdist worker: its controller checked
    if config.option.collectonly:
        return
    if any(_uses_send_api(item) for item in session.items):
        _check_sidecar(config)


def _uses_send_api(item: pytest.Item) -> bool:
    return "send_api" in getattr(item, "fixturenames", ()) or bool(
        item.get_closest_marker("send_api")
    )


def _sidecar_url(config: pytest.Config) -> str | None:
    url: str | None = config.getoption("send_api_url") or os.environ.get(SIDECAR_URL_VARIABLE)
    return url


def _check_sidecar(config: pytest.Config) -> None:
    """End the run with one line when the sidecar does not answer, rather than fail each test."""
    url = _sidecar_url(config)
    if not url:
        return
    import httpx

    health = f"{url.rstrip('/')}/_emulator/health"
    try:
        response = httpx.get(health, timeout=SIDECAR_PROBE_SECONDS, trust_env=False)
        problem = None if response.is_success else f"GET {health} -> {response.status_code}"
    except httpx.HTTPError as exc:
        problem = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if problem:  # pytest prints a usage error as one line and ends the run (exit status 4)
        raise pytest.UsageError(
            f"send_api: no send-api-emulator answers at {url} ({problem}); start one "
            f"(send-api-emulator serve) or unset --send-api-url / ${SIDECAR_URL_VARIABLE}"
        )


@pytest.fixture(scope="session")
def _send_api_loop() -> Iterator[EventLoopThread]:
    """One event loop thread for the session's in-process emulators."""
    from emulator.testing import EventLoopThread

    loop = EventLoopThread()
    yield loop
    loop.close()


@pytest.fixture(autouse=True)
def _send_api_intercept_marked(request: pytest.FixtureRequest) -> None:
    """A test marked send_api(intercept=True) gets its emulator even if it does not ask."""
    if request.node.get_closest_marker("send_api") is None:
        return  # most tests: nothing more to look at
    try:
        wanted = _settings(request.node).get("intercept") is True
    except TypeError:
        wanted = False  # a bad marker: the fixture says what is wrong, where it is used
    if wanted:
        request.getfixturevalue("send_api")


@pytest.fixture
def send_api(request: pytest.FixtureRequest) -> Iterator[SendApi]:
    """An isolated Send API emulator for this test (see emulator.testing.SendApi)."""
    from emulator.testing import ScenarioError, start

    problem: str | None = None  # failed outside `except`: no chained traceback in the report
    try:
        settings = _settings(request.node)
    except TypeError as exc:
        problem = f"send_api marker: {str(exc).replace('_marked()', 'send_api()')}"
    if problem:
        pytest.fail(problem, pytrace=False)
    scenario, mode = settings.get("scenario"), settings.get("mode")
    config = request.config
    intercept = settings.get("intercept", _UNSET)
    if intercept is _UNSET or intercept is None:
        intercept = config.getini("send_api_intercept")
    if not isinstance(intercept, bool):
        pytest.fail(f"send_api: intercept must be True or False, got {intercept!r}", pytrace=False)
    url = _sidecar_url(config)
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
        if not intercept:
            yield api
            return
        from emulator.testing import intercept as intercepting

        interception = intercepting(api)
        try:
            interception.start()
        except ImportError as exc:
            problem = f"send_api: intercept=True: {exc}"
        if problem:
            pytest.fail(problem, pytrace=False)
        try:
            yield api
        finally:
            interception.stop()


def _settings(node: pytest.Item) -> dict[str, Any]:
    """The send_api markers of the test, its class and its module, merged: per keyword, the
    closest one wins (TypeError for a marker that does not fit send_api's signature)."""
    merged: dict[str, Any] = {}
    for marker in reversed(list(node.iter_markers("send_api"))):  # the farthest first
        merged.update(_marked(*marker.args, **marker.kwargs))
    return merged


def _marked(
    scenario: ScenarioSource = _UNSET, mode: str | None = _UNSET, intercept: bool | None = _UNSET
) -> dict[str, Any]:
    """The keywords a marker gives: send_api(scenario=None, mode=None, intercept=None)."""
    given = {"scenario": scenario, "mode": mode, "intercept": intercept}
    return {key: value for key, value in given.items() if value is not _UNSET}


def _namespace(nodeid: str) -> str:
    """`<xdist worker>-<session>-<test>`: unique per test and run, in [A-Za-z0-9_.-]."""
    worker = re.sub(r"[^A-Za-z0-9_.-]", "_", os.environ.get("PYTEST_XDIST_WORKER", "main"))[:20]
    return f"{worker}-{SESSION}-{hashlib.sha256(nodeid.encode()).hexdigest()[:12]}"
