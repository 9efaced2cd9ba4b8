"""`SendApi`: one emulator as a test sees it. Everything goes through the HTTP control API
(`/_emulator/...`), so in-process, server and sidecar emulators answer the same way."""

from __future__ import annotations

import inspect
import math
import re
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from emulator.rules import limits
from emulator.scenario.load import ScenarioError
from emulator.scenario.times import format_instant, parse_instant
from emulator.testing.backends import Backend, EventLoopThread, ScenarioSource, scenario_text
from emulator.testing.handover import OtherApp
from emulator.testing.records import (
    Journal,
    Records,
    SentList,
    SentMessage,
    describe_request,
    listing,
)
from emulator.webhooks import events
from emulator.webhooks.standby import STANDBY, standby_event

# a bot's webhook handler: a plain function, or an async one (awaited before the action returns)
WebhookHandler = Callable[[dict[str, Any]], object]
VIRTUAL_FIELDS = ("kind", "template_type", "quick_replies")  # SentMessage properties
_MISSING = object()


class SendApiError(Exception):
    """The control API refused a call (4xx/5xx): `status`, the server's `message`, `details`."""

    def __init__(self, method: str, path: str, status: int, message: str, details: Any) -> None:
        self.status = status
        self.message = message
        self.details = details
        text = f"{method} {path} -> {status}: {message}"
        problems = details.get("problems") if isinstance(details, dict) else None
        if problems:
            text += "".join(f"\n  {problem}" for problem in problems)
        super().__init__(text)


def raise_for_control(response: httpx.Response, scenario_label: str | None = None) -> None:
    """A failed control call as SendApiError; an invalid scenario as ScenarioError."""
    if response.status_code < 400:
        return
    try:
        error = response.json().get("error")
    except ValueError:
        error = None
    if not isinstance(error, dict):
        error = {"message": response.text[:500] or response.reason_phrase}
    message = str(error.get("message"))
    details = {key: value for key, value in error.items() if key != "message"}
    problems = details.get("problems")
    if message == "invalid scenario" and isinstance(problems, list):
        label = scenario_label or "scenario"
        raise ScenarioError([re.sub(r"^request body", label, str(p)) for p in problems])
    request = response.request
    raise SendApiError(request.method, request.url.path, response.status_code, message, details)


