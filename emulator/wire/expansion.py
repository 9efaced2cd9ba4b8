"""Graph's field expansion: `fields=participants,messages.limit(2){message,from},updated_time`.

A list of names separated by commas; each name may carry modifiers (`.limit(2)`) and a nested
list in braces, in either order. Refused as Graph refuses it: code 2500 `Syntax error "…" at
character N: <fields>` (N counts from 0). Bounded before anything is built: the text's length,
the nesting depth and the number of names (FIELDS_* in rules/limits).
"""

from __future__ import annotations

from dataclasses import dataclass

from emulator.rules import limits
from emulator.wire import catalog

MODIFIERS = ("limit",)  # the one modifier these edges take


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    limit: int | None = None  # .limit(n)
    children: tuple[Field, ...] | None = None  # {…}; None when not given


def parse_fields(value: object) -> tuple[Field, ...]:
    """The requested fields, in order, each name once (the first wins); () when none given."""
    if value is None:
        return ()
    text = ",".join(str(item) for item in value) if isinstance(value, list) else str(value)
    if len(text) > limits.FIELDS_TEXT_MAX:
        raise catalog.FIELDS_TOO_COMPLEX(path="fields")
    if not text.strip():
        return ()
    parser = _Parser(text)
    fields = parser.list(0)
    parser.skip()
    if parser.at < len(text):  # a `}` with no `{`, or text after a complete list
        raise catalog.FIELDS_UNEXPECTED(
            path="fields", got=text[parser.at], position=parser.at, fields=text
        )
    return fields


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0
        self.names = 0

    def skip(self) -> None:
        while self.at < len(self.text) and self.text[self.at] in " \t\r\n":
            self.at += 1

    def peek(self) -> str:
        self.skip()
        return self.text[self.at] if self.at < len(self.text) else ""

    def list(self, depth: int) -> tuple[Field, ...]:
        if depth >= limits.FIELDS_DEPTH_MAX:
            raise catalog.FIELDS_TOO_COMPLEX(path="fields")
        fields: dict[str, Field] = {}
        while True:
            field = self.field(depth)
            fields.setdefault(field.name, field)
            if self.peek() != ",":
                return tuple(fields.values())
            self.at += 1

    def field(self, depth: int) -> Field:
        name = self.name()
        self.names += 1
        if self.names > limits.FIELDS_ENTRIES_MAX:
            raise catalog.FIELDS_TOO_COMPLEX(path="fields")
        limit: int | None = None
        children: tuple[Field, ...] | None = None
        while True:
            mark = self.peek()
            if mark == ".":
                self.at += 1
                limit = self.modifier(name)
            elif mark == "{" and children is None:
                self.at += 1
                children = self.list(depth + 1)
                self.expect("}")
            else:
                return Field(name, limit, children)

    def name(self) -> str:
        self.skip()
        start = self.at
        text = self.text
        if start < len(text) and (
            text[start].isascii() and (text[start].isalpha() or text[start] == "_")
        ):
            end = start + 1
            while (
                end < len(text)
                and text[end].isascii()
                and (text[end].isalnum() or text[end] == "_")
            ):
                end += 1
            self.at = end
            return text[start:end]
        raise catalog.FIELDS_SYNTAX(path="fields", position=start, fields=text)

    def modifier(self, field: str) -> int:
        name = self.name()
        self.expect("(")
        close = self.text.find(")", self.at)
        if close < 0:
            self.at = len(self.text)
            self.expect(")")
        argument = self.text[self.at : close].strip()
        self.at = close + 1
        if name not in MODIFIERS or not argument.isdigit() or not argument.isascii():
            raise catalog.FIELDS_MODIFIER(
                path="fields", modifier=f"{name}({argument[:40]})", field=field
            )
        return int(argument[:9])  # a 9-digit limit is already past every page size

    def expect(self, char: str) -> None:
        if self.peek() == char:
            self.at += 1
            return
        got = f'"{self.text[self.at]}"' if self.at < len(self.text) else "end of string"
        raise catalog.FIELDS_EXPECTED(
            path="fields", expected=char, got=got, position=self.at, fields=self.text
        )
