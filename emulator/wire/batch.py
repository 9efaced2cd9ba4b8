"""Graph batch requests: `POST /` with `batch=[{"method", "relative_url", "body"}, ...]`, and
the answer, an array of `{"code", "headers", "body"}` with each body a JSON string."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from emulator.rules import limits
from emulator.wire import catalog, jsontext
from emulator.wire.respond import graph_json

ENTRY_HEADERS = [{"name": "Content-Type", "value": "text/javascript; charset=UTF-8"}]


@dataclass(frozen=True, slots=True)
class BatchEntry:
    method: str
    path: str  # with a leading slash, without the query
    query: bytes
    body: bytes  # form-encoded, as Graph batch bodies are


def parse_batch(value: Any) -> list[BatchEntry]:
    """The batch parameter (a JSON string in a form, or an array in a JSON body)."""
    if isinstance(value, str):
        try:
            value = jsontext.loads(value)
        except ValueError:
            raise catalog.BATCH_INVALID(path="batch") from None
    if not isinstance(value, list) or not value:
        raise catalog.BATCH_INVALID(path="batch")
    if len(value) > limits.BATCH_MAX:
        raise catalog.BATCH_TOO_LARGE(path="batch", limit=limits.BATCH_MAX)
    entries = [_entry(item, index) for index, item in enumerate(value)]
    # each entry's parameters are read as a request's are: the batch, together, carries no
    # more than one request may (counted before any is decoded)
    pairs = sum(entry.query.count(b"&") + entry.body.count(b"&") + 2 for entry in entries)
    if pairs > limits.MAX_PARAMS:
        raise catalog.TOO_MANY_PARAMS(path="batch", limit=limits.MAX_PARAMS)
    return entries


def _entry(item: Any, index: int) -> BatchEntry:
    if not isinstance(item, dict):
        raise catalog.BATCH_INVALID(path=f"batch[{index}]")
    method, url = item.get("method"), item.get("relative_url")
    if not isinstance(method, str) or not isinstance(url, str) or not url.strip():
        raise catalog.BATCH_INVALID(path=f"batch[{index}]")
    path, _, query = url.strip().partition("?")
    body = item.get("body", "")
    if isinstance(body, dict):  # lenient: an object body is encoded as Graph encodes forms
        body = urlencode(
            {k: v if isinstance(v, str) else graph_json(v).decode() for k, v in body.items()}
        )
    if not isinstance(body, str):
        raise catalog.BATCH_INVALID(path=f"batch[{index}].body")
    return BatchEntry(
        method.upper(),
        "/" + path.lstrip("/"),
        query.encode("utf-8"),
        body.encode("utf-8"),
    )


def entry_answer(status: int, body: Any) -> dict[str, Any]:
    return {"code": status, "headers": ENTRY_HEADERS, "body": graph_json(body).decode("ascii")}
