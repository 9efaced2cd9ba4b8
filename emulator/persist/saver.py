"""Saving while serving: `Persistence` keeps one world (one namespace) saved in a StateStore."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections import deque
from typing import Any

from emulator.persist.snapshot import (
    RECORDS,
    RestoreResult,
    StateError,
    records_of,
    restore,
    snapshot_core,
    snapshot_pages,
)
from emulator.persist.store import DEFAULT_NAME, Picked, StateStore, encode_pages, pick
from emulator.state import PageState, World

log = logging.getLogger("emulator")
_Mark = tuple[dict[str, int], dict[str, weakref.ref[deque[dict[str, Any]]]], int]
# the pages of a save: at which page-change count, of which pages dict, and either encoded
# (JSON text, bytes by id: unchanged since the last save) or a snapshot to encode
_Pages = tuple[int, dict[str, PageState], tuple[str, dict[str, bytes]] | dict[str, Any]]


def changes_pages(send: dict[str, Any]) -> bool:
    """Whether an accepted send (an outbox entry) changed a page: it saved its attachment
    (`is_reusable`) or used up a comment's or post's one private reply. Nothing else a send
    does is kept in the pages: people change by their own actions and the control API."""
    recipient = send.get("recipient")
    replied = isinstance(recipient, dict) and not recipient.keys().isdisjoint(
        ("comment_id", "post_id")
    )
    return replied or bool(send.get("attachment_id"))


class Persistence:
    """Keeps one world (one namespace) saved: at `stop()`, and every `interval` seconds while
    something changed. A save costs what changed since the last one: the outbox, journal and
    inbox entries added (all of them after a reset), the pages only after an event that may
    have changed them, and the rest (clock, counters, tokens), which is small. Save failures
    are logged (one line per failing spell) and retried, never raised from the loop.

    The event loop only takes the snapshot (references to the new records, the small core,
    the pages as plain dicts); the JSON encoding and the SQLite transaction run in a worker
    thread, so a save of thousands of records holds the loop for about a millisecond, not
    for the tens of milliseconds encoding them takes. Saves start every `interval` seconds
    (start to start, not end to start): a send answered more than `interval` plus one save's
    duration ago is in the file, whatever happens to the process next (kill -9 included: a
    committed WAL transaction is in the OS's cache even before SQLite syncs it).

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
        # bumped by every event that may change the pages; the pages as last encoded: at which
        # count, of which pages dict (a reset makes a new one), the JSON text and the bytes
        self._page_changes = 0
        self._pages: tuple[int, dict[str, PageState], str, dict[str, bytes]] | None = None
        # by kind, the newest record number in the file, and of which deques (a reset makes
        # new ones); None: the next save writes them all
        self._written: dict[str, int] | None = None
        self._written_of: dict[str, weakref.ref[deque[dict[str, Any]]]] = {}
        self._resets = 0
        self._quiet_send = False  # the last event was a send that changed no page
        world.listeners.append(self._on_event)
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._saving = asyncio.Lock()  # one save at a time: marks advance in order
        self._failing = False

    def restore(self) -> RestoreResult:
        """Apply the namespace's saved state, if any and if saved for this scenario. A state
        saved for another scenario (or format) is copied aside first (`backup` names the copy):
        the next save replaces it. StateError (naming the file) if the file holds damaged
        state, or the copy cannot be made."""
        saved = self.store.load(self.name)
        self._written = None
        self._pages = None
        if saved is None:
            result = RestoreResult(False, "no saved state")
        else:
            try:
                result = restore(self.world, saved)
            except StateError as exc:
                raise StateError(f"{self.store.path}: {exc}") from None
            if result:  # the file holds what the world now holds: later saves add to it
                self._written_up_to(self._mark())
            else:
                backup = self.store.backup()
                result = RestoreResult(
                    False, f"{result.reason} ({self.store.path}); kept a copy as {backup}", backup
                )
        self._seen = self._fingerprint()
        return result

    def _on_event(self, event: str, payload: dict[str, Any]) -> None:
        """Note what changed. The pages are encoded again only after an event that may have
        changed them: with thousands of people, taking them costs tens of milliseconds on the
        loop, so the sends of a load (which change no page) must not make every save do it."""
        if event == "webhook":  # deliveries are not kept: nothing to save
            return
        self._dirty = True
        quiet_send, self._quiet_send = self._quiet_send, False
        if event == "clock":  # the clock is saved at every save; the pages keep instants
            return
        if event == "send" and not changes_pages(payload):
            self._quiet_send = True  # its call's journal entry comes next, and changes none
            return
        if event == "request" and (
            payload.get("method") == "GET"
            or (payload.get("outcome") == "rejected" and payload.get("rule") != "unknown_error")
            or (quiet_send and payload.get("outcome") == "accepted")
            or isinstance(payload.get("response"), list)  # a batch: its entries told their own
        ):
            return  # a journal entry only: reads, refusals and plain sends change no page
        self._page_changes += 1  # a person's action, an upload, a profile change...
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
            world.clock.now() if world.clock.frozen else world.clock.offset,
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
        """Save every `interval` seconds (start to start) while something changed, until
        stop(). A save that took longer than `interval` is followed by the next at once."""
        loop = asyncio.get_running_loop()
        due = loop.time() + self.interval
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), max(0.0, due - loop.time()))
            if self._stopping.is_set():
                break
            due = max(due + self.interval, loop.time())
            if self.changed():
                await self.save()

    async def save(self) -> bool:
        """Save now: the snapshot on this (the world's) thread, the encoding and the write in
        a worker thread; False if it failed (logged)."""
        async with self._saving:
            started = time.perf_counter()
            try:
                picked, pages, mark = self._pick()
                held = time.perf_counter() - started
                encoded_pages = await asyncio.to_thread(self._write, picked, pages)
            except Exception as exc:  # logged, retried: the server goes on serving
                self._failed(exc)
                return False
            self._keep_pages(pages, encoded_pages)
            self._written_up_to(mark)
            log.debug(
                "state %r saved: %d records, %.1f ms on the event loop, %.1f ms in all",
                self.name,
                picked.count(),
                held * 1000,
                (time.perf_counter() - started) * 1000,
            )
            return True

    def _pick(self) -> tuple[Picked, _Pages, _Mark]:
        """The snapshot, on the world's thread: the pages (already encoded if unchanged since
        the last save), the core and the new records; then count the world as saved."""
        world = self.world
        cached = self._pages
        pages: _Pages
        if cached is not None and cached[0] == self._page_changes and cached[1] is world.pages:
            pages = (cached[0], cached[1], (cached[2], cached[3]))
        else:
            pages = (self._page_changes, world.pages, snapshot_pages(world))
        records = records_of(world)
        after = self._written
        if after is not None and any(
            self._written_of[kind]() is not records[kind] for kind in RECORDS
        ):
            after = None  # other deques than those written: a reset that went unheard
        picked = pick(snapshot_core(world), records, after)
        self._dirty = False
        self._seen = self._fingerprint()
        return picked, pages, self._mark()

    def _write(self, picked: Picked, pages: _Pages) -> tuple[str, dict[str, bytes]]:
        """Encode and write (a worker thread); the pages as encoded."""
        shown = pages[2]
        encoded_pages = shown if isinstance(shown, tuple) else encode_pages(shown)
        self.store.write(self.name, picked.encode(encoded_pages))
        return encoded_pages

    def _keep_pages(self, pages: _Pages, encoded: tuple[str, dict[str, bytes]]) -> None:
        """Keep the pages as encoded for later saves, unless they changed meanwhile."""
        changes, of, _ = pages
        if changes == self._page_changes and of is self.world.pages:
            self._pages = (changes, of, *encoded)

    def _mark(self) -> _Mark:
        """What the file will hold once written: by kind, the newest record number and its
        deque; and the resets heard so far."""
        records = records_of(self.world)
        newest = {kind: items[-1][RECORDS[kind]] if items else 0 for kind, items in records.items()}
        return newest, {kind: weakref.ref(items) for kind, items in records.items()}, self._resets

    def _written_up_to(self, mark: _Mark) -> None:
        newest, written_of, resets = mark
        if resets == self._resets:  # else a reset came meanwhile: the next save writes all
            self._written = newest
            self._written_of = written_of
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
