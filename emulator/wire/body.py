"""Reading a request body within a size limit, without reading past it."""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.types import Receive


class Disconnected(Exception):  # noqa: N818 (an event, not an error)
    """The client went away before its request's body was in."""


async def read_rest(receive: Receive, first: bytes, limit: int) -> bytes | None:
    """The rest of a body straight from ASGI after its `first` chunk, joined to it, or None as
    soon as the whole is known to exceed `limit` (a chunked body)."""
    chunks = [first]
    size = len(first)
    if size > limit:
        return None
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise Disconnected()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def read_limited(stream: AsyncIterator[bytes], declared: str, limit: int) -> bytes | None:
    """The whole body, or None as soon as it is known to exceed `limit` (from the declared
    Content-Length, or while streaming a chunked body)."""
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in stream:
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)
