"""The state file: SQLite, per namespace (the key) one row with the snapshot as JSON, one row
per outbox, journal and inbox entry, and the uploaded bytes as BLOBs. Every write is one
transaction (WAL journal): a crash mid-write leaves the previous state.

One emulator per file: a store holds `FILE.lock` (flock) from open to close, and a second one
is refused. Before a state saved for another scenario is replaced, `backup` copies the file
aside.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import errno
import itertools
import json
import logging
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from emulator.persist.snapshot import FORMAT, RECORD_COUNTERS, RECORDS, StateError

if sys.platform != "win32":
    import fcntl

log = logging.getLogger("emulator")

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


# A save encodes and writes in a worker thread, and the event loop's thread then waits for
# the GIL until the worker lets go of it: at the latest after sys.getswitchinterval() (5 ms).
# The worker lets go every YIELD_EVERY records (well under a millisecond of work) instead:
# with it, p99 under load with --state went from ~13 ms to ~9 ms (bench/longrun.py).
YIELD_EVERY = 200


def _let_go() -> None:
    """Let another thread (the event loop's) take the GIL and the CPU now."""
    if sys.platform == "win32":
        time.sleep(0)
    else:
        os.sched_yield()  # releases the GIL, and the CPU if the loop is waiting for it


# --- encoding -----------------------------------------------------------------------------


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
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    return repr(value)


# ASCII: a lone surrogate in a journalled string cannot break the UTF-8 write. One encoder
# for all: json.dumps with options builds a new one per call (a third of a record's cost).
_ENCODER = json.JSONEncoder(default=_jsonable, ensure_ascii=True)


def dumps(value: Any) -> str:
    return _ENCODER.encode(value)


def encode_pages(pages: Mapping[str, Any]) -> tuple[str, dict[str, bytes]]:
    """A snapshot's pages as JSON (attachments say `has_data` instead of holding bytes), and
    the attachments' bytes by id."""
    blobs: dict[str, bytes] = {}
    shown: dict[str, Any] = {}
    for page_id, page in pages.items():
        attachments = []
        for attachment in page["attachments"]:
            data = attachment["data"]
            if data is not None:
                blobs[attachment["id"]] = bytes(data)
            attachments.append({**attachment, "data": None, "has_data": data is not None})
        shown[page_id] = {**page, "attachments": attachments}
    return dumps(shown), blobs


@dataclass(frozen=True, slots=True)
class Picked:
    """What a save writes, picked where the world lives (the event loop), before encoding:
    the snapshot's core (all but pages and records) and, by kind, the records to write (the
    entries themselves: records never change once kept), so `encode` may run in another
    thread while the world goes on."""

    core: Mapping[str, Any]
    records: dict[str, list[dict[str, Any]]]  # by kind, oldest first
    keep_from: dict[str, int]  # by kind: the oldest number still kept (older rows go)
    replace: bool

    def count(self) -> int:
        return sum(len(rows) for rows in self.records.values())

    def encode(self, pages: tuple[str, dict[str, bytes]]) -> Encoded:
        """As written, with the pages already encoded (encode_pages); any thread."""
        text = dumps(self.core)
        text = f'{text[:-1]}, "pages": {pages[0]}}}' if text != "{}" else f'{{"pages": {pages[0]}}}'
        return Encoded(
            self.core["scenario_hash"],
            self.core["saved_at"],
            text,
            pages[1],
            {kind: _encoded(entries, RECORDS[kind]) for kind, entries in self.records.items()},
            self.keep_from,
            replace=self.replace,
        )


def _encoded(entries: list[dict[str, Any]], key: str) -> list[tuple[int, str]]:
    """Each entry's number and JSON, letting the event loop run every YIELD_EVERY."""
    rows = []
    for index, entry in enumerate(entries, 1):
        rows.append((entry[key], dumps(entry)))
        if index % YIELD_EVERY == 0:
            _let_go()
    return rows


def pick(
    core: Mapping[str, Any],
    records: Mapping[str, Sequence[dict[str, Any]]],
    after: Mapping[str, int] | None = None,
) -> Picked:
    """The records (by kind, oldest first) to write: all of them, or (`after`, by kind) only
    those numbered higher, taken from the newest back. Call it where the world lives (it
    costs a pointer per new record, read at C speed: no entry is looked into but the newest
    and the oldest taken), then encode anywhere."""
    rows: dict[str, list[dict[str, Any]]] = {}
    keep_from: dict[str, int] = {}
    for kind, key in RECORDS.items():
        entries = records[kind]
        start = after.get(kind, 0) if after is not None else 0
        newest = entries[-1][key] if entries else start
        # numbered one by one, so the new ones are among the newest `newest - start` (fewer
        # if the numbers jumped, as after a restore): take those and the newest old one...
        new = list(itertools.islice(reversed(entries), max(0, newest - start) + 1))
        while new and new[-1][key] <= start:  # ...then leave out what was written before
            new.pop()
        new.reverse()
        rows[kind] = new
        keep_from[kind] = entries[0][key] if entries else core["counters"][RECORD_COUNTERS[kind]]
    return Picked(core, rows, keep_from, replace=after is None)


def encode(
    core: Mapping[str, Any],
    pages: tuple[str, dict[str, bytes]],
    records: Mapping[str, Sequence[dict[str, Any]]],
    after: Mapping[str, int] | None = None,
) -> Encoded:
    """What is written, in one go: `pick`, then `Picked.encode`."""
    return pick(core, records, after).encode(pages)


# --- one emulator per file ----------------------------------------------------------------


def _hold(path: str) -> tuple[str, int] | None:
    """Lock `path`'s FILE.lock exclusively (flock, released by the system if the process dies);
    StateError if another emulator holds it. None where there is no flock (Windows), or where
    the file system does not lock (a warning)."""
    if sys.platform == "win32":
        return None
    lock_path = os.path.realpath(path) + ".lock"
    while True:
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise StateError(
                f"{path}: cannot open the state file ({exc.strerror}: {lock_path})"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise StateError(f"{path} is in use by another emulator") from None
            log.warning(
                "%s: cannot lock %s (%s): not guarded against a second emulator",
                path,
                lock_path,
                exc.strerror,
            )
            return None
        # its last holder may have removed it in between: hold the file that is there now
        try:
            there = os.stat(lock_path)
        except FileNotFoundError:
            there = None
        held = os.fstat(fd)
        if there is not None and (there.st_dev, there.st_ino) == (held.st_dev, held.st_ino):
            return lock_path, fd
        os.close(fd)


def _release(held: tuple[str, int] | None) -> None:
    if held is not None:
        lock_path, fd = held
        with contextlib.suppress(OSError):
            os.unlink(lock_path)  # still holding it: whoever opens it next checks (see _hold)
        os.close(fd)


# --- the store ----------------------------------------------------------------------------


class StateStore:
    """A state file: one row per namespace, written whole in one transaction.

    Safe to share between threads (one connection behind a lock); StateError, one line naming
    the file, for a file that cannot be opened, is in use by another emulator, is not a state
    file, or holds damaged state. Holds the file until `close()`."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._lock = threading.Lock()
        self._held = _hold(self.path)
        try:
            self._db = sqlite3.connect(
                self.path, timeout=5, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            _release(self._held)
            raise StateError(f"{self.path}: cannot open the state file ({exc})") from None
        try:
            self._prepare()
        except BaseException:
            self._db.close()
            _release(self._held)
            raise
        self._closed = False

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

    # --- writing ----------------------------------------------------------------------

    @staticmethod
    def encode(snapshot_: Mapping[str, Any]) -> Encoded:
        """A whole snapshot (persist.snapshot) as written: see `encode`."""
        core = {k: v for k, v in snapshot_.items() if k not in RECORDS and k != "pages"}
        return encode(core, encode_pages(snapshot_["pages"]), snapshot_)

    def save(self, name: str, scenario_hash_: str, snapshot_: Mapping[str, Any]) -> None:
        """Encode and write a whole snapshot under `scenario_hash_` (see encode and write)."""
        encoded = self.encode(snapshot_)
        self.write(name, dataclasses.replace(encoded, scenario_hash=scenario_hash_))

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
                for first in range(0, len(rows), YIELD_EVERY):
                    db.executemany(
                        "INSERT OR REPLACE INTO records (name, kind, seq, entry)"
                        " VALUES (?, ?, ?, ?)",
                        [
                            (name, kind, seq, entry)
                            for seq, entry in rows[first : first + YIELD_EVERY]
                        ],
                    )
                    _let_go()
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

    def backup(self) -> str:
        """Copy the file (SQLite's backup: consistent, WAL included) to
        `FILE.<UTC time>.bak` beside it, and say where; StateError if it cannot."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        for number in itertools.count(1):
            target = f"{self.path}.{stamp}{'' if number == 1 else f'-{number}'}.bak"
            try:  # a name of our own, even if two copies are made within a second
                os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
            except FileExistsError:
                continue
            except OSError as exc:
                raise StateError(
                    f"{self.path}: cannot copy the state file to {target} ({exc.strerror})"
                ) from None
            break
        try:
            copy = sqlite3.connect(target)
            try:
                with self._lock:
                    self._db.backup(copy)
            finally:
                copy.close()
        except sqlite3.Error as exc:
            with contextlib.suppress(OSError):
                os.unlink(target)
            raise StateError(
                f"{self.path}: cannot copy the state file to {target} ({exc})"
            ) from None
        return target

    def close(self) -> None:
        """Close the file and let another emulator use it (again: nothing happens)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._db.close()
            _release(self._held)
