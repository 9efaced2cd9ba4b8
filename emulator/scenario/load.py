"""Reading scenario files: YAML or JSON in, a validated Scenario or a list of clear problems out."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from emulator.scenario.model import Scenario, cross_checks
from emulator.wire import jsontext

DEFAULT_NAME = "default.yaml"
MAX_YAML_ALIASES = 100  # anchors are handy; alias bombs (billion laughs) are not


class ScenarioError(Exception):
    """A scenario that cannot be loaded; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class _Loader(yaml.SafeLoader):
    """Safe YAML that refuses duplicate keys instead of silently keeping the last one."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def default_text() -> str:
    """The bundled default scenario, shipped inside the package."""
    return resources.files("emulator.scenario").joinpath(DEFAULT_NAME).read_text("utf-8")


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
    document, root = _parse(text, label, as_json)
    try:
        scenario = Scenario.model_validate(document)
    except ValidationError as exc:
        raise ScenarioError(
            [_problem(label, root, tuple(err["loc"]), _message(err)) for err in exc.errors()]
        ) from None
    problems = cross_checks(scenario)
    if problems:
        raise ScenarioError([f"{label}: {path}: {message}" for path, message in problems])
    return scenario


def _parse(text: str, label: str, as_json: bool) -> tuple[Any, yaml.Node | None]:
    if as_json:
        try:
            return jsontext.loads(text), None
        except ValueError as exc:
            raise ScenarioError([f"{label}: invalid JSON: {exc}"]) from None
    try:
        aliases = sum(isinstance(event, yaml.AliasEvent) for event in yaml.parse(text, _Loader))
        if aliases > MAX_YAML_ALIASES:
            raise ScenarioError(
                [f"{label}: {aliases} YAML aliases; at most {MAX_YAML_ALIASES} are allowed"]
            )
        root = yaml.compose(text, Loader=_Loader)
        document = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f"line {mark.line + 1}, column {mark.column + 1}: "
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError([f"{label}: {where}invalid YAML: {problem}"]) from None
    except RecursionError:
        raise ScenarioError([f"{label}: invalid YAML: nested too deeply"]) from None
    if document is None:
        raise ScenarioError([f"{label}: the file is empty"])
    try:
        jsontext.check_text(document)
    except ValueError as exc:
        raise ScenarioError([f"{label}: {exc}"]) from None
    if not isinstance(document, dict):
        raise ScenarioError([f"{label}: the document must be a mapping (version, app, pages...)"])
    return document, root


def validation_problems(exc: ValidationError) -> list[str]:
    """One `path: what is wrong` line per problem, as `check` words them (for the control API,
    which validates parts of a scenario: a webhook, a fault)."""
    problems = []
    for err in exc.errors():
        path = format_path(tuple(err["loc"]))
        message = _message(err)
        problems.append(f"{path}: {message}" if path else message)
    return problems


def _message(err: Any) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    message = str(err["msg"])
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    if "input" in err and kind not in ("value_error", "model_type", "dict_type", "list_type"):
        message += f" (got {err['input']!r})"
    return message


def _problem(label: str, root: yaml.Node | None, loc: tuple[Any, ...], message: str) -> str:
    path = format_path(loc)
    line = _line_of(root, loc)
    where = f" (line {line})" if line else ""
    return f"{label}: {path or '(document)'}{where}: {message}"


def format_path(loc: tuple[Any, ...]) -> str:
    """('pages', 0, 'tokens', 1, 'expires') -> pages[0].tokens[1].expires"""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not str(part).startswith(("function-", "literal[", "str", "int", "none")):
            out += f".{part}" if out else str(part)
    return out


def _line_of(root: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
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
