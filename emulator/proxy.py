"""The intercepting proxy (`serve --proxy-port`): an HTTP forward proxy in front of the world.

A bot told `HTTPS_PROXY=http://127.0.0.1:PORT` asks it to `CONNECT graph.facebook.com:443`;
that tunnel is joined to the emulator's own HTTPS listener, which presents a certificate for
graph.facebook.com from the local authority, so the bot's TLS check passes once it trusts the
authority, and its calls reach the emulator unchanged. A `CONNECT` to any other host is a
plain tunnel to that host (the bot's other traffic keeps working), or, with `graph_only`, a
403 that says why. Plain-HTTP requests in absolute form (`POST http://graph.facebook.com/...`)
are answered by the emulator too; to other hosts they are forwarded (or refused, likewise).

Requests are read with h11 (which uvicorn already brings), one at a time per connection, as a
proxy's client may send requests for several hosts over one connection. Every read is
bounded: the request head, a relayed body, idle time, and connecting to another host.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import h11
import httpx
from starlette.types import ASGIApp

from emulator.rules import limits

log = logging.getLogger("emulator.proxy")

# Headers that describe one hop, never passed on (RFC 9110 §7.6.1), and the proxy's own.
HOP_HEADERS = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"content-length",  # set again for the body as relayed
    }
)
READ_CHUNK = 64 * 1024

Headers = list[tuple[bytes, bytes]]


def is_graph_host(host: str) -> bool:
    return host.lower().rstrip(".") in limits.GRAPH_HOSTS


class _RefusedError(Exception):
    """A request the proxy answers itself, with this status and text."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


class Proxy:
    """The proxy's connections, served on the emulator's event loop.

    `tls_address` is where the emulator serves HTTPS (graph tunnels are joined to it);
    `app` answers plain-HTTP requests for Graph's hosts in-process."""

    def __init__(
        self,
        app: ASGIApp,
        tls_address: tuple[str, int],
        *,
        graph_only: bool = False,
    ) -> None:
        self.app = app
        self.tls_address = tls_address
        self.graph_only = graph_only
        self._connections: set[asyncio.StreamWriter] = set()
        self._emulator: httpx.AsyncClient | None = None
        self._outside: httpx.AsyncClient | None = None

    async def start(self, sock: socket.socket) -> asyncio.Server:
        return await asyncio.start_server(self._serve_connection, sock=sock)

    async def close(self) -> None:
        """End every open connection and tunnel (the server is stopping)."""
        for writer in list(self._connections):
            writer.close()
        for client in (self._emulator, self._outside):
            if client is not None:
                await client.aclose()

    # --- one connection ----------------------------------------------------------------

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._connections.add(writer)
        try:
            await self._requests(reader, writer)
        except (ConnectionError, TimeoutError, asyncio.IncompleteReadError):
            pass  # the client left or went quiet: nothing to answer
        finally:
            self._connections.discard(writer)
            writer.close()

    async def _requests(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=limits.PROXY_HEAD_MAX)
        while True:
            try:
                event = await _next_event(conn, reader)
                if not isinstance(event, h11.Request):
                    return  # the client closed the connection between requests
                if event.method == b"CONNECT":
                    await self._connect(conn, event, reader, writer)
                    return
                body = await _read_body(conn, reader, writer)
                status, headers, content = await self._answer(event, body)
            except h11.RemoteProtocolError as exc:
                status, headers, content = _text(exc.error_status_hint, f"bad request: {exc}")
            except _RefusedError as refused:
                status, headers, content = _text(refused.status, refused.text)
            if conn.our_state not in (h11.SEND_RESPONSE, h11.IDLE):
                return  # h11 cannot answer in this state (a broken request): just close
            headers.append((b"content-length", str(len(content)).encode()))
            writer.write(conn.send(_response(status, headers)))
            writer.write(conn.send(h11.Data(data=content)))
            writer.write(conn.send(h11.EndOfMessage()))
            await writer.drain()
            if not _both_done(conn):
                return  # a refusal before the body was read, or the client asked to close
            conn.start_next_cycle()

    # --- CONNECT: tunnels ------------------------------------------------------------

    async def _connect(
        self,
        conn: h11.Connection,
        request: h11.Request,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        target = request.target.decode("latin-1")
        host, _, port_text = target.rpartition(":")
        host = host.strip("[]")
        graph = is_graph_host(host)
        try:
            if not host or not port_text.isdigit():
                raise _RefusedError(400, f"CONNECT needs host:port, got {target!r}\n")
            if graph:
                address = self.tls_address
                log.info("proxy: CONNECT %s -> the emulator (HTTPS)", target)
            elif self.graph_only:
                log.info("proxy: CONNECT %s refused (--proxy-graph-only)", target)
                raise _RefusedError(
                    403,
                    f"send-api-emulator proxy: {host} is not a Graph API host, and this "
                    "proxy runs with --proxy-graph-only, which tunnels only to "
                    f"{' and '.join(limits.GRAPH_HOSTS)} (answered by the emulator).\n",
                )
            else:
                address = (host, int(port_text))
            try:
                upstream_reader, upstream_writer = await asyncio.wait_for(
                    asyncio.open_connection(*address), limits.PROXY_CONNECT_SECONDS
                )
                if not graph:
                    log.info("proxy: CONNECT %s tunnelled", target)
            except (OSError, TimeoutError) as exc:
                log.info("proxy: CONNECT %s failed: %s", target, exc)
                raise _RefusedError(
                    502, f"send-api-emulator proxy: cannot reach {target}: {exc}\n"
                ) from None
        except _RefusedError as refused:
            status, headers, content = _text(refused.status, refused.text)
            headers.append((b"content-length", str(len(content)).encode()))
            headers.append((b"connection", b"close"))
            writer.write(conn.send(_response(status, headers)))
            writer.write(conn.send(h11.Data(data=content)))
            writer.write(conn.send(h11.EndOfMessage()))
            await writer.drain()
            return
        writer.write(
            conn.send(h11.Response(status_code=200, headers=[], reason=b"Connection established"))
        )
        await writer.drain()
        leftover, _ = conn.trailing_data  # bytes the client sent right after its CONNECT
        if leftover:
            upstream_writer.write(leftover)
        self._connections.add(upstream_writer)
        try:
            await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
        finally:
            self._connections.discard(upstream_writer)
            upstream_writer.close()

    # --- plain HTTP: answered, forwarded or refused ------------------------------------

    async def _answer(self, request: h11.Request, body: bytes) -> tuple[int, Headers, bytes]:
        target = request.target.decode("latin-1")
        headers = [(name, value) for name, value in request.headers if name not in HOP_HEADERS]
        if target.startswith("/"):  # origin form: a request to the proxy itself
            host = _header(request.headers, b"host") or ""
            url = f"http://{host or 'localhost'}{target}"
            return await self._emulate(request.method, url, headers, body)
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _RefusedError(400, f"send-api-emulator proxy: not an absolute URL: {target!r}\n")
        if is_graph_host(parts.hostname):
            log.info("proxy: %s %s -> the emulator", request.method.decode(), target)
            return await self._emulate(request.method, target, headers, body)
        if self.graph_only:
            log.info("proxy: %s %s refused (--proxy-graph-only)", request.method.decode(), target)
            raise _RefusedError(
                403,
                f"send-api-emulator proxy: {parts.hostname} is not a Graph API host, and this "
                "proxy runs with --proxy-graph-only.\n",
            )
        log.info("proxy: %s %s forwarded", request.method.decode(), target)
        return await self._forward(request.method, target, headers, body)

    async def _emulate(
        self, method: bytes, url: str, headers: Headers, body: bytes
    ) -> tuple[int, Headers, bytes]:
        if self._emulator is None:
            self._emulator = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app))
        return await _relay(self._emulator, method, url, headers, body)

    async def _forward(
        self, method: bytes, url: str, headers: Headers, body: bytes
    ) -> tuple[int, Headers, bytes]:
        if self._outside is None:
            self._outside = httpx.AsyncClient(trust_env=False, timeout=limits.PROXY_FORWARD_SECONDS)
        try:
            return await _relay(self._outside, method, url, headers, body)
        except httpx.HTTPError as exc:
            raise _RefusedError(502, f"send-api-emulator proxy: {url}: {exc}\n") from None


