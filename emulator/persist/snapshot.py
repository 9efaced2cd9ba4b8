"""A world's dynamic state as a plain dict (a snapshot), and back (`restore`).

A snapshot only applies to the scenario it was taken with (`scenario_hash`): `restore` refuses
any other and says why. A damaged snapshot (a missing part, a value of the wrong type, numbers
that would repeat) is a StateError, and the world is then unchanged: everything is decoded and
checked first, and assigned last.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from emulator.clock import Clock
from emulator.scenario.model import Scenario
from emulator.state import Activity, Grant, OptIn, PageState, Person, SavedAttachment, World

FORMAT = 1  # of the snapshot; a snapshot in another format is not restored

# The records, by kind (the world's deque of that name): the field numbering them, and the
# counter (World.counters) numbering the next one.
RECORDS = {"outbox": "seq", "journal": "id", "inbox": "seq"}
RECORD_COUNTERS = {"outbox": "send", "journal": "request", "inbox": "inbox"}


class StateError(ValueError):
    """The state file cannot be used: str(error) is one line saying why (naming the file
    where one is involved)."""


@dataclass(frozen=True, slots=True)
class RestoreResult:
    """Whether a snapshot was applied, and a one-line account (why not, or what came back).
    Truthy only when restored. `backup`: where the state file was copied before a state saved
    for another scenario (or format) is replaced."""

    restored: bool
    reason: str
    backup: str | None = None

    def __bool__(self) -> bool:
        return self.restored


# scenario hashes by id(scenario), while that scenario lives (scenarios are frozen models)
_hashes: dict[int, tuple[weakref.ref[Scenario], str]] = {}


def scenario_hash(scenario: Scenario) -> str:
    """What a snapshot must match to be restored. The webhook is left out: it is where events
    go (it may change between runs, or through the control API), not part of the state.
    Computed once per scenario object."""
    key = id(scenario)
    cached = _hashes.get(key)
    if cached is not None and cached[0]() is scenario:
        return cached[1]
    document = scenario.model_dump_json(exclude={"webhook"})
    digest = hashlib.sha256(document.encode("utf-8")).hexdigest()

    def forget(ref: weakref.ref[Scenario]) -> None:
        if _hashes.get(key, (None, ""))[0] is ref:
            del _hashes[key]

    _hashes[key] = (weakref.ref(scenario, forget), digest)
    return digest


def records_of(world: World) -> dict[str, deque[dict[str, Any]]]:
    """The world's records by kind (RECORDS' order)."""
    return {"outbox": world.outbox, "journal": world.journal, "inbox": world.inbox}


# --- snapshot ---------------------------------------------------------------------------


def snapshot(world: World) -> dict[str, Any]:
    """The world's dynamic state as a plain dict: JSON-ready except attachment bytes (`bytes`).

    The outbox, journal and inbox entries are shared, not copied: encode the snapshot
    (StateStore.encode) before the world changes again."""
    return {
        **snapshot_core(world),
        "pages": snapshot_pages(world),
        **{kind: list(records) for kind, records in records_of(world).items()},
    }


def snapshot_core(world: World) -> dict[str, Any]:
    """The snapshot but its pages and records: small, taken at every save."""
    clock = world.clock
    return {
        "format": FORMAT,
        "scenario_hash": scenario_hash(world.scenario),
        "saved_at": datetime.now(UTC).isoformat(),
        "clock": {
            "frozen": clock.frozen,
            "now": clock.now().isoformat() if clock.frozen else None,
            # a real-time clock moved by the control API keeps its lead over real time
            "offset_us": None if clock.frozen else _microseconds(clock.offset),
        },
        "grants": {token: _iso(grant.expires) for token, grant in world.grants.items()},
        "counters": {**world.counters(), "ids": world.ids.peek()},
    }


def snapshot_pages(world: World) -> dict[str, Any]:
    """The pages' state: people, user refs, comments and posts, saved attachments (with their
    bytes), Messenger Profiles."""
    return {page_id: _page_snapshot(page) for page_id, page in world.pages.items()}


def _page_snapshot(page: PageState) -> dict[str, Any]:
    return {
        "people": [
            {**_fields(person), "last_message": _iso(person.last_message)}
            for person in page.people.values()
        ],
        "user_refs": {ref: _iso(created) for ref, created in page.user_refs.items()},
        "activities": [
            {**_fields(activity), "created": _iso(activity.created)}
            for activity in page.activities.values()
        ],
        "attachments": [_fields(attachment) for attachment in page.attachments.values()],
        # a copy: the profile edge changes it in place, and a save encodes in another thread
        "messenger_profile": copy.deepcopy(page.messenger_profile),
        "personas": [dict(persona) for persona in page.personas.values()],
        "subscribed_fields": _optional_list(page.subscribed_fields),
        # the handover protocol: threads whose owner is not the primary (null: idle)
        "thread_owners": dict(page.owners),
        # the tokens the page's people gave by opting in (issue 13)
        "optins": {
            token: {**_fields(optin), "expires": optin.expires.isoformat()}
            for token, optin in page.optins.items()
        },
    }


def _optional_list(fields: tuple[str, ...] | None) -> list[str] | None:
    return list(fields) if fields is not None else None


def _fields(item: Any) -> dict[str, Any]:
    """A slots dataclass's fields, shallow (dataclasses.asdict would deep-copy the bytes)."""
    return {f.name: getattr(item, f.name) for f in dataclasses.fields(item)}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _microseconds(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


# --- restore ----------------------------------------------------------------------------


def restore(world: World, saved: Any) -> RestoreResult:
    """Apply a snapshot taken with the same scenario; otherwise change nothing and say why.

    StateError if the snapshot is damaged (the world is then unchanged too)."""
    if not isinstance(saved, dict):
        raise StateError("saved state is damaged (not an object)")
    saved_format = saved.get("format")
    if type(saved_format) is not int or saved_format != FORMAT:
        return RestoreResult(
            False, f"state was saved in format {saved_format!r}, this version reads {FORMAT}"
        )
    if saved.get("scenario_hash") != scenario_hash(world.scenario):
        return RestoreResult(False, "state file was saved for another scenario")
    try:
        decoded = _decode(world, saved)
        decoded.set_clock(world.clock)  # the first change: a failure leaves everything as it was
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError) as exc:
        detail = f"{type(exc).__name__}: {exc}".splitlines()[0] if str(exc) else type(exc).__name__
        raise StateError(f"saved state is damaged ({detail})") from None
    return decoded.assign(world, saved.get("saved_at"))


