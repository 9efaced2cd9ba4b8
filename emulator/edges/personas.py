"""The Personas API: POST/GET /{page}/personas, GET/DELETE /{persona-id}.

A persona is who the page speaks as (`persona_id` on a send). POST `name` (at most 50
characters) and `profile_picture_url` (both Required) answers `{"id"}`; GET lists the page's
personas, oldest first, in Graph's paging envelope; `GET /{persona-id}` answers `{"name",
"profile_picture_url", "id"}`; DELETE answers `{"success": true}`. Personas belong to the page:
another page's token sees none of them (Graph's 100/33, as for any id it cannot load). Order:
method, parameters, then the pages_messaging permission (as for sends).
"""

from __future__ import annotations

from typing import Any

from emulator import outcomes
from emulator.edges.base import EdgeCall
from emulator.rules import limits
from emulator.rules.fields import is_url
from emulator.state import persona_record
from emulator.wire import catalog
from emulator.wire.paging import envelope, graph_base, paginate

_SHOWN = ("name", "profile_picture_url", "id")


def personas(call: EdgeCall) -> dict[str, Any]:
    """The page's personas edge."""
    if call.method == "POST":
        name, picture = parse_persona(call.params.values)
        _check_permission(call)
        ident = call.world.ids.numeric_id(limits.PERSONA_ID_DIGITS)
        call.page.personas[ident] = persona_record(ident, name, picture)
        call.journal["did"] = (outcomes.PERSONA, "created", ident)
        return {"id": ident}
    if call.method == "GET":
        _check_permission(call)
        values = call.params.values
        chosen, paging = paginate(
            list(call.page.personas.values()),
            lambda persona: persona["id"],
            values,
            url=f"{graph_base(call.journal.get('scope'))}/{call.version}/{call.page.id}/personas",
            carry={"access_token": call.params.token, "fields": values.get("fields")},
        )
        call.journal["did"] = (outcomes.PERSONA, "listed", len(chosen))
        return envelope([_fields(persona, values.get("fields")) for persona in chosen], paging)
    raise catalog.METHOD_NOT_SUPPORTED(path="path", method=call.method.lower())


def persona_object(call: EdgeCall, node: str, edge: str | None) -> dict[str, Any] | None:
    """GET or DELETE /{persona-id} for a persona of the token's page; None for other ids."""
    persona = call.page.personas.get(node)
    if persona is None:
        return None
    if edge is not None:
        raise catalog.UNKNOWN_PATH(path="path", rest=f"/{edge}")
    if call.method not in ("GET", "DELETE"):
        raise catalog.UNSUPPORTED_REQUEST(path="node", method=call.method.lower(), node=node)
    _check_permission(call)
    if call.method == "DELETE":
        del call.page.personas[node]
        call.journal["did"] = (outcomes.PERSONA, "deleted", node)
        return {"success": True}
    call.journal["did"] = (outcomes.PERSONA, "read", node)
    return _fields(persona, call.params.values.get("fields"))


def parse_persona(values: dict[str, Any]) -> tuple[str, str]:
    """name (required, at most 50 characters) and profile_picture_url (required, a URL)."""
    name = _text(values.get("name"), "name")
    if len(name) > limits.PERSONA_NAME_MAX:
        raise catalog.PERSONA_NAME_TOO_LONG(path="name")
    picture = _text(values.get("profile_picture_url"), "profile_picture_url")
    if not is_url(picture):
        raise catalog.PERSONA_PICTURE_URL(path="profile_picture_url")
    return name, picture


def _text(value: object, param: str) -> str:
    if value is None or value == "":
        raise catalog.PERSONA_PARAM_REQUIRED(path=param, param=param)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)  # Graph's loose typing: a number where a string belongs
    if not isinstance(value, str):
        raise catalog.FIELD_NOT_STRING(path=param, param=param)
    return value


def _fields(persona: dict[str, str], fields: object) -> dict[str, str]:
    """The persona with the fields asked for (known ones, in Graph's order), id always."""
    if not isinstance(fields, str) or not fields.strip():
        return dict(persona)
    asked = {part.strip() for part in fields.split(",")}
    return {name: persona[name] for name in _SHOWN if name in asked or name == "id"}


def _check_permission(call: EdgeCall) -> None:
    """A page token with pages_messaging (Meta's personas page: the Send API's permission)."""
    if limits.PERMISSION_MESSAGING not in call.grant.permissions:
        raise catalog.PERMISSION_MESSAGING(path="access_token")
