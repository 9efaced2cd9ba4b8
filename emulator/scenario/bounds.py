"""Bounds on documents from outside (scenarios, control API bodies), checked before the costly
work: how deep they nest, how many values they hold, how many keys one mapping has, and for
YAML how many aliases there are, what they expand to, and how long a number is written.

JSON, which the decoder already bounds in depth, is walked once after decoding (here). YAML is
walked as its parser's event stream before anything is built (yamldoc.py, which imports PyYAML:
only YAML scenarios need it).
"""

from __future__ import annotations

from typing import Any

from emulator.rules import limits


class BoundError(ValueError):
    """A document past a bound. `path` is where (as `format_path` writes it: pages[0].users),
    `line` the YAML line (1-based) when known."""

    def __init__(self, message: str, path: tuple[Any, ...] = (), line: int | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.line = line


def check_document(document: Any) -> int:
    """A decoded document (JSON: no aliases, numbers already bounded by the decoder) within
    the depth, value and key bounds; BoundError with the path of the first one passed. Returns
    how many values it holds."""
    values = 1
    # (node, depth, where): `where` links back to the parent's, built into a path on refusal
    stack: list[tuple[Any, int, Any]] = [(document, 0, None)]
    while stack:
        node, depth, where = stack.pop()
        kind = type(node)
        if kind is not dict and kind is not list:
            continue
        if depth >= limits.DOCUMENT_MAX_DEPTH:
            raise BoundError(
                f"nested more than {limits.DOCUMENT_MAX_DEPTH} levels deep", _path(where)
            )
        if kind is dict and len(node) > limits.DOCUMENT_MAX_KEYS:
            raise BoundError(
                f"a mapping with more than {limits.DOCUMENT_MAX_KEYS} keys", _path(where)
            )
        values += len(node)
        if values > limits.DOCUMENT_MAX_VALUES:
            raise BoundError(f"more than {limits.DOCUMENT_MAX_VALUES} values", _path(where))
        items = node.items() if kind is dict else enumerate(node)
        stack.extend((child, depth + 1, (where, key)) for key, child in items)
    return values


def _path(where: Any) -> tuple[Any, ...]:
    parts: list[Any] = []
    while where is not None:
        where, key = where
        parts.append(key)
    return tuple(reversed(parts))