@dataclass(slots=True)
class _PageParts:
    people: dict[str, Person]
    user_refs: dict[str, datetime | None]
    activities: dict[str, Activity]
    attachments: dict[str, SavedAttachment]
    messenger_profile: dict[str, Any]
    # absent from snapshots made before personas and subscribed apps: the scenario's then
    personas: dict[str, dict[str, str]] | None = None
    subscribed_fields: tuple[str, ...] | _Absent | None = None
    # absent from snapshots made before the handover protocol: the scenario's owners then
    thread_owners: dict[str, str | None] | None = None
    # absent from snapshots made before opt-ins: none then
    optins: dict[str, OptIn] | None = None


class _Absent:
    """Marks a snapshot made before subscribed apps were kept (None means "the scenario's")."""


ABSENT = _Absent()


@dataclass(slots=True)
class _Decoded:
    """A snapshot checked and decoded, not applied yet."""

    now: datetime | None  # a frozen clock's instant
    offset: timedelta | None  # a real-time clock's lead
    pages: dict[str, _PageParts]
    grants: dict[str, Grant]
    records: dict[str, list[dict[str, Any]]]
    counters: dict[str, int]
    ids: int | None

    def set_clock(self, clock: Clock) -> None:
        if self.now is not None:
            clock.set(self.now)
        elif self.offset is not None:
            clock.restore_offset(self.offset)

    def assign(self, world: World, saved_at: Any) -> RestoreResult:
        for page_id, parts in self.pages.items():
            page = world.pages[page_id]
            page.people = parts.people
            page.user_refs = parts.user_refs
            page.activities = parts.activities
            page.attachments = parts.attachments
            page.messenger_profile = parts.messenger_profile
            if parts.personas is not None:
                page.personas = parts.personas
            if not isinstance(parts.subscribed_fields, _Absent):
                page.subscribed_fields = parts.subscribed_fields
            if parts.thread_owners is not None:
                page.owners = parts.thread_owners
            if parts.optins is not None:
                page.optins = parts.optins
        world.grants = self.grants
        # the same deques (their maxlen is the world's max_records): the newest entries stay
        kept = records_of(world)
        for kind, items in self.records.items():
            kept[kind].clear()
            kept[kind].extend(items)
        world.resume_counters(self.counters)
        if self.ids is not None:  # numeric ids (attachments) go on from where they were
            world.ids.resume(self.ids)
        uploads = sum(len(parts.attachments) for parts in self.pages.values())
        messages, requests = len(world.outbox), len(world.journal)
        dropped = sum(len(self.records[kind]) - len(kept[kind]) for kind in RECORDS)
        return RestoreResult(
            True,
            f"restored the state saved at {saved_at}: {messages} message{_s(messages)}, "
            f"{requests} request{_s(requests)}, {uploads} saved attachment{_s(uploads)}"
            + (f" ({dropped} older records beyond --max-records left out)" if dropped else ""),
        )


