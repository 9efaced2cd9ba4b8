"""Persistence for offline development (`serve --state FILE`): the emulator's dynamic state in
SQLite, so messages, journal, uploads and clock survive a restart.

Three parts:

- `snapshot(world)` / `restore(world, snapshot)`: the world's dynamic state as a plain,
  JSON-ready dict (uploaded bytes stay `bytes`), and back. A snapshot only applies to the
  scenario it was taken with (`scenario_hash`); `restore` refuses any other and says why.
- `StateStore`: one SQLite file; per namespace (the key), one row with the snapshot as JSON,
  one row per outbox and journal entry, and the uploaded bytes as BLOBs. Every save is one
  transaction (WAL journal): a crash mid-write leaves the previous state.
- `Persistence`: saves one world when it stops and, while it runs, every `interval` seconds if
  something changed, writing only the entries added since its last save. For the app's
  lifespan: `restore()`, `start()`, `await stop()`.

What is kept: the clock (a frozen clock's instant; a real-time clock's offset from real time,
so a clock moved forward stays moved), the people (last message, blocked, people added by
the control API), user refs, comments and posts (replied, author, created), token expiries,
saved attachments with their bytes, each page's Messenger Profile, the outbox, the journal, the
person's actions (the inbox, for the web UI's conversations) and the sequence counters. Times
resolved from relative scenario times (`-1h`) are kept as the instants they were, so a person's
window goes on closing while the emulator is off. Webhook deliveries are not kept.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import hashlib
import itertools
import json
import logging
import os
import re
import sqlite3
import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from emulator.scenario.model import Scenario
from emulator.state import Activity, PageState, Person, SavedAttachment, World

log = logging.getLogger("emulator")

FORMAT = 1  # of the snapshot; a snapshot in another format is not restored
# PRAGMA application_id of a state file: "SAEm", so another SQLite file is not mistaken for one
APPLICATION_ID = 0x5341456D
DEFAULT_NAME = "default"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS namespaces (
    name TEXT PRIMARY KEY,
    scenario_hash TEXT NOT NULL,
    format INTEGER NOT NULL,
    saved_at TEXT NOT NULL,
    state TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS records (
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    seq INTEGER NOT NULL,
    entry TEXT NOT NULL,
    PRIMARY KEY (name, kind, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blobs (
    name TEXT NOT NULL,
    attachment_id TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (name, attachment_id)
);
"""


class StateError(ValueError):
    """The state file cannot be used: str(error) is one line naming the file and the problem."""


@dataclass(frozen=True, slots=True)
class RestoreResult:
    """Whether a snapshot was applied, and a one-line account (why not, or what came back).
    Truthy only when restored."""

    restored: bool
    reason: str

    def __bool__(self) -> bool:
        return self.restored


def scenario_hash(scenario: Scenario) -> str:
    """What a snapshot must match to be restored. The webhook is left out: it is where events
    go (it may change between runs, or through the control API), not part of the state."""
    document = scenario.model_dump_json(exclude={"webhook"})
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


# --- snapshot / restore -----------------------------------------------------------------


def snapshot(world: World) -> dict[str, Any]:
    """The world's dynamic state as a plain dict: JSON-ready except attachment bytes (`bytes`).

    The outbox and journal entries are shared, not copied: encode the snapshot (StateStore.
    encode) before the world changes again."""
    clock = world.clock
    return {
        "format": FORMAT,
        "scenario_hash": scenario_hash(world.scenario),
        "saved_at": datetime.now(UTC).isoformat(),
        "clock": {
            "frozen": clock.frozen,
            "now": clock.now().isoformat() if clock.frozen else None,
            # a real-time clock moved by the control API keeps its lead over real time
            "offset_us": None if clock.frozen else _microseconds(clock._offset),
        },
        "pages": {page_id: _page_snapshot(page) for page_id, page in world.pages.items()},
        "grants": {token: _iso(grant.expires) for token, grant in world.grants.items()},
        "outbox": list(world.outbox),
        "journal": list(world.journal),
        "inbox": list(world.inbox),
        "counters": {
            "send": world.outbox[-1]["seq"] + 1 if world.outbox else 1,
            "request": world.journal[-1]["id"] + 1 if world.journal else 1,
            "inbox": world.inbox[-1]["seq"] + 1 if world.inbox else 1,
            "order": _counter_value(world._order),
            "ids": _counter_value(world.ids._counter),
        },
    }


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
        "messenger_profile": page.messenger_profile,
    }


