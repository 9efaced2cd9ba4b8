"""Where a test's emulator runs: in-process (an httpx transport into an event loop thread), on
a free port (a real uvicorn server), or as a namespace of a running sidecar. Each backend gives
the same things: the Graph base URL, the control API's base URL and transports reaching them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import json
import os
import ssl
import threading
import time
from collections.abc import Coroutine, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import httpx

from emulator.scenario.load import default_text, load_text, read_file
from emulator.scenario.model import Scenario

if TYPE_CHECKING:
    from starlette.applications import Starlette

T = TypeVar("T")
IN_PROCESS_URL = "http://send-api.test"  # never resolved: the transport answers it
SERVER_START_SECONDS = 10.0  # a server that is not up by then failed
SCENARIO_CACHE = 32
TIMED_OUT = "timed out"  # httpx's ReadTimeout message over a socket (httpcore's)
ScenarioSource = str | os.PathLike[str] | Mapping[str, Any] | Scenario | None


# --- scenarios ----------------------------------------------------------------------------------


class ScenarioText:
    """A scenario as text (what the control API takes) and validated (what create_app takes)."""

    def __init__(self, text: str, label: str, as_json: bool) -> None:
        self.text = text
        self.label = label
        self.as_json = as_json
        self.scenario = _validated(text, label, as_json)  # ScenarioError: every problem

    @property
    def content_type(self) -> str:
        return "application/json" if self.as_json else "application/yaml"


def scenario_text(source: ScenarioSource, base_dir: Path | None = None) -> ScenarioText:
    """Read a scenario given as a file path (str or Path; relative ones are looked up in
    `base_dir` first, then the working directory), YAML or JSON text (a str with a line break or
    starting with `{`), a mapping, a Scenario, or None for the bundled default."""
    if source is None:
        return ScenarioText(default_text(), "(bundled) default.yaml", as_json=False)
    if isinstance(source, Scenario):
        dumped = source.model_dump(mode="json", exclude_unset=True)
        return ScenarioText(json.dumps(dumped), "scenario object", as_json=True)
    if isinstance(source, Mapping):
        return ScenarioText(json.dumps(dict(source), default=str), "scenario mapping", True)
    if isinstance(source, str) and ("\n" in source or source.lstrip().startswith("{")):
        return ScenarioText(source, "scenario text", as_json=source.lstrip().startswith("{"))
    path = Path(source)
    if base_dir is not None and not path.is_absolute() and (base_dir / path).exists():
        path = base_dir / path
    text, as_json = read_file(path)
    return ScenarioText(text, str(path), as_json=as_json)


@functools.lru_cache(maxsize=SCENARIO_CACHE)
def _validated(text: str, label: str, as_json: bool) -> Scenario:
    # Scenarios are never changed in place (a World copies what it changes), so one parse of
    # the same text serves every test using it; relative times resolve when a World is built.
    return load_text(text, label, as_json=as_json)


# --- what every backend gives -------------------------------------------------------------------


class Backend(Protocol):
    mode: str
    url: str  # the Graph base URL (no version)
    control_url: str  # the control API's base URL
    transport: httpx.BaseTransport
    async_transport: httpx.AsyncBaseTransport

    def close(self) -> None: ...


# --- in-process ---------------------------------------------------------------------------------


class EventLoopThread:
    """An asyncio event loop running in a daemon thread. In-process emulators live on it, so
    their webhook deliveries run while the test's code blocks; one can serve many emulators."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="send-api-emulator", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    @property
    def ident(self) -> int | None:
        return self._thread.ident

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the loop and wait for its result (from another thread)."""
        return asyncio.run_coroutine_threadsafe(work, self.loop).result()

    def close(self) -> None:
        """Cancel what is left, stop the loop, join the thread, close the loop."""
        if self.loop.is_closed():
            return
        if self._thread.is_alive():
            self.run(_cancel_the_rest())
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join()
        self.loop.close()


async def _cancel_the_rest() -> None:
    current = asyncio.current_task()
    tasks = [task for task in asyncio.all_tasks() if task is not current]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.get_running_loop().shutdown_asyncgens()


async def _exchange(
    asgi: httpx.AsyncBaseTransport, request: httpx.Request
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    response = await asgi.handle_async_request(request)
    try:
        content = await response.aread()
    finally:
        await response.aclose()
    return response.status_code, response.headers.raw, content


def read_timeout(request: httpx.Request) -> float | None:
    """The client's read timeout for this request (`httpx.Client(timeout=…)`), in seconds, or
    None for no bound. In-process there is no connection to open or body to write: waiting for
    the answer is the read, so that bound applies to the whole exchange, as a server's
    delayed answer meets it over a socket."""
    timeout = request.extensions.get("timeout")
    if not isinstance(timeout, Mapping):
        return None
    value = timeout.get("read")
    return float(value) if isinstance(value, int | float) else None


class InProcessTransport(httpx.BaseTransport):
    """A synchronous httpx transport answered by an in-process emulator, from any thread."""

    def __init__(self, asgi: httpx.ASGITransport, loop: EventLoopThread) -> None:
        self._asgi = asgi
        self._loop = loop

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if threading.get_ident() == self._loop.ident:
            raise RuntimeError("on the emulator's own event loop, use async_transport")
        request.read()
        future = asyncio.run_coroutine_threadsafe(_exchange(self._asgi, request), self._loop.loop)
        try:
            status, headers, content = future.result(timeout=read_timeout(request))
        except concurrent.futures.TimeoutError:
            if future.done():  # the exchange itself raised it
                raise
            future.cancel()  # the emulator stops answering it, as a server whose client left
            raise httpx.ReadTimeout(TIMED_OUT, request=request) from None
        return httpx.Response(status, headers=headers, content=content, request=request)

    def close(self) -> None:
        """Nothing: the emulator outlives the clients using this transport."""


class AsyncInProcessTransport(httpx.AsyncBaseTransport):
    """An async httpx transport answered by an in-process emulator, from any event loop."""

    def __init__(self, asgi: httpx.ASGITransport, loop: EventLoopThread) -> None:
        self._asgi = asgi
        self._loop = loop

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        deadline = asyncio.timeout(read_timeout(request))
        try:
            async with deadline:
                if asyncio.get_running_loop() is self._loop.loop:
                    return await self._asgi.handle_async_request(request)
                future = asyncio.run_coroutine_threadsafe(
                    _exchange(self._asgi, request), self._loop.loop
                )
                # cancelling the wrapper (on timeout) cancels the exchange on the emulator's loop
                status, headers, content = await asyncio.wrap_future(future)
        except TimeoutError:
            if not deadline.expired():  # the exchange itself raised it
                raise
            raise httpx.ReadTimeout(TIMED_OUT, request=request) from None
        return httpx.Response(status, headers=headers, content=content, request=request)

    async def aclose(self) -> None:
        """Nothing: the emulator outlives the clients using this transport."""


class InProcess:
    """An emulator app on an event loop thread, with its lifespan started (so webhooks are
    delivered); reached through transports, no port. Base URL: http://send-api.test."""

    mode = "inprocess"

    def __init__(self, scenario: Scenario, loop: EventLoopThread | None = None) -> None:
        from emulator.app import create_app

        self._own_loop = loop is None
        self._loop = loop or EventLoopThread()
        self.app: Starlette = create_app(scenario)
        self._lifespan = contextlib.AsyncExitStack()
        try:
            self._loop.run(self._start())
        except BaseException:
            self._close_loop()
            raise
        asgi = httpx.ASGITransport(app=self.app)
        self.transport: httpx.BaseTransport = InProcessTransport(asgi, self._loop)
        self.async_transport: httpx.AsyncBaseTransport = AsyncInProcessTransport(asgi, self._loop)
        self.url = IN_PROCESS_URL
        self.control_url = f"{IN_PROCESS_URL}/_emulator"

    async def _start(self) -> None:
        await self._lifespan.enter_async_context(self.app.router.lifespan_context(self.app))

    def close(self) -> None:
        try:
            if not self._loop.loop.is_closed():
                self._loop.run(self._lifespan.aclose())
        finally:
            self._close_loop()

    def _close_loop(self) -> None:
        if self._own_loop:
            self._loop.close()


