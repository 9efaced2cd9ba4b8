"""Interception: the calls the code under test makes to Graph's hosts (`graph.facebook.com`,
`graph.instagram.com`; https or http, any path and method) through httpx (sync and async),
requests or aiohttp reach a test's emulator instead, with no change to that code; calls to
other hosts go on as before.

    from emulator.testing import intercept, start

    with start() as send_api, intercept(send_api):
        requests.post("https://graph.facebook.com/v21.0/me/messages",
                      params={"access_token": "ACME_PAGE_TOKEN"}, json={...})
        send_api.assert_sent(to="2000000000000001", text="hi")

With pytest: `@pytest.mark.send_api(intercept=True)` or the ini option `send_api_intercept`.
Built on respx (httpx), responses (requests) and aioresponses (aiohttp: `pip install
'send-api-emulator[aiohttp]'`), imported when interception starts.
"""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Iterable
from typing import TYPE_CHECKING

from emulator.rules.limits import GRAPH_HOSTS  # one list, for the proxy and the plugin

if TYPE_CHECKING:
    from emulator.testing.helper import SendApi

__all__ = ["GRAPH_HOSTS", "Interception", "intercept"]

MISSING_AIORESPONSES = (
    "aiohttp is installed but aioresponses is not, so aiohttp calls to Graph cannot be "
    "intercepted: pip install 'send-api-emulator[aiohttp]'"
)
_active: list[Interception] = []  # the libraries' patches are process-wide: one at a time


class Interception:
    """Routes Graph calls to one emulator while started (a context manager)."""

    def __init__(self, send_api: SendApi, hosts: Iterable[str] = GRAPH_HOSTS) -> None:
        self.send_api = send_api
        self.hosts = tuple(host.lower() for host in hosts)
        self.libraries: tuple[str, ...] = ()  # those intercepted, once started
        self._stack: contextlib.ExitStack | None = None

    def start(self) -> None:
        """Patch the libraries. ImportError, saying what to install, when aiohttp is installed
        without aioresponses; RuntimeError when another interception is active."""
        if self._stack is not None:
            raise RuntimeError("this interception is already started")
        if _active:
            raise RuntimeError("another interception is active: stop it first")
        with_aiohttp = importlib.util.find_spec("aiohttp") is not None
        if with_aiohttp and importlib.util.find_spec("aioresponses") is None:
            raise ImportError(MISSING_AIORESPONSES)
        from emulator.testing.interception import via_httpx, via_requests
        from emulator.testing.interception.forward import Forwarder, host_pattern

        forwarder = Forwarder(self.send_api.backend)
        pattern = host_pattern(self.hosts)
        stack = contextlib.ExitStack()
        try:
            stack.enter_context(via_httpx.intercepting(forwarder, self.hosts))
            stack.enter_context(via_requests.intercepting(forwarder, pattern))
            libraries = ["httpx", "requests"]
            if with_aiohttp:
                from emulator.testing.interception import via_aiohttp

                stack.enter_context(via_aiohttp.intercepting(forwarder, pattern))
                libraries.append("aiohttp")
        except BaseException:
            stack.close()
            raise
        self._stack = stack
        self.libraries = tuple(libraries)
        _active.append(self)

    def stop(self) -> None:
        """Undo the patches (nothing if not started)."""
        stack, self._stack = self._stack, None
        if stack is None:
            return
        try:
            stack.close()
        finally:
            _active.remove(self)
            self.libraries = ()

    def __enter__(self) -> Interception:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"on {', '.join(self.libraries)}" if self._stack else "stopped"
        return f"<Interception of {', '.join(self.hosts)} to {self.send_api.url} ({state})>"


def intercept(send_api: SendApi, hosts: Iterable[str] = GRAPH_HOSTS) -> Interception:
    """An Interception routing calls to `hosts` (default: Graph's) to `send_api`'s emulator,
    in any mode; start it with `with` (or `.start()` and `.stop()`)."""
    return Interception(send_api, hosts)
