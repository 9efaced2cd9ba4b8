"""Every key of the scenario format is described: the documentation's tables of the JSON Schema
(docs/hooks.py) print each property's `description`, one test per (model, key)."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.scenario.model import Scenario

# what `send-api-emulator schema` prints, less the $schema and title it adds (emulator/cli.py)
SCHEMA = Scenario.model_json_schema()


def _properties(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A definition's properties, also those of an object among its `anyOf` (FaultError is a
    preset's name or an object)."""
    found = dict(definition.get("properties", {}))
    for option in definition.get("anyOf", []):
        found.update(option.get("properties", {}))
    return found


def _keys() -> list[tuple[str, str, dict[str, Any]]]:
    models = [("Scenario", SCHEMA), *sorted(SCHEMA.get("$defs", {}).items())]
    return [
        (model, key, prop)
        for model, definition in models
        for key, prop in _properties(definition).items()
    ]


KEYS = _keys()


def test_the_walk_sees_every_model() -> None:
    described = {model for model, _, _ in KEYS}
    assert described == {"Scenario", *SCHEMA["$defs"]}
    assert len(KEYS) >= 89  # the scenario format's keys when this test was written


@pytest.mark.parametrize(
    ("model", "key", "prop"), KEYS, ids=[f"{model}.{key}" for model, key, _ in KEYS]
)
def test_every_key_has_a_description(model: str, key: str, prop: dict[str, Any]) -> None:
    description = prop.get("description")
    assert isinstance(description, str), f"{model}.{key} has no description"
    assert description.strip(), f"{model}.{key} has an empty description"
