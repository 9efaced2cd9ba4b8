"""The quick predicates (emulator/rules/quickcheck.py) never change an answer: every valid
sample and thousands of mutants of it (each value replaced by an odd one, each key dropped,
an unknown key added) are answered by check_template exactly as by the full checkers alone."""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator
from typing import Any

import pytest
from samples import DATED_MESSAGES, MESSAGES

from emulator.rules.fields import Field
from emulator.rules.templates import (
    INSTAGRAM_TEMPLATES,
    MEDIA_PAYLOAD,
    TEMPLATES,
    check_media_payload,
    check_template,
)
from emulator.wire.errors import GraphError

ODD_VALUES: list[Any] = [
    None,
    "",
    " ",
    "x" * 2001,
    "https://acme.test/a b",
    "ftp://acme.test/",
    "https:///x",
    "USD",
    "usd",
    "US",
    "１２３",
    "12345",
    0,
    1,
    -1,
    1.5,
    10**400,
    math.inf,
    math.nan,
    True,
    False,
    [],
    [None],
    ["x"],
    [{}],
    {},
    {"unknown": 1},
]


def specs() -> Iterator[Field]:
    seen: set[int] = set()
    stack: list[Field] = [*TEMPLATES.values(), *INSTAGRAM_TEMPLATES.values(), MEDIA_PAYLOAD]
    while stack:
        spec = stack.pop()
        if id(spec) in seen:
            continue
        seen.add(id(spec))
        yield spec
        stack.extend(spec.fields)
        if spec.item_spec is not None:
            stack.append(spec.item_spec)


def outcome(payload: Any, media: bool) -> tuple[str, str, str | None] | str:
    try:
        if media:
            check_media_payload(payload, uploaded=False)
        else:
            check_template(payload, "v21.0")
    except GraphError as error:
        return (error.spec.key, error.message, error.path)
    return "accepted"


def full_outcome(payload: Any, media: bool) -> tuple[str, str, str | None] | str:
    """The answer with every quick predicate off: the full checkers alone."""
    saved = [(spec, spec.quick) for spec in specs()]
    try:
        for spec, _ in saved:
            object.__setattr__(spec, "quick", None)
        return outcome(payload, media)
    finally:
        for spec, quick in saved:
            object.__setattr__(spec, "quick", quick)


def positions(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every position below the root: dict keys and list indexes."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield (*path, key)
            yield from positions(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield (*path, index)
            yield from positions(child, (*path, index))


def replaced(root: Any, path: tuple[Any, ...], value: Any) -> Any:
    copied = copy.deepcopy(root)
    node = copied
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return copied


def mutants(payload: dict[str, Any]) -> Iterator[Any]:
    yield payload
    for path in positions(payload):
        for odd in ODD_VALUES:
            yield replaced(payload, path, odd)
        parent = replaced(payload, path, None)  # then drop the key instead
        node = parent
        for key in path[:-1]:
            node = node[key]
        if isinstance(node, dict):
            del node[path[-1]]
            yield parent
            node["unknown_field"] = "x"
            yield parent


PAYLOADS = {
    name: (message["attachment"]["payload"], message["attachment"]["type"] != "template")
    for name, message in {**MESSAGES, **DATED_MESSAGES}.items()
}


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_quick_predicates_answer_every_mutant_as_the_full_checkers(name: str) -> None:
    payload, media = PAYLOADS[name]
    compared = 0
    for mutant in mutants(payload):
        assert outcome(mutant, media) == full_outcome(mutant, media), mutant
        compared += 1
    assert compared > 10


def test_a_valid_receipt_is_taken_by_its_predicate() -> None:
    payload = MESSAGES["receipt"]["attachment"]["payload"]
    quick = TEMPLATES["receipt"].quick
    assert quick is not None
    assert quick(payload) is True
    assert quick({**payload, "elements": [*payload["elements"], {"title": 1}]}) is False
