"""One intercepted call, sent on to a test's emulator and answered back.

The call goes through the backend's own transports, so an in-process emulator needs no port
and a sidecar's call lands in the test's namespace (its Graph URL is the namespace's)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import httpx

from emulator.testing.backends import Backend

# Describe one connection, not the call: httpx sets them again for the emulator's URL and body.
_REQUEST_HOP = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "keep-alive", "te", "upgrade"}
)
# The body handed back is whole and decoded; each library counts it again.
_ANSWER_HOP = frozenset({"content-length", "transfer-encoding", "content-encoding", "connection"})
Timeouts = dict[str, float | None]


@dataclass(frozen=True)
class Answer:
    """The emulator's answer, as each library's response is built from it."""

    status: int
    reason: str
    headers: list[tuple[str, str]]  # with a content-length of `body`
    body: bytes


def host_pattern(hosts: Iterable[str]) -> re.Pattern[str]:
    """A URL on one of `hosts`, http or https, any port, path and query."""
    names = "|".join(re.escape(host) for host in hosts)
    return re.compile(rf"^https?://(?:{names})(?::\d+)?(?:[/?#]|$)", re.IGNORECASE)


def timeouts(connect: float | None, read: float | None) -> Timeouts:
    """httpx's `timeout` request extension."""
    return {"connect": connect, "read": read, "write": read, "pool": connect}


class Forwarder:
    """Sends calls meant for Graph to one emulator (a test's backend)."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend
        self.base = backend.url.rstrip("/")
        url = httpx.URL(backend.url)
        self.host, self.port = url.host, url.port  # its own calls must never be intercepted

    def request(
        self,
        method: str,
        target: str,
        headers: Iterable[tuple[str, str | bytes]],
        body: bytes,
        timeout: Timeouts | None = None,
    ) -> httpx.Request:
        """The call to the emulator: `target` is the Graph call's path and query."""
        path = target if target.startswith("/") else f"/{target}"
        kept = [
            (name, value.decode("latin-1") if isinstance(value, bytes) else value)
            for name, value in headers
            if name.lower() not in _REQUEST_HOP
        ]
        extensions = {"timeout": timeout} if timeout else {}
        return httpx.Request(
            method, self.base + path, headers=kept, content=body, extensions=extensions
        )

    def send(self, request: httpx.Request) -> Answer:
        response = self._backend.transport.handle_request(request)
        try:
            response.read()
        finally:
            response.close()
        return _answer(response)

    async def send_async(self, request: httpx.Request) -> Answer:
        response = await self._backend.async_transport.handle_async_request(request)
        try:
            await response.aread()
        finally:
            await response.aclose()
        return _answer(response)


def _answer(response: httpx.Response) -> Answer:
    body = response.content
    headers = [
        (name, value)
        for name, value in response.headers.multi_items()
        if name.lower() not in _ANSWER_HOP
    ]
    headers.append(("content-length", str(len(body))))
    return Answer(response.status_code, response.reason_phrase, headers, body)
