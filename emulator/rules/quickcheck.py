"""Valid content taken at once: for each object spec, a predicate generated once that is true
only when the full checker (fields.check_object) would find nothing to refuse.

A 100-item receipt has about 600 fields, and checking each through its checker, with a
position ready for the error it might word, took more than the rest of the send together. The
predicate tests the same limits inline, in one function per object (the way dataclasses and
attrs build their methods), and answers only yes or no: on no, the full checker runs and words
the first refusal exactly as before. A field whose own rule (`check`) has no yes-or-no form
(`accepts`) leaves its object without a predicate, so that object is always checked in full.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from emulator.wire.ids import is_numeric_id

if TYPE_CHECKING:
    from emulator.rules.fields import Field

Predicate = Callable[[Any], bool]


def object_predicate(spec: Field, url: re.Pattern[str]) -> Predicate | None:
    """For `spec`'s fields (an object's, or each element's of an array of objects): a
    predicate true only for a dict with no other keys and every field valid; None when some
    field cannot be decided by a predicate. The spec's own `check` is not included."""
    names: dict[str, Any] = {
        "_known": frozenset(spec.by_name),
        "_url": url.fullmatch,
        "_id": is_numeric_id,
        "_fmax": sys.float_info.max,
    }
    lines = ["def accepts(v):", "    if type(v) is not dict or not v.keys() <= _known:"]
    lines.append("        return False")
    for index, child in enumerate(spec.fields):
        condition = _condition(child, f"f{index}", names)
        if condition is None:
            return None
        lines.append(f"    x = v.get({child.name!r})")
        if child.required:
            lines.append(f"    if x is None or not ({condition}):")
        else:
            lines.append(f"    if x is not None and not ({condition}):")
        lines.append("        return False")
    lines.append("    return True")
    exec("\n".join(lines), names)  # our own specs' code, built once at import
    predicate: Predicate = names["accepts"]
    return predicate


def _condition(spec: Field, name: str, names: dict[str, Any]) -> str | None:
    """A Python expression on `x`, true only if the field's checker takes `x` (not None)."""
    own = ""
    if spec.check is not None and spec.kind != "arr":  # an array's check is its items'
        if spec.accepts is None:
            return None
        names[f"{name}_accepts"] = spec.accepts
        own = f" and {name}_accepts(x)"
    kind = spec.kind
    if kind == "str":
        if spec.allow_empty and spec.min_len:
            return None
        low = 0 if spec.allow_empty else max(1, spec.min_len or 1)
        high = spec.max_len if spec.max_len is not None else sys.maxsize
        return f"type(x) is str and {low} <= len(x) <= {high}{own}"
    if kind == "num":
        return (
            "((type(x) is float and x - x == 0.0) or (type(x) is int and -_fmax <= x <= _fmax))"
            + own
        )
    if kind == "bool":
        return f"type(x) is bool{own}"
    if kind == "url":
        return f"type(x) is str and _url(x) is not None{own}"
    if kind == "enum":
        names[f"{name}_choices"] = spec.choices
        return f"type(x) is str and x.lower() in {name}_choices{own}"
    if kind == "id":
        return f"type(x) is str and _id(x){own}"
    if kind == "any":
        return f"True{own}"
    if kind == "obj":
        if spec.quick is None:
            return None
        names[f"{name}_object"] = spec.quick
        return f"{name}_object(x){own}"
    if kind == "arr":
        return _array_condition(spec, name, names)
    return None


def _array_condition(spec: Field, name: str, names: dict[str, Any]) -> str | None:
    bounds = "type(x) is list"
    if spec.min_items > 0:
        bounds += " and len(x) > 0"
    if spec.max_items is not None:
        bounds += f" and len(x) <= {spec.max_items}"
    if spec.item == "obj":
        if spec.quick is None:
            return None
        element = spec.quick
        if spec.check is not None:  # each element's own rule
            accepts = spec.accepts
            if accepts is None:
                return None
            quick = element

            def element(value: Any) -> bool:
                return quick(value) and accepts(value)

        names[f"{name}_element"] = element
        return f"{bounds} and all(map({name}_element, x))"
    item = spec.item_spec
    if item is None or item.kind == "arr":  # arrays of arrays: checked in full
        return None
    item_names: dict[str, Any] = {**names}
    condition = _condition(item, "item", item_names)
    if condition is None:
        return None
    names[f"{name}_item"] = eval(f"lambda x: {condition}", item_names)
    return f"{bounds} and all(map({name}_item, x))"
