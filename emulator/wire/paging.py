"""Graph's cursor paging, for any edge that lists things (personas, conversations, messages).

`paginate` cuts one page out of a list, oldest-to-newest or in whatever order the edge lists,
as Graph's cursor paging does: `limit` items (default 25), after the item named by `after`,
or the last `limit` before the one named by `before`. The answer's envelope is
`{"data": [...], "paging": {"cursors": {"before", "after"}, "next"?, "previous"?}}`; an empty
page is `{"data": []}`. Cursors are opaque base64url strings like Graph's (`QVFI…`) that name
an item by its key; `next`/`previous` are given when a `url` is (Graph's full URLs, with the
caller's query parameters carried over).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from emulator.rules import limits

T = TypeVar("T")
GRAPH_URL = "https://graph.facebook.com"
_HOST = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")
_PREFIX = b"AQH"  # what Graph's cursors decode to begin with ("QVFI" in base64)


def cursor(key: str) -> str:
    """The opaque cursor naming the item with this key."""
    return base64.urlsafe_b64encode(_PREFIX + key.encode()).decode("ascii").rstrip("=")


def cursor_key(text: object) -> str | None:
    """The key a cursor names, or None when it is not one of ours."""
    if not isinstance(text, str) or not text or len(text) > limits.PAGING_CURSOR_MAX:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    if not raw.startswith(_PREFIX):
        return None
    try:
        return raw[len(_PREFIX) :].decode()
    except UnicodeDecodeError:
        return None


def page_limit(value: object, default: int = limits.PAGING_DEFAULT_LIMIT) -> int:
    """`limit` as Graph reads it: a positive integer (also as a string), at most the maximum;
    anything else is the default."""
    if isinstance(value, bool):
        return default
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or value < 1:
        return default
    return min(value, limits.PAGING_MAX_LIMIT)


def paginate(
    items: Sequence[T],
    key: Callable[[T], str],
    values: Mapping[str, Any],
    *,
    url: str | None = None,
    carry: Mapping[str, Any] | None = None,
    default_limit: int = limits.PAGING_DEFAULT_LIMIT,
) -> tuple[list[T], dict[str, Any] | None]:
    """One page of `items` for the request's `limit`, `after` and `before` (in `values`), and
    its `paging` object (None for an empty page). A cursor that names no item (a deleted one,
    or not a cursor at all) gives an empty page."""
    size = page_limit(values.get("limit"), default_limit)
    keys = [key(item) for item in items]
    start, end = 0, min(size, len(items))
    if values.get("after") is not None:
        found = _position(keys, values.get("after"))
        if found is None:
            return [], None
        start, end = found + 1, min(found + 1 + size, len(items))
    elif values.get("before") is not None:
        found = _position(keys, values.get("before"))
        if found is None:
            return [], None
        start, end = max(found - size, 0), found
    chosen = list(items[start:end])
    if not chosen:
        return [], None
    first, last = cursor(keys[start]), cursor(keys[end - 1])
    paging: dict[str, Any] = {"cursors": {"before": first, "after": last}}
    if url is not None:
        kept = {
            name: value
            for name, value in (carry or {}).items()
            if isinstance(value, str) and name not in ("limit", "after", "before")
        }
        if end < len(items):
            paging["next"] = f"{url}?{urlencode({**kept, 'limit': size, 'after': last})}"
        if start > 0:
            paging["previous"] = f"{url}?{urlencode({**kept, 'limit': size, 'before': first})}"
    return chosen, paging


def graph_base(scope: Mapping[str, Any] | None) -> str:
    """Where this request reached the Graph surface (`http://127.0.0.1:8787`, or
    `https://graph.facebook.com` when intercepted): the base of the `next` and `previous` URLs,
    so a client following them stays with the emulator. Graph's own host when unknown."""
    if scope is None:
        return GRAPH_URL
    host = next((value for name, value in scope.get("headers", ()) if name == b"host"), b"")
    text = host.decode("latin-1")
    if not text or len(text) > 255 or not _HOST.fullmatch(text):
        return GRAPH_URL
    return f"{scope.get('scheme', 'http')}://{text}{scope.get('root_path', '')}"


def envelope(data: list[Any], paging: dict[str, Any] | None) -> dict[str, Any]:
    """Graph's list answer: `{"data": [...], "paging": {...}}`, or `{"data": []}`."""
    return {"data": data, "paging": paging} if paging is not None else {"data": data}


def _position(keys: list[str], text: object) -> int | None:
    wanted = cursor_key(text)
    if wanted is None:
        return None
    try:
        return keys.index(wanted)
    except ValueError:
        return None