class SendApi:
    """One isolated emulator: where it is (`url`, `graph_url()`, `client`, `transport`), what it
    recorded (`sent`, `requests`, `rejected`, `webhooks`), and what a test does to it (`person`,
    `clock`, `load`, `reset`, `faults`), with assertions that show what was sent on failure."""

    def __init__(self, backend: Backend, base_dir: Path | None = None) -> None:
        self.backend = backend
        self.base_dir = base_dir  # relative scenario paths given to load() are looked up here
        self._control = httpx.Client(
            base_url=backend.control_url, transport=backend.transport, trust_env=False, timeout=30
        )
        self._client: httpx.Client | None = None
        self._scenario: dict[str, Any] | None = None
        self._handlers: list[WebhookHandler] = []
        self._handler_loop: EventLoopThread | None = None  # async handlers run here, made once
        self._stamps = events.Timestamps()
        self.clock = Clock(self)
        self.faults = Faults(self)

    # --- where it is -----------------------------------------------------------------------------

    @property
    def mode(self) -> str:
        """`inprocess`, `server` or `sidecar`."""
        return self.backend.mode

    @property
    def url(self) -> str:
        """The Graph base URL, in place of https://graph.facebook.com (no version, no slash)."""
        return self.backend.url

    def graph_url(self, version: str | None = "v21.0") -> str:
        """The versioned Graph base URL, e.g. `http://send-api.test/v21.0`."""
        return f"{self.url}/{version}" if version else self.url

    @property
    def transport(self) -> httpx.BaseTransport:
        """Give it to your bot's `httpx.Client(transport=...)`: requests to `url` reach this
        emulator in every mode (with no port in-process). Closing a client leaves it usable."""
        return self.backend.transport

    @property
    def async_transport(self) -> httpx.AsyncBaseTransport:
        """The same for `httpx.AsyncClient(transport=...)`, from any event loop."""
        return self.backend.async_transport

    @property
    def client(self) -> httpx.Client:
        """An httpx.Client on the Graph base URL: `send_api.client.post("/v21.0/me/messages",
        ...)`. Closed with the emulator."""
        if self._client is None:
            self._client = httpx.Client(
                base_url=self.url, transport=self.transport, trust_env=False, timeout=30
            )
        return self._client

    # --- the control API -------------------------------------------------------------------------

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        """A control API call (path below `/_emulator`, e.g. `/attachments`): its JSON answer,
        or SendApiError with the server's message."""
        response = self._control.request(method, path, **kwargs)
        raise_for_control(response)
        return response.json()

    @property
    def sent(self) -> SentList:
        """The accepted sends, oldest first (a fresh snapshot on each access): `.last`,
        `.to(psid)`, `.texts`; each a dict with shortcuts (`.text`, `.kind`, `.quick_replies`)."""
        return SentList(SentMessage(entry) for entry in self.control("GET", "/messages")["data"])

    @property
    def requests(self) -> Journal:
        """Every Graph call, accepted or not (the journal), oldest first."""
        return Journal(self.control("GET", "/requests")["data"])

    @property
    def rejected(self) -> Journal:
        """The refused Graph calls, with `rule` and `json_path` naming why."""
        return Journal(self.control("GET", "/requests", params={"outcome": "rejected"})["data"])

    @property
    def webhooks(self) -> Records[dict[str, Any]]:
        """The webhook deliveries to the scenario's `webhook.url` (body, status, attempts)."""
        deliveries: Records[dict[str, Any]] = Records(self.control("GET", "/webhooks")["data"])
        return deliveries

    def load(self, scenario: ScenarioSource) -> None:
        """Replace the scenario (a path, YAML/JSON text, a mapping or a Scenario) and reset;
        ScenarioError lists every problem, and nothing changes."""
        source = scenario_text(scenario, self.base_dir)
        response = self._control.put(
            "/scenario", content=source.text, headers={"content-type": source.content_type}
        )
        raise_for_control(response, source.label)
        self._scenario = None

    def reset(self) -> None:
        """Back to the scenario's initial state: messages, journal, clock, windows, faults."""
        self.control("POST", "/reset")

    # --- the person ------------------------------------------------------------------------------

    def person(self, psid: str, page_id: str | None = None) -> Person:
        """Play a person writing to a page (default: the scenario's first page)."""
        return Person(self, str(psid), page_id)

    # --- the handover protocol ------------------------------------------------------------------

    def thread_owner(self, psid: str, page_id: str | None = None) -> str | None:
        """The app id owning the person's thread now (None: idle)."""
        page = self._page_id(page_id)
        owner = self.control("GET", f"/pages/{page}/threads/{psid}")["thread_owner"]
        return None if owner is None else str(owner["app_id"])

    def inbox(
        self, psid: str, page_id: str | None = None, app_id: str = limits.PAGE_INBOX_APP_ID
    ) -> OtherApp:
        """Act as the Page Inbox (or another connected app) on the person's thread:
        `.passes_back()`, `.passes_to(app_id)`, `.takes()`, `.requests()`, `.releases()`."""
        return OtherApp(self, str(psid), page_id, str(app_id))

    # --- what the page set through Graph ----------------------------------------------------------

    def personas(self, page_id: str | None = None) -> list[dict[str, Any]]:
        """The page's personas, oldest first: `[{"name", "profile_picture_url", "id"}]`."""
        page = self._page_id(page_id)
        personas: list[dict[str, Any]] = self.control("GET", f"/pages/{page}/personas")["personas"]
        return personas

    def subscribed_fields(self, page_id: str | None = None) -> list[str]:
        """The webhook fields that reach the bot for the page: those the page subscribed the app
        to (POST /{page}/subscribed_apps; at first the scenario's) that the app's webhook takes."""
        page = self._page_id(page_id)
        fields: list[str] = self.control("GET", f"/pages/{page}/subscribed_apps")["delivered"]
        return fields

    def _page_id(self, page_id: str | None) -> str:
        return page_id or str(self._scenario_pages()[0]["id"])

    def deliver_to(self, handler: WebhookHandler) -> None:
        """Hand each webhook body caused by a person action (`says`, `taps_*`, ...) to
        `handler(body)`, synchronously, as the platform would POST it (a dict: `{"object",
        "entry": [{"id", "time", "messaging": [event]}]}`). For bots tested without a URL;
        a scenario `webhook:` still gets its own deliveries.

        An async handler (`async def handle(body)`) is awaited before the action returns, on
        an event loop of this emulator's own: the same loop for every delivery, so a client
        the bot opened there keeps working; give it `async_transport` (usable from any loop)."""
        self._handlers.append(handler)

    def _hand_over(self, handler: WebhookHandler, body: dict[str, Any]) -> None:
        result = handler(body)
        if inspect.isawaitable(result):
            if self._handler_loop is None:
                self._handler_loop = EventLoopThread()
            # a thread of its own: the caller may itself be on a running loop (an async test)
            self._handler_loop.run(_awaited(result))

    def _scenario_pages(self) -> list[dict[str, Any]]:
        if self._scenario is None:
            self._scenario = self.control("GET", "/scenario")
        pages: list[dict[str, Any]] = self._scenario["pages"]
        return pages

    def _act(self, psid: str, page_id: str | None, action: dict[str, Any]) -> Inbound:
        pages = self._scenario_pages()
        page = page_id or str(pages[0]["id"])
        answer = self.control("POST", f"/pages/{page}/users/{psid}/messages", json=action)
        spec = next((p for p in pages if p["id"] == page), {})
        instagram = spec.get("platform") == "instagram"
        stamp = self._stamps.next(parse_instant(answer["timestamp"]))
        inbound = Inbound(answer)
        found = _event(answer, stamp, instagram)
        if found is None:  # the platform reports nothing (an unsend on Messenger)
            inbound.webhook = {}
            return inbound
        event, channel = found, "messaging"
        if answer.get("standby"):  # another app owns the thread: the standby channel
            event, channel = standby_event(event), STANDBY
        account = page
        if instagram and spec.get("instagram_account_id"):  # webhooks name the IG account
            account = str(spec["instagram_account_id"])
            event = events.on_account(event, page, account)
        inbound.webhook = events.envelope(
            account, stamp, event, instagram=instagram, channel=channel
        )
        for handler in list(self._handlers):
            self._hand_over(handler, inbound.webhook)
        return inbound

    # --- assertions ------------------------------------------------------------------------------

    def assert_sent(
        self, to: str | None = None, text: str | re.Pattern[str] | None = None, **fields: Any
    ) -> SentMessage:
        """The newest sent message matching every criterion: recipient `to`, `text` (equal, or
        a compiled pattern found in it), and `fields` compared with the sent entry's keys
        (`messaging_type`, `tag`, `page_id`, ...), then its message's (`metadata`, ...), or
        `kind`, `template_type`, `quick_replies` (titles). AssertionError lists what was sent
        and what was refused otherwise."""
        __tracebackhide__ = True  # pytest shows the caller's line, not ours
        sent = self.sent
        for message in reversed(sent):
            if _matches(message, to, text, fields):
                return message
        raise AssertionError(self._report(f"expected {_wanted(to, text, fields)}", sent))

    def assert_nothing_sent(self, to: str | None = None) -> None:
        """No message was sent (to this person); AssertionError lists what was."""
        __tracebackhide__ = True
        sent = self.sent if to is None else self.sent.to(to)
        if sent:
            whom = f" to {to}" if to is not None else ""
            raise AssertionError(self._report(f"expected nothing sent{whom}", sent))

    def wait_until_sent(
        self,
        to: str | None = None,
        text: str | re.Pattern[str] | None = None,
        *,
        timeout: float = 5.0,
        **fields: Any,
    ) -> SentMessage:
        """assert_sent, retried until it passes or `timeout` seconds pass: for bots that answer
        webhooks asynchronously."""
        __tracebackhide__ = True
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.assert_sent(to, text, **fields)
            except AssertionError as exc:
                if time.monotonic() >= deadline:
                    raise AssertionError(f"after waiting {timeout:g} s, {exc}") from None
            time.sleep(0.02)

    def _report(self, expectation: str, sent: SentList) -> str:
        rejected = self.rejected
        return "\n".join(
            [
                f"{expectation}, but {len(sent)} message(s) were sent.",
                listing("Sent", (m.describe() for m in sent)),
                listing("Rejected requests", (describe_request(e) for e in rejected)),
            ]
        )

    # --- life ------------------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the emulator and close the clients (the fixture does it after each test)."""
        try:
            if self._client is not None:
                self._client.close()
            self._control.close()
            if self._handler_loop is not None:
                self._handler_loop.close()
        finally:
            self.backend.close()

    def __enter__(self) -> SendApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<SendApi {self.mode} {self.url}>"