def _s(count: int) -> str:
    return "" if count == 1 else "s"


# Checks: each takes the value and what it is (for the message), returns the value decoded,
# raises TypeError or ValueError. Types are exact: True is not a number, "7" is not one either.
Check = Callable[[Any, str], Any]
_NONE = type(None)


def _typed(*types: type) -> Check:
    expected = " or ".join("null" if kind is _NONE else kind.__name__ for kind in types)

    def check(value: Any, what: str) -> Any:
        if type(value) not in types:
            raise TypeError(f"{what} is {type(value).__name__}, not {expected}")
        return value

    return check


def _instant(value: Any, what: str) -> datetime:
    if type(value) is not str:
        raise TypeError(f"{what} is {type(value).__name__}, not a time")
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{what} {value!r} is not a time") from None
    if instant.tzinfo is None:
        raise ValueError(f"{what} {value!r} has no UTC offset")
    return instant


def _optional(check: Check) -> Check:
    return lambda value, what: None if value is None else check(value, what)


def _one_of(*choices: str) -> Check:
    def check(value: Any, what: str) -> Any:
        if value not in choices or type(value) is not str:
            raise ValueError(f"{what} is {value!r}, not one of {', '.join(choices)}")
        return value

    return check


T = TypeVar("T")
_TEXT = _typed(str)
_MAYBE_TEXT = _typed(str, _NONE)
_FLAG = _typed(bool)
_NUMBER = _typed(int)

# Each kept dataclass's fields and their checks (a test keeps these in step with state.py).
PERSON_FIELDS: dict[str, Check] = {
    "psid": _TEXT,
    "first_name": _MAYBE_TEXT,
    "last_name": _MAYBE_TEXT,
    "last_message": _optional(_instant),
    "blocked": _FLAG,
    "profile_pic": _MAYBE_TEXT,
    "locale": _MAYBE_TEXT,
    "timezone": _typed(int, float, _NONE),
    "gender": _MAYBE_TEXT,
}
ACTIVITY_FIELDS: dict[str, Check] = {
    "id": _TEXT,
    "kind": _one_of("comment_id", "post_id"),
    "created": _instant,
    "author_psid": _TEXT,
    "replied": _FLAG,
}
ATTACHMENT_FIELDS: dict[str, Check] = {
    "id": _TEXT,
    "page_id": _TEXT,
    "type": _TEXT,
    "created": _TEXT,
    "url": _MAYBE_TEXT,
    "filename": _MAYBE_TEXT,
    "content_type": _MAYBE_TEXT,
    "size": _typed(int, _NONE),
    "data": _typed(bytes, _NONE),
    "origin": _TEXT,
}


