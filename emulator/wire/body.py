"""Reading a request body within a size limit, without reading past it."""

from __future__ import annotations

from collections.abc import AsyncIterator


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
