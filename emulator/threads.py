"""A page's conversations as the Conversations API reads them, from what the emulator recorded.

A thread is the page and one person: the person's messages (the inbox: texts, quick reply
taps, attachments) and the page's (the outbox: messages, not sender actions), newest first.
A person the scenario says wrote before the emulator started has a thread too, with no
recorded messages and that time as its last update. Built on demand from the records (bounded
by --max-records), so nothing is kept twice and a reset clears it.

Ids: a conversation is `t_` and 16 digits, the same for the same page and person every time
(a hash of the two); messages keep the `m_…` mids the emulator gave them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from emulator.scenario.times import parse_instant
from emulator.state import PageState, World


@dataclass(slots=True)
class Message:
    id: str
    created: datetime
    from_page: bool
    text: str
    order: int


@dataclass(slots=True)
class Thread:
    id: str
    psid: str
    updated: datetime
    messages: list[Message] = field(default_factory=list)  # newest first


def thread_id(page_id: str, psid: str) -> str:
    """`t_` + 16 digits, stable for this page and person."""
    digest = hashlib.sha256(f"{page_id}:{psid}".encode()).digest()
    return f"t_{10**15 + int.from_bytes(digest[:8], 'big') % (9 * 10**15)}"


def threads(world: World, page: PageState) -> list[Thread]:
    """The page's threads, the most recently updated first."""
    found: dict[str, Thread] = {}

    def thread(psid: str, when: datetime) -> Thread:
        known = found.get(psid)
        if known is None:
            known = found[psid] = Thread(thread_id(page.id, psid), psid, when)
        return known

    for event in world.inbox:
        if event["page_id"] != page.id or event["kind"] != "message":
            continue
        when = parse_instant(event["timestamp"])
        text = event.get("text")
        thread(event["psid"], when).messages.append(
            Message(
                str(event["mid"]),
                when,
                False,
                text if isinstance(text, str) else "",
                event["order"],
            )
        )
    for entry in world.outbox:
        psid = entry.get("recipient_id")
        message = entry.get("message")
        if entry["page_id"] != page.id or psid is None or not isinstance(message, dict):
            continue
        when = parse_instant(entry["timestamp"])
        text = message.get("text")
        thread(psid, when).messages.append(
            Message(
                str(entry["message_id"]),
                when,
                True,
                text if isinstance(text, str) else "",
                entry["order"],
            )
        )
    for person in page.people.values():
        if person.last_message is not None:
            thread(person.psid, person.last_message)
    for item in found.values():
        item.messages.sort(key=lambda message: message.order, reverse=True)
        newest = item.messages[0].created if item.messages else item.updated
        last = page.people.get(item.psid)
        wrote = last.last_message if last is not None else None
        item.updated = max(newest, wrote) if wrote is not None else newest
    return sorted(found.values(), key=lambda item: item.updated, reverse=True)


def find_message(world: World, page: PageState, mid: str) -> tuple[Thread, Message] | None:
    """The page's message with this mid, and its thread."""
    for item in threads(world, page):
        for message in item.messages:
            if message.id == mid:
                return item, message
    return None


def graph_time(value: datetime) -> str:
    """Graph's datetime form: `2026-01-05T09:00:00+0000`."""
    return value.strftime("%Y-%m-%dT%H:%M:%S+0000")


def participant(page: PageState, psid: str | None) -> dict[str, Any]:
    """A person (or, with None, the page) as Graph names a participant: Messenger gives name,
    email (`<id>@facebook.com`) and id; Instagram username and id."""
    if psid is None:
        name, ident = page.spec.name, page.id
    else:
        person = page.people.get(psid)
        parts = [p for p in (person.first_name, person.last_name) if p] if person else []
        name, ident = " ".join(parts) or psid, psid
    if page.instagram:
        return {"username": name, "id": ident}
    return {"name": name, "email": f"{ident}@facebook.com", "id": ident}
