"""Bounds on documents from outside (scenarios, control API bodies), checked before the costly
work: how deep they nest, how many values they hold, how many keys one mapping has, and for
YAML how many aliases there are, what they expand to, and how long a number is written.

YAML is walked as its parser's event stream (libyaml's when installed), which stops at the first
bound passed: before PyYAML composes or constructs anything, so a flow sequence nested 500,000
deep, a billion laughs or a base-60 integer of a megabyte costs a few events, not minutes. JSON,
which the decoder already bounds in depth, is walked once after decoding.
"""

from __future__ import annotations

import re
from typing import Any

from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

from emulator.rules import limits

NUMBER_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})
# Every long int or float YAML 1.1 reads (1_000, 1:30:00 in base 60, 1.5e+3, 0x1F, 0b101) is
# written with these alone. A long plain scalar of them is refused without the resolver, whose
# regexes backtrack over it (a 1 MB one held the GIL 74 ms per regex).
_LONG_NUMBER = re.compile(r"[-+]?(?:0x[0-9a-fA-F_]+|0b[01_]+|[0-9_:.+\-eE]+)")


class BoundError(ValueError):
    """A document past a bound. `path` is where (as `format_path` writes it: pages[0].users),
    `line` the YAML line (1-based) when known."""

    def __init__(self, message: str, path: tuple[Any, ...] = (), line: int | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.line = line


class _Open:
    """A collection being read: its anchor, the values counted before it, its items so far
    and, for a mapping, the key being read (for the path of a problem)."""

    __slots__ = ("anchor", "before", "items", "key", "mapping")

    def __init__(self, anchor: str | None, before: int, mapping: bool) -> None:
        self.anchor = anchor
        self.before = before
        self.mapping = mapping
        self.items = 0
        self.key: Any = None


class YamlWalk:
    """Feed the parser's events; BoundError at the first bound passed."""

    def __init__(self) -> None:
        self.values = 0  # aliases count as every value they expand to
        self.aliases = 0
        self.open: list[_Open] = []
        self.sizes: dict[str, int] = {}  # anchor -> values it expands to, once complete

    def run(self, loader: Any) -> None:
        """Walk every event of `loader` (a PyYAML loader over the text)."""
        while loader.check_event():
            self.event(loader.get_event())

    def event(self, event: Any) -> None:
        kind = type(event)
        if kind is ScalarEvent:
            self._value(event, 1)
            self._number(event)
            if event.anchor is not None:
                self.sizes[event.anchor] = 1
            parent = self.open[-1] if self.open else None
            if parent is not None and parent.mapping and parent.items % 2:
                parent.key = event.value  # a key: the path of what follows goes through it
        elif kind is SequenceStartEvent or kind is MappingStartEvent:
            self._value(event, 1)
            if len(self.open) >= limits.DOCUMENT_MAX_DEPTH:
                raise self._too_large(
                    event, f"nested more than {limits.DOCUMENT_MAX_DEPTH} levels deep"
                )
            self.open.append(_Open(event.anchor, self.values - 1, kind is MappingStartEvent))
        elif kind is SequenceEndEvent or kind is MappingEndEvent:
            done = self.open.pop()
            if done.anchor is not None:
                self.sizes[done.anchor] = self.values - done.before
        elif kind is AliasEvent:
            self.aliases += 1
            if self.aliases > limits.YAML_MAX_ALIASES:
                raise self._too_large(
                    event, f"more than {limits.YAML_MAX_ALIASES} YAML aliases (*name)"
                )
            recursive = any(item.anchor == event.anchor for item in self.open)
            # an unknown anchor counts 1: the composer refuses it
            self._value(event, 1 if recursive else self.sizes.get(event.anchor, 1))
            if recursive:
                raise self._too_large(
                    event, f"the alias *{event.anchor} is inside its own anchor: a recursive "
                    "structure, which a scenario cannot be",
                )  # fmt: skip

    def _value(self, event: Any, weight: int) -> None:
        """Count a value (an alias: all it expands to) as an item of its parent."""
        if self.open:
            parent = self.open[-1]
            parent.items += 1
            if parent.mapping and parent.items > 2 * limits.DOCUMENT_MAX_KEYS:
                raise self._too_large(
                    event, f"a mapping with more than {limits.DOCUMENT_MAX_KEYS} keys"
                )
        self.values += weight
        if self.values > limits.DOCUMENT_MAX_VALUES:
            raise self._too_large(
                event,
                f"more than {limits.DOCUMENT_MAX_VALUES} values (collections and scalars, "
                "YAML aliases expanded)",
            )

    def _number(self, event: Any) -> None:
        """A long int or float is refused before PyYAML converts it (base 60 is quadratic; a
        million digits passes Python's int limit). A long plain scalar that only looks like one
        (1.2.3...) is refused too: quoting makes it text."""
        value: str = event.value
        if len(value) <= limits.DOCUMENT_NUMBER_MAX_CHARS:
            return
        if event.tag in (None, "!"):  # no tag given: plain scalars may be numbers
            if not (event.implicit[0] and _LONG_NUMBER.fullmatch(value)):
                return
        elif event.tag not in NUMBER_TAGS:
            return
        raise self._too_large(
            event,
            f"a number written with {len(value)} characters (at most "
            f"{limits.DOCUMENT_NUMBER_MAX_CHARS}; quote it if it is text)",
        )

    def _too_large(self, event: Any, message: str) -> BoundError:
        path: list[Any] = []
        for item in self.open:
            if not item.mapping:
                path.append(item.items - 1)
            elif item.items % 2 == 0 and item.key is not None:  # in (or at) a key's value
                path.append(item.key)
        mark = event.start_mark
        return BoundError(message, tuple(path), mark.line + 1 if mark is not None else None)


def check_yaml(text: str, loader_class: Any) -> int:
    """Walk `text`'s YAML events with `loader_class` (a PyYAML loader); BoundError at the first
    bound passed, yaml.YAMLError if it is not YAML. Returns how many values it holds (aliases
    expanded)."""
    loader = loader_class(text)
    walk = YamlWalk()
    try:
        walk.run(loader)
    finally:
        loader.dispose()
    return walk.values


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
