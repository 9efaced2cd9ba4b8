"""JSON as Graph reads it: strict. NaN, Infinity, overflowing numbers, lone UTF-16 surrogates
(`"\\ud800"`) and bytes that are not UTF-8 (raw surrogates `ED A0 80` included) are not text
Graph can take, and would poison everything that later writes the value back out (journal,
outbox, control API), so they make the document invalid.

Decoding is done once per document by `pydantic_core.from_json` (Rust, already installed with
pydantic): several times faster than `json.loads` with hooks. Keys are cached across documents
(they repeat), values are not (a receipt's are all different). It differs from `json` in a
few corners, which fall back to the standard library so that every answer stays as it was: it
refuses a byte-order mark and UTF-16/32 (json takes them), nesting over about 250 levels (json
takes up to about 1,000), and it reads `1e400` as infinity (json, with our hook, refuses it).
"""

from __future__ import annotations

import json
import math
from typing import Any

from pydantic_core import from_json

_INFINITIES = (math.inf, -math.inf)
_PLAIN = frozenset({str, int, bool})  # decoded values that are never null, infinite or nested


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number out of range: {text}")
    return value


# Built once: json.loads with hooks builds a decoder on every call.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite)


class TooDeepError(ValueError):
    """A document that decodes, but nests deeper than the limit it was read with; `root` is
    the type of its outermost value (dict or list)."""

    def __init__(self, message: str, root: type) -> None:
        super().__init__(message)
        self.root = root


def loads(data: str | bytes) -> Any:
    """Strict JSON (see the module docstring); ValueError for anything else, RecursionError
    (absurd nesting) included."""
    return loads_checked(data, 0)[0]


def loads_checked(data: str | bytes, max_depth: int) -> tuple[Any, bool]:
    """Decode strictly and walk the result once: whether it holds JSON nulls comes back with
    it, so callers need no second walk; TooDeepError if it nests deeper than `max_depth` (0: no
    limit; containers below the root count from 1)."""
    try:
        value = from_json(data, allow_inf_nan=False, cache_strings="keys")
    except ValueError:
        return _slow(data, max_depth)
    nulls = _walk(value, max_depth)
    if nulls is None:  # an overflowing number read as infinity: json words the refusal
        return _slow(data, max_depth)
    return value, nulls


def _slow(data: str | bytes, max_depth: int) -> tuple[Any, bool]:
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
    nulls = _walk(value, max_depth)
    assert nulls is not None  # the decoder refuses non-finite numbers itself
    return value, nulls


def _walk(value: Any, max_depth: int) -> bool | None:
    """One pass over the containers: whether there are nulls; TooDeepError beyond `max_depth`;
    None if a float is infinite. Iterative, so nesting cannot exhaust the stack."""
    if type(value) is not dict and type(value) is not list:
        return value is None
    nulls = False
    stack: list[tuple[Any, int]] = [(value, 1)]
    pop = stack.pop
    push = stack.append
    while stack:
        node, depth = pop()
        for child in node.values() if type(node) is dict else node:
            kind = type(child)
            if kind in _PLAIN:  # most values: nothing to look at
                continue
            if kind is dict or kind is list:
                if max_depth and depth > max_depth:
                    raise TooDeepError(f"nested more than {max_depth} levels deep", type(value))
                push((child, depth + 1))
            elif child is None:
                nulls = True
            elif child in _INFINITIES:  # what is left is a float
                return None
    return nulls


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