class Inbound(dict[str, Any]):
    """What the person did, as the control API answered (`kind`, `mid`, `timestamp`, ...); and
    `webhook`, the body the platform would POST about it (`{}` when it posts none)."""

    webhook: dict[str, Any]

    @property
    def mid(self) -> str | None:
        value = self.get("mid")
        return None if value is None else str(value)

    @property
    def event(self) -> dict[str, Any]:
        """The one `messaging` event of `webhook`."""
        event: dict[str, Any] = self.webhook["entry"][0]["messaging"][0]
        return event


class Person:
    """A person on a page: each action happens now on the emulated clock, opens their 24-hour
    window (all but `reads`) and answers an Inbound."""

    def __init__(self, api: SendApi, psid: str, page_id: str | None) -> None:
        self._api = api
        self.psid = psid
        self.page_id = page_id

    def says(self, text: str) -> Inbound:
        return self._act({"text": text})

    def taps_quick_reply(self, payload_or_title: str) -> Inbound:
        """Tap a quick reply of the page's latest message to this person."""
        return self._act({"quick_reply": payload_or_title})

    def taps_postback(self, payload_or_title: str) -> Inbound:
        """Tap a postback button the page sent this person."""
        return self._act({"postback": payload_or_title})

    def sends_attachment(self, type: str, url: str) -> Inbound:
        """Send an `audio`, `file`, `image` or `video` by URL."""
        return self._act({"attachment": {"type": type, "url": url}})

    def reacts(self, mid: str, reaction: str = "love", emoji: str | None = None) -> Inbound:
        body: dict[str, Any] = {"mid": mid, "reaction": reaction}
        if emoji is not None:
            body["emoji"] = emoji
        return self._act({"reaction": body})

    def unreacts(self, mid: str) -> Inbound:
        return self._act({"unreact": {"mid": mid}})

    def opts_in(self, payload_or_title: str | bool = True) -> Inbound:
        """Answer an opt-in request the page sent (`notification_messages` until 10 February
        2026, `one_time_notif_req`): `messaging_optins` with the token the page sends to.
        True: the latest request."""
        return self._act({"optin": payload_or_title})

    def reads(self) -> Inbound:
        """Read everything the page sent so far (does not open the window); on Instagram, the
        page's latest message (`messaging_seen` with its mid)."""
        return self._act({"read": True})

    def edits(self, mid: str, text: str) -> Inbound:
        """Edit a message of theirs (`message_edits`: `message_edit` with `num_edit`); at most
        5 times."""
        return self._act({"edit": {"mid": mid, "text": text}})

    def unsends(self, mid: str) -> Inbound:
        """Unsend a message of theirs (on Instagram, `message.is_deleted: true` in `messages`;
        on Messenger the platform reports nothing: `webhook` is `{}`)."""
        return self._act({"unsend": {"mid": mid}})

    def arrives_from(self, ref: str, source: str = "SHORTLINK") -> Inbound:
        """Open the thread by an m.me link with `ref` (`messaging_referrals`; for a new person,
        the Get Started postback with `postback.referral` when the page has one)."""
        return self._act({"referral": {"source": source, "ref": ref}})

    def clicks_ad(self, ad_id: str, ref: str | None = None, **ads_context_data: str) -> Inbound:
        """Arrive by a click-to-Messenger ad (`source: ADS`): `ad_title`, `photo_url`,
        `video_url`, `post_id`, `product_id` as keywords. Opens no window until they write."""
        body: dict[str, Any] = {"source": "ADS", "ad_id": ad_id}
        if ref is not None:
            body["ref"] = ref
        if ads_context_data:
            body["ads_context_data"] = ads_context_data
        return self._act({"referral": body})

    def opens_chat_plugin(self, referer_uri: str, ref: str | None = None) -> Inbound:
        """Start chatting in the chat plugin on `referer_uri` (`source: CUSTOMER_CHAT_PLUGIN`)."""
        body: dict[str, Any] = {"source": "CUSTOMER_CHAT_PLUGIN", "referer_uri": referer_uri}
        if ref is not None:
            body["ref"] = ref
        return self._act({"referral": body})

    @property
    def sent(self) -> SentList:
        """What was sent to this person (on this page, if one was named)."""
        return self._api.sent.to(self.psid, self.page_id)

    def _act(self, action: dict[str, Any]) -> Inbound:
        return self._api._act(self.psid, self.page_id, action)

    def __repr__(self) -> str:
        return f"<Person {self.psid} on {self.page_id or 'the first page'}>"


