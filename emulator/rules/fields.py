"""A small declarative checker for message content: objects, arrays, strings, numbers, enums.

Templates, buttons and attachments are described as `Field` specs (see templates.py and
buttons.py); `check_object` walks a value against them and raises the first broken rule as
the catalog error Graph gives, naming the field the way Graph does
(`name_placeholder[elements][0][title]`). The same specs feed the rule ledger and the
generated boundary tests, so a limit is written once.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from emulator.rules.quickcheck import object_predicate
from emulator.wire import catalog
from emulator.wire.errors import ErrorSpec, GraphError
from emulator.wire.ids import is_numeric_id

Kind = Literal["str", "num", "bool", "url", "enum", "obj", "arr", "id", "any"]
Check = Callable[[Any, "Where"], None]

_URL = re.compile(r"https?://[^\s/$.?#][^\s]*", re.IGNORECASE)
_NUMBER_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?")


class Where:
    """Where a value sits: Graph's bracket name (`name_placeholder[elements][0]`) and the JSON
    path the journal shows (`message.attachment.payload.elements[0]`), built only when needed."""

    __slots__ = ("_key", "_param", "_parent", "_path")

    def __init__(
        self, parent: Where | None, key: str | int, param: str = "", path: str = ""
    ) -> None:
        self._parent = parent
        self._key = key
        self._param = param
        self._path = path

    @classmethod
    def root(cls, param: str, path: str) -> Where:
        return cls(None, "", param, path)

    def __truediv__(self, key: str | int) -> Where:
        return Where(self, key)

    def move_to(self, key: str | int) -> None:
        """The next sibling's position (an array's next element), in place."""
        self._key = key
        self._param = self._path = ""

    @property
    def param(self) -> str:
        if not self._param and self._parent is not None:
            self._param = f"{self._parent.param}[{self._key}]"
        return self._param

    @property
    def path(self) -> str:
        if not self._path and self._parent is not None:
            parent = self._parent.path
            key = self._key
            self._path = f"{parent}[{key}]" if isinstance(key, int) else f"{parent}.{key}"
        return self._path

    def fail(self, spec: ErrorSpec, **fields: object) -> GraphError:
        return spec(path=self.path, param=self.param, **fields)


@dataclass(frozen=True, slots=True)
class Field:
    """One documented field: its kind, whether it is required, and its limits."""

    name: str
    kind: Kind = "str"
    required: bool = False
    max_len: int | None = None
    min_len: int | None = None
    choices: tuple[str, ...] = ()  # enum values, matched in any case
    fields: tuple[Field, ...] = ()  # an object's fields, or each array item's
    item: Kind = "obj"  # what an array holds
    min_items: int = 0
    max_items: int | None = None
    empty_error: ErrorSpec = catalog.ARRAY_EMPTY  # an empty array when min_items > 0
    missing_error: ErrorSpec | None = None  # instead of FIELD_REQUIRED
    empty_string_error: ErrorSpec | None = None  # "" instead of FIELD_NOT_STRING
    allow_empty: bool = False  # "" is a value (the seed's receipt sends "street_2": "")
    check: Check | None = None  # a rule of its own, on the value (each item, for arrays)
    # `check` as a yes-or-no question, true only for values it takes: lets the object holding
    # the field be taken at once when all is valid (quickcheck.py)
    accepts: Callable[[Any], bool] | None = None
    source: str = ""
    by_name: Mapping[str, Field] = field(init=False, repr=False, compare=False)
    item_spec: Field | None = field(init=False, repr=False, compare=False)
    # (name, checker, spec, required) per field: what check_object does for each, looked up
    # once (a 100-item receipt checks 600 fields)
    plan: tuple[tuple[str, _Checker, Field, bool], ...] = field(
        init=False, repr=False, compare=False
    )
    # for an object (or each element of an array of objects): true only if every field is
    # valid and no other is there (quickcheck.py); None when that cannot be told at once
    quick: Callable[[Any], bool] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})
        scalar_items = self.kind == "arr" and self.item != "obj"
        item = (
            Field(self.name, self.item, check=self.check, accepts=self.accepts)
            if scalar_items
            else None
        )
        object.__setattr__(self, "item_spec", item)
        plan = tuple((f.name, _quick(f), f, f.required) for f in self.fields)
        object.__setattr__(self, "plan", plan)
        has_fields = self.kind == "obj" or (self.kind == "arr" and self.item == "obj")
        quick = object_predicate(self, _URL) if has_fields else None
        object.__setattr__(self, "quick", quick)


def check_object(value: Any, spec: Field, where: Where) -> dict[str, Any]:
    """The value is an object with only the spec's fields, each valid."""
    quick = spec.quick
    if quick is not None and quick(value):  # all valid: nothing to word
        if spec.check is not None:
            spec.check(value, where)
        return value  # type: ignore[no-any-return]  # the predicate is true only for a dict
    if not isinstance(value, dict):
        raise where.fail(catalog.FIELD_NOT_OBJECT)
    known = spec.by_name
    if not known.keys() >= value.keys():
        unknown = [key for key in value if key not in known]
        raise catalog.INVALID_KEYS(
            path=f"{where.path}.{unknown[0]}", keys=", ".join(unknown), param=where.param
        )
    for name, checker, child, required in spec.plan:
        item = value.get(name)
        if item is None:
            if required:
                raise (where / name).fail(child.missing_error or catalog.FIELD_REQUIRED)
            continue
        checker(item, child, where, name)
    if spec.check is not None:
        spec.check(value, where)
    return value