def restore(world: World, saved: dict[str, Any]) -> RestoreResult:
    """Apply a snapshot taken with the same scenario; otherwise change nothing and say why.

    StateError if the snapshot is damaged (the world is then unchanged too): everything is
    decoded first and assigned last."""
    if not isinstance(saved, dict):
        raise StateError("saved state is not an object: the state file is damaged")
    if saved.get("format") != FORMAT:
        return RestoreResult(
            False, f"state was saved in format {saved.get('format')!r}, this version reads {FORMAT}"
        )
    if saved.get("scenario_hash") != scenario_hash(world.scenario):
        return RestoreResult(False, "state file was saved for another scenario")
    try:
        return _apply(world, saved)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        detail = f"{type(exc).__name__}: {exc}".splitlines()[0] if str(exc) else type(exc).__name__
        raise StateError(f"saved state is damaged ({detail})") from None


def _apply(world: World, saved: dict[str, Any]) -> RestoreResult:
    # --- decode everything (no change yet) ----------------------------------------------
    clock = saved["clock"]
    if bool(clock["frozen"]) != world.clock.frozen:
        raise ValueError("clock kind differs from the scenario's")
    frozen_now = datetime.fromisoformat(clock["now"]) if clock["frozen"] else None
    offset = None if clock["frozen"] else timedelta(microseconds=int(clock["offset_us"]))
    pages: dict[str, tuple[dict[str, Person], dict[str, datetime | None], dict[str, Activity]]] = {}
    attachments: dict[str, dict[str, SavedAttachment]] = {}
    profiles: dict[str, dict[str, Any]] = {}
    for page_id, page in world.pages.items():
        data = saved["pages"][page_id]
        people = {}
        for item in data["people"]:
            person = Person(**{**item, "last_message": _instant(item["last_message"])})
            people[person.psid] = person
        refs = {str(ref): _instant(created) for ref, created in data["user_refs"].items()}
        activities = {}
        for item in data["activities"]:
            activity = Activity(**{**item, "created": _instant(item["created"])})
            activities[activity.id] = activity
        missing = page.activities.keys() - activities.keys()
        if missing:  # the scenario's comments and posts are all there
            raise KeyError(f"activities {sorted(missing)}")
        pages[page_id] = (people, refs, activities)
        attachments[page_id] = {}
        for item in data["attachments"]:
            if item["data"] is not None and not isinstance(item["data"], bytes):
                raise TypeError(f"attachment {item['id']} data is {type(item['data']).__name__}")
            attachment = SavedAttachment(**item)
            attachments[page_id][attachment.id] = attachment
        profile = data["messenger_profile"]
        if not isinstance(profile, dict):
            raise TypeError("messenger_profile is not an object")
        profiles[page_id] = profile
    grants = {
        token: dataclasses.replace(grant, expires=_instant(saved["grants"][token]))
        for token, grant in world.grants.items()
    }
    outbox = _records(saved["outbox"], "seq")
    journal = _records(saved["journal"], "id")
    inbox = _records(saved.get("inbox", []), "seq")  # absent from files saved before the UI
    counters = saved["counters"]
    send_next, request_next = int(counters["send"]), int(counters["request"])
    inbox_next = int(counters.get("inbox") or (inbox[-1]["seq"] + 1 if inbox else 1))
    order_next = int(
        counters.get("order")
        or 1 + max((item.get("order", 0) for item in (*outbox, *journal, *inbox)), default=0)
    )
    ids_next = counters.get("ids")
    if frozen_now is not None and frozen_now.tzinfo is None:
        raise ValueError("the saved clock has no UTC offset")

    # --- assign ---------------------------------------------------------------------------
    if frozen_now is not None:
        world.clock.set(frozen_now)
    elif offset is not None:
        world.clock._offset = offset
    for page_id, (people, refs, activities) in pages.items():
        page = world.pages[page_id]
        page.people = people
        page.user_refs = refs
        page.activities = activities
        page.attachments = attachments[page_id]
        page.messenger_profile = profiles[page_id]
    world.grants = grants
    # the same deques (their maxlen is the world's max_records): the newest entries stay
    world.outbox.clear()
    world.outbox.extend(outbox)
    world.journal.clear()
    world.journal.extend(journal)
    world.inbox.clear()
    world.inbox.extend(inbox)
    world._send_seq = itertools.count(send_next)
    world._request_seq = itertools.count(request_next)
    world._inbox_seq = itertools.count(inbox_next)
    world._order = itertools.count(order_next)
    if isinstance(ids_next, int):  # numeric ids (attachments) go on from where they were
        world.ids._counter = itertools.count(max(ids_next, _counter_value(world.ids._counter) or 1))
    uploads = sum(len(items) for items in attachments.values())
    return RestoreResult(
        True,
        f"restored the state saved at {saved.get('saved_at')}: {len(outbox)} messages, "
        f"{len(journal)} requests, {uploads} saved attachments",
    )


