"""The UI's conversations: each page's people with their windows on the emulated clock, and one
conversation's timeline (what the person did, what the page sent, what was refused) in the
order it happened.

    GET {base}/conversations                     pages and people, most recently active first
    GET {base}/conversations/{page_id}/{psid}    one conversation, oldest first
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from emulator.control import routes as control  # module import: routes.py includes these
from emulator.rules import limits
from emulator.scenario.times import format_instant
from emulator.state import PageState, Person, World

Conversation = tuple[str, str]  # (page id, PSID)


def conversation_routes(world: World, namespace: str) -> list[Route]:
    """The conversation routes, bound to one world (one namespace)."""

    async def listing(request: Request) -> dict[str, Any]:
        now = world.clock.now()
        latest = last_activity(world)
        pages = []
        for page in world.pages.values():
            people = [
                person_view(person, now, latest.get((page.id, person.psid)))
                for person in page.people.values()
            ]
            people.sort(key=lambda view: view["psid"])
            # ISO instants in one format compare as text; never active ("") goes last
            people.sort(key=lambda view: view["last_activity"] or "", reverse=True)
            pages.append({**page_view(page), "people": people})
        return {
            "now": format_instant(now),
            "frozen": world.clock.frozen,
            "namespace": namespace,
            "pages": pages,
        }

    async def conversation(request: Request) -> dict[str, Any]:
        page_id = request.path_params["page_id"]
        psid = request.path_params["psid"]
        page = world.pages.get(page_id)
        if page is None:
            raise control.ControlError(
                404, f"no page {page_id!r} in the scenario", pages=list(world.pages)
            )
        person = page.people.get(psid)
        if person is None:
            raise control.ControlError(404, f"no person {psid!r} on page {page_id!r}")
        items = list(timeline(world, page.id, psid))
        # records restored from a state file older than `order` sort first, by time
        items.sort(key=lambda item: (item["seq"], item["at"]))
        latest = last_activity(world, (page.id, psid)).get((page.id, psid))
        return {
            "page": page_view(page),
            "person": person_view(person, world.clock.now(), latest),
            "data": items,
        }

    return [
        Route("/conversations", control.endpoint(listing), methods=["GET"]),
        Route("/conversations/{page_id}/{psid}", control.endpoint(conversation), methods=["GET"]),
    ]


def page_view(page: PageState) -> dict[str, Any]:
    return {"id": page.id, "name": page.spec.name, "platform": page.spec.platform}


def person_view(person: Person, now: datetime, last_activity: str | None) -> dict[str, Any]:
    wrote = person.last_message
    name = " ".join(part for part in (person.first_name, person.last_name) if part)
    return {
        "psid": person.psid,
        "name": name or None,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "profile_pic": person.profile_pic,
        "blocked": person.blocked,
        "last_message": format_instant(wrote) if wrote else None,
        "standard_window": window(wrote, limits.STANDARD_WINDOW, now),
        "human_agent_window": window(wrote, limits.EXTENDED_WINDOW, now),
        "last_activity": last_activity,
    }


def window(wrote: datetime | None, length: timedelta, now: datetime) -> dict[str, Any]:
    """A window opened by the person's last message: open up to its end, the end included (as
    policy/window.py decides); `seconds_left` only while open."""
    if wrote is None:
        return {"open": False, "ends": None, "seconds_left": None}
    ends = wrote + length
    left = (ends - now).total_seconds()
    is_open = left >= 0
    return {
        "open": is_open,
        "ends": format_instant(ends),
        "seconds_left": int(left) if is_open else None,
    }


def timeline(world: World, page_id: str, psid: str) -> Iterator[dict[str, Any]]:
    """The conversation's items, unsorted: `seq` is the world's common order."""
    for event in world.inbox:
        if event["page_id"] == page_id and event["psid"] == psid:
            yield _item("inbound", event["timestamp"], event, "event")
    for entry in world.outbox:
        if entry["page_id"] == page_id and entry["recipient_id"] == psid:
            yield _item("sent", entry["timestamp"], entry, "entry")
    for entry in world.journal:
        if entry.get("page_id") == page_id and refused_recipient(entry) == psid:
            yield _item("rejected", entry["timestamp"], entry, "request")


def _item(kind: str, at: str, record: dict[str, Any], key: str) -> dict[str, Any]:
    return {"kind": kind, "at": at, "seq": record.get("order", 0), key: record}


def last_activity(world: World, only: Conversation | None = None) -> dict[Conversation, str | None]:
    """By conversation, the newest of: the person's last message (the scenario's or later),
    what they did, what the page sent them, a send to them that was refused."""
    latest: dict[Conversation, str | None] = {}

    def seen(key: Conversation, at: str) -> None:
        if only is None or key == only:
            known = latest.get(key)
            if known is None or at > known:
                latest[key] = at

    for page in world.pages.values():
        for person in page.people.values():
            if person.last_message is not None:
                seen((page.id, person.psid), format_instant(person.last_message))
    for event in world.inbox:
        seen((event["page_id"], event["psid"]), event["timestamp"])
    for entry in world.outbox:
        if entry["recipient_id"] is not None:
            seen((entry["page_id"], entry["recipient_id"]), entry["timestamp"])
    for entry in world.journal:
        psid = refused_recipient(entry)
        if psid is not None:
            seen((entry["page_id"], psid), entry["timestamp"])
    return latest


def refused_recipient(entry: dict[str, Any]) -> str | None:
    """The PSID a refused send was for (journal entry), or None if it is not one."""
    if entry.get("outcome") != "rejected" or entry.get("page_id") is None:
        return None
    if entry["path"].rstrip("/").rsplit("/", 1)[-1] != "messages":
        return None
    recipient = entry.get("recipient")
    if recipient is None:  # refused before the recipient was read: as the client sent it
        sent = entry.get("params", {}).get("recipient")
        recipient = sent.get("id") if isinstance(sent, dict) else None
    return str(recipient) if isinstance(recipient, str | int) else None
