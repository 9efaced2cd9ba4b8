"""The UI's conversations: each page's people with their windows on the emulated clock, and one
conversation's timeline (what the person did, what the page sent, what was refused) in the
order it happened.

    GET {base}/conversations                     pages and people, most recently active first
    GET {base}/conversations/{page_id}/{psid}    one conversation, oldest first, a page at a time

A conversation's page: `?limit=` items (default 500, at most 5000), oldest first. Without a
bound, the newest ones; `?before=<order>`: the newest of those older than `order` (paging back);
`?after=<order>`: the oldest of those newer than `order` (catching up; the answer's
`last_order` is the next call's `after`). `has_earlier`: older items exist (not said with
`after`); `has_more`: newer items exist. The world's records are oldest first (`order` grows
along each deque), so a page is found by walking them from the newest end: what the default
and `after` cost follows what is new, not how long the conversation is.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from emulator import handover
from emulator.control import routes as control  # module import: routes.py includes these
from emulator.rules import limits
from emulator.scenario.times import format_instant
from emulator.state import PageState, Person, World

Conversation = tuple[str, str]  # (page id, PSID)
Item = dict[str, Any]
DEFAULT_LIMIT = 500
MAX_LIMIT = 5000


def conversation_routes(world: World, namespace: str) -> list[Route]:
    """The conversation routes, bound to one world (one namespace)."""

    async def listing(request: Request) -> dict[str, Any]:
        now = world.clock.now()
        latest = last_activity(world)
        sums = summaries(world)
        pages = []
        for page in world.pages.values():
            people = [
                {
                    **person_view(person, now, latest.get((page.id, person.psid)), page),
                    **sums.get((page.id, person.psid), NO_SUMMARY),
                }
                for person in page.people.values()
            ]
            for view in people:
                if view["last_inbound"] is None and view["last_message"] is not None:
                    view["last_inbound"] = view["last_message"]
            people.sort(key=lambda view: view["psid"])
            # a stable order while a test runs: the person's own activity (what they wrote, the
            # scenario's last message), not every send; ISO instants in one format compare as
            # text; never active ("") goes last
            people.sort(key=lambda view: view["last_inbound"] or "", reverse=True)
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
        page = control.page_of(world, page_id)
        person = page.people.get(psid)
        if person is None:
            raise control.ControlError(404, f"no person {psid!r} on page {page_id!r}")
        after, before, limit = paging(request)
        window_ = timeline_page(world, page.id, psid, after=after, before=before, limit=limit)
        latest = last_activity(world, (page.id, psid)).get((page.id, psid))
        return {
            "page": page_view(page),
            "person": person_view(person, world.clock.now(), latest, page),
            **window_,
            "last_order": last_order(world),
        }

    return [
        Route("/conversations", control.endpoint(listing), methods=["GET"]),
        Route("/conversations/{page_id}/{psid}", control.endpoint(conversation), methods=["GET"]),
    ]


def page_view(page: PageState) -> dict[str, Any]:
    return {"id": page.id, "name": page.spec.name, "platform": page.spec.platform}


def person_view(
    person: Person, now: datetime, last_activity: str | None, page: PageState | None = None
) -> dict[str, Any]:
    wrote = person.last_message
    name = " ".join(part for part in (person.first_name, person.last_name) if part)
    owner = {} if page is None else {"thread_owner": thread_owner_view(page, person.psid)}
    return {
        **owner,
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


def thread_owner_view(page: PageState, psid: str) -> dict[str, Any] | None:
    """Who owns the person's thread (handover protocol): `app_id`, `name`, `role`, and
    `own_app` (the scenario's app); None while the thread is idle."""
    app_id = handover.owner(page, psid)
    if app_id is None:
        return None
    name, role = page.receivers.get(app_id, ("", ""))
    own = app_id == page.own_app
    return {
        "app_id": app_id,
        "name": name or ("this app" if own else None),
        "role": role,
        "own_app": own,
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


def paging(request: Request) -> tuple[int | None, int | None, int]:
    """`after`, `before` and `limit` of the query; ControlError 400 if one is not a count."""
    values: dict[str, int | None] = {}
    for name in ("after", "before", "limit"):
        given = request.query_params.getlist(name)
        if len(given) > 1:
            raise control.ControlError(400, f"{name} given {len(given)} times: give it once")
        if not given:
            values[name] = None
            continue
        text = given[0]
        if not (text.isascii() and text.isdigit()) or len(text) > 18:
            raise control.ControlError(400, f"{name} must be a whole number, got {text!r}")
        values[name] = int(text)
    after, before, limit = values["after"], values["before"], values["limit"]
    if after is not None and before is not None:
        raise control.ControlError(400, "give after or before, not both")
    if limit is None:
        limit = DEFAULT_LIMIT
    elif not 1 <= limit <= MAX_LIMIT:
        raise control.ControlError(400, f"limit must be 1 to {MAX_LIMIT}, got {limit}")
    return after, before, limit


def timeline_page(
    world: World,
    page_id: str,
    psid: str,
    *,
    after: int | None = None,
    before: int | None = None,
    limit: int = DEFAULT_LIMIT,
) -> dict[str, Any]:
    """One page of the conversation, oldest first: `{"data", "has_earlier", "has_more"}` (no
    `has_earlier` with `after`), as the module says."""
    newer = False  # an item of the conversation newer than those answered was seen
    candidates: list[Item] = []
    for records, make in _sources(world, page_id, psid):
        found = 0
        for record in reversed(records):  # newest first
            order = record.get("order", 0)
            if after is not None and order <= after:
                break  # the rest is older still
            item = make(record)
            if item is None:
                continue
            if before is not None and order >= before:
                newer = True
                continue
            candidates.append(item)
            found += 1
            if after is None and found > limit:
                break  # enough from this deque: limit, and one to tell there are earlier ones
    # records restored from a state file older than `order` sort first, by time
    candidates.sort(key=lambda item: (item["seq"], item["at"]))
    if after is not None:
        return {"data": candidates[:limit], "has_more": len(candidates) > limit}
    return {
        "data": candidates[-limit:],
        "has_earlier": len(candidates) > limit,
        "has_more": newer,
    }


def _sources(
    world: World, page_id: str, psid: str
) -> Iterable[tuple[deque[dict[str, Any]], Callable[[dict[str, Any]], Item | None]]]:
    """Each record deque (oldest first) with what makes one of its records an item of this
    conversation (None: another conversation's)."""

    def inbound(event: dict[str, Any]) -> Item | None:
        if event["page_id"] == page_id and event["psid"] == psid:
            return _item("inbound", event["timestamp"], event, "event")
        return None

    def sent(entry: dict[str, Any]) -> Item | None:
        if entry["page_id"] == page_id and entry["recipient_id"] == psid:
            return _item("sent", entry["timestamp"], entry, "entry")
        return None

    def rejected(entry: dict[str, Any]) -> Item | None:
        if entry.get("page_id") == page_id and refused_recipient(entry) == psid:
            return _item("rejected", entry["timestamp"], entry, "request")
        return None

    return ((world.inbox, inbound), (world.outbox, sent), (world.journal, rejected))


def last_order(world: World) -> int:
    """The newest `order` given in the world: that of its newest record (0: none yet)."""
    return max(
        (
            records[-1].get("order", 0)
            for records in (world.inbox, world.outbox, world.journal)
            if records
        ),
        default=0,
    )


def _item(kind: str, at: str, record: dict[str, Any], key: str) -> dict[str, Any]:
    return {"kind": kind, "at": at, "seq": record.get("order", 0), key: record}


NO_SUMMARY: dict[str, Any] = {"last_inbound": None, "preview": None, "refused": 0}
PREVIEW_MAX = 80


def summaries(world: World) -> dict[Conversation, dict[str, Any]]:
    """By conversation: `last_inbound` (the person's newest action but a read), `preview` (the
    last message either side wrote: `{"from": "person"|"page", "text"}`) and `refused` (how
    many sends to them were refused)."""
    found: dict[Conversation, dict[str, Any]] = {}

    def of(key: Conversation) -> dict[str, Any]:
        return found.setdefault(key, {**NO_SUMMARY, "_order": -1})

    # newest first, so each conversation's preview is worded once, not once per record
    for event in reversed(world.inbox):
        if event.get("kind") == "read":
            continue
        summary = of((event["page_id"], event["psid"]))
        if summary["last_inbound"] is None:
            summary["last_inbound"] = event["timestamp"]
        if summary["_order"] < 0:
            text = _inbound_text(event)
            if text is not None:
                summary["preview"] = {"from": "person", "text": _short(text)}
                summary["_order"] = event.get("order", 0)
    worded: set[Conversation] = set()
    for entry in reversed(world.outbox):
        key = (entry["page_id"], entry.get("recipient_id"))
        if key[1] is None or key in worded:
            continue
        message = entry.get("message")
        if not isinstance(message, dict):
            continue
        worded.add(key)
        summary = of(key)
        if entry.get("order", 0) > summary["_order"]:
            summary["preview"] = {"from": "page", "text": _short(_sent_text(message))}
            summary["_order"] = entry.get("order", 0)
    for entry in world.journal:
        psid = refused_recipient(entry)
        if psid is not None:
            of((entry["page_id"], psid))["refused"] += 1
    for summary in found.values():
        del summary["_order"]
    return found


def _short(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= PREVIEW_MAX else line[: PREVIEW_MAX - 1] + "\u2026"


def _inbound_text(event: dict[str, Any]) -> str | None:
    kind = event.get("kind")
    if kind == "message":
        if event.get("text"):
            return str(event["text"])
        return "sent an attachment" if event.get("attachments") else None
    if kind == "postback":
        return str(event.get("title") or event.get("payload") or "")
    if kind == "reaction":
        return f"reacted {event.get('emoji') or event.get('reaction') or ''}".strip()
    return None


def _sent_text(message: dict[str, Any]) -> str:
    if message.get("text"):
        return str(message["text"])
    attachment = message.get("attachment")
    if isinstance(attachment, dict):
        payload = attachment.get("payload")
        kind = attachment.get("type")
        if kind == "template" and isinstance(payload, dict):
            text = payload.get("text")
            return str(text) if text else f"{payload.get('template_type', 'a')} template"
        return f"sent {'an' if str(kind)[:1] in 'aeiou' else 'a'} {kind}"
    return "a message"


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
