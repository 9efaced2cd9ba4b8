"""requests calls to Graph answered by the emulator: a `responses` mock whose callbacks
forward; any other URL goes on as it would have (to whatever send was in place before)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

import httpx
import requests
import responses
from requests.adapters import HTTPAdapter

from emulator.testing.interception.forward import Forwarder, Timeouts, timeouts

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_EVERYTHING_ELSE = re.compile(r".*", re.DOTALL)
Reply = tuple[int, Any, bytes]  # headers as a list of pairs: responses takes one, keeps repeats


@contextlib.contextmanager
def intercepting(forwarder: Forwarder, pattern: re.Pattern[str]) -> Iterator[None]:
    # HTTPAdapter.send as it is now: a responses mock started before this one keeps working
    before: Any = HTTPAdapter.send
    mock = responses.RequestsMock(assert_all_requests_are_fired=False, real_adapter_send=before)

    def forward(request: requests.PreparedRequest) -> Reply:
        outgoing = forwarder.request(
            request.method or "GET",
            request.path_url,
            request.headers.items(),
            _body(request.body),
            _timeouts(getattr(request, "req_kwargs", {}).get("timeout")),
        )
        try:
            answer = forwarder.send(outgoing)
        except httpx.TimeoutException as exc:
            raise requests.exceptions.Timeout(str(exc), request=request) from exc
        except httpx.TransportError as exc:
            raise requests.exceptions.ConnectionError(str(exc), request=request) from exc
        return answer.status, answer.headers, answer.body

    for method in METHODS:
        mock.add_callback(method, pattern, callback=forward, content_type=None)
    mock.add_passthru(_EVERYTHING_ELSE)  # consulted only when no callback matched
    with mock:
        yield


def _body(body: Any) -> bytes:
    """A prepared body: None, str, bytes, or the chunks of a generator (a streamed upload;
    responses has already read file-like ones)."""
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    return b"".join(chunk.encode("utf-8") if isinstance(chunk, str) else chunk for chunk in body)


def _timeouts(timeout: Any) -> Timeouts | None:
    """requests' timeout: seconds, (connect, read), or urllib3's Timeout."""
    if timeout is None:
        return None
    if isinstance(timeout, tuple):
        return timeouts(timeout[0], timeout[1])
    if isinstance(timeout, int | float):
        return timeouts(timeout, timeout)
    connect = getattr(timeout, "connect_timeout", None)
    read = getattr(timeout, "read_timeout", None)
    return timeouts(*(t if isinstance(t, int | float) else None for t in (connect, read)))
