"""GET /{psid}: the User Profile API. A person's profile fields, from the scenario.

`graph.py` hands over a GET on a node that is a PSID of the token's page (no edge); any other
PSID is Graph's 100/33 (`Unsupported get request. Object with ID ...`), as for any node the
token cannot see. The answer holds the requested fields the person has, then `id`; a field the
scenario does not give is left out, as Graph leaves out fields without a value. A picture on
the platform's CDN carries an expiry, as the platform's signed URLs do (`picture_url`).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

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
    values = profile_values(person, call.world.started, call.now)
    answer = {name: values[name] for name in requested if values.get(name) is not None}
    answer.pop("id", None)
    answer["id"] = person.psid  # Graph answers the node's id with any field selection, last
    return answer


def profile_values(person: Person, started: datetime, now: datetime) -> dict[str, Any]:
    """Every profile field the person has (None where the scenario gives nothing), at `now`
    in a world loaded or reset at `started`."""
    names = [part for part in (person.first_name, person.last_name) if part]
    picture = person.profile_pic
    return {
        "id": person.psid,
        "name": " ".join(names) or None,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "profile_pic": picture_url(picture, started, now) if picture else None,
        "locale": person.locale,
        "timezone": person.timezone,
        "gender": person.gender,
    }


def picture_url(url: str, started: datetime, now: datetime) -> str:
    """A picture on the platform's CDN hosts with the expiry its signed URLs carry: `ext` (Unix
    seconds) and `oe` (the same, hex), PROFILE_PIC_LIFETIME ahead at most and half of it at
    least. The same URL for every call until half the lifetime has passed since the world
    started, then a later one. Other hosts, or a URL with an expiry of its own, as written."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:  # not a URL after all (the scenario takes any text)
        return url
    if not any(host == name or host.endswith("." + name) for name in limits.PROFILE_PIC_HOSTS):
        return url
    if any(name in ("ext", "oe") for name, _ in parse_qsl(parts.query, keep_blank_values=True)):
        return url
    renewal = limits.PROFILE_PIC_LIFETIME / 2
    expires = started + (now - started) // renewal * renewal + limits.PROFILE_PIC_LIFETIME
    stamp = int(expires.timestamp())
    expiry = f"ext={stamp}&oe={stamp:X}"
    return urlunsplit(parts._replace(query=f"{parts.query}&{expiry}" if parts.query else expiry))


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