# Each checker takes the value, its spec, and the parent's position plus the key: the value's
# own position is only built when it is needed (an error, a nested object, a custom check).
_Checker = Callable[[Any, Field, Where, "str | int"], None]


def _check_str(value: Any, spec: Field, parent: Where, key: str | int) -> None:
    if type(value) is not str:
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)  # Graph takes numbers where strings belong (order numbers)
        else:
            raise (parent / key).fail(catalog.FIELD_NOT_STRING)
    size = len(value)
    if not size:
        if spec.allow_empty:
            return
        raise (parent / key).fail(spec.empty_string_error or catalog.FIELD_NOT_STRING)
    if spec.max_len is not None and size > spec.max_len:
        raise (parent / key).fail(catalog.FIELD_TOO_LONG, limit=spec.max_len)
    if spec.min_len is not None and size < spec.min_len:
        raise (parent / key).fail(catalog.FIELD_TOO_SHORT, limit=spec.min_len)
    if spec.check is not None:
        spec.check(value, parent / key)


def _check_obj(value: Any, spec: Field, parent: Where, key: str | int) -> None:
    check_object(value, spec, parent / key)


def _check_arr(value: Any, spec: Field, parent: Where, key: str | int) -> None:
    where = parent / key
    if not isinstance(value, list):
        raise where.fail(catalog.FIELD_NOT_ARRAY)
    if not value and spec.min_items > 0:
        raise where.fail(spec.empty_error)
    if spec.max_items is not None and len(value) > spec.max_items:
        raise where.fail(catalog.ARRAY_TOO_MANY)
    if spec.item == "obj":
        # one position for every element, moved along: the first error raised ends the walk
        # (its paths are worded when raised), so no element needs a position of its own
        at = where / 0
        for index, element in enumerate(value):
            at.move_to(index)
            check_object(element, spec, at)
        return
    checker = _CHECKERS[spec.item]
    item = spec.item_spec
    assert item is not None
    for index, element in enumerate(value):
        checker(element, item, where, index)


def _check_url(value: Any, spec: Field, parent: Where, key: str | int) -> None:
    if value == "" and spec.empty_string_error is not None:
        raise (parent / key).fail(spec.empty_string_error)
    if type(value) is not str or not _URL.fullmatch(value):
        raise (parent / key).fail(catalog.FIELD_URL)
    if spec.check is not None:
        spec.check(value, parent / key)


def _check_enum(value: Any, spec: Field, parent: Where, key: str | int) -> None:
    if type(value) is not str or value.lower() not in spec.choices:
        allowed = ", ".join(choice.upper() for choice in spec.choices)  # declared order
        raise (parent / key).fail(catalog.FIELD_ENUM, allowed=allowed, got=got(value))
    if spec.check is not None:
        spec.check(value, parent / key)


