"""JSON as Graph reads it: strict. NaN, Infinity, overflowing numbers, lone UTF-16 surrogates
(`"\\ud800"`) and bytes that are not UTF-8 (raw surrogates `ED A0 80` included) are not text
Graph can take, and would poison everything that later writes the value back out (journal,
outbox, control API), so they make the document invalid.

Decoding is done once per document by `pydantic_core.from_json` (Rust, already installed with
pydantic): several times faster than `json.loads` with hooks. It differs from `json` in a few
corners, which fall back to the standard library so that every answer stays as it was: it
refuses a byte-order mark and UTF-16/32 (json takes them), nesting over about 250 levels (json
takes up to about 1,000), and it reads `1e400` as infinity (json, with our hook, refuses it).
"""

from __future__ import annotations

import json
import math
from typing import Any

from pydantic_core import from_json

_INFINITIES = (math.inf, -math.inf)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number out of range: {text}")
    return value


# Built once: json.loads with hooks builds a decoder on every call.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite)


class Shape:
    """What one walk over a decoded document found: JSON nulls anywhere, and nesting deeper
    than the limit it was given (containers below the root count from 1)."""

    __slots__ = ("has_nulls", "too_deep")

    def __init__(self, has_nulls: bool, too_deep: bool) -> None:
        self.has_nulls = has_nulls
        self.too_deep = too_deep


def loads(data: str | bytes) -> Any:
    """Strict JSON (see the module docstring); ValueError for anything else, RecursionError
    (absurd nesting) included."""
    return loads_shaped(data, 0)[0]


def loads_shaped(data: str | bytes, max_depth: int) -> tuple[Any, Shape]:
    """Decode strictly and walk the result once: its nulls and whether it nests deeper than
    `max_depth` (0: no limit) come back with it, so callers need no second walk."""
    try:
        value = from_json(data, allow_inf_nan=False)
    except ValueError:
        return _slow(data, max_depth)
    shape = _walk(value, max_depth)
    if shape is None:  # an overflowing number read as infinity: json words the refusal
        return _slow(data, max_depth)
    return value, shape


def _slow(data: str | bytes, max_depth: int) -> tuple[Any, Shape]:
    """The standard library's reading (and its error messages), strict about UTF-8."""
    if isinstance(data, bytes):
        # as json.loads(bytes) decodes (a byte-order mark, UTF-16/32), but strictly: raw
        # surrogates are refused
        data = data.decode(json.detect_encoding(data))
    try:
        value = _DECODER.decode(data)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    if "\\u" in data:  # a lone surrogate can only come from an escape
        check_text(value)
    shape = _walk(value, max_depth)
    assert shape is not None  # the decoder refuses non-finite numbers itself
    return value, shape


def _walk(value: Any, max_depth: int) -> Shape | None:
    """One pass over the containers: nulls, depth beyond `max_depth`, and None if a float is
    infinite. Iterative, so nesting cannot exhaust the stack."""
    has_nulls = False
    too_deep = False
    stack: list[tuple[Any, int]] = [(value, 0)]
    pop = stack.pop
    push = stack.append
    while stack:
        node, depth = pop()
        if max_depth and depth > max_depth:
            too_deep = True
            break
        for child in node.values() if type(node) is dict else node if type(node) is list else ():
            kind = type(child)
            if kind is dict or kind is list:
                push((child, depth + 1))
            elif child is None:
                has_nulls = True
            elif kind is float and child in _INFINITIES:
                return None
    if value is None:
        has_nulls = True
    return Shape(has_nulls, too_deep)


def check_text(value: Any) -> None:
    """Raise ValueError if any string (key or value) is not encodable as UTF-8."""
    stack = [value]
    seen: set[int] = set()  # YAML aliases share (even recursive) containers: visit each once
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            _check_string(item)
        elif isinstance(item, dict | list):
            if id(item) in seen:
                continue
            seen.add(id(item))
            if isinstance(item, dict):
                for key, child in item.items():
                    if isinstance(key, str):
                        _check_string(key)
                    stack.append(child)
            else:
                stack.extend(item)


def _check_string(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("a string holds a lone UTF-16 surrogate: not UTF-8 text") from None