# --- over HTTP: a server on a port, or a sidecar ------------------------------------------------


class HTTPTransports:
    """Transports for a real server. The sync one pools connections and is closed with the
    backend (closing a client using it does not close it); the async one connects per request,
    so it works from any event loop and leaves nothing open."""

    def __init__(self) -> None:
        self._ssl = _ssl_context()
        self._sync = httpx.HTTPTransport(verify=self._ssl)
        self.transport: httpx.BaseTransport = _Unclosed(self._sync)
        self.async_transport: httpx.AsyncBaseTransport = _AsyncPerRequest(self._ssl)

    def close(self) -> None:
        self._sync.close()


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()  # built once: loading the CA bundle takes milliseconds


class _Unclosed(httpx.BaseTransport):
    def __init__(self, inner: httpx.HTTPTransport) -> None:
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._inner.handle_request(request)


class _AsyncPerRequest(httpx.AsyncBaseTransport):
    def __init__(self, context: ssl.SSLContext) -> None:
        self._ssl = context

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        async with httpx.AsyncHTTPTransport(verify=self._ssl) as transport:
            response = await transport.handle_async_request(request)
            try:
                content = await response.aread()
            finally:
                await response.aclose()
        return httpx.Response(
            response.status_code,
            headers=response.headers.raw,
            content=content,
            request=request,
            extensions={"http_version": response.extensions.get("http_version", b"HTTP/1.1")},
        )