class Clock:
    """The emulated clock: frozen at the scenario's `clock.start`, or real time plus offsets."""

    def __init__(self, api: SendApi) -> None:
        self._api = api

    @property
    def now(self) -> datetime:
        return parse_instant(self._api.control("GET", "/clock")["now"])

    @property
    def frozen(self) -> bool:
        return bool(self._api.control("GET", "/clock")["frozen"])

    def advance(self, duration: str | timedelta) -> datetime:
        """Move forward by `90s`, `30m`, `25h`, `3d`, `1d2h` or a timedelta; the new now."""
        if isinstance(duration, timedelta):
            seconds = duration.total_seconds()
            if seconds < 0 or seconds != int(seconds):
                raise ValueError(f"advance by whole seconds, forward: got {duration!r}")
            duration = f"{int(seconds)}s"
        return self._post({"advance": duration})

    def set(self, instant: str | datetime) -> datetime:
        """Jump to an ISO 8601 instant or an aware datetime; the new now."""
        if isinstance(instant, datetime):
            if instant.tzinfo is None:
                raise ValueError("give an aware datetime, e.g. datetime(..., tzinfo=UTC)")
            instant = format_instant(instant)
        return self._post({"set": instant})

    def _post(self, body: dict[str, str]) -> datetime:
        return parse_instant(self._api.control("POST", "/clock", json=body)["now"])


