"""Graph's answers on the wire: compact JSON with escaped slashes, and the real API's headers."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

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


# Response headers as ASGI sends them: (lower-case name, value) in latin-1.
Head = list[tuple[bytes, bytes]]


def _make_encoder() -> Callable[[Any], str]:
    """json.dumps(payload, separators=(",", ":"), ensure_ascii=True), built once: json.dumps
    makes a new encoder on every call, which costs more than encoding a small answer. Without
    the circular-reference check: what is encoded comes from JSON, which has no cycles."""
    encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # no C accelerator (another interpreter)
        return encoder.encode
    chunks = make(
        None, encoder.default, json.encoder.encode_basestring_ascii, None, ":", ",", False,
        False, True,
    )  # fmt: skip
    return lambda payload: "".join(chunks(payload, 0))


_encode = _make_encoder()


class Ids(dict[str, str]):
    """An answer made only of ids the emulator made or checked (a PSID's digits, a message
    id's base64url): nothing in it needs escaping, so it is written without the encoder."""

    __slots__ = ()


def graph_json(payload: Any) -> bytes:
    """Serialise as Graph does: compact, non-ASCII as \\uXXXX, `/` as `\\/`."""
    if type(payload) is Ids:
        return ("{" + ",".join([f'"{k}":"{v}"' for k, v in payload.items()]) + "}").encode()
    text = _encode(payload)
    return (text.replace("/", "\\/") if "/" in text else text).encode("ascii")


def _encoded(headers: dict[str, str]) -> Head:
    return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]


_SUCCESS_RAW = _encoded(_SUCCESS)
_ERROR_RAW = _encoded(_ERROR)


def success(payload: Any, version: str) -> tuple[bytes, Head]:
    """A 200's body and the real API's notable headers (everything but the length made
    before: the constant ones once, the version's once per version, the trace ids in batches)."""
    body = graph_json(payload)
    return body, [
        *_SUCCESS_RAW,
        (b"content-length", b"%d" % len(body)),
        _version_header(version),
        *trace_ids()[1],
    ]


_VERSIONS: dict[str, tuple[bytes, bytes]] = {}


def _version_header(version: str) -> tuple[bytes, bytes]:
    """A served version's header (versions are a fixed set: each made once)."""
    header = _VERSIONS.get(version)
    if header is None:
        header = _VERSIONS[version] = (b"facebook-api-version", version.encode("latin-1"))
    return header


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
    error: GraphError, version: str, explain: bool = False
) -> tuple[bytes, Head, dict[str, Any]]:
    """The error response's body and headers, and the body as an object for the journal."""
    fbtrace, trace_headers = trace_ids()
    shown = error_body(error, fbtrace)
    head = [*_ERROR_RAW, _version_header(version), *trace_headers]
    if error.spec.type == "OAuthException":
        head.append((b"www-authenticate", www_authenticate(error).encode("latin-1")))
    if explain:
        head.append((b"x-emulator-rule", error.spec.key.encode("latin-1")))
        if error.path:
            head.append((b"x-emulator-path", _header_safe(error.path).encode("latin-1")))
    body = graph_json(shown)
    head.append((b"content-length", str(len(body)).encode("latin-1")))
    return body, head, shown


def raw_reply(body: bytes, content_type: str) -> tuple[bytes, Head]:
    """A reply that is not Graph JSON (an injected HTML error page), as is."""
    return body, [
        (b"content-length", str(len(body)).encode("latin-1")),
        (b"content-type", content_type.encode("latin-1")),
    ]


def with_extra_headers(head: Head, extra: dict[str, str]) -> Head:
    """`head` with these set: a header already there takes the new value in its place."""
    head = list(head)
    for name, value in extra.items():
        key = name.lower().encode("latin-1")
        pair = (key, value.encode("latin-1"))
        for index, (existing, _) in enumerate(head):
            if existing == key:
                head[index] = pair
                break
        else:
            head.append(pair)
    return head


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
