"""aiohttp calls to Graph answered by the emulator: an `aioresponses` mock whose callbacks
forward; any other URL passes through.

aioresponses stops aiohttp before it encodes the body, so the body is encoded here as aiohttp
would (json, form fields, multipart, bytes, text), with the content type aiohttp would send."""

from __future__ import annotations

import contextlib
import inspect
import json
import re
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, cast

import aiohttp
import httpx
from aiohttp import payload as payloads
from aioresponses import CallbackResult, aioresponses
from multidict import CIMultiDict
from yarl import URL

from emulator.testing.interception.forward import Forwarder, Timeouts, timeouts

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_WANTS_STREAM_WRITER = "stream_writer" in inspect.signature(aiohttp.ClientResponse).parameters


@contextlib.contextmanager
def intercepting(forwarder: Forwarder, pattern: re.Pattern[str]) -> Iterator[None]:
    with aioresponses(passthrough_unmatched=True) as mock:
        for method in METHODS:  # aioresponses matches one method per entry
            mock.add(pattern, method=method, callback=_callback(forwarder, method), repeat=True)
        yield


def _callback(forwarder: Forwarder, method: str) -> Callable[..., Awaitable[CallbackResult]]:
    async def forward(url: URL, **kwargs: Any) -> CallbackResult:
        headers: CIMultiDict[str] = CIMultiDict(kwargs.get("headers") or {})
        body = await _body(kwargs, headers)
        outgoing = forwarder.request(
            method, url.raw_path_qs, headers.items(), body, _timeouts(kwargs.get("timeout"))
        )
        try:
            answer = await forwarder.send_async(outgoing)
        except httpx.TimeoutException as exc:
            raise aiohttp.ServerTimeoutError(str(exc)) from exc
        except httpx.TransportError as exc:
            raise aiohttp.ClientConnectionError(str(exc)) from exc
        answer_headers: CIMultiDict[str] = CIMultiDict(answer.headers)
        return CallbackResult(
            method=method,
            status=answer.status,
            body=answer.body,
            content_type=answer_headers.get("content-type", "application/octet-stream"),
            headers=answer_headers,  # type: ignore[arg-type]  # a CIMultiDict keeps repeats
            reason=answer.reason,
            response_class=_Response,
        )

    return forward


async def _body(kwargs: dict[str, Any], headers: CIMultiDict[str]) -> bytes:
    """The body aiohttp would send for `json=` or `data=`; its content type is added to
    `headers` unless the caller gave one, as aiohttp does."""
    if kwargs.get("json") is not None:
        payload: payloads.Payload = payloads.JsonPayload(kwargs["json"], dumps=json.dumps)
    elif kwargs.get("data") is not None:
        data = kwargs["data"]
        data = data() if isinstance(data, aiohttp.FormData) else data
        try:
            payload = payloads.PAYLOAD_REGISTRY.get(data, disposition=None)
        except payloads.LookupError:
            payload = aiohttp.FormData(cast(Any, data))()  # fields, as aiohttp takes them
    else:
        return b""
    for name, value in payload.headers.items():
        headers.setdefault(name, value)
    sink = _Sink()
    await payload.write(sink)  # type: ignore[arg-type]  # all a payload asks of a writer
    return bytes(sink.data)


class _Response(aiohttp.ClientResponse):
    """aiohttp 3.14 wants a `stream_writer` that aioresponses (0.7.9) does not give it
    (pnuckowski/aioresponses#289); a response to a call never sent has written nothing."""

    def __init__(self, method: str, url: URL, **kwargs: Any) -> None:
        if _WANTS_STREAM_WRITER:
            kwargs.setdefault("stream_writer", _NothingWritten())
        super().__init__(method, url, **kwargs)


class _NothingWritten:
    output_size = 0


class _Sink:
    def __init__(self) -> None:
        self.data = bytearray()

    async def write(self, chunk: bytes | bytearray | memoryview) -> None:
        self.data += chunk


def _timeouts(timeout: Any) -> Timeouts | None:
    if not isinstance(timeout, aiohttp.ClientTimeout):
        return None  # not given, or the session's (aioresponses does not hand it over)
    connect = timeout.connect or timeout.sock_connect or timeout.total
    return timeouts(connect, timeout.sock_read or timeout.total)