async def _relay(
    client: httpx.AsyncClient, method: bytes, url: str, headers: Headers, body: bytes
) -> tuple[int, Headers, bytes]:
    request = client.build_request(method.decode("ascii"), url, headers=headers, content=body)
    response = await client.send(request, stream=True)
    try:
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_raw():  # as sent: still compressed, if it was
            size += len(chunk)
            if size > limits.PROXY_BODY_MAX:
                raise _RefusedError(502, "send-api-emulator proxy: the answer is too large\n")
            chunks.append(chunk)
    finally:
        await response.aclose()
    answer = [
        (name, value) for name, value in response.headers.raw if name.lower() not in HOP_HEADERS
    ]
    return response.status_code, answer, b"".join(chunks)


async def _next_event(conn: h11.Connection, reader: asyncio.StreamReader) -> object:
    """h11's next event, reading more (within the idle bound) while it needs data."""
    while True:
        event = conn.next_event()
        if event is not h11.NEED_DATA:
            return event
        data = await asyncio.wait_for(reader.read(READ_CHUNK), limits.PROXY_IDLE_SECONDS)
        conn.receive_data(data)  # b"": the client closed


async def _read_body(
    conn: h11.Connection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> bytes:
    if conn.they_are_waiting_for_100_continue:
        writer.write(conn.send(h11.InformationalResponse(status_code=100, headers=[])))
    chunks: list[bytes] = []
    size = 0
    while True:
        event = await _next_event(conn, reader)
        if isinstance(event, h11.Data):
            size += len(event.data)
            if size > limits.PROXY_BODY_MAX:
                raise _RefusedError(413, "send-api-emulator proxy: the request body is too large\n")
            chunks.append(bytes(event.data))
        elif isinstance(event, h11.EndOfMessage):
            return b"".join(chunks)
        else:  # the client closed mid-body
            raise ConnectionError("client closed during the request body")


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy until end of stream, then pass the end on (half-close where the transport can)."""
    try:
        while data := await reader.read(READ_CHUNK):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    with contextlib.suppress(OSError, RuntimeError):
        if writer.can_write_eof():
            writer.write_eof()
        else:
            writer.close()


def _response(status: int, headers: Headers) -> h11.Response:
    reason = HTTPStatus(status).phrase.encode() if status in _KNOWN_STATUSES else b""
    return h11.Response(status_code=status, headers=headers, reason=reason)


_KNOWN_STATUSES = frozenset(status.value for status in HTTPStatus)


def _both_done(conn: h11.Connection) -> bool:
    """Whether the exchange ended cleanly, so the connection can carry another request."""
    return conn.our_state is h11.DONE and conn.their_state is h11.DONE


def _header(headers: Any, name: bytes) -> str | None:
    for key, value in headers:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _text(status: int, text: str) -> tuple[int, Headers, bytes]:
    return status, [(b"content-type", b"text/plain; charset=utf-8")], text.encode()