class Faults:
    """Injected faults (POST /_emulator/faults): the matching sends fail (or slow down) as
    Graph's do. A reset brings back the scenario's own faults."""

    def __init__(self, api: SendApi) -> None:
        self._api = api

    def add(
        self,
        error: str | Mapping[str, Any] | None = None,
        *,
        page_id: str | None = None,
        recipient_id: str | None = None,
        kind: str | None = None,
        times: int | None = None,
        probability: float | None = None,
        seed: int | None = None,
        latency: str | float | timedelta | None = None,
        name: str | None = None,
    ) -> dict[str, Any]:
        """Fail the matching sends with `error` (a preset such as `temporary_send_failure`, or
        `{code, message, ...}`) and/or delay them by `latency` (seconds, as a number or a
        timedelta, to the millisecond; or the scenario's text form, `250ms`, `2s`); the next
        `times` of them, or each with `probability` (reproducible with `seed`). Answers the
        fault as added."""
        match = {"page_id": page_id, "recipient_id": recipient_id, "kind": kind}
        body: dict[str, Any] = {"match": {k: v for k, v in match.items() if v is not None}}
        optional = {
            "error": dict(error) if isinstance(error, Mapping) else error,
            "times": times,
            "probability": probability,
            "seed": seed,
            "latency": None if latency is None else latency_text(latency),
            "name": name,
        }
        body.update({key: value for key, value in optional.items() if value is not None})
        fault: dict[str, Any] = self._api.control("POST", "/faults", json=body)
        return fault

    def clear(self) -> None:
        self._api.control("DELETE", "/faults")

    def remove(self, fault_id: str) -> None:
        self._api.control("DELETE", f"/faults/{fault_id}")

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """The faults in order, with `remaining`, `matched`, `applied`."""
        return iter(self._api.control("GET", "/faults")["data"])


