"""One write per answer: the HTTP protocol's writes gathered and sent together.

uvicorn writes a response's head and its body in two calls to the transport, so a small answer
costs two `send` system calls, and the client reads two segments (TCP_NODELAY sends each at
once). That second write costs about a tenth of what a bare endpoint costs per request. Here the
protocol gets a transport that gathers what is written during one pass of the event loop and
writes it in one call at the start of the next: same bytes, same order, one system call.

Only the asyncio transport interface is relied on (`write`, `close`, the rest passed through),
and uvicorn's protocol classes are only subclassed to hand them that transport, through
`connection_made`, which is asyncio's own protocol interface. Where the import fails (another
uvicorn layout), `protocol_class` gives None and uvicorn's own class serves unchanged.
"""

from __future__ import annotations

import asyncio
from typing import Any


class GatheringTransport:
    """An asyncio transport whose writes are held until the loop's next pass, then written as
    one. Closing writes what is held first; everything else is the wrapped transport's."""

    __slots__ = ("_held", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._held: list[bytes] = []
        self._loop = loop

    def write(self, data: bytes | bytearray | memoryview) -> None:
        held = self._held
        if not held:
            self._loop.call_soon(self.flush)
        held.append(bytes(data) if type(data) is not bytes else data)

    def writelines(self, chunks: Any) -> None:
        for chunk in chunks:
            self.write(chunk)

    def flush(self) -> None:
        held = self._held
        if not held:
            return
        data = held[0] if len(held) == 1 else b"".join(held)
        self._held = []
        if not self._transport.is_closing():
            self._transport.write(data)

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(map(len, self._held))

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def abort(self) -> None:
        self._held = []
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def protocol_class(http: str) -> type[asyncio.Protocol] | None:
    """uvicorn's protocol for `http` ("httptools" or "h11"), writing each pass's output in one
    call; None when uvicorn's classes are not where expected (then uvicorn's own serve)."""
    base: type[Any]
    try:
        if http == "httptools":
            from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

            base = HttpToolsProtocol
        else:
            from uvicorn.protocols.http.h11_impl import H11Protocol

            base = H11Protocol
    except ImportError:
        return None

    class Gathering(base):  # type: ignore[misc]
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            loop = asyncio.get_running_loop()
            super().connection_made(GatheringTransport(transport, loop))  # type: ignore[arg-type]

    Gathering.__name__ = Gathering.__qualname__ = f"Gathering{base.__name__}"
    return Gathering