def _records(items: Any, key: str) -> list[dict[str, Any]]:
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise TypeError("records are not a list of objects")
    for item in items:
        int(item[key])
    return items


def _fields(item: Any) -> dict[str, Any]:
    """A slots dataclass's fields, shallow (dataclasses.asdict would deep-copy the bytes)."""
    return {f.name: getattr(item, f.name) for f in dataclasses.fields(item)}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _instant(value: Any) -> datetime | None:
    if value is None:
        return None
    instant = datetime.fromisoformat(value)
    if instant.tzinfo is None:
        raise ValueError(f"time {value!r} has no UTC offset")
    return instant


def _microseconds(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


_COUNT = re.compile(r"count\((\d+)\)")


def _counter_value(counter: object) -> int | None:
    """The next value of an itertools.count, without taking it (its repr says it)."""
    match = _COUNT.fullmatch(repr(counter)) if isinstance(counter, itertools.count) else None
    return int(match.group(1)) if match else None


# --- the SQLite file ----------------------------------------------------------------------


# The records, by kind: where the world keeps them and which field numbers them.
RECORDS = {"outbox": "seq", "journal": "id", "inbox": "seq"}
# ... and the snapshot counter that numbers the next one
RECORD_COUNTERS = {"outbox": "send", "journal": "request", "inbox": "inbox"}


@dataclass(frozen=True, slots=True)
class Encoded:
    """A snapshot ready to write: everything but the records as JSON text, the uploaded bytes
    by attachment id, and the records (JSON each, by kind and number): all of them
    (`replace`), or those after what was written before (records never change once kept)."""

    scenario_hash: str
    saved_at: str
    text: str
    blobs: dict[str, bytes]
    records: dict[str, list[tuple[int, str]]]
    keep_from: dict[str, int]  # by kind: the oldest number still kept (older rows go)
    replace: bool = True


def _jsonable(value: Any) -> Any:
    """What json cannot write, as the closest JSON (the journal keeps whatever was sent)."""
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _fields(value)
    return repr(value)


def _dumps(value: Any) -> str:
    # ASCII: a lone surrogate in a journalled string cannot break the UTF-8 write
    return json.dumps(value, default=_jsonable, ensure_ascii=True)


class StateStore:
    """A state file: one row per namespace, written whole in one transaction.

    Safe to share between threads (one connection behind a lock); StateError, one line, for a
    file that cannot be opened, is not a state file, or holds damaged state."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(
                self.path, timeout=5, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise StateError(f"{self.path}: cannot open the state file ({exc})") from None
        try:
            self._prepare()
        except BaseException:
            self._db.close()
            raise

    def _prepare(self) -> None:
        with self._errors("cannot use the state file"):
            tables = {
                row[0]
                for row in self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            (application_id,) = self._db.execute("PRAGMA application_id").fetchone()
            if application_id != APPLICATION_ID and (application_id != 0 or tables):
                raise StateError(f"{self.path}: not a send-api-emulator state file")
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # WAL: a crash still keeps a commit
            if application_id == 0:
                self._db.execute(f"PRAGMA application_id={APPLICATION_ID}")
            self._db.executescript(_SCHEMA)

    @contextlib.contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise StateError(f"{self.path}: {doing} ({exc})") from None

    @contextlib.contextmanager
    def _transaction(self, doing: str) -> Iterator[sqlite3.Connection]:
        with self._lock, self._errors(doing):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # --- reading ----------------------------------------------------------------------

    def load(self, name: str = DEFAULT_NAME) -> dict[str, Any] | None:
        """The snapshot saved for this namespace, or None if there is none."""
        with self._lock, self._errors("cannot read the state file"):
            row = self._db.execute(
                "SELECT state FROM namespaces WHERE name = ?", (name,)
            ).fetchone()
            if row is None:
                return None
            blobs = dict(
                self._db.execute(
                    "SELECT attachment_id, data FROM blobs WHERE name = ?", (name,)
                ).fetchall()
            )
            records = {
                kind: [
                    entry
                    for (entry,) in self._db.execute(
                        "SELECT entry FROM records WHERE name = ? AND kind = ? ORDER BY seq",
                        (name, kind),
                    )
                ]
                for kind in RECORDS
            }
        try:
            saved = json.loads(row[0])
            if isinstance(saved, dict):
                for kind, entries in records.items():
                    saved[kind] = [json.loads(entry) for entry in entries]
        except (ValueError, TypeError) as exc:
            raise StateError(f"{self.path}: the state of {name!r} is damaged ({exc})") from None
        if not isinstance(saved, dict) or not isinstance(saved.get("pages"), dict):
            raise StateError(f"{self.path}: the state of {name!r} is damaged (not a snapshot)")
        try:
            for page in saved["pages"].values():
                for attachment in page["attachments"]:
                    if attachment.pop("has_data", False):
                        attachment["data"] = bytes(blobs[attachment["id"]])
                    else:
                        attachment["data"] = None
        except (KeyError, TypeError, AttributeError) as exc:
            raise StateError(
                f"{self.path}: the state of {name!r} is damaged (attachments: {exc!r})"
            ) from None
        return saved

    def names(self) -> list[str]:
        """The namespaces with saved state."""
        with self._lock, self._errors("cannot read the state file"):
            return [row[0] for row in self._db.execute("SELECT name FROM namespaces ORDER BY name")]

    # --- writing ----------------------------------------------------------------------

    @staticmethod
    def encode(snapshot_: dict[str, Any], after: dict[str, int] | None = None) -> Encoded:
        """Turn a snapshot into what is written: all its records, or (`after`, by kind) only
        those numbered higher. Call it where the world lives (the event loop): `write` may
        then run in another thread."""
        blobs: dict[str, bytes] = {}
        pages: dict[str, Any] = {}
        for page_id, page in snapshot_["pages"].items():
            shown = []
            for attachment in page["attachments"]:
                data = attachment["data"]
                if data is not None:
                    blobs[attachment["id"]] = bytes(data)
                shown.append({**attachment, "data": None, "has_data": data is not None})
            pages[page_id] = {**page, "attachments": shown}
        records: dict[str, list[tuple[int, str]]] = {}
        keep_from: dict[str, int] = {}
        for kind, key in RECORDS.items():
            entries = snapshot_[kind]
            start = after.get(kind, 0) if after is not None else 0
            records[kind] = [(entry[key], _dumps(entry)) for entry in entries if entry[key] > start]
            keep_from[kind] = (
                entries[0][key] if entries else snapshot_["counters"][RECORD_COUNTERS[kind]]
            )
        core = {k: v for k, v in snapshot_.items() if k not in RECORDS}
        text = _dumps({**core, "pages": pages})
        return Encoded(
            snapshot_["scenario_hash"],
            snapshot_["saved_at"],
            text,
            blobs,
            records,
            keep_from,
            replace=after is None,
        )

    def write(self, name: str, encoded: Encoded) -> None:
        """Replace the namespace's saved state, all or nothing (any thread)."""
        with self._transaction("cannot write the state file") as db:
            db.execute(
                "INSERT OR REPLACE INTO namespaces (name, scenario_hash, format, saved_at, state)"
                " VALUES (?, ?, ?, ?, ?)",
                (name, encoded.scenario_hash, FORMAT, encoded.saved_at, encoded.text),
            )
            for kind, rows in encoded.records.items():
                if encoded.replace:
                    db.execute("DELETE FROM records WHERE name = ? AND kind = ?", (name, kind))
                else:
                    db.execute(
                        "DELETE FROM records WHERE name = ? AND kind = ? AND seq < ?",
                        (name, kind, encoded.keep_from[kind]),
                    )
                db.executemany(
                    "INSERT OR REPLACE INTO records (name, kind, seq, entry) VALUES (?, ?, ?, ?)",
                    [(name, kind, seq, entry) for seq, entry in rows],
                )
            # uploads never change under one id: write only the new ones, drop the gone ones
            stored = {
                row[0]
                for row in db.execute("SELECT attachment_id FROM blobs WHERE name = ?", (name,))
            }
            db.executemany(
                "DELETE FROM blobs WHERE name = ? AND attachment_id = ?",
                [(name, key) for key in stored - encoded.blobs.keys()],
            )
            db.executemany(
                "INSERT INTO blobs (name, attachment_id, data) VALUES (?, ?, ?)",
                [(name, key, data) for key, data in encoded.blobs.items() if key not in stored],
            )

    def save(self, name: str, scenario_hash_: str, snapshot_: dict[str, Any]) -> None:
        """Encode and write a snapshot (see encode and write) under `scenario_hash_`."""
        encoded = self.encode(snapshot_)
        self.write(name, dataclasses.replace(encoded, scenario_hash=scenario_hash_))

    def delete(self, name: str) -> None:
        """Forget a namespace's saved state (it was deleted)."""
        with self._transaction("cannot write the state file") as db:
            for table in ("namespaces", "records", "blobs"):
                db.execute(f"DELETE FROM {table} WHERE name = ?", (name,))

    def close(self) -> None:
        with self._lock:
            self._db.close()


# --- saving while serving -----------------------------------------------------------------


class Persistence:
    """Keeps one world (one namespace) saved: at `stop()`, and every `interval` seconds while
    something changed. A save writes the outbox and journal entries added since the last one
    (all of them after a reset). Save failures are logged (one line per failing spell) and
    retried, never raised from the loop.

    In an app lifespan::

        persistence = Persistence(store, world, "default")
        result = persistence.restore()      # RestoreResult: log result.reason
        persistence.start()
        yield
        await persistence.stop()
    """

    def __init__(
        self, store: StateStore, world: World, name: str = DEFAULT_NAME, interval: float = 1.0
    ) -> None:
        self.store = store
        self.world = world
        self.name = name
        self.interval = interval
        self._dirty = False
        self._seen = self._fingerprint()
        # by kind, the newest record number in the file, and of which deques (a reset makes
        # new ones); None: the next save writes them all
        self._written: dict[str, int] | None = None
        self._written_of: tuple[weakref.ref[Any], ...] = ()
        self._resets = 0
        world.listeners.append(self._on_event)
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._failing = False

    def restore(self) -> RestoreResult:
        """Apply the namespace's saved state, if any and if saved for this scenario.
        StateError if the file holds damaged state."""
        saved = self.store.load(self.name)
        self._written = None
        if saved is None:
            result = RestoreResult(False, "no saved state")
        else:
            result = restore(self.world, saved)
            if result:  # the file holds what the world now holds: later saves add to it
                kept = zip(RECORDS, self._records(), strict=True)
                self._written_up_to(
                    {kind: records[-1][RECORDS[kind]] if records else 0 for kind, records in kept},
                    self._resets,
                )
        self._seen = self._fingerprint()
        return result

    def _on_event(self, event: str, payload: dict[str, Any]) -> None:
        if event == "webhook":  # deliveries are not kept: nothing to save
            return
        self._dirty = True
        if event == "reset":  # new outbox and journal, numbered from 1 again
            self._resets += 1
            self._written = None

    def _fingerprint(self) -> tuple[Any, ...]:
        """Changes no listener hears of: Graph calls (journal), the clock, a webhook change."""
        world = self.world
        journal, outbox = world.journal, world.outbox
        return (
            id(journal),
            journal[-1]["id"] if journal else 0,
            outbox[-1]["seq"] if outbox else 0,
            world.clock.now() if world.clock.frozen else world.clock._offset,
            id(world.scenario),
        )

    def changed(self) -> bool:
        return self._dirty or self._fingerprint() != self._seen

    def start(self) -> None:
        """Save in the background (call with the event loop running)."""
        if self._task is not None:
            return
        self._stopping = asyncio.Event()
        if self._on_event not in self.world.listeners:  # stopped before
            self.world.listeners.append(self._on_event)
        self._task = asyncio.get_running_loop().create_task(self.run())

    async def run(self) -> None:
        """Save every `interval` seconds while something changed, until stop()."""
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.interval)
            if not self._stopping.is_set() and self.changed():
                await self.save()

    async def save(self) -> bool:
        """Save now (the write runs in a thread); False if it failed (logged)."""
        try:
            encoded, newest, resets = self._encode()
            await asyncio.to_thread(self.store.write, self.name, encoded)
        except Exception as exc:  # logged, retried: the server goes on serving
            self._failed(exc)
            return False
        self._written_up_to(newest, resets)
        return True

    def save_now(self) -> None:
        """Save synchronously, on the world's thread (StateError if it fails)."""
        encoded, newest, resets = self._encode()
        try:
            self.store.write(self.name, encoded)
        except Exception as exc:
            self._failed(exc)
            raise
        self._written_up_to(newest, resets)

    def _encode(self) -> tuple[Encoded, dict[str, int], int]:
        """Snapshot and encode on the world's thread, then count the world as saved."""
        saved = snapshot(self.world)
        newest = {kind: saved[kind][-1][key] if saved[kind] else 0 for kind, key in RECORDS.items()}
        after = self._written
        written_of = zip(self._written_of, self._records(), strict=True)
        if after is not None and any(ref() is not records for ref, records in written_of):
            after = None  # other deques than those written: a reset that went unheard
        encoded = self.store.encode(saved, after)
        self._dirty = False
        self._seen = self._fingerprint()
        return encoded, newest, self._resets

    def _records(self) -> tuple[Any, ...]:
        return (self.world.outbox, self.world.journal, self.world.inbox)  # RECORDS' order

    def _written_up_to(self, newest: dict[str, int], resets: int) -> None:
        if resets == self._resets:  # else a reset came meanwhile: the next save writes all
            self._written = newest
            self._written_of = tuple(weakref.ref(records) for records in self._records())
        if self._failing:
            log.info("state %r saved again", self.name)
        self._failing = False

    def _failed(self, exc: Exception) -> None:
        self._dirty = True  # what was not written is written next time (_written unchanged)
        if not self._failing:  # one line per failing spell, not one per second
            log.error("state %r not saved: %s", self.name, exc)
        self._failing = True

    async def stop(self) -> None:
        """Stop the loop (letting a save under way finish), save a last time, stop listening."""
        self._stopping.set()
        task, self._task = self._task, None
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with contextlib.suppress(ValueError):
            self.world.listeners.remove(self._on_event)
        await self.save()
