"""The UI's live updates: `GET {base}/events`, Server-Sent Events of what happens in one world.

`EventHub` listens to the world (`World.listeners`) and fans each event out to the open
streams. Each stream has a bounded queue: a reader that falls `EVENTS_QUEUE_MAX` events behind
gets `event: overflow` and its stream ends (the UI then reloads everything). With no stream
open, an event costs the hub one check.

Streams end when the client goes away, when the world is discarded (its namespace deleted:
the world emits `closed`; each stream gets `event: reset`, then ends, and the hub opens no new
one) and when the server shuts down. A reset or a new scenario (by either PUT) is `event: reset`
on the open streams, which go on: the world is the same one. uvicorn waits for open responses
to finish before it shuts the app down, so an open stream would hold it forever: the
emulator's server (emulator/serving.py) calls `end_all_streams()` as its shutdown begins.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import weakref
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.types import Receive, Scope, Send

from emulator.control import routes as control  # module import: routes.py includes these
from emulator.rules import limits
from emulator.state import World

# world event -> SSE event; other world events are not shown
KINDS = {
    "send": "sent",
    "inbound": "inbound",
    "request": "request",
    "webhook": "webhook",
    "clock": "clock",
    "reset": "reset",
    "handover": "handover",  # thread control changed (handover protocol)
}
HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),  # a proxy in front must not hold events back
]
CONNECTED = b": connected\n\n"
PING = b": ping\n\n"
_WAKE = b""  # queued to wake a reader waiting on an empty queue; never written


def frame(kind: str, data: Any) -> bytes:
    """One event as the stream writes it. Compact ASCII JSON holds no newline, so it fits one
    `data:` line; whatever JSON cannot write is written as text (a listener must not raise)."""
    try:
        text = json.dumps(data, ensure_ascii=True, separators=(",", ":"), default=str)
    except (TypeError, ValueError, RecursionError):
        text = '{"unserializable":true}'
    return f"event: {kind}\ndata: {text}\n\n".encode("ascii")


class Subscriber:
    """One open stream: the frames waiting to be written, and why it ends (None: it goes on).
    Ended as `finished`, it writes what was queued before it ends; otherwise at once."""

    def __init__(self, loop: asyncio.AbstractEventLoop, limit: int, ping: float) -> None:
        self.loop = loop  # the stream's event loop: only it touches the queue
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(limit)
        self.ping = ping
        # overflow | closed (shutdown) | gone (the client) | finished (the world is discarded)
        self.ending: str | None = None

    def push(self, data: bytes) -> None:
        if self.ending is not None:
            return
        try:
            self.queue.put_nowait(data)
        except asyncio.QueueFull:
            self.end("overflow")  # what is queued is stale now: the client reloads everything

    def end(self, reason: str) -> None:
        if self.ending is None:
            self.ending = reason
        with contextlib.suppress(asyncio.QueueFull):  # full: the reader is not waiting
            self.queue.put_nowait(_WAKE)

    async def frames(self) -> AsyncIterator[bytes]:
        """What to write, as it comes, with a ping while nothing does; ends with the stream."""
        while True:
            try:
                async with asyncio.timeout(self.ping):
                    data = await self.queue.get()
            except TimeoutError:
                data = PING
            if self.ending == "overflow":
                yield frame("overflow", {"limit": self.queue.maxsize})
                return
            if self.ending is not None and (
                self.ending != "finished" or data is PING or data == _WAKE
            ):
                return  # finished: the frames queued before the end are written first
            if data:
                yield data


class EventHub:
    """The open event streams of one world, fed by its events."""

    def __init__(
        self,
        world: World,
        limit: int = limits.EVENTS_QUEUE_MAX,
        ping: float = limits.EVENTS_PING_SECONDS,
        most: int = limits.EVENTS_SUBSCRIBERS_MAX,
    ) -> None:
        self.limit = limit
        self.ping = ping
        self.most = most
        self.subscribers: set[Subscriber] = set()
        self.finished = False  # the world was discarded: no new stream
        # first, so an event caused while another is handled (the webhook delivery record a
        # send makes) reaches the stream after its cause
        world.listeners.insert(0, self._on_event)

    def _on_event(self, kind: str, payload: dict[str, Any]) -> None:
        if not self.subscribers:  # the Graph hot path: nobody watching costs this check only
            if kind == "closed":
                self.finish()
            return
        if kind == "closed":  # the world is discarded: a reset (reload), then the streams end
            self.finish()
            return
        name = KINDS.get(kind)
        if name is None or self.finished:
            return
        data = frame(name, payload)
        here = _running_loop()
        for subscriber in tuple(self.subscribers):
            self._call(subscriber, here, subscriber.push, data)

    def _call(
        self,
        subscriber: Subscriber,
        here: asyncio.AbstractEventLoop | None,
        action: Callable[[Any], None],
        argument: Any,
    ) -> None:
        """Run `action(argument)` on the subscriber's loop: now if it is this thread's, else as
        soon as it can (in the order of the calls)."""
        if subscriber.loop is here:
            action(argument)
        else:  # the world changed on another thread: the queue is the stream loop's
            try:
                subscriber.loop.call_soon_threadsafe(action, argument)
            except RuntimeError:  # that loop has ended
                self.subscribers.discard(subscriber)

    def subscribe(self) -> Subscriber:
        """A new stream (on the running loop); ControlError 503 when too many are open."""
        if self.finished:
            raise control.ControlError(404, "these events' namespace was deleted")
        if len(self.subscribers) >= self.most:
            raise control.ControlError(503, f"too many open event streams (at most {self.most})")
        subscriber = Subscriber(asyncio.get_running_loop(), self.limit, self.ping)
        self.subscribers.add(subscriber)
        _hubs.add(self)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)

    def finish(self) -> None:
        """The world is discarded: every open stream gets `event: reset`, then ends (from any
        thread); no new stream is opened, no later event is written."""
        self.finished = True
        data = frame(KINDS["reset"], {})
        here = _running_loop()
        for subscriber in tuple(self.subscribers):
            self._call(subscriber, here, subscriber.push, data)
            self._call(subscriber, here, subscriber.end, "finished")

    def close(self) -> None:
        """End every open stream (from any thread)."""
        for subscriber in tuple(self.subscribers):
            try:
                subscriber.loop.call_soon_threadsafe(subscriber.end, "closed")
            except RuntimeError:  # that loop has ended
                self.subscribers.discard(subscriber)


class EventStream:
    """The ASGI app of `GET {base}/events`: the response lasts as long as the stream."""

    def __init__(self, hub: EventHub) -> None:
        self.hub = hub

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            subscriber = self.hub.subscribe()
        except control.ControlError as exc:
            response = control.error_response(exc.status, exc.message)
            await response(scope, receive, send)
            return
        watcher = asyncio.create_task(_watch_disconnect(receive, subscriber))
        try:
            await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
            if scope["method"] != "HEAD":
                await _body(send, CONNECTED)
                async for data in subscriber.frames():
                    await _body(send, data)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:  # the client went away while we wrote (ASGI 2.4 servers)
            pass
        finally:
            watcher.cancel()
            self.hub.unsubscribe(subscriber)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


async def _body(send: Send, data: bytes) -> None:
    await send({"type": "http.response.body", "body": data, "more_body": True})


async def _watch_disconnect(receive: Receive, subscriber: Subscriber) -> None:
    """The stream ends as soon as the client goes, not at the next write (up to a ping later)."""
    try:
        while (await receive())["type"] != "http.disconnect":
            pass
    except Exception:  # a server that cannot tell any more: the client is as good as gone
        pass
    subscriber.end("gone")


# --- ending the streams at shutdown -------------------------------------------------------
# The hubs that have had streams, process-wide: a server stopping ends them (serving.py).

_hubs: weakref.WeakSet[EventHub] = weakref.WeakSet()


def end_all_streams() -> None:
    """End every open event stream of this process (thread-safe): called as a server's
    shutdown begins, or it would wait for the streams' clients."""
    for hub in tuple(_hubs):
        hub.close()
