"""The document bounds (emulator/scenario/bounds.py) sit exactly at their named limits, and
validation in pieces (emulator/scenario/validation.py) says what validating whole would say."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from emulator.rules import limits
from emulator.scenario.bounds import BoundError, check_document
from emulator.scenario.load import ScenarioError, load_text
from emulator.scenario.model import Scenario
from emulator.scenario.validation import validate
from emulator.scenario.yamldoc import check_yaml

LOADER = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
DEPTH = limits.DOCUMENT_MAX_DEPTH
KEYS = limits.DOCUMENT_MAX_KEYS
ALIASES = limits.YAML_MAX_ALIASES
VALUES = limits.DOCUMENT_MAX_VALUES
DIGITS = limits.DOCUMENT_NUMBER_MAX_CHARS
PAGE = "pages:\n  - id: '1'\n    tokens: [{token: T}]\n"


def flow_mapping(keys: int) -> str:
    return "{" + ", ".join(f"k{index}: 1" for index in range(keys)) + "}"


def flow_sequence(values: int) -> str:
    """A sequence that, with its items, is `values` values."""
    return "[" + ", ".join(["1"] * (values - 1)) + "]"


def aliases(count: int) -> str:
    return "a: &a x\nb: [" + ", ".join(["*a"] * count) + "]\n"


def expansion(copies: int, size: int) -> str:
    """An anchored sequence of `size` values (itself included) and `copies` aliases to it."""
    return f"a: &a {flow_sequence(size)}\nb: [" + ", ".join(["*a"] * copies) + "]\n"


YAML_CASES = [
    ("depth-at-limit", "[" * DEPTH + "]" * DEPTH, None),
    ("depth-over", "[" * (DEPTH + 1) + "]" * (DEPTH + 1), f"nested more than {DEPTH}"),
    ("block-depth-over", "- " * (DEPTH + 1) + "x\n", f"nested more than {DEPTH}"),
    ("keys-at-limit", flow_mapping(KEYS), None),
    ("keys-over", flow_mapping(KEYS + 1), f"more than {KEYS} keys"),
    ("aliases-at-limit", aliases(ALIASES), None),
    ("aliases-over", aliases(ALIASES + 1), f"more than {ALIASES} YAML aliases"),
    ("values-at-limit", flow_sequence(VALUES), None),
    ("values-over", flow_sequence(VALUES + 1), f"more than {VALUES} values"),
    # 1 mapping + 2 keys + the anchored sequence (1000) + a sequence of 99 aliases to it
    ("expansion-at-limit", expansion(98, 1000), None),
    ("expansion-over", expansion(100, 1000), f"more than {VALUES} values"),
    ("recursive-alias", "a: &a [1, *a]\n", "inside its own anchor"),
    ("int-at-limit", "n: " + "1" * DIGITS, None),
    ("int-over", "n: " + "1" * (DIGITS + 1), f"a number written with {DIGITS + 1} characters"),
    ("hex-over", "n: 0x" + "f" * (DIGITS - 1), "a number written with"),
    ("base60-over", "n: 1" + ":30" * (DIGITS // 3 + 1), "a number written with"),
    ("float-over", "n: 0." + "1" * DIGITS, "a number written with"),
    ("explicit-int-over", "n: !!int '" + "1" * (DIGITS + 1) + "'", "a number written with"),
    ("quoted-digits", "n: '" + "1" * (DIGITS * 10) + "'", None),
    ("hex-like-string", "n: " + "1a" * DIGITS + "g", None),
    ("hex-secret", "n: 3e0c" + "5f" * DIGITS, None),
    ("looks-like-a-number", "n: " + "1." * DIGITS, "quote it if it is text"),
    ("quoted-looks-like-a-number", "n: '" + "1." * DIGITS + "'", None),
    ("long-text", "n: " + "word " * DIGITS, None),
]


@pytest.mark.parametrize(
    ("text", "refused"), [c[1:] for c in YAML_CASES], ids=[c[0] for c in YAML_CASES]
)
def test_yaml_bounds(text: str, refused: str | None) -> None:
    if refused is None:
        check_yaml(text, LOADER)
        return
    with pytest.raises(BoundError) as caught:
        check_yaml(text, LOADER)
    assert refused in str(caught.value)


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


JSON_CASES = [
    ("depth-at-limit", nested(DEPTH), None),
    ("depth-over", nested(DEPTH + 1), f"nested more than {DEPTH}"),
    ("depth-over-in-object", {"a": {"b": nested(DEPTH - 1)}}, f"nested more than {DEPTH}"),
    ("keys-at-limit", {f"k{index}": 1 for index in range(KEYS)}, None),
    ("keys-over", {f"k{index}": 1 for index in range(KEYS + 1)}, f"more than {KEYS} keys"),
    ("values-at-limit", [1] * (VALUES - 1), None),
    ("values-over", [1] * VALUES, f"more than {VALUES} values"),
]


@pytest.mark.parametrize(
    ("document", "refused"), [c[1:] for c in JSON_CASES], ids=[c[0] for c in JSON_CASES]
)
def test_json_bounds(document: Any, refused: str | None) -> None:
    if refused is None:
        check_document(document)
        return
    with pytest.raises(BoundError) as caught:
        check_document(document)
    assert refused in str(caught.value)


def test_a_refusal_names_where_it_is() -> None:
    text = f"version: 1\n{PAGE}    users:\n      - psid: '2'\n        first_name: {'[' * 40}"
    with pytest.raises(ScenarioError) as caught:
        load_text(text, "s.yaml")
    (problem,) = caught.value.problems
    assert problem.startswith("s.yaml: pages[0].users[0].first_name" + "[0]" * (DEPTH - 6))
    assert f"(line 7): nested more than {DEPTH} levels deep" in problem


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("version: 1\nclock: {start: 2026-13-45}\n" + PAGE, "line 2, column 16: invalid YAML"),
        ("version: !!int 0x\n" + PAGE, "line 1, column 10: invalid YAML: cannot read '0x'"),
        ("version: " + "1" * 1_000_000 + "\n" + PAGE, "version (line 1): a number written"),
        ("version: 1\nname: \ud800\n" + PAGE, "lone UTF-16 surrogate"),
    ],
    ids=["impossible date", "hex without digits", "a million digits", "raw surrogate"],
)
def test_unreadable_scalars_are_problems_not_exceptions(text: str, expected: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_text(text, "s.yaml")
    assert expected in " ".join(caught.value.problems), caught.value.problems


def test_problems_are_capped_and_counted() -> None:
    extra = "".join(f"    x{index}: 1\n" for index in range(150))
    with pytest.raises(ScenarioError) as caught:
        load_text("version: 1\n" + PAGE + extra, "s.yaml")
    problems = caught.value.problems
    assert len(problems) == limits.VALIDATION_PROBLEMS_MAX + 1
    assert problems[0] == "s.yaml: pages[0].x0 (line 5): unknown key"
    assert problems[-1] == f"... and {150 - limits.VALIDATION_PROBLEMS_MAX} more problems"


def test_a_long_value_is_shown_short() -> None:
    with pytest.raises(ScenarioError) as caught:
        load_text("version: 1\nname: [" + "x, " * 10_000 + "x]\n" + PAGE, "s.yaml")
    (problem,) = caught.value.problems
    assert len(problem) < 300, problem
    assert problem.startswith("s.yaml: name (line 2): Input should be a valid string (got ['x',")


def people(count: int, bad: dict[int, str]) -> dict[str, Any]:
    users = [{"psid": bad.get(index, str(3000000000000000 + index))} for index in range(count)]
    return {"version": 1, "pages": [{"id": "1", "tokens": [{"token": "T"}], "users": users}]}


def whole(document: dict[str, Any]) -> Any:
    return validate(Scenario, document, values=0)  # at most VALIDATION_CHUNK: one call


def in_pieces(document: dict[str, Any]) -> Any:
    return validate(Scenario, document, values=limits.VALIDATION_CHUNK + 1)


def test_validation_in_pieces_gives_the_same_scenario() -> None:
    document = people(3 * limits.VALIDATION_CHUNK, {})
    assert in_pieces(document).model_dump() == whole(document).model_dump()


@pytest.mark.parametrize(
    "bad",
    [{5: "x"}, {5: "x", 4500: "y"}, {index: "x" for index in range(0, 6000, 7)}],
    ids=["one", "two chunks apart", "many"],
)
def test_validation_in_pieces_finds_the_same_problems(bad: dict[int, str]) -> None:
    from emulator.scenario.validation import InvalidError

    document = people(6000, bad)
    with pytest.raises(InvalidError) as piecewise:
        in_pieces(document)
    with pytest.raises(InvalidError) as at_once:
        whole(document)
    assert piecewise.value.count == at_once.value.count == len(bad)
    assert sorted(piecewise.value.problems) == sorted(at_once.value.problems)


def multipart(parts: int, named: bool = True) -> bytes:
    head = 'Content-Disposition: form-data; name="x"\r\n' if named else ""
    return (f"--b\r\n{head}\r\n\r\n" * parts + "--b--\r\n").encode()


@pytest.mark.parametrize(
    ("body", "refused"),
    [
        (multipart(limits.MULTIPART_MAX_PARTS), False),
        (multipart(limits.MULTIPART_MAX_PARTS + 1), True),
        (multipart(limits.MULTIPART_MAX_PARTS + 1, named=False), True),  # skipped parts count
    ],
    ids=["at the limit", "over", "over, without names"],
)
def test_multipart_parts_are_bounded(body: bytes, refused: bool) -> None:
    from emulator.wire import catalog
    from emulator.wire.errors import GraphError
    from emulator.wire.multipart import parse_multipart

    if not refused:
        assert parse_multipart("multipart/form-data; boundary=b", body).error is None
        return
    with pytest.raises(GraphError) as caught:
        parse_multipart("multipart/form-data; boundary=b", body)
    assert caught.value.spec is catalog.TOO_MANY_PARAMS
    assert caught.value.message.endswith(f"at most {limits.MULTIPART_MAX_PARTS} are accepted")