def _object(value: Any, what: str) -> dict[str, Any]:
    if type(value) is not dict:
        raise TypeError(f"{what} is {type(value).__name__}, not an object")
    return value


def _list(value: Any, what: str) -> list[Any]:
    if type(value) is not list:
        raise TypeError(f"{what} is {type(value).__name__}, not a list")
    return value


def _part(saved: dict[str, Any], key: str, what: str) -> Any:
    if key not in saved:
        raise ValueError(f"{what}{key} is missing")
    return saved[key]


def _build(kind: Callable[..., T], checks: dict[str, Check], item: Any, what: str) -> T:
    """A dataclass from its saved fields: each checked, none unknown; those with a default
    may be absent."""
    _object(item, what)
    unknown = item.keys() - checks.keys()
    if unknown:
        raise ValueError(f"{what} has unknown fields {sorted(unknown)}")
    values = {
        name: check(item[name], f"{what}.{name}") for name, check in checks.items() if name in item
    }
    return kind(**values)


def _decode(world: World, saved: dict[str, Any]) -> _Decoded:
    clock = _object(_part(saved, "clock", ""), "clock")
    frozen = _FLAG(_part(clock, "frozen", "clock."), "clock.frozen")
    if frozen != world.clock.frozen:
        raise ValueError("the saved clock is of another kind than the scenario's")
    now = _instant(_part(clock, "now", "clock."), "clock.now") if frozen else None
    offset = (
        None
        if frozen
        else timedelta(microseconds=_NUMBER(_part(clock, "offset_us", "clock."), "clock.offset_us"))
    )

    saved_pages = _object(_part(saved, "pages", ""), "pages")
    pages = {
        page_id: _decode_page(
            page, _object(_part(saved_pages, page_id, "pages."), f"pages.{page_id}")
        )
        for page_id, page in world.pages.items()
    }

    saved_grants = _object(_part(saved, "grants", ""), "grants")
    if world.grants.keys() - saved_grants.keys():
        raise ValueError("grants: a token of the scenario is missing")
    grants = {
        token: dataclasses.replace(
            grant, expires=_optional(_instant)(saved_grants[token], "a token's expiry")
        )
        for token, grant in world.grants.items()
    }

    records = {
        # the inbox is absent from files saved before the web UI
        kind: _records(
            saved.get(kind, []) if kind == "inbox" else _part(saved, kind, ""), kind, key
        )
        for kind, key in RECORDS.items()
    }
    newest = {kind: items[-1][RECORDS[kind]] if items else 0 for kind, items in records.items()}
    saved_counters = _object(_part(saved, "counters", ""), "counters")
    counters = {}
    for kind, name in RECORD_COUNTERS.items():
        value = saved_counters.get(name)
        if value is None and name == "inbox":  # files saved before the web UI
            value = newest[kind] + 1
        counters[name] = _next_number(value, f"counters.{name}", newest[kind])
    orders = [item["order"] for items in records.values() for item in items if "order" in item]
    order = saved_counters.get("order")
    counters["order"] = _next_number(
        max(orders, default=0) + 1 if order is None else order,
        "counters.order",
        max(orders, default=0),
    )
    ids = saved_counters.get("ids")
    return _Decoded(
        now=now,
        offset=offset,
        pages=pages,
        grants=grants,
        records=records,
        counters=counters,
        ids=None if ids is None else _next_number(ids, "counters.ids", 0),
    )


