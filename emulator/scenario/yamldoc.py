"""YAML scenarios: PyYAML (libyaml's parser when installed), imported only when a YAML document
is read, so a plain `serve` starts without it.

A document is walked as its parser's event stream before anything is built, and refused at the
first bound passed (`YamlWalk`): a flow sequence nested 500,000 deep, a billion laughs or a
base-60 integer of a megabyte costs a few events, not minutes. It is then parsed once: the node
tree (kept for the line numbers of problems) and the document built from it.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

from emulator.rules import limits
from emulator.scenario.bounds import BoundError
from emulator.scenario.load import SURROGATE, ScenarioError
from emulator.wire import jsontext

NUMBER_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})
# Every long int or float YAML 1.1 reads (1_000, 1:30:00 in base 60, 1.5e+3, 0x1F, 0b101) is
# written with these alone. A long plain scalar of them is refused without the resolver, whose
# regexes backtrack over it (a 1 MB one held the GIL 74 ms per regex).
_LONG_NUMBER = re.compile(r"[-+]?(?:0x[0-9a-fA-F_]+|0b[01_]+|[0-9_:.+\-eE]+)")


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


def _construct_mapping(loader: Any, node: yaml.MappingNode, deep: bool = False) -> Any:
    """Safe YAML refuses duplicate keys instead of silently keeping the last one."""
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


def _construct_object(loader: Any, node: yaml.Node, deep: bool = False) -> Any:
    """A scalar PyYAML cannot convert (2026-13-45, !!int 0x) is a problem on its line, not a
    ValueError from deep inside the constructor."""
    try:
        return _BASE.construct_object(loader, node, deep=deep)
    except (ValueError, OverflowError) as exc:
        shown = node.value if isinstance(node.value, str) else node.tag
        raise yaml.constructor.ConstructorError(
            None, None, f"cannot read {shown[:80]!r} as {node.tag}: {exc}", node.start_mark
        ) from None


# libyaml (C) when PyYAML was built with it: the same documents and errors, far faster
_BASE: Any = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
_Loader: Any = type("_Loader", (_BASE,), {"construct_object": _construct_object})
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse(text: str, label: str) -> tuple[yaml.Node | None, Any, int]:
    """The node tree, the document and how many values it holds; BoundError at the first bound
    passed, ScenarioError if it is not YAML."""
    try:
        values = check_yaml(text, _Loader)  # before anything is built
        root, document = _compose(text)
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f"line {mark.line + 1}, column {mark.column + 1}: "
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError([f"{label}: {where}invalid YAML: {problem}"]) from None
    except RecursionError:
        raise ScenarioError([f"{label}: invalid YAML: nested too deeply"]) from None
    except UnicodeEncodeError:  # libyaml reads UTF-8: a lone surrogate in the text
        raise ScenarioError([f"{label}: {SURROGATE}"]) from None
    if document is not None and not yaml.__with_libyaml__:  # libyaml refuses "\ud800" itself
        try:
            jsontext.check_text(document)
        except ValueError as exc:
            raise ScenarioError([f"{label}: {exc}"]) from None
    return root, document, values


def _compose(text: str) -> tuple[yaml.Node | None, Any]:
    """Parse once: the node tree (kept for line numbers), then the document built from it."""
    loader = _Loader(text)
    try:
        root: yaml.Node | None = loader.get_single_node()
        return root, (loader.construct_document(root) if root is not None else None)
    finally:
        loader.dispose()


def line_of(root: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The YAML line where the problem sits: the deepest node the path reaches."""
    node = root
    line = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == part), None)
            if match is None:
                key = next((k for k, _ in node.value if k.value == part), None)
                return (key.start_mark.line + 1) if key is not None else line
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
        else:
            break
        line = node.start_mark.line + 1
    return line
