"""httpx calls to Graph, sync and async, answered by the emulator: a respx router.

respx patches httpcore's connection pools, so every client on httpx's own transports is
covered (proxies and retries too); a client given another transport is left alone."""

from __future__ import annotations

import contextlib
from collections.abc import Coroutine, Iterator
from contextvars import ContextVar
from typing import Any

import httpx
import respx
from respx.models import AllMockedAssertionError

from emulator.testing.interception.forward import Answer, Forwarder

# respx calls a route's side effect the same way for sync and async clients; its async handler
# awaits what the side effect answers, so tell the side effect which one it is in.
_IN_ASYNC: ContextVar[bool] = ContextVar("send_api_intercept_async", default=False)


class GraphRouter(respx.MockRouter):
    """Graph's hosts go to the emulator; the emulator's own address and other hosts pass
    through, unless the test started respx mocks of its own: those get the other hosts."""

    def __init__(self, forwarder: Forwarder, hosts: tuple[str, ...]) -> None:
        super().__init__(assert_all_called=False, assert_all_mocked=True)
        self._forwarder = forwarder
        self._hosts = frozenset(host.lower() for host in hosts)
        # the helper's control calls and this forwarding, in server and sidecar modes
        if forwarder.port is None:
            self.route(host=forwarder.host).pass_through()
        else:
            self.route(host=forwarder.host, port=forwarder.port).pass_through()
        self.route(host__in=tuple(hosts)).mock(side_effect=self._forward)
        self.route().pass_through()

    def handler(self, request: httpx.Request) -> httpx.Response:
        self._leave_to_others(request)
        return super().handler(request)

    async def async_handler(self, request: httpx.Request) -> httpx.Response:
        self._leave_to_others(request)
        token = _IN_ASYNC.set(True)
        try:
            return await super().async_handler(request)
        finally:
            _IN_ASYNC.reset(token)

    def _leave_to_others(self, request: httpx.Request) -> None:
        host = request.url.host
        if host in self._hosts or (host, request.url.port) == (
            self._forwarder.host,
            self._forwarder.port,
        ):
            return
        if self.Mocker is not None and any(other is not self for other in self.Mocker.routers):
            raise AllMockedAssertionError(f"not Graph: {request!r}")  # respx tries the next

    def _forward(
        self, request: httpx.Request
    ) -> httpx.Response | Coroutine[Any, Any, httpx.Response]:
        outgoing = self._forwarder.request(
            request.method,
            request.url.raw_path.decode("ascii"),
            request.headers.multi_items(),
            request.content,
            request.extensions.get("timeout"),
        )
        if _IN_ASYNC.get():
            return self._forward_async(outgoing, request)
        return _response(self._forwarder.send(outgoing), request)

    async def _forward_async(
        self, outgoing: httpx.Request, request: httpx.Request
    ) -> httpx.Response:
        return _response(await self._forwarder.send_async(outgoing), request)


def _response(answer: Answer, request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        answer.status,
        headers=answer.headers,
        content=answer.body,
        request=request,
        extensions={"reason_phrase": answer.reason.encode("ascii", "replace")},
    )


@contextlib.contextmanager
def intercepting(forwarder: Forwarder, hosts: tuple[str, ...]) -> Iterator[None]:
    with GraphRouter(forwarder, hosts):
        yield
