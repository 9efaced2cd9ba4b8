"""One write per answer (emulator/onewrite.py): what a pass writes reaches the socket as one
call, in order, and nothing is lost when the connection closes; over real HTTP, keep-alive,
pipelining and `Connection: close` answer exactly as before."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import socket
from typing import Any

import pytest

from emulator import serving
from emulator.onewrite import GatheringTransport, protocol_class


class FakeTransport:
    """Records the writes the wrapped transport passes on."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False
        self.aborted = False

    def write(self, data: bytes) -> None:
        assert not self.closed, "written after close"
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = self.closed = True

    def write_eof(self) -> None:
        self.writes.append(b"<eof>")

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 1)}.get(name, default)


def gathered() -> tuple[GatheringTransport, FakeTransport, asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    inner = FakeTransport()
    return GatheringTransport(inner, loop), inner, loop  # type: ignore[arg-type]


def next_pass(loop: asyncio.AbstractEventLoop) -> None:
    loop.run_until_complete(asyncio.sleep(0))


def test_writes_of_one_pass_reach_the_socket_as_one_call_in_order() -> None:
    transport, inner, loop = gathered()
    try:
        transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
        transport.write(bytearray(b"{}"))
        transport.writelines([b"a", memoryview(b"b")])
        assert inner.writes == []  # held until the loop's next pass
        assert transport.get_write_buffer_size() == 23
        next_pass(loop)
        assert inner.writes == [b"HTTP/1.1 200 OK\r\n\r\n{}ab"]
        transport.write(b"next")
        next_pass(loop)
        assert inner.writes[1:] == [b"next"]
    finally:
        loop.close()


@pytest.mark.parametrize(
    ("end", "expected_writes", "closed"),
    [
        ("close", [b"held"], True),  # what was held goes out before the close
        ("write_eof", [b"held", b"<eof>"], False),
        ("abort", [], True),  # abort drops what is pending, as asyncio's does
    ],
)
def test_ending_a_connection_keeps_what_was_written(
    end: str, expected_writes: list[bytes], closed: bool
) -> None:
    transport, inner, loop = gathered()
    try:
        transport.write(b"held")
        getattr(transport, end)()
        next_pass(loop)  # the scheduled pass writes nothing twice, nor after a close
        assert inner.writes == expected_writes
        assert inner.closed is closed
    finally:
        loop.close()


def test_a_transport_closed_by_the_peer_is_not_written_to() -> None:
    transport, inner, loop = gathered()
    try:
        transport.write(b"late")
        inner.closed = True  # connection_lost before the pass
        next_pass(loop)
        assert inner.writes == []
    finally:
        loop.close()


def test_everything_else_is_the_wrapped_transport() -> None:
    transport, _, loop = gathered()
    try:
        assert transport.get_extra_info("peername") == ("127.0.0.1", 1)
        assert transport.is_closing() is False
    finally:
        loop.close()


@pytest.mark.skipif(importlib.util.find_spec("httptools") is None, reason="httptools absent")
def test_the_server_is_configured_with_the_gathering_protocol() -> None:
    # fails visibly if a uvicorn release moves its protocol classes (then the fallback serves)
    config = serving.config(lambda scope, receive, send: None)  # type: ignore[arg-type,return-value]
    assert isinstance(config.http, type)
    assert config.http.__name__ == "GatheringHttpToolsProtocol"
    assert protocol_class("h11") is not None


def raw_exchange(url: str, request: bytes) -> bytes:
    """Send raw bytes and read until the server closes the connection."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def post(path: str, body: dict[str, Any], close: bool = False) -> bytes:
    data = json.dumps(body).encode()
    connection = "Connection: close\r\n" if close else ""
    return (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\n{connection}\r\n"
    ).encode() + data


def test_pipelined_requests_on_one_connection_are_answered_in_order(live: str) -> None:
    # three requests in one packet, the last closing: three whole answers, in order
    requests = [
        post("/v21.0/me/messages?access_token=bad", {"recipient": {"id": "1"}}),
        post("/_emulator/health", {}),
        post("/v21.0/me/messages", {}, close=True),
    ]
    rest = raw_exchange(live, b"".join(requests))
    answers = []
    while rest:  # each answer: its head, then exactly Content-Length bytes of JSON
        head, rest = rest.split(b"\r\n\r\n", 1)
        length = int(head.lower().split(b"content-length: ", 1)[1].split(b"\r\n", 1)[0])
        body, rest = rest[:length], rest[length:]
        answers.append((head.split(b"\r\n", 1)[0], json.loads(body)))
    assert [status for status, _ in answers] == [
        b"HTTP/1.1 400 Bad Request",
        b"HTTP/1.1 405 Method Not Allowed",
        b"HTTP/1.1 400 Bad Request",
    ]
    assert answers[0][1]["error"]["code"] == 190  # the bad token
    assert answers[2][1]["error"]["code"] == 2500  # no token at all