def _check_num(value: Any, spec: Field, parent: Where, key: str | int) -> None:
    if as_number(value) is None:
        raise (parent / key).fail(catalog.FIELD_NOT_NUMBER)
    if spec.check is not None:
        spec.check(value, parent / key)


def _check_bool(value: Any, spec: Field, parent: Where, key: str | int) -> None:
    if as_bool(value) is None:
        raise (parent / key).fail(catalog.FIELD_NOT_BOOLEAN)
    if spec.check is not None:
        spec.check(value, parent / key)


def _check_id(value: Any, spec: Field, parent: Where, key: str | int) -> None:
    text = str(value) if type(value) is int else value
    if type(text) is not str or not is_numeric_id(text):
        raise (parent / key).fail(catalog.FIELD_ID_INVALID)
    if spec.check is not None:
        spec.check(value, parent / key)


def _check_any(value: Any, spec: Field, parent: Where, key: str | int) -> None:
    if spec.check is not None:
        spec.check(value, parent / key)


_CHECKERS: dict[str, _Checker] = {
    "str": _check_str,
    "obj": _check_obj,
    "arr": _check_arr,
    "url": _check_url,
    "enum": _check_enum,
    "num": _check_num,
    "bool": _check_bool,
    "id": _check_id,
    "any": _check_any,
}


def _quick(spec: Field) -> _Checker:
    """The spec's checker, led by a test that takes the usual valid value at once (a string of
    a fitting length, a finite number, a well-formed URL); anything else goes on to the full
    checker, which words the refusal. A receipt checks 600 fields: most are just valid."""
    full = _CHECKERS[spec.kind]
    if spec.check is not None:
        return full
    if spec.kind == "str" and not (spec.allow_empty and spec.min_len):
        low = 0 if spec.allow_empty else max(1, spec.min_len or 1)
        high = spec.max_len if spec.max_len is not None else sys.maxsize

        def quick_str(value: Any, spec: Field, parent: Where, key: str | int) -> None:
            if type(value) is not str or not low <= len(value) <= high:
                full(value, spec, parent, key)

        return quick_str
    if spec.kind == "num":

        def quick_num(value: Any, spec: Field, parent: Where, key: str | int) -> None:
            kind = type(value)
            if not (
                (kind is float and value - value == 0.0)  # finite
                or (kind is int and -_FLOAT_MAX <= value <= _FLOAT_MAX)
            ):
                full(value, spec, parent, key)

        return quick_num
    if spec.kind == "url":

        def quick_url(value: Any, spec: Field, parent: Where, key: str | int) -> None:
            if type(value) is not str or _URL.fullmatch(value) is None:
                full(value, spec, parent, key)

        return quick_url
    return full


_FLOAT_MAX = sys.float_info.max  # an int within it converts to a finite float


def as_number(value: Any) -> float | None:
    """A JSON number, or a decimal number in a string ("75.00"), as Graph takes both."""
    kind = type(value)
    if not (
        kind is int or kind is float or (kind is str and _NUMBER_TEXT.fullmatch(value.strip()))
    ):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer of hundreds of digits
        return None
    return number if math.isfinite(number) else None


def decimals(value: Any) -> int:
    """How many decimal places a number was written with."""
    text = value.strip() if isinstance(value, str) else repr(value)
    if "e" in text.lower():
        return 99
    return len(text.split(".", 1)[1]) if "." in text else 0


_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})


def as_bool(value: Any) -> bool | None:
    """Booleans as Graph takes them: true/false, or the strings "true"/"false"/"1"/"0"."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    return None


def got(value: Any) -> str:
    """The offending value as Graph quotes it after `- got` (JSON for non-strings)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), default=str)


def is_url(value: Any) -> bool:
    return isinstance(value, str) and _URL.fullmatch(value) is not None


def raises(*specs: ErrorSpec) -> Callable[[Check], Check]:
    """Declare which catalog errors a custom check raises, for the ledger's field rows."""

    def mark(check: Check) -> Check:
        check.errors = tuple(spec.key for spec in specs)  # type: ignore[attr-defined]
        return check

    return mark