class Server:
    """An emulator served by uvicorn on a free 127.0.0.1 port, in a thread of its own."""

    mode = "server"

    def __init__(self, scenario: Scenario) -> None:
        from emulator.app import create_app
        from emulator.serving import bind, config
        from emulator.testing.uvicorn_server import StoppableServer

        app = create_app(scenario)
        self._sock = bind("127.0.0.1", 0, backlog=128)
        port = self._sock.getsockname()[1]
        self._server = StoppableServer(config(app, timeout_graceful_shutdown=1))
        self._thread = threading.Thread(
            target=self._serve, name=f"send-api-emulator:{port}", daemon=True
        )
        self._failure: BaseException | None = None
        self._thread.start()
        try:
            self._wait_until_started()
        except BaseException:
            self._stop()
            raise
        self.url = f"http://127.0.0.1:{port}"
        self.control_url = f"{self.url}/_emulator"
        self._transports = HTTPTransports()
        self.transport = self._transports.transport
        self.async_transport = self._transports.async_transport

    def _serve(self) -> None:
        try:
            self._server.run(sockets=[self._sock])
        except BaseException as exc:  # SystemExit on a failed startup, among others
            self._failure = exc

    def _wait_until_started(self) -> None:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"the emulator server did not start: {self._failure!r}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the emulator server did not start in {SERVER_START_SECONDS}s")
            time.sleep(0.001)

    def close(self) -> None:
        try:
            self._transports.close()
        finally:
            self._stop()

    def _stop(self) -> None:
        self._server.stop()
        self._thread.join()
        self._sock.close()


class Sidecar:
    """A namespace of its own on a running emulator (`send-api-emulator serve`, often a CI
    service container): made at start, deleted at close. Its Graph URL is the namespace's."""

    mode = "sidecar"

    def __init__(self, server_url: str, name: str, scenario: ScenarioText) -> None:
        self.server_url = server_url.rstrip("/")
        self.name = name
        self.control_url = f"{self.server_url}/_emulator/namespaces/{name}"
        self.url = f"{self.control_url}/graph"
        self._transports = HTTPTransports()
        self.transport = self._transports.transport
        self.async_transport = self._transports.async_transport
        self._made = False
        try:
            self._put(scenario)
        except BaseException:
            self._transports.close()
            raise

    def _put(self, scenario: ScenarioText) -> None:
        from emulator.testing.helper import raise_for_control

        with self._client() as client:
            try:
                response = client.put(
                    self.control_url,
                    content=scenario.text,
                    headers={"content-type": scenario.content_type},
                )
            except httpx.TransportError as exc:
                raise ConnectionError(
                    f"no send-api-emulator answers at {self.server_url} ({exc}); start one "
                    "(send-api-emulator serve) or unset SEND_API_EMULATOR_URL / --send-api-url"
                ) from None
            raise_for_control(response, scenario.label)
        self._made = True

    def _client(self) -> httpx.Client:
        return httpx.Client(transport=self.transport, trust_env=False, timeout=30)

    def close(self) -> None:
        try:
            if self._made:
                with self._client() as client, contextlib.suppress(httpx.TransportError):
                    client.delete(self.control_url)
        finally:
            self._transports.close()
