"""The runtime world built from a scenario: clock, pages and people, tokens, outbox, journal.

One object per emulator (`create_app` makes one; no globals). Everything kept long-term is
plain dicts and lists, which the garbage collector handles cheaply. Handlers run on one event
loop and never await between reading and writing this state, so concurrent requests cannot
interleave inside an update.
"""

from __future__ import annotations

import gc
import itertools
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from emulator.clock import Clock
from emulator.faults import Faults
from emulator.ratelimit import RateLimits
from emulator.revisions import apply_revision
from emulator.rules import limits
from emulator.scenario.model import ActivitySpec, PageSpec, Scenario
from emulator.scenario.receivers import receiver_ids
from emulator.scenario.times import format_instant, resolve
from emulator.wire.ids import IdFactory

Listener = Callable[[str, dict[str, Any]], None]


@dataclass(slots=True)
class Person:
    psid: str
    first_name: str | None
    last_name: str | None
    last_message: datetime | None
    blocked: bool
    profile_pic: str | None = None  # the User Profile API's other fields (scenario users)
    locale: str | None = None
    timezone: int | float | None = None
    gender: str | None = None


@dataclass(slots=True)
class OptIn:
    """A person's answer to an opt-in request: the token the page sends to, until it expires
    (a one-time token also once used)."""

    psid: str
    kind: str  # the request's template: notification_messages or one_time_notif_req
    expires: datetime
    used: bool = False


@dataclass(slots=True)
class Activity:
    """A comment or visitor post that may get one private reply."""

    id: str
    kind: str  # comment_id | post_id
    created: datetime
    author_psid: str
    replied: bool = False


@dataclass(slots=True)
class SavedAttachment:
    """An asset a page saved (Attachment Upload API, or a send with is_reusable): its id is
    usable in later sends from that page only."""

    id: str
    page_id: str
    type: str  # audio | file | image | video
    created: str  # ISO 8601 on the emulated clock
    url: str | None = None
    filename: str | None = None
    content_type: str | None = None
    size: int | None = None
    data: bytes | None = field(default=None, repr=False)  # uploaded bytes, for the control API
    origin: str = "send"  # send (is_reusable on a send) | upload (Attachment Upload API)

    def metadata(self) -> dict[str, Any]:
        """What the control API shows of it: everything but the bytes."""
        return {
            "attachment_id": self.id,
            "page_id": self.page_id,
            "type": self.type,
            "origin": self.origin,
            "created": self.created,
            "url": self.url,
            "filename": self.filename,
            "content_type": self.content_type,
            "size": self.size,
            "has_data": self.data is not None,
        }


@dataclass(slots=True)
class PageState:
    spec: PageSpec
    people: dict[str, Person]
    user_refs: dict[str, datetime | None]
    activities: dict[str, Activity]
    attachments: dict[str, SavedAttachment] = field(default_factory=dict)
    # the Messenger Profile API's properties as last set (get_started, greeting, ...)
    messenger_profile: dict[str, Any] = field(default_factory=dict)
    # the page's personas by id ({"name", "profile_picture_url", "id"}), oldest first
    personas: dict[str, dict[str, str]] = field(default_factory=dict)
    # the fields this page subscribed the app to (POST /{page}/subscribed_apps); None: not
    # changed since load or reset, so the scenario's webhook.fields
    subscribed_fields: tuple[str, ...] | None = None
    # the handover protocol: the apps receiving this page's conversations (id -> (name, role)),
    # the primary one, the scenario's own, and each thread's owner where it is not the primary
    # (None: idle). A send asks `owners.get(psid, primary) == own_app`: one lookup.
    receivers: dict[str, tuple[str, str]] = field(default_factory=dict)
    primary: str | None = None
    own_app: str | None = None
    owners: dict[str, str | None] = field(default_factory=dict)
    # opt-in tokens the page's people gave (issue 13), by token
    optins: dict[str, OptIn] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def instagram(self) -> bool:
        return self.spec.platform == "instagram"  # (PageSpec is frozen: never changes)

    @property
    def webhook_id(self) -> str:
        """Who the page is in its webhooks: its Instagram account on an Instagram page (when the
        scenario names one), else the page."""
        if self.instagram and self.spec.instagram_account_id is not None:
            return self.spec.instagram_account_id
        return self.spec.id


@dataclass(frozen=True, slots=True)
class Grant:
    """What a token allows: which page, with which permissions and tasks, until when."""

    token: str
    page_id: str
    permissions: frozenset[str]
    tasks: frozenset[str]
    expires: datetime | None


def connect_receivers(page: PageState, app_id: str) -> None:
    """The page's receivers and each thread's starting owner, from the scenario."""
    page.receivers = receivers = receiver_ids(app_id, page.spec)
    page.primary = next((i for i, (_, role) in receivers.items() if role == "primary"), None)
    page.own_app = app_id
    page.owners = {
        user.psid: user.thread_owner
        for user in page.spec.users
        if user.thread_owner is not None and user.thread_owner != page.primary
    }


