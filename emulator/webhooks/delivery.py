"""Delivering the platform's webhooks to the bot: asynchronously, in order per conversation,
retried with backoff, bounded, and recorded for GET /_emulator/webhooks.

`Webhooks` listens to the world (`World.listeners`): the person writes → a `messages` event;
the page sends → `message_echoes` and `message_deliveries` (none for user_ref or phone-number
recipients, none for sender actions). A slow, failing or absent bot never touches the Graph
surface: deliveries run as tasks on the server's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import secrets
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from emulator.rules import limits
from emulator.scenario.times import format_instant
from emulator.state import World
from emulator.webhooks import events
from emulator.webhooks.signing import (
    SIGNATURE_1,
    SIGNATURE_256,
    serialize,
    signature_headers,
    verify,
)
from emulator.webhooks.standby import STANDBY, on_standby, standby_event
from emulator.webhooks.subscriptions import is_subscribed

if TYPE_CHECKING:  # httpx is imported when a webhook is first used: start-up stays fast
    import httpx

log = logging.getLogger("emulator.webhooks")
Conversation = tuple[str, str]  # (page id, PSID)
Job = tuple[dict[str, Any], bytes, dict[str, str]]


class Webhooks:
    """The platform's side: builds events from what happens and delivers them to the bot."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.stamps = events.Timestamps()
        self.deliveries: deque[dict[str, Any]] = deque(maxlen=world.max_records)
        self.handshake: dict[str, Any] | None = None
        self._ids = itertools.count(1)
        self._queues: dict[Conversation, asyncio.Queue[Job]] = {}
        self._workers: dict[Conversation, asyncio.Task[None]] = {}
        self._client: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._pending = 0  # jobs queued and not yet done, bounded by world.max_records
        self._closed = False  # a deleted namespace delivers nothing more
        world.listeners.append(self._on_event)

    # --- what happens in the world ---------------------------------------------------

    def _on_event(self, kind: str, payload: dict[str, Any]) -> None:
        if self._closed:
            return
        if kind == "reset":  # also after a scenario PUT: verify the (new) webhook again
            self._forget()
            if self.world.scenario.webhook is not None and _loop_running():
                self._spawn(self.verify())
            return
        if self.world.scenario.webhook is None:
            return
        if kind == "inbound":
            self._inbound(payload)
        elif kind == "send":
            self._sent(payload)
        elif kind == "handover":
            self._handover(payload)

    def _inbound(self, act: dict[str, Any]) -> None:
        """What the person did, as the platform reports it."""
        page_id, psid, kind = act["page_id"], act["psid"], act["kind"]
        stamp = self.stamps.next(self.world.clock.now())
        if kind == "message":
            event = events.message(
                psid,
                page_id,
                stamp,
                act["mid"],
                text=act.get("text"),
                quick_reply_payload=act.get("quick_reply"),
                attachments=act.get("attachments"),
            )
            self._enqueue("messages", page_id, psid, stamp, event)
        elif kind == "postback":
            event = events.postback(
                psid,
                page_id,
                stamp,
                act["mid"],
                act["title"],
                act["payload"],
                act.get("referral"),
            )
            self._enqueue("messaging_postbacks", page_id, psid, stamp, event)
        elif kind == "referral":
            event = events.referral(psid, page_id, stamp, act["referral"])
            self._enqueue("messaging_referrals", page_id, psid, stamp, event)
        elif kind == "optin":
            event = events.optin(psid, page_id, stamp, act["optin"])
            self._enqueue("messaging_optins", page_id, psid, stamp, event)
        elif kind == "reaction":
            event = events.reaction(
                psid, page_id, stamp, act["mid"], act["reaction"], act["emoji"], act["action"]
            )
            self._enqueue("message_reactions", page_id, psid, stamp, event)
        elif kind == "read" and act.get("mid") is not None:  # Instagram: the message read
            event = events.seen(psid, page_id, stamp, act["mid"])
            self._enqueue("messaging_seen", page_id, psid, stamp, event)
        elif kind == "read":
            self._enqueue(
                "message_reads", page_id, psid, stamp, events.read(psid, page_id, stamp, stamp)
            )
        elif kind == "edit":
            event = events.edit(psid, page_id, stamp, act["mid"], act["text"], act["num_edit"])
            self._enqueue("message_edits", page_id, psid, stamp, event)
        elif kind == "unsend" and self.world.pages[page_id].instagram:  # none documented on
            event = events.unsend(psid, page_id, stamp, act["mid"])  # Messenger
            self._enqueue("messages", page_id, psid, stamp, event)

    def _sent(self, entry: dict[str, Any]) -> None:
        psid = entry.get("recipient_id")
        if entry.get("sender_action") or entry.get("message") is None or psid is None:
            return  # no echo for sender actions; none for user_ref / phone-number recipients
        if "user_ref" in entry["recipient"]:
            return
        page_id = entry["page_id"]
        now = self.world.clock.now()
        stamp = self.stamps.next(now)
        app_id = self.world.scenario.app.id
        echo = events.echo(page_id, psid, stamp, entry["message_id"], app_id, entry["message"])
        # Instagram reports echoes through the `messages` field (reference §9.1)
        echo_field = "messages" if self.world.pages[page_id].instagram else "message_echoes"
        self._enqueue(echo_field, page_id, psid, stamp, echo)
        if self.world.pages[page_id].instagram:
            return  # Instagram sends no delivery events (its webhook fields have none)
        delivered = self.stamps.next(now)
        receipt = events.delivery(psid, page_id, delivered, [entry["message_id"]], stamp)
        self._enqueue("message_deliveries", page_id, psid, delivered, receipt)

    def _handover(self, change: dict[str, Any]) -> None:
        """Thread control changed: the scenario's app hears of it when it gains or loses the
        thread, or is asked for it (emulator/handover.py decides: `notice`)."""
        if change["notice"] is None:
            return
        key, body = change["notice"]
        page_id, psid = change["page_id"], change["psid"]
        stamp = self.stamps.next(self.world.clock.now())
        event = events.handover(psid, page_id, stamp, key, body)
        self._enqueue("messaging_handovers", page_id, psid, stamp, event)

    # --- the queue ---------------------------------------------------------------------

    def _enqueue(
        self, field: str, page_id: str, psid: str, stamp: int, event: dict[str, Any]
    ) -> None:
        page = self.world.pages[page_id]
        channel = "messaging"
        if on_standby(page, psid, field):  # another app owns the thread (handover protocol)
            field, channel, event = STANDBY, STANDBY, standby_event(event)
        spec = self.world.scenario.webhook
        if spec is None or not is_subscribed(self.world, page_id, field):
            return
        account = page.webhook_id  # an Instagram page's webhooks name its Instagram account
        if account != page_id:
            event = events.on_account(event, page_id, account)
        envelope = events.envelope(account, stamp, event, instagram=page.instagram, channel=channel)
        body = serialize(envelope)
        headers = {
            "Content-Type": "application/json",
            **signature_headers(self.world.scenario.app.secret, body),
        }
        record: dict[str, Any] = {
            "id": next(self._ids),
            "field": field,
            "page_id": page_id,
            "psid": psid,
            "url": spec.url,
            "created": format_instant(self.world.clock.now()),
            "body": body.decode("ascii"),
            "signature": headers[SIGNATURE_256],
            "signature_sha1": headers[SIGNATURE_1],  # the legacy X-Hub-Signature, sent too
            # checked as a bot checks it (signing.verify), with the app secret at each attempt
            "signature_valid": self._signature_valid(body, headers),
            "status": "pending",
            "attempts": [],
        }
        self.deliveries.append(record)
        if not _loop_running():  # no server loop (a synchronous caller): keep the record only
            record["status"] = "not_sent"
            self._changed(record)
            return
        if self._pending >= self.world.max_records:  # a dead bot must not grow memory
            record["status"] = "dropped"
            record["error"] = f"more than {self.world.max_records} deliveries waiting"
            self._changed(record)
            return
        key = (page_id, psid)
        queue = self._queues.setdefault(key, asyncio.Queue())
        queue.put_nowait((record, body, headers))
        self._pending += 1
        worker = self._workers.get(key)
        if worker is None or worker.done():
            self._workers[key] = asyncio.create_task(self._work(queue))
        self._changed(record)

    async def _work(self, queue: asyncio.Queue[Job]) -> None:
        """One worker per conversation: events reach the bot in the order they happened."""
        while not queue.empty():
            record, body, headers = queue.get_nowait()
            try:
                await self._deliver(record, body, headers)
            finally:
                self._pending -= 1
        for key in [k for k, q in self._queues.items() if q is queue]:
            self._queues.pop(key, None)
            self._workers.pop(key, None)

    async def _deliver(self, record: dict[str, Any], body: bytes, headers: dict[str, str]) -> None:
        for attempt in range(1, limits.WEBHOOK_MAX_ATTEMPTS + 1):
            if not self._current(record["url"]):
                record["status"] = "dropped"  # the webhook was removed or moved meanwhile
                self._changed(record)
                return
            record["signature_valid"] = self._signature_valid(body, headers)
            started = time.perf_counter()
            status, error = None, None
            try:
                status, _ = await self._request(
                    "POST", record["url"], content=body, headers=headers
                )
            except Exception as exc:  # any failure of the bot's side is the bot's, never ours
                error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            latency = round((time.perf_counter() - started) * 1000, 1)
            record["attempts"].append(
                {
                    "at": format_instant(self.world.clock.now()),
                    "status": status,
                    "error": error,
                    "latency_ms": latency,
                }
            )
            if status is not None and 200 <= status < 300:
                record["status"] = "delivered"
                self._changed(record)
                log.info(
                    "webhook %s -> %s %d in %.1f ms",
                    record["field"],
                    record["url"],
                    status,
                    latency,
                )
                return
            log.warning(
                "webhook %s -> %s failed (attempt %d): %s",
                record["field"],
                record["url"],
                attempt,
                error or status,
            )
            if attempt < limits.WEBHOOK_MAX_ATTEMPTS:
                self._changed(record)
                await asyncio.sleep(limits.WEBHOOK_BACKOFF_SECONDS * 2 ** (attempt - 1))
        record["status"] = "failed"
        self._changed(record)

    def _changed(self, record: dict[str, Any]) -> None:
        """A delivery record was made, or an attempt ended: the world tells its listeners (the
        UI's live view). Once per attempt, with the record's status after it."""
        self.world.emit("webhook", record)

    async def _request(self, method: str, url: str, **kwargs: Any) -> tuple[int, bytes]:
        """One exchange with the bot, bounded as a whole in time and in what is read back."""
        async with asyncio.timeout(limits.WEBHOOK_TIMEOUT_SECONDS):
            async with self._http().stream(method, url, **kwargs) as response:
                head = bytearray()
                async for chunk in response.aiter_bytes():
                    head.extend(chunk)
                    if len(head) >= limits.WEBHOOK_MAX_RESPONSE_BYTES:
                        break
                return response.status_code, bytes(head[: limits.WEBHOOK_MAX_RESPONSE_BYTES])

    def _signature_valid(self, body: bytes, headers: dict[str, str]) -> bool:
        """Whether the bot, holding the scenario's app secret now, accepts the signature the
        body was sent with (signed when the event happened): false once the secret changed."""
        return verify(self.world.scenario.app.secret, body, headers[SIGNATURE_256])

    def _current(self, url: str) -> bool:
        spec = self.world.scenario.webhook
        return spec is not None and spec.url == url

    # --- the verification handshake ------------------------------------------------------

    async def verify(self) -> dict[str, Any]:
        """GET <url>?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…: the bot must answer
        200 with the challenge."""
        spec = self.world.scenario.webhook
        if spec is None:
            self.handshake = None
            return {"ok": False, "error": "no webhook in the scenario"}

        challenge = str(secrets.randbelow(10**10))
        params = {
            "hub.mode": "subscribe",
            "hub.verify_token": spec.verify_token,
            "hub.challenge": challenge,
        }
        started = time.perf_counter()
        result: dict[str, Any] = {"url": spec.url, "at": format_instant(self.world.clock.now())}
        try:
            status, raw = await self._request("GET", spec.url, params=params)
            answered = raw.decode("utf-8", "replace").strip()
            ok = status == 200 and answered == challenge
            result.update(status=status, ok=ok)
            if not ok:
                result["error"] = (
                    f"expected 200 with the challenge {challenge}, got {status} {answered[:100]!r}"
                )
        except Exception as exc:  # the bot's failure, reported, never raised
            result.update(status=None, ok=False, error=f"{type(exc).__name__}: {exc}")
        result["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
        if self.world.scenario.webhook == spec:  # a newer configuration's result wins
            self.handshake = result
        log.log(
            logging.INFO if result["ok"] else logging.WARNING,
            "webhook handshake %s: %s",
            spec.url,
            "ok" if result["ok"] else result.get("error"),
        )
        return result

    # --- life ----------------------------------------------------------------------------

    def _http(self) -> httpx.AsyncClient:
        import httpx

        if self._client is None:
            self._client = httpx.AsyncClient(
                # the platform's agent on every request, the handshake's too (not httpx's)
                headers={"User-Agent": limits.WEBHOOK_USER_AGENT},
                timeout=httpx.Timeout(limits.WEBHOOK_TIMEOUT_SECONDS, pool=None),
                limits=httpx.Limits(max_connections=None, max_keepalive_connections=20),
                trust_env=False,
                follow_redirects=False,
            )
        return self._client

    def _forget(self) -> None:
        """Reset: the records go, and deliveries under way are dropped."""
        for worker in self._workers.values():
            worker.cancel()
        self._workers.clear()
        self._queues.clear()
        self._pending = 0
        self.deliveries = deque(maxlen=self.world.max_records)
        self.stamps = events.Timestamps()

    def _spawn(self, work: Any) -> None:
        if self._closed:
            work.close()  # the coroutine is never run
            return
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def start(self) -> None:
        """At server start: the handshake, in the background (health never waits for it)."""
        self._closed = False  # an app may be started again after a stop (lifespans in tests)
        if self._on_event not in self.world.listeners:
            self.world.listeners.append(self._on_event)
        if self.world.scenario.webhook is not None:
            self._spawn(self.verify())

    async def close(self) -> None:
        """At server stop or namespace removal: nothing more is delivered."""
        self._closed = True
        with contextlib.suppress(ValueError):
            self.world.listeners.remove(self._on_event)
        for task in [*self._workers.values(), *self._tasks]:
            task.cancel()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def view(self) -> dict[str, Any]:
        spec = self.world.scenario.webhook
        return {
            "configured": spec is not None,
            "url": spec.url if spec else None,
            "fields": list(spec.fields) if spec else [],
            "handshake": self.handshake,
            "data": list(self.deliveries),
        }


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
