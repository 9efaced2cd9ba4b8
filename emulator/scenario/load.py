"""Reading scenario files: YAML or JSON in, a validated Scenario or a list of clear problems out.

Text from anywhere (a file, the pytest plugin, a control API PUT) is checked against the
document bounds before PyYAML composes or constructs anything (see bounds.py), parsed once with
libyaml where it is installed, and validated in pieces (see validation.py). Everything here is
synchronous: the control API runs it in a worker thread, so the event loop keeps serving.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from emulator.collector import paused as collector_paused
from emulator.rules import limits
from emulator.scenario.bounds import BoundError, check_document
from emulator.scenario.model import Scenario, cross_checks
from emulator.scenario.validation import (
    InvalidError,
    capped,
    format_path,
    validate,
    validation_problems,
)
from emulator.wire import jsontext

__all__ = [
    "ScenarioError",
    "default_text",
    "format_path",
    "load_default",
    "load_file",
    "load_text",
    "read_file",
    "validation_problems",
]

DEFAULT_NAME = "default.yaml"
SURROGATE = "a string holds a lone UTF-16 surrogate: not UTF-8 text"
MAX_YAML_ALIASES = limits.YAML_MAX_ALIASES  # the name it had here before


class ScenarioError(Exception):
    """A scenario that cannot be loaded; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def default_text() -> str:
    """The bundled default scenario, shipped inside the package."""
    return (Path(__file__).parent / DEFAULT_NAME).read_text("utf-8")


def load_file(path: str | Path) -> Scenario:
    """Load and validate one scenario file; ScenarioError lists every problem."""
    text, as_json = read_file(path)
    return load_text(text, str(path), as_json=as_json)


def read_file(path: str | Path) -> tuple[str, bool]:
    """A scenario file's text, and whether it is JSON (by its name); ScenarioError if it
    cannot be read or is not UTF-8."""
    label = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ScenarioError([f"{label}: cannot read: {exc.strerror or exc}"]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError([f"{label}: not UTF-8 text"]) from None
    return text, label.lower().endswith(".json")


def load_default() -> Scenario:
    return load_text(default_text(), f"(bundled) {DEFAULT_NAME}")


def load_text(text: str, label: str, *, as_json: bool = False) -> Scenario:
    """Parse YAML (or JSON) text and validate it as a scenario."""
    with collector_paused():
        document, root, values = _parse(text, label, as_json)
        try:
            scenario = validate(Scenario, document, values)
        except InvalidError as exc:
            raise ScenarioError(
                exc.lines(lambda loc, message: _problem(label, root, loc, message))
            ) from None
    problems = cross_checks(scenario)
    if problems:
        raise ScenarioError(capped([f"{label}: {path}: {message}" for path, message in problems]))
    return scenario


def _parse(text: str, label: str, as_json: bool) -> tuple[Any, Any, int]:
    """The document, its YAML node tree (for line numbers; None for JSON) and how many values
    it holds."""
    root = None
    try:
        if as_json:
            try:
                document = jsontext.loads(text)
            except ValueError as exc:
                raise ScenarioError([f"{label}: invalid JSON: {exc}"]) from None
            values = check_document(document)
        else:  # PyYAML is imported when a YAML scenario is read, not at start-up
            from emulator.scenario import yamldoc

            root, document, values = yamldoc.parse(text, label)
    except BoundError as exc:
        path = format_path(exc.path) or "(document)"
        where = f" (line {exc.line})" if exc.line else ""
        raise ScenarioError([f"{label}: {path}{where}: {exc}"]) from None
    if document is None:
        raise ScenarioError([f"{label}: the file is empty"])
    if not isinstance(document, dict):
        raise ScenarioError([f"{label}: the document must be a mapping (version, app, pages...)"])
    return document, root, values


def _problem(label: str, root: Any, loc: tuple[Any, ...], message: str) -> str:
    path = format_path(loc)
    line = None
    if root is not None:  # a YAML document: yamldoc is imported already
        from emulator.scenario import yamldoc

        line = yamldoc.line_of(root, loc)
    where = f" (line {line})" if line else ""
    return f"{label}: {path or '(document)'}{where}: {message}"