def latency_text(latency: str | float | timedelta) -> str:
    """A latency in the control API's form: seconds (a number or a timedelta) as whole
    milliseconds (`0.25` -> `250ms`); text as given, for the server to check."""
    if isinstance(latency, str):
        return latency
    if isinstance(latency, timedelta):
        seconds = latency.total_seconds()
    elif isinstance(latency, int | float) and not isinstance(latency, bool):
        seconds = float(latency)
    else:
        raise TypeError(f"latency: seconds (a number or a timedelta) or text, got {latency!r}")
    bound = limits.FAULT_LATENCY_MAX.total_seconds()
    if not math.isfinite(seconds) or not 0 <= seconds <= bound:
        raise ValueError(f"latency: seconds from 0 to {bound:g}, got {latency!r}")
    return f"{round(seconds * 1000)}ms"


async def _awaited(awaitable: Awaitable[object]) -> object:
    return await awaitable


# --- matching and describing --------------------------------------------------------------------


def _matches(
    message: SentMessage, to: str | None, text: str | re.Pattern[str] | None, fields: Any
) -> bool:
    if to is not None and message.recipient_id != str(to):
        return False
    if isinstance(text, re.Pattern):
        if message.text is None or not text.search(message.text):
            return False
    elif text is not None and message.text != text:
        return False
    for key, wanted in fields.items():
        if key in VIRTUAL_FIELDS:
            got = getattr(message, key)
        elif key in message:
            got = message[key]
        else:
            got = message.message.get(key, _MISSING)
        if got != wanted:
            return False
    return True


def _wanted(to: str | None, text: str | re.Pattern[str] | None, fields: dict[str, Any]) -> str:
    what = "a message"
    if to is not None:
        what += f" to {to}"
    if isinstance(text, re.Pattern):
        what += f" with text matching {text.pattern!r}"
    elif text is not None:
        what += f" with text {text!r}"
    if fields:
        what += " with " + ", ".join(f"{key}={value!r}" for key, value in fields.items())
    return what


def _event(answer: dict[str, Any], stamp: int, instagram: bool = False) -> dict[str, Any] | None:
    """The `messaging` event the platform sends about a person action (see webhooks.events);
    None when it sends none."""
    if answer["kind"] == "read":
        if answer.get("mid") is not None:  # Instagram's messaging_seen names the message read
            return events.seen(answer["psid"], answer["page_id"], stamp, str(answer["mid"]))
        return events.read(answer["psid"], answer["page_id"], stamp, stamp)
    psid, page, mid, kind = answer["psid"], answer["page_id"], str(answer["mid"]), answer["kind"]
    if kind == "edit":
        return events.edit(psid, page, stamp, mid, answer["text"], answer["num_edit"])
    if kind == "unsend":
        return events.unsend(psid, page, stamp, mid) if instagram else None
    if kind == "postback":
        return events.postback(
            psid, page, stamp, mid, answer["title"], answer["payload"], answer.get("referral")
        )
    if kind == "referral":
        return events.referral(psid, page, stamp, answer["referral"])
    if kind == "optin":
        return events.optin(psid, page, stamp, answer["optin"])
    if kind == "reaction":
        return events.reaction(
            psid, page, stamp, mid, answer["reaction"], answer["emoji"], answer["action"]
        )
    return events.message(
        psid,
        page,
        stamp,
        mid,
        text=answer.get("text"),
        quick_reply_payload=answer.get("quick_reply"),
        attachments=answer.get("attachments"),
    )