def _decode_page(page: PageState, saved: dict[str, Any]) -> _PageParts:
    where = f"pages.{page.id}."
    people: dict[str, Person] = {}
    for index, item in enumerate(_list(_part(saved, "people", where), f"{where}people")):
        person = _build(Person, PERSON_FIELDS, item, f"{where}people[{index}]")
        people[person.psid] = person
    refs = {
        ref: _optional(_instant)(created, f"{where}user_refs.{ref}")
        for ref, created in _object(_part(saved, "user_refs", where), f"{where}user_refs").items()
    }
    activities: dict[str, Activity] = {}
    for index, item in enumerate(_list(_part(saved, "activities", where), f"{where}activities")):
        activity = _build(Activity, ACTIVITY_FIELDS, item, f"{where}activities[{index}]")
        activities[activity.id] = activity
    missing = page.activities.keys() - activities.keys()
    if missing:  # the scenario's comments and posts are all there
        raise ValueError(f"{where}activities lack {sorted(missing)}")
    attachments: dict[str, SavedAttachment] = {}
    for index, item in enumerate(_list(_part(saved, "attachments", where), f"{where}attachments")):
        attachment = _build(
            SavedAttachment, ATTACHMENT_FIELDS, item, f"{where}attachments[{index}]"
        )
        attachments[attachment.id] = attachment
    profile = _object(_part(saved, "messenger_profile", where), f"{where}messenger_profile")
    parts = _PageParts(people, refs, activities, attachments, profile)
    parts.personas = _decode_personas(saved.get("personas"), f"{where}personas")
    fields: Any = saved.get("subscribed_fields", ABSENT)
    if fields is not None and not isinstance(fields, _Absent):
        fields = tuple(
            _typed(str)(name, f"{where}subscribed_fields")
            for name in _list(fields, f"{where}subscribed_fields")
        )
    parts.subscribed_fields = fields
    parts.thread_owners = _decode_owners(saved.get("thread_owners"), f"{where}thread_owners")
    parts.optins = _decode_optins(saved.get("optins"), f"{where}optins")
    return parts


def _decode_optins(items: Any, where: str) -> dict[str, OptIn] | None:
    """The opt-in tokens as saved (None when the snapshot predates them)."""
    if items is None:
        return None
    optins: dict[str, OptIn] = {}
    for token, item in _object(items, where).items():
        at = f"{where}[{token}]"
        optin = _object(item, at)
        optins[token] = OptIn(
            _typed(str)(optin.get("psid"), f"{at}.psid"),
            _typed(str)(optin.get("kind"), f"{at}.kind"),
            _instant(optin.get("expires"), f"{at}.expires"),
            _typed(bool)(optin.get("used"), f"{at}.used"),
        )
    return optins


def _decode_owners(items: Any, where: str) -> dict[str, str | None] | None:
    """Each thread's owner where it is not the primary (None when the snapshot predates the
    handover protocol)."""
    if items is None:
        return None
    owners: dict[str, str | None] = {}
    for psid, app_id in _object(items, where).items():
        owners[psid] = _optional(_typed(str))(app_id, f"{where}[{psid}]")
    return owners


def _decode_personas(items: Any, where: str) -> dict[str, dict[str, str]] | None:
    """The page's personas as saved (None when the snapshot predates them)."""
    if items is None:
        return None
    personas: dict[str, dict[str, str]] = {}
    for index, item in enumerate(_list(items, where)):
        persona = _object(item, f"{where}[{index}]")
        keys = ("name", "profile_picture_url", "id")
        values = [_typed(str)(persona.get(key), f"{where}[{index}].{key}") for key in keys]
        personas[values[2]] = dict(zip(keys, values, strict=True))
    return personas


def _records(items: Any, kind: str, key: str) -> list[dict[str, Any]]:
    """Entries each numbered (`key`) above the one before; `order`, where there, a number."""
    checked = _list(items, kind)
    last = 0
    for index, item in enumerate(checked):
        _object(item, f"{kind}[{index}]")
        number = _NUMBER(_part(item, key, f"{kind}[{index}]."), f"{kind}[{index}].{key}")
        if number <= last:
            raise ValueError(f"{kind}[{index}].{key} is {number}, after {last}")
        if "order" in item:
            _NUMBER(item["order"], f"{kind}[{index}].order")
        last = number
    return checked


def _next_number(value: Any, what: str, newest: int) -> int:
    """A counter: a number above the newest one given (so no number repeats)."""
    number: int = _NUMBER(value, what)
    if number <= newest:
        raise ValueError(f"{what} is {number}, not above {newest}")
    return number
