"""Utility messages: `messaging_type: UTILITY` with `message.template {name, language: {code},
components}` (Meta's "Send a utility message", Mar 13, 2026).

Two pure steps: `parse_utility_message` checks the shape of the message (a parameter rule, no
page needed); `fill_template` fits the send's components to a template the page has (the
scenario's `utility_templates`) and answers the message as the person sees it, or raises the
first misfit. Placeholders are positional (`{{1}}`) or named (`{{order_id}}`), as Meta's
templates write them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from emulator.rules import limits
from emulator.wire import catalog

if TYPE_CHECKING:
    from emulator.scenario.model import UtilityTemplateSpec

MESSAGE_KEYS = frozenset({"template", "metadata"})
TEMPLATE_KEYS = frozenset({"name", "language", "components"})
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")


@dataclass(frozen=True, slots=True)
class UtilityCall:
    """The template a send names and the components that fill it."""

    name: str
    language: str
    components: tuple[dict[str, Any], ...]


def placeholders(text: str | None) -> tuple[str, ...]:
    """The distinct placeholder names of a template text, in order of first use."""
    if not text:
        return ()
    return tuple(dict.fromkeys(_PLACEHOLDER.findall(text)))


def is_named(names: tuple[str, ...]) -> bool:
    """Named (`{{order_id}}`) rather than positional (`{{1}}`) placeholders."""
    return any(not name.isdigit() for name in names)


def parse_utility_message(value: Any) -> tuple[dict[str, Any], UtilityCall]:
    """message: `template` (and `metadata`) only; the template's name, language.code and a
    components array of objects."""
    if not isinstance(value, dict) or not value:
        raise catalog.MESSAGE_EMPTY(path="message")
    _no_unknown_keys(value, MESSAGE_KEYS, "message", "message")
    template = value.get("template")
    if not isinstance(template, dict) or not template:
        raise catalog.UTILITY_TEMPLATE_REQUIRED(path="message.template")
    _no_unknown_keys(template, TEMPLATE_KEYS, "message[template]", "message.template")
    name = template.get("name")
    if not isinstance(name, str) or not name.strip():
        raise catalog.UTILITY_TEMPLATE_FIELD(
            path="message.template.name", param="message[template][name]"
        )
    language = template.get("language")
    code = language.get("code") if isinstance(language, dict) else None
    if not isinstance(code, str) or not code.strip():
        raise catalog.UTILITY_TEMPLATE_FIELD(
            path="message.template.language.code", param="message[template][language][code]"
        )
    components = template.get("components", [])
    if components is None:
        components = []
    if not isinstance(components, list) or not all(isinstance(c, dict) for c in components):
        raise catalog.UTILITY_COMPONENTS_INVALID(path="message.template.components")
    if "metadata" in value:
        metadata = value["metadata"]
        if not isinstance(metadata, str) or len(metadata) >= limits.METADATA_LIMIT:
            raise catalog.METADATA_INVALID(path="message.metadata")
    return value, UtilityCall(name, code, tuple(components))


def find_template(
    templates: list[UtilityTemplateSpec], call: UtilityCall
) -> UtilityTemplateSpec | None:
    """The page's template of that name in that language (both exact)."""
    for template in templates:
        if template.name == call.name and template.language == call.language:
            return template
    return None


def fill_template(template: UtilityTemplateSpec, call: UtilityCall) -> dict[str, Any]:
    """The message as the person sees it: the template's texts with the send's parameters in
    place, or the first parameter that does not fit."""
    given: dict[str, list[Any]] = {}
    for index, component in enumerate(call.components):
        kind = component.get("type")
        path = f"message.template.components[{index}]"
        if not isinstance(kind, str) or kind.lower() not in limits.UTILITY_COMPONENT_TYPES:
            raise catalog.UTILITY_PARAMS_FORMAT(path=f"{path}.type")
        if kind.lower() in given:  # one component of each type
            raise catalog.UTILITY_PARAMS_FORMAT(path=f"{path}.type")
        parameters = component.get("parameters", [])
        if not isinstance(parameters, list) or not all(isinstance(p, dict) for p in parameters):
            raise catalog.UTILITY_PARAMS_FORMAT(path=f"{path}.parameters")
        given[kind.lower()] = parameters
    filled: dict[str, Any] = {
        "name": template.name,
        "language": template.language,
        "category": template.category,
    }
    for kind in ("header", "body"):
        text = getattr(template, kind)
        if text is None and kind in given and given[kind]:
            raise catalog.UTILITY_PARAMS_COUNT(path=f"message.template.components.{kind}")
        if text is not None:
            filled[kind] = _fill_text(text, given.get(kind, []), kind)
    filled["buttons"] = _fill_buttons(template, given.get("buttons", []))
    return filled


def _fill_text(text: str, parameters: list[dict[str, Any]], kind: str) -> str:
    names = placeholders(text)
    path = f"message.template.components.{kind}.parameters"
    if len(parameters) != len(names):
        raise catalog.UTILITY_PARAMS_COUNT(path=path)
    values: dict[str, str] = {}
    named = is_named(names)
    for index, parameter in enumerate(parameters):
        value = parameter.get("text")
        key = parameter.get("parameter_name") if named else names[index]
        if not isinstance(value, str) or not isinstance(key, str) or key not in names:
            raise catalog.UTILITY_PARAMS_FORMAT(path=f"{path}[{index}]")
        values[key] = value
    if len(values) != len(names):  # a named parameter given twice, another missing
        raise catalog.UTILITY_PARAMS_FORMAT(path=path)
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


def _fill_buttons(
    template: UtilityTemplateSpec, parameters: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """One parameter per button whose payload or URL has a placeholder, in button order."""
    path = "message.template.components.buttons.parameters"
    dynamic = [button for button in template.buttons if placeholders(button.target)]
    if len(parameters) != len(dynamic):
        raise catalog.UTILITY_PARAMS_COUNT(path=path)
    values = iter(parameters)
    shown: list[dict[str, Any]] = []
    for button in template.buttons:
        target = button.target
        if placeholders(target):
            parameter = next(values)
            field = "payload" if button.type == "POSTBACK" else "url"
            value = parameter.get(field)
            if str(parameter.get("type", button.type)).upper() != button.type or not isinstance(
                value, str
            ):
                raise catalog.UTILITY_PARAMS_FORMAT(path=path)
            target = _put(target or "", value)
        key = "payload" if button.type == "POSTBACK" else "url"
        shown.append({"type": button.type, "title": button.text, key: target})
    return shown


def _put(text: str, value: str) -> str:
    """A button's payload or URL with its placeholder filled (the value taken literally)."""
    return _PLACEHOLDER.sub(lambda _match: value, text)


def _no_unknown_keys(value: dict[str, Any], allowed: frozenset[str], param: str, path: str) -> None:
    unknown = [key for key in value if key not in allowed]
    if unknown:
        raise catalog.INVALID_KEYS(
            path=f"{path}.{unknown[0]}", keys=", ".join(unknown), param=param
        )
