"""The bundled default scenario, made without parsing YAML or building a validator.

`serve` with no `--scenario` runs `default.yaml`. Validating it at every start cost a third of
the start-up (PyYAML, then pydantic building every model's validator), for the same result each
time. So the package also carries `default.json`: that scenario as validated, which is built
into model objects as they are (`construct`). A test checks that both give the same scenario;
`python -m emulator.scenario.bundled` writes default.json again after default.yaml changes.
"""

from __future__ import annotations

import json
import sys
import types
import typing
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from emulator.scenario.model import Scenario

HERE = Path(__file__).parent
SOURCE = HERE / "default.yaml"
VALIDATED = HERE / "default.json"
M = TypeVar("M", bound=BaseModel)


def default_scenario() -> Scenario:
    """The bundled default scenario, as `load_default()` gives it."""
    return construct(Scenario, json.loads(VALIDATED.read_text("utf-8")))


def construct(model: type[M], data: dict[str, Any]) -> M:
    """A model from data it validated into before (`model_dump(mode="json",
    exclude_unset=True)`): nested models, lists, and dates from their ISO text. Nothing is
    checked: use it for the bundled data only."""
    values = {
        name: _value(field.annotation, data[name])
        for name, field in model.model_fields.items()
        if name in data
    }
    return model.model_construct(_fields_set=set(values), **values)


def _value(annotation: Any, value: Any) -> Any:
    if value is None:
        return None
    annotation = _bare(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        options = [_bare(arg) for arg in typing.get_args(annotation) if arg is not type(None)]
        # the option that can hold the value: a model, a date, or else the value as it is
        kind = next((option for option in options if _is_model(option)), None)
        if kind is None and isinstance(value, str):
            kind = next((option for option in options if option in (datetime, date)), None)
        return value if kind is None else _value(kind, value)
    if typing.get_origin(annotation) is list:
        (item,) = typing.get_args(annotation)
        return [_value(item, element) for element in value]
    if _is_model(annotation):
        if isinstance(value, dict):
            return construct(annotation, value)
        return annotation.model_validate(value)  # a model written in short (a preset's name)
    if annotation is datetime:
        return datetime.fromisoformat(value)
    if annotation is date:
        return date.fromisoformat(value)
    return value


def _bare(annotation: Any) -> Any:
    """`Annotated[X, ...]` is X here."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def validated_text() -> str:
    """default.json's text: default.yaml validated, as JSON."""
    from emulator.scenario.load import load_text

    scenario = load_text(SOURCE.read_text("utf-8"), f"(bundled) {SOURCE.name}")
    return json.dumps(scenario.model_dump(mode="json", exclude_unset=True), indent=2) + "\n"


if __name__ == "__main__":  # write default.json again from default.yaml
    VALIDATED.write_text(validated_text(), "utf-8")
    print(f"wrote {VALIDATED}", file=sys.stderr)