def persona_record(ident: str, name: str, picture: str) -> dict[str, str]:
    """A persona as Graph lists it: name, profile_picture_url, id."""
    return {"name": name, "profile_picture_url": picture, "id": ident}


def scenario_size(scenario: Scenario) -> int:
    """How many things a world makes for a scenario (people, refs, activities, tokens)."""
    return sum(
        len(page.users) + len(page.user_refs) + len(page.comments) + len(page.posts)
        + len(page.tokens)
        for page in scenario.pages
    )  # fmt: skip


@dataclass(slots=True)
class Prepared:
    """A world's state for a scenario, made (World.prepare) before it is put in place."""

    scenario: Scenario
    clock: Clock
    started: datetime  # the instant relative scenario times count from
    pages: dict[str, PageState]
    grants: dict[str, Grant]
    faults: Faults
    rates: RateLimits | None


@dataclass(slots=True)
class World:
    """The emulator's whole mutable state, rebuilt from the scenario on load and reset."""

    scenario: Scenario
    clock: Clock = field(init=False)
    started: datetime = field(init=False)  # when loaded or reset, on the emulated clock
    pages: dict[str, PageState] = field(init=False)
    grants: dict[str, Grant] = field(init=False)
    faults: Faults = field(init=False)  # injected faults: the scenario's, then added ones
    rates: RateLimits | None = field(init=False)  # None unless the scenario sets rate_limits
    # the newest `max_records` of each, oldest dropped first: a long-running sidecar or a
    # load test stays within bounded memory
    outbox: deque[dict[str, Any]] = field(init=False)
    journal: deque[dict[str, Any]] = field(init=False)
    inbox: deque[dict[str, Any]] = field(init=False)  # what the person did (person_acts)
    max_records: int = limits.DEFAULT_MAX_RECORDS
    _send_seq: Iterator[int] = field(init=False)
    _request_seq: Iterator[int] = field(init=False)
    _inbox_seq: Iterator[int] = field(init=False)
    # one counter across outbox, inbox and journal ("order" on each entry): what happened at
    # the same frozen instant keeps its real order
    _order: Iterator[int] = field(init=False)
    ids: IdFactory = field(default_factory=IdFactory)
    listeners: list[Listener] = field(default_factory=list)
    # Records live until reset or until --max-records drops them; re-scanning them makes every
    # full garbage collection slower (tens of ms of p99). A server process freezes them every N
    # records (gc.freeze: they are then never scanned; being free of cycles, they are still
    # freed by reference counting).
    freeze_every: int = 0

    def __post_init__(self) -> None:
        self._commit(self.prepare(self.scenario))

    def prepare(self, scenario: Scenario) -> Prepared:
        """Everything a world holds for `scenario`, computed and not yet in place: safe to run
        in a worker thread (it reads only the scenario and the thread-safe id factory), so the
        loop keeps serving while a large scenario's people are made. `load` puts it in place."""
        clock = Clock(scenario.clock.start)
        base = clock.now()
        pages = {page.id: self._page(page, base) for page in scenario.pages}
        for state in pages.values():
            connect_receivers(state, scenario.app.id)
        grants = {
            token.token: Grant(
                token.token,
                page.id,
                frozenset(token.permissions),
                frozenset(token.tasks),
                resolve(token.expires, base) if token.expires else None,
            )
            for page in scenario.pages
            for token in page.tokens
        }
        faults = Faults(scenario.faults)
        rates = (
            RateLimits(scenario.rate_limits, pages) if scenario.rate_limits is not None else None
        )
        return Prepared(scenario, clock, base, pages, grants, faults, rates)

    def _commit(self, prepared: Prepared) -> None:
        """Put a prepared state in place: assignments only, so a failure before changes nothing."""
        self.scenario = prepared.scenario
        self.clock = prepared.clock
        self.started = prepared.started
        self.pages = prepared.pages
        self.grants = prepared.grants
        self.faults = prepared.faults
        self.rates = prepared.rates
        self.outbox = deque(maxlen=self.max_records)
        self.journal = deque(maxlen=self.max_records)
        self.inbox = deque(maxlen=self.max_records)
        self._send_seq = itertools.count(1)
        self._request_seq = itertools.count(1)
        self._inbox_seq = itertools.count(1)
        self._order = itertools.count(1)
        if self.freeze_every:  # a server process: the new world is long-lived (see records)
            gc.freeze()

    def _page(self, spec: PageSpec, base: datetime) -> PageState:
        people = {
            user.psid: Person(
                user.psid,
                user.first_name,
                user.last_name,
                resolve(user.last_message, base) if user.last_message else None,
                user.blocked,
                user.profile_pic,
                user.locale,
                user.timezone,
                user.gender,
            )
            for user in spec.users
        }
        refs = {
            ref.ref: resolve(ref.created, base) if ref.created else None for ref in spec.user_refs
        }
        activities = {
            item.id: self._activity(item, kind, base)
            for kind, items in (("comment_id", spec.comments), ("post_id", spec.posts))
            for item in items
        }
        page = PageState(spec, people, refs, activities)
        page.personas = {
            persona.ident(spec.id): persona_record(
                persona.ident(spec.id), persona.name, persona.profile_picture_url
            )
            for persona in spec.personas
        }
        return page

    def _activity(self, item: ActivitySpec, kind: str, base: datetime) -> Activity:
        author = item.author_psid or self.ids.numeric_id(16)
        return Activity(item.id, kind, resolve(item.created, base), author)

    # --- lifecycle ---------------------------------------------------------------------

    def reset(self, prepared: Prepared | None = None) -> None:
        """Back to the scenario's initial state; relative times count from now again (or from
        when `prepared`, made by `prepare(self.scenario)`, was)."""
        self._commit(prepared or self.prepare(self.scenario))
        self.emit("reset", {})

    def load(self, scenario: Scenario, prepared: Prepared | None = None) -> None:
        """Replace the scenario (already validated) and reset; on failure nothing changes.
        `prepared`: `prepare(scenario)`'s result, made off the loop."""
        self._commit(prepared or self.prepare(scenario))
        self.emit("reset", {})

    def counters(self) -> dict[str, int]:
        """The number each sequence gives next (send, request, inbox, order), none taken."""
        numbers = {
            "send": next(self._send_seq),
            "request": next(self._request_seq),
            "inbox": next(self._inbox_seq),
            "order": next(self._order),
        }
        self.resume_counters(numbers)
        return numbers

    def resume_counters(self, numbers: dict[str, int]) -> None:
        """Number on from these (names as in counters(); a sequence not named is unchanged)."""
        if "send" in numbers:
            self._send_seq = itertools.count(numbers["send"])
        if "request" in numbers:
            self._request_seq = itertools.count(numbers["request"])
        if "inbox" in numbers:
            self._inbox_seq = itertools.count(numbers["inbox"])
        if "order" in numbers:
            self._order = itertools.count(numbers["order"])

    def emit(self, event: str, payload: dict[str, Any]) -> None:
        """Tell listeners (webhook delivery, persistence, the UI's event stream) what happened:
        reset, send, inbound, request, clock, webhook (others may come: ignore unknown kinds).
        Listeners must not raise, and run on every Graph call: they return fast."""
        for listener in self.listeners:
            listener(event, payload)

    # --- what happens ------------------------------------------------------------------

    def record_send(self, entry: dict[str, Any]) -> dict[str, Any]:
        """Keep an accepted send (message or sender action) in the outbox."""
        entry["seq"] = next(self._send_seq)
        entry["order"] = next(self._order)
        self.outbox.append(entry)
        self.emit("send", entry)
        return entry

    def record_request(self, entry: dict[str, Any]) -> None:
        entry["id"] = number = next(self._request_seq)
        entry["order"] = next(self._order)
        self.journal.append(entry)
        if self.freeze_every and number % self.freeze_every == 0:
            gc.freeze()
        self.emit("request", entry)

    def person_writes(self, page: PageState, psid: str, text: str) -> dict[str, Any]:
        """The person sends the page a text message now (see person_acts)."""
        return self.person_acts(page, psid, {"kind": "message", "text": text})

    def person_acts(self, page: PageState, psid: str, action: dict[str, Any]) -> dict[str, Any]:
        """The person acts now: a message, a postback tap or a reaction opens their window
        (reads do not); an unknown person is added. The event is kept in the inbox and
        listeners get it ("inbound")."""
        now = self.clock.now()
        person = page.people.get(psid)
        added = person is None
        if person is None:
            person = Person(psid, None, None, None, False)
            page.people[psid] = person
        # reads do not open the window, nor a referral by an ad (control/referral.py)
        if action["kind"] != "read" and action.get("opens_window", True):
            if self.rates is not None:  # before last_message is set: a first write engages
                self.rates.before_write(page, person)
            person.last_message = now
        optin = action.pop("optin_token", None)
        if optin is not None:  # an opt-in's token (control/optin.py): the page may send to it
            token, kind, lifetime = optin
            page.optins[token] = OptIn(psid, kind, now + lifetime)
            if "token_expiry_timestamp" in action["optin"]:
                action["optin"]["token_expiry_timestamp"] = int((now + lifetime).timestamp() * 1000)
        event = {
            **action,
            # a new mid for what the person sends; a reaction names the message it is about
            "mid": (
                self.ids.message_id()
                if action["kind"] in ("message", "postback")
                else action.get("mid")
            ),
            "page_id": page.id,
            "psid": psid,
            "timestamp": format_instant(now),
            "added": added,
            "seq": next(self._inbox_seq),
            "order": next(self._order),
        }
        if action["kind"] in ("edit", "unsend"):  # the message itself changes (revisions.py)
            apply_revision(self.inbox, event)
        self.inbox.append(event)
        self.emit("inbound", event)
        return event
