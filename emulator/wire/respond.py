"""Graph's answers on the wire: compact JSON with escaped slashes, and the real API's headers."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from emulator.rules import limits
from emulator.wire.errors import GraphError
from emulator.wire.ids import trace_ids

JSON_TYPE = "application/json; charset=UTF-8"
X_FB_REV = "1029384756"
EXPLAIN_REQUEST_HEADER = "x-emulator-explain"

_COMMON = {
    "content-type": JSON_TYPE,
    "access-control-allow-origin": "*",
    "pragma": "no-cache",
    "expires": "Sat, 01 Jan 2000 00:00:00 GMT",
    "x-fb-rev": X_FB_REV,
    "vary": "Accept-Encoding",
}
_SUCCESS = {**_COMMON, "cache-control": "private, no-cache, no-store, must-revalidate"}
_ERROR = {**_COMMON, "cache-control": "no-store"}


def graph_json(payload: Any) -> bytes:
    """Serialise as Graph does: compact, non-ASCII as \\uXXXX, `/` as `\\/`."""
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=True)
    return text.replace("/", "\\/").encode("ascii")


_SUCCESS_RAW = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in _SUCCESS.items()]


def success(payload: Any, version: str) -> Response:
    """A 200 with the real API's notable headers (the constant ones encoded once)."""
    fbtrace, trace, debug = trace_ids()
    body = graph_json(payload)
    response = Response(body, 200)
    response.raw_headers = [
        *_SUCCESS_RAW,
        (b"content-length", str(len(body)).encode("latin-1")),
        (b"facebook-api-version", version.encode("latin-1")),
        (b"x-fb-request-id", fbtrace.encode("latin-1")),
        (b"x-fb-trace-id", trace.encode("latin-1")),
        (b"x-fb-debug", debug.encode("latin-1")),
    ]
    return response


def error_body(error: GraphError, fbtrace_id: str) -> dict[str, Any]:
    """The `{"error": {...}}` envelope in the key order the real API uses."""
    spec = error.spec
    body: dict[str, Any] = {"message": error.message, "type": spec.type}
    if spec.is_transient is not None and spec.subcode is None:
        body["is_transient"] = spec.is_transient
        body["code"] = spec.code
    else:
        body["code"] = spec.code
        if spec.subcode is not None:
            body["error_subcode"] = spec.subcode
        if spec.is_transient is not None:
            body["is_transient"] = spec.is_transient
    body["fbtrace_id"] = fbtrace_id
    return {"error": body}


def failure(
    error: GraphError, version: str, explain: bool = False, status: int | None = None
) -> tuple[Response, dict[str, Any]]:
    """The error response, and its body for the journal."""
    fbtrace, trace, debug = trace_ids()
    body = error_body(error, fbtrace)
    headers = {
        **_ERROR,
        "facebook-api-version": version,
        "x-fb-request-id": fbtrace,
        "x-fb-trace-id": trace,
        "x-fb-debug": debug,
    }
    if error.spec.type == "OAuthException":
        headers["www-authenticate"] = www_authenticate(error)
    if explain:
        headers["x-emulator-rule"] = error.spec.key
        if error.path:
            headers["x-emulator-path"] = _header_safe(error.path)
    return Response(graph_json(body), status or error.spec.status, headers), body


def www_authenticate(error: GraphError) -> str:
    """`OAuth "Facebook Platform" "<kind>" "<message>"`, as Graph sends on OAuth errors."""
    code = error.spec.code
    kind = "invalid_token" if code == 190 else "unknown_error" if code == 1 else "invalid_request"
    if code == 803:
        kind = "not_found"
    message = _header_safe(error.message).replace('"', '\\"')
    return f'OAuth "Facebook Platform" "{kind}" "{message}"'


def _header_safe(text: str) -> str:
    """Header values are latin-1 on the wire and clients cap their length: keep them printable
    ASCII and short (user text may be echoed in an error message)."""
    if len(text) > limits.MAX_HEADER_TEXT:
        text = text[: limits.MAX_HEADER_TEXT - 3] + "..."
    return "".join(ch if " " <= ch <= "~" else "?" for ch in text)
