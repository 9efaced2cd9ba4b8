"""JSON as Graph reads it: strict. NaN, Infinity, overflowing numbers and lone UTF-16
surrogates (`"\\ud800"`) are not text Graph can take, and would poison everything that later
writes the value back out (journal, outbox, control API), so they make the document invalid."""

from __future__ import annotations

import json
import math
import re
from typing import Any

# A lone surrogate can only come from a \\uD800-\\uDFFF escape; only then is the walk needed.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number out of range: {text}")
    return value


def loads(data: str | bytes) -> Any:
    """json.loads that raises ValueError for what is not JSON text (see module docstring).

    RecursionError (absurd nesting) is reported as ValueError too."""
    try:
        value = json.loads(data, parse_constant=_reject_constant, parse_float=_finite)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if _SURROGATE_ESCAPE.search(raw):
        check_text(value)
    return value


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
