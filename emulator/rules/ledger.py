"""The content half of the rule ledger: every field rule of every template, button and media
payload, derived from the same specs that enforce them (served by GET /_emulator/rules)."""

from __future__ import annotations

from typing import Any

from emulator.rules.buttons import BUTTONS
from emulator.rules.fields import Field
from emulator.rules.templates import MEDIA_PAYLOAD, PLACEHOLDER, TEMPLATES
from emulator.wire import catalog

_KIND_ERRORS = {
    "str": catalog.FIELD_NOT_STRING,
    "num": catalog.FIELD_NOT_NUMBER,
    "bool": catalog.FIELD_NOT_BOOLEAN,
    "url": catalog.FIELD_URL,
    "enum": catalog.FIELD_ENUM,
    "obj": catalog.FIELD_NOT_OBJECT,
    "arr": catalog.FIELD_NOT_ARRAY,
    "id": catalog.FIELD_ID_INVALID,
}


def field_rules() -> list[dict[str, Any]]:
    """One row per field: where it lives, what it must be, and the errors that enforce it."""
    rows: list[dict[str, Any]] = []
    for name, spec in TEMPLATES.items():
        if spec.check is not None:
            rows.append(_check_row(f"template {name}", PLACEHOLDER, spec))
        _walk(rows, f"template {name}", spec, PLACEHOLDER, spec.source)
    for name, spec in BUTTONS.items():
        _walk(rows, f"button {name}", spec, f"{PLACEHOLDER}[buttons][n]", spec.source)
    _walk(
        rows,
        "audio/file/image/video",
        MEDIA_PAYLOAD,
        "message[attachment][payload]",
        MEDIA_PAYLOAD.source,
    )
    return rows


def _check_row(owner: str, param: str, spec: Field) -> dict[str, Any]:
    """What a custom check adds: its one-line description and the errors it raises."""
    check = spec.check
    assert check is not None
    doc = (check.__doc__ or "").strip().splitlines()
    return {
        "in": owner,
        "field": param,
        "also": doc[0] if doc else "",
        "errors": list(getattr(check, "errors", ())),
        "source": spec.source,
    }


def _walk(rows: list[dict[str, Any]], owner: str, spec: Field, param: str, source: str) -> None:
    for field in spec.fields:
        here = f"{param}[{field.name}]"
        errors = []
        if field.required:
            errors.append((field.missing_error or catalog.FIELD_REQUIRED).key)
        if field.kind in _KIND_ERRORS:
            errors.append(_KIND_ERRORS[field.kind].key)
        if field.max_len is not None:
            errors.append(catalog.FIELD_TOO_LONG.key)
        if field.min_len is not None:
            errors.append(catalog.FIELD_TOO_SHORT.key)
        if field.min_items:
            errors.append(field.empty_error.key)
        if field.max_items is not None:
            errors.append(catalog.ARRAY_TOO_MANY.key)
        row: dict[str, Any] = {
            "in": owner,
            "field": here,
            "kind": "buttons" if field.name == "buttons" and field.item == "any" else field.kind,
            "required": field.required,
            "errors": errors,
            "source": field.source or source,
        }
        for key in ("max_len", "min_len", "max_items"):
            if getattr(field, key) is not None:
                row[key] = getattr(field, key)
        if field.min_items:
            row["min_items"] = field.min_items
        if field.choices:
            row["choices"] = list(field.choices)
        if field.check is not None:
            extra = _check_row(owner, here, field)
            row["also"] = extra["also"]
            errors.extend(e for e in extra["errors"] if e not in errors)
        rows.append(row)
        if field.kind == "obj" or (field.kind == "arr" and field.item == "obj"):
            child = f"{here}[n]" if field.kind == "arr" else here
            _walk(rows, owner, field, child, source)
