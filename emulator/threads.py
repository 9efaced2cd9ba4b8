"""A page's conversations as the Conversations API reads them, from what the emulator recorded.

A thread is the page and one person: the person's messages (the inbox: texts, quick reply
taps, attachments) and the page's (the outbox: messages, not sender actions), newest first.
A person the scenario says wrote before the emulator started has a thread too, with no
recorded messages and that time as its last update. Built on demand from the records (bounded
by --max-records), so nothing is kept twice and a reset clears it; times stay the records' ISO
strings (one format, so they sort as text), converted only for the answer.

Ids: a conversation is `t_` and 16 digits, the same for the same page and person every time
(a hash of the two); messages keep the `m_…` mids the emulator gave them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from emulator.scenario.times import format_instant
from emulator.state import PageState, World


@dataclass(slots=True)
class Message:
    id: str
    created: str  # ISO 8601 on the emulated clock, as the records keep it
    from_page: bool
    text: str
    order: int
    attachments: tuple[tuple[str, str | None], ...] = ()  # (type, url) of each, as sent


@dataclass(slots=True)
class Thread:
    id: str
    psid: str
    updated: str  # ISO 8601, the newest of its messages and the person's last message
    messages: list[Message] = field(default_factory=list)  # newest first


@lru_cache(maxsize=65536)  # the same people are looked up call after call
def thread_id(page_id: str, psid: str) -> str:
    """`t_` + 16 digits, stable for this page and person."""
    digest = hashlib.sha256(f"{page_id}:{psid}".encode()).digest()
    return f"t_{10**15 + int.from_bytes(digest[:8], 'big') % (9 * 10**15)}"


def threads(world: World, page: PageState, psid: str | None = None) -> list[Thread]:
    """The page's threads (only this person's, given one), the most recently updated first."""
    found: dict[str, Thread] = {}
    for who, message in _messages(world, page):
        if psid is not None and who != psid:
            continue
        known = found.get(who)
        if known is None:
            known = found[who] = Thread(thread_id(page.id, who), who, message.created)
        known.messages.append(message)
    people = page.people.values() if psid is None else filter(None, [page.people.get(psid)])
    for person in people:
        if person.last_message is not None and person.psid not in found:
            found[person.psid] = Thread(thread_id(page.id, person.psid), person.psid, "")
    for item in found.values():
        item.messages.sort(key=lambda message: message.order, reverse=True)
        last = page.people.get(item.psid)
        wrote = format_instant(last.last_message) if last and last.last_message else ""
        item.updated = max(item.messages[0].created if item.messages else "", wrote)
    return sorted(found.values(), key=lambda item: item.updated, reverse=True)


def find_thread(world: World, page: PageState, ident: str) -> Thread | None:
    """The page's thread with this `t_…` id."""
    for psid in _psids(world, page):
        if thread_id(page.id, psid) == ident:
            return next(iter(threads(world, page, psid)), None)
    return None


def find_message(world: World, page: PageState, mid: str) -> tuple[Thread, Message] | None:
    """The page's message with this mid, and its thread."""
    for psid, message in _messages(world, page):
        if message.id == mid:
            item = threads(world, page, psid)[0]
            return item, next(m for m in item.messages if m.id == mid)
    return None


def graph_time(value: str) -> str:
    """Graph's datetime form, `2026-01-05T09:00:00+0000`, of a record's ISO time."""
    return value[:19] + "+0000"


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


def _messages(world: World, page: PageState) -> Iterator[tuple[str, Message]]:
    """Every recorded message between the page and a person: (psid, message)."""
    for event in world.inbox:
        # an edit changed its text in place; an unsent message is gone from the thread
        if (
            event["page_id"] == page.id
            and event["kind"] == "message"
            and not event.get("is_deleted")
        ):
            text = event.get("text")
            yield (
                event["psid"],
                Message(
                    str(event["mid"]),
                    event["timestamp"],
                    False,
                    text if isinstance(text, str) else "",
                    event["order"],
                    _inbound_attachments(event.get("attachments")),
                ),
            )
    for entry in world.outbox:
        psid, message = entry.get("recipient_id"), entry.get("message")
        if entry["page_id"] == page.id and psid is not None and isinstance(message, dict):
            text = message.get("text")
            utility = entry.get("utility")
            if utility and not utility.get("header") and not utility.get("buttons"):
                text = utility["body"]  # a body-only utility message reads as text (Meta's page)
            yield (
                psid,
                Message(
                    str(entry["message_id"]),
                    entry["timestamp"],
                    True,
                    text if isinstance(text, str) else "",
                    entry["order"],
                    _sent_attachment(page, message.get("attachment")),
                ),
            )


def _psids(world: World, page: PageState) -> Iterator[str]:
    """Everyone who may have a thread with the page, each once."""
    seen: set[str] = set()
    candidates = [
        (p.psid for p in page.people.values() if p.last_message is not None),
        (e["psid"] for e in world.inbox if e["page_id"] == page.id),
        (e["recipient_id"] for e in world.outbox if e["page_id"] == page.id),
    ]
    for group in candidates:
        for psid in group:
            if psid is not None and psid not in seen:
                seen.add(psid)
                yield psid


def _inbound_attachments(value: Any) -> tuple[tuple[str, str | None], ...]:
    if not isinstance(value, list):
        return ()
    found = []
    for item in value:
        if isinstance(item, dict):
            url = (item.get("payload") or {}).get("url")
            found.append((str(item.get("type")), url if isinstance(url, str) else None))
    return tuple(found)


def _sent_attachment(page: PageState, value: Any) -> tuple[tuple[str, str | None], ...]:
    """A media attachment the page sent, by URL or by a saved attachment's id (its URL, when it
    has one); templates are not attachments of the thread."""
    if not isinstance(value, dict) or value.get("type") not in ("image", "video", "audio", "file"):
        return ()
    payload = value.get("payload") or {}
    url = payload.get("url") if isinstance(payload, dict) else None
    if url is None and isinstance(payload, dict):
        saved = page.attachments.get(str(payload.get("attachment_id")))
        url = saved.url if saved is not None else None
    return ((str(value["type"]), url if isinstance(url, str) else None),)
