"""MkDocs hook: the generated parts of the documentation, made from the code at build time.

A page marks where generated Markdown goes with an HTML comment on a line of its own:

- ``<!-- generated: scenario-schema -->``: the scenario format, from ``send-api-emulator schema``;
- ``<!-- generated: rule-ledger -->``: what ``GET /_emulator/rules`` serves
  (``emulator.control.routes.rules_view``: the error catalog, the field rules, limits, enums).

Nothing generated is committed, so the pages cannot drift from the code.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

SCHEMA_MARK = "<!-- generated: scenario-schema -->"
LEDGER_MARK = "<!-- generated: rule-ledger -->"


def on_page_markdown(markdown: str, **_: Any) -> str:
    if SCHEMA_MARK in markdown:
        markdown = markdown.replace(SCHEMA_MARK, scenario_schema())
    if LEDGER_MARK in markdown:
        markdown = markdown.replace(LEDGER_MARK, rule_ledger())
    return markdown


def _cell(value: Any) -> str:
    """One table cell: no newlines, pipes escaped."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value)
    return text.replace("\n", " ").replace("|", "\\|")


def _linked(text: str) -> str:
    """The model's descriptions name pages by path (docs/faults.md): here, links to them."""
    return re.sub(r"\bdocs/([a-z-]+)\.md\b", r"[\1](\1.md)", text)


def _code(value: Any) -> str:
    text = _cell(value)
    return f"`{text}`" if text else ""


def _type(prop: dict[str, Any]) -> str:
    """A property's type in a word or two: refs by name, unions joined with 'or'."""
    if "$ref" in prop:
        name = prop["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{name.lower()})"
    if "anyOf" in prop:
        kinds = [_type(option) for option in prop["anyOf"]]
        return " or ".join(kind for kind in kinds if kind != "null") or "null"
    if "enum" in prop:
        return " \\| ".join(_code(value) for value in prop["enum"])
    if "const" in prop:
        return _code(prop["const"])
    kind = prop.get("type", "any")
    if isinstance(kind, list):
        kind = " or ".join(kind)
    if kind == "array" and "items" in prop:
        return f"list of {_type(prop['items'])}"
    if kind == "object" and isinstance(prop.get("additionalProperties"), dict):
        return f"map of {_type(prop['additionalProperties'])}"
    return str(kind)


def _table(definition: dict[str, Any]) -> list[str]:
    required = set(definition.get("required", []))
    lines = ["| key | type | required | default | description |", "| --- | --- | --- | --- | --- |"]
    for key, prop in definition.get("properties", {}).items():
        default = _code(prop["default"]) if "default" in prop else ""
        lines.append(
            f"| `{key}` | {_type(prop)} | {'yes' if key in required else ''} | {default} "
            f"| {_linked(_cell(prop.get('description')))} |"
        )
    return lines


def scenario_schema() -> str:
    """Every key of the scenario format, then the JSON Schema itself, as the CLI prints it."""
    printed = subprocess.run(
        [sys.executable, "-m", "emulator", "schema"], check=True, capture_output=True, text=True
    ).stdout
    schema = json.loads(printed)
    lines = [
        "Generated at build time from `send-api-emulator schema`.",
        "",
        f"### {schema.get('title', 'Scenario')} (the file itself)",
        "",
        *_table(schema),
    ]
    for name, definition in sorted(schema.get("$defs", {}).items()):
        lines += ["", f"### {name}", ""]
        if definition.get("description"):
            lines += [_linked(_cell(definition["description"])), ""]
        if "properties" in definition:
            lines += _table(definition)
        else:
            # "a name or an object" (a fault's error): the choices, then the object's keys
            options = definition.get("anyOf", [])
            objects = [option for option in options if "properties" in option]
            others = [option for option in options if "properties" not in option]
            if objects:
                lines += [" or ".join([*(_type(other) for other in others), "an object:"]), ""]
                for option in objects:
                    if option.get("description"):
                        lines += [_linked(_cell(option["description"])), ""]
                    lines += _table(option)
            else:
                lines += [f"{_type(definition)}"]
    lines += [
        "",
        "### The JSON Schema",
        "",
        '??? note "send-api-emulator schema"',
        "",
        "    ```json",
        *("    " + line for line in printed.rstrip().splitlines()),
        "    ```",
    ]
    return "\n".join(lines) + "\n"


def rule_ledger() -> str:
    """The ledger as GET /_emulator/rules serves it, one table per part."""
    from emulator.control.routes import rules_view

    view = rules_view()
    lines = [
        "Generated at build time from `emulator.control.routes.rules_view()`, the function behind "
        "`GET /_emulator/rules`. Confidence: **D** documented, **O** observed, **I** inferred.",
        "",
        f"## Error rules ({len(view['data'])})",
        "",
        "| rule | description | status | code | subcode | type | message | confidence | source |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in view["data"]:
        lines.append(
            f"| `{row['rule']}` | {_cell(row['description'])} | {row['status']} | {row['code']} "
            f"| {_cell(row['error_subcode'])} | {_cell(row['type'])} | {_code(row['message'])} "
            f"| {row['confidence']} | {_cell(row['source'])} |"
        )
    fields = view["fields"]
    columns = list(dict.fromkeys(key for row in fields for key in row))
    lines += [
        "",
        f"## Field rules ({len(fields)})",
        "",
        "| " + " | ".join(columns) + " |",
        "| " + " | ".join("---" for _ in columns) + " |",
    ]
    for row in fields:
        cells = []
        for column in columns:
            value = row.get(column)
            if isinstance(value, list):
                cells.append(", ".join(f"`{_cell(item)}`" for item in value))
            elif column in ("field", "in", "kind"):
                cells.append(_code(value))
            else:
                cells.append(_cell(value))
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "## Limits", "", "| limit | value |", "| --- | --- |"]
    lines += [f"| `{name}` | {_code(value)} |" for name, value in view["limits"].items()]
    lines += ["", "## Enums", "", "| parameter | values, in the API's order |", "| --- | --- |"]
    lines += [
        f"| `{name}` | {', '.join(_code(value) for value in values)} |"
        for name, values in view["enums"].items()
    ]
    return "\n".join(lines) + "\n"
