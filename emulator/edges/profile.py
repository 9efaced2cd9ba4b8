"""GET /{psid}: the User Profile API. A person's profile fields, from the scenario.

`graph.py` hands over a GET on a node that is a PSID of the token's page (no edge); any other
PSID is Graph's 100/33 (`Unsupported get request. Object with ID ...`), as for any node the
token cannot see. The answer holds the requested fields the person has, then `id`; a field the
scenario does not give is left out, as Graph leaves out fields without a value.
"""

from __future__ import annotations

import re
from typing import Any

from emulator.edges.base import EdgeCall
from emulator.rules import limits
from emulator.state import Person
from emulator.wire import catalog

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def user_profile(call: EdgeCall, psid: str) -> dict[str, Any]:
    person = call.page.people[psid]
    requested = requested_fields(call.params.values.get("fields"))
    for name in requested:
        if name not in limits.PROFILE_FIELDS:
            raise catalog.PROFILE_FIELD_NONEXISTING(path="fields", field=name)
    if not requested:
        requested = list(limits.PROFILE_DEFAULT_FIELDS)
    values = profile_values(person)
    answer = {name: values[name] for name in requested if values.get(name) is not None}
    answer.pop("id", None)
    answer["id"] = person.psid  # Graph answers the node's id with any field selection, last
    return answer


def profile_values(person: Person) -> dict[str, Any]:
    """Every profile field the person has (None where the scenario gives nothing)."""
    names = [part for part in (person.first_name, person.last_name) if part]
    return {
        "id": person.psid,
        "name": " ".join(names) or None,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "profile_pic": person.profile_pic,
        "locale": person.locale,
        "timezone": person.timezone,
        "gender": person.gender,
    }


def requested_fields(value: object) -> list[str]:
    """The field names of a `fields` parameter (`a,b,c`; also a JSON array), in order, each once.

    Graph reads `fields` as a list of names, each optionally followed by modifiers
    (`picture.width(100)`, `picture{url}`): the name is what is looked up. An entry that does not
    start with a name is Graph's syntax error, pointing at the character."""
    if value is None:
        return []
    text = ",".join(str(item) for item in value) if isinstance(value, list) else str(value)
    if not text.strip():
        return []
    names: list[str] = []
    position = 0
    for entry in text.split(","):
        stripped = entry.lstrip()
        at = position + len(entry) - len(stripped)
        match = _NAME.match(stripped)
        if match is None:
            raise catalog.FIELDS_SYNTAX(path="fields", position=at, fields=text)
        if match.group() not in names:
            names.append(match.group())
        position += len(entry) + 1
    return names
