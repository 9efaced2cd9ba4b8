"""Test helpers: an isolated Send API emulator per test, and what it recorded.

With pytest, use the `send_api` fixture (the plugin registers itself when the package is
installed). Anywhere else:

    from emulator.testing import start

    with start("tests/scenario.yaml") as send_api:      # in-process: no port
        bot = MyBot(send_api.graph_url(), "ACME_PAGE_TOKEN",
                    httpx.Client(transport=send_api.transport))
        send_api.person("2000000000000001").says("hi")
        send_api.assert_sent(to="2000000000000001", text="Hello!")

`mode="server"` serves it on a free 127.0.0.1 port instead (`send_api.url`), and
`mode="sidecar"` makes a namespace of its own on a running emulator (`sidecar_url`, or the
environment variable SEND_API_EMULATOR_URL). The helper speaks only the HTTP control API, so it
answers the same in every mode. `intercept(send_api)` routes the code's own calls to
https://graph.facebook.com (httpx, requests, aiohttp) to it, for bots that hard-code that URL.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from emulator.scenario.load import ScenarioError
from emulator.testing.backends import (
    IN_PROCESS_URL,
    Backend,
    EventLoopThread,
    InProcess,
    ScenarioSource,
    Server,
    Sidecar,
    scenario_text,
)
from emulator.testing.helper import Clock, Faults, Inbound, Person, SendApi, SendApiError
from emulator.testing.interception import GRAPH_HOSTS, Interception, intercept
from emulator.testing.records import Journal, Records, SentList, SentMessage

__all__ = [
    "GRAPH_HOSTS",
    "IN_PROCESS_URL",
    "MODES",
    "SIDECAR_URL_VARIABLE",
    "Clock",
    "EventLoopThread",
    "Faults",
    "Inbound",
    "Interception",
    "Journal",
    "Person",
    "Records",
    "ScenarioError",
    "ScenarioSource",
    "SendApi",
    "SendApiError",
    "SentList",
    "SentMessage",
    "intercept",
    "start",
]

MODES = ("inprocess", "server", "sidecar")
SIDECAR_URL_VARIABLE = "SEND_API_EMULATOR_URL"  # the plugin's too (it imports this lazily)


def start(
    scenario: ScenarioSource = None,
    mode: str = "inprocess",
    *,
    sidecar_url: str | None = None,
    namespace: str | None = None,
    loop: EventLoopThread | None = None,
    base_dir: Path | None = None,
) -> SendApi:
    """A new isolated emulator; close it (or use it as a context manager) when done.

    `scenario`: a file path, YAML or JSON text, a mapping, a Scenario, or None for the bundled
    default; ScenarioError lists every problem. `mode`: `inprocess` (default; `loop` lets many
    share one EventLoopThread), `server`, or `sidecar` (`sidecar_url` or $SEND_API_EMULATOR_URL;
    `namespace` defaults to a random name). Relative scenario paths are looked up in `base_dir`
    first, then the working directory."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    source = scenario_text(scenario, base_dir)
    backend: Backend
    if mode == "inprocess":
        backend = InProcess(source.scenario, loop)
    elif mode == "server":
        backend = Server(source.scenario)
    else:
        url = sidecar_url or os.environ.get(SIDECAR_URL_VARIABLE)
        if not url:
            raise ValueError(f"sidecar mode needs sidecar_url or ${SIDECAR_URL_VARIABLE}")
        backend = Sidecar(url, namespace or f"test-{secrets.token_hex(6)}", source)
    return SendApi(backend, base_dir)
