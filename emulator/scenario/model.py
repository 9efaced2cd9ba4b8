"""The scenario file, as a pydantic model: the contract's §2, unknown keys rejected."""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    SerializerFunctionWrapHandler,
    StrictBool,
    StrictFloat,
    StrictInt,
    WithJsonSchema,
    model_serializer,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from emulator.rules import limits
from emulator.rules.fields import is_url
from emulator.rules.utility import is_named, placeholders
from emulator.scenario.receivers import receiver_problems
from emulator.scenario.times import (
    as_utc,
    check_time,
    format_instant,
    parse_duration,
    parse_instant,
)
from emulator.wire.ids import is_activity_id, is_numeric_id

PERMISSIONS = (
    limits.PERMISSION_MESSAGING,
    limits.PERMISSION_PHONE_NUMBER,
    limits.PERMISSION_HUMAN_AGENT,
    limits.PERMISSION_UTILITY_MESSAGING,  # utility messages (messaging_type UTILITY)
    "pages_show_list",
    "pages_manage_metadata",
    "pages_read_engagement",
    "instagram_basic",
    "instagram_manage_messages",
)
TASKS = ("MESSAGE", "MODERATE", "ADVERTISE", "ANALYZE", "CREATE_CONTENT", "MANAGE")
WEBHOOK_FIELDS = (
    "messages",
    "messaging_postbacks",
    "message_echoes",
    "message_deliveries",
    "message_reads",
    "message_reactions",
    "messaging_handovers",  # the handover protocol: pass, take, request thread control
    "standby",  # events of threads another app owns
    "messaging_referrals",  # m.me links, ads and the chat plugin bringing a person to a thread
    "messaging_optins",  # a person answering an opt-in request (marketing, one-time)
    "message_edits",  # the person edited a message (message_edit)
    "messaging_seen",  # Instagram's reads (read.mid)
)


def _numeric_id(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and not is_numeric_id(value):
        raise ValueError(f"must be a numeric id string, got {value!r}")
    return value


def _activity_id(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and not is_activity_id(value):
        raise ValueError(f"must be an id like '<page id>_<number>', got {value!r}")
    return value


def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be the number 1")
    return value


def _time(value: Any) -> Any:
    if isinstance(value, date):  # YAML reads unquoted timestamps as (naive) datetimes or dates
        return format_instant(as_utc(value))
    if isinstance(value, str):
        return check_time(value)
    return value


def _past_time(value: Any) -> Any:
    value = _time(value)
    if isinstance(value, str) and value.startswith("+"):
        raise ValueError(f"must not be in the future, got {value!r}")
    return value


def _instant(value: Any) -> Any:
    if isinstance(value, date):
        return as_utc(value)
    if isinstance(value, str):
        text = value.strip()
        if text[:1] in "+-":
            raise ValueError("clock.start is an absolute time, e.g. 2026-01-05T09:00:00Z")
        return parse_instant(text)
    return value


NumericId = Annotated[
    str,
    BeforeValidator(_numeric_id),
    WithJsonSchema({"type": ["string", "integer"], "pattern": r"^\d+$"}),
]
ActivityId = Annotated[
    str,
    BeforeValidator(_activity_id),
    WithJsonSchema({"type": "string", "pattern": r"^\d+(_\d+)?$"}),
]
TimeSpec = Annotated[
    str,
    BeforeValidator(_time),
    WithJsonSchema(
        {
            "type": "string",
            "description": "ISO 8601 timestamp, or relative to the scenario start: -90s, -1h, +60d",
            "pattern": r"^([+-](\d+[smhdw])+|\d{4}-.*)$",
        }
    ),
]
PastTimeSpec = Annotated[
    str,
    BeforeValidator(_past_time),
    WithJsonSchema(
        {
            "type": "string",
            "description": "ISO 8601 timestamp, or relative to the scenario start: -90s, -1h, -3d",
            "pattern": r"^(-(\d+[smhdw])+|\d{4}-.*)$",
        }
    ),
]
Instant = Annotated[
    datetime,
    BeforeValidator(_instant),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


TimezoneOffset = (
    Annotated[StrictInt, Field(ge=-24, le=24)] | Annotated[StrictFloat, Field(ge=-24, le=24)]
)


class _Model(BaseModel):
    # defer_build: a model's validator is built when it first validates, not at import. A plain
    # `serve` starts from the bundled default, which needs no validating (scenario/bundled.py).
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class ClockSpec(_Model):
    """Given `start`, the clock is frozen there and moves only when told; absent, real time."""

    start: Instant | None = None


class AppSpec(_Model):
    id: NumericId = "100000000000001"
    secret: str = Field("dev-app-secret", min_length=1)
    require_appsecret_proof: StrictBool = False
    name: str = "Send API Emulator"  # as GET /{page}/subscribed_apps shows the app


def _webhook_url(value: Any) -> Any:
    if isinstance(value, str):
        parts = urlsplit(value)
        try:
            port = parts.port
        except ValueError:
            raise ValueError(f"not a valid http(s) URL: {value!r}") from None
        if parts.scheme not in ("http", "https") or not parts.hostname or port == 0:
            raise ValueError(f"not a valid http(s) URL: {value!r}")
    return value


class WebhookSpec(_Model):
    url: Annotated[str, BeforeValidator(_webhook_url)] = Field(min_length=1)
    verify_token: str = "verify-me"
    fields: list[Literal[WEBHOOK_FIELDS]] = list(WEBHOOK_FIELDS)  # type: ignore[valid-type]


class TokenSpec(_Model):
    token: str = Field(min_length=1)
    permissions: list[Literal[PERMISSIONS]] = [limits.PERMISSION_MESSAGING]  # type: ignore[valid-type]
    tasks: list[Literal[TASKS]] = [limits.TASK_MESSAGE]  # type: ignore[valid-type]
    expires: TimeSpec | None = None


class UserSpec(_Model):
    psid: NumericId
    first_name: str | None = None
    last_name: str | None = None
    last_message: PastTimeSpec | None = None
    blocked: StrictBool = False
    # the User Profile API's other fields; absent ones are left out of its answers
    profile_pic: str | None = Field(None, min_length=1)
    locale: str | None = Field(None, pattern=r"^[a-z]{2,3}_[A-Z]{2}$")  # e.g. en_US
    timezone: TimezoneOffset | None = None  # hours from UTC, e.g. -7 or 5.5
    gender: str | None = Field(None, min_length=1)
    thread_owner: NumericId | None = None  # the app owning their thread at start (handover)


class UserRefSpec(_Model):
    ref: str = Field(min_length=1)
    created: PastTimeSpec | None = None


class ActivitySpec(_Model):
    """A comment on a page post, or a visitor post: the target of one private reply."""

    id: ActivityId
    created: PastTimeSpec
    author_psid: NumericId | None = None


class ConnectedAppSpec(_Model):
    """Another app connected to the page (handover protocol): its id, name and role."""

    id: NumericId
    name: str = ""
    role: Literal[limits.HANDOVER_ROLES] = "secondary"  # type: ignore[valid-type]


class HandoverSpec(_Model):
    """Who receives a page's conversations (handover protocol): the scenario's own app is
    primary unless `role` says secondary; the Page Inbox is a secondary receiver unless
    `page_inbox` is false; `apps` connects more apps."""

    role: Literal[limits.HANDOVER_ROLES] = "primary"  # type: ignore[valid-type]
    page_inbox: StrictBool = True
    apps: list[ConnectedAppSpec] = []


def _persona_picture(value: Any) -> Any:
    if isinstance(value, str) and not is_url(value):
        raise ValueError(f"not a valid http(s) URL: {value!r}")
    return value


class PersonaSpec(_Model):
    """A persona the page speaks as (`persona_id` on sends); its id is made from the page's id
    and its name when not given, the same at every load."""

    id: NumericId | None = None
    name: str = Field(min_length=1, max_length=limits.PERSONA_NAME_MAX)
    profile_picture_url: Annotated[str, BeforeValidator(_persona_picture)]

    def ident(self, page_id: str) -> str:
        """Its id: as given, or made from the page's id and the name (stable across loads)."""
        if self.id is not None:
            return self.id
        digest = hashlib.sha256(f"{page_id}/{self.name}".encode()).digest()
        number = int.from_bytes(digest[:8], "big") % 9 * 10**14
        return str(10**14 + number + int.from_bytes(digest[8:16], "big") % 10**14)


class UtilityButtonSpec(_Model):
    """A utility template's button: a postback (its payload) or a URL; a `{{1}}` in either is
    filled by the send's `buttons` component."""

    type: Literal[limits.UTILITY_BUTTON_TYPES]  # type: ignore[valid-type]
    text: str = Field(min_length=1, max_length=limits.BUTTON_TITLE_MAX)
    payload: str | None = Field(None, max_length=limits.POSTBACK_PAYLOAD_MAX)
    url: str | None = None

    @model_validator(mode="after")
    def _target(self) -> UtilityButtonSpec:
        if self.type == "POSTBACK" and (self.payload is None or self.url is not None):
            raise ValueError("a POSTBACK button has a payload (and no url)")
        if self.type == "URL" and (self.url is None or self.payload is not None):
            raise ValueError("a URL button has a url (and no payload)")
        return self

    @property
    def target(self) -> str | None:
        """The payload or URL, where a placeholder may stand."""
        return self.payload if self.type == "POSTBACK" else self.url


class UtilityTemplateSpec(_Model):
    """A utility message template of the page (approved): what `message.template` names."""

    name: str = Field(
        min_length=1, max_length=limits.UTILITY_TEMPLATE_NAME_MAX, pattern=r"^[a-z0-9_]+$"
    )
    language: str = Field(limits.UTILITY_DEFAULT_LANGUAGE, pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$")
    category: Literal[limits.UTILITY_CATEGORIES] = "UTILITY"  # type: ignore[valid-type]
    header: str | None = Field(None, min_length=1)  # e.g. "{{1}} Update"
    body: str = Field(min_length=1)  # e.g. "Good news! Your order #{{1}} is on its way."
    buttons: list[UtilityButtonSpec] = Field([], max_length=limits.UTILITY_BUTTONS_MAX)

    @model_validator(mode="after")
    def _one_format(self) -> UtilityTemplateSpec:
        for text in (self.header, self.body):
            names = placeholders(text)
            if is_named(names) and any(name.isdigit() for name in names):
                raise ValueError(f"mixes positional and named placeholders: {text!r}")
        return self


class PageSpec(_Model):
    id: NumericId
    name: str = ""
    platform: Literal["messenger", "instagram"] = "messenger"
    # the Instagram professional account linked to the page: on an Instagram page, webhooks
    # name it (entry.id, the page's side of each event); absent: the page's id
    instagram_account_id: NumericId | None = None
    tokens: list[TokenSpec] = []
    users: list[UserSpec] = []
    user_refs: list[UserRefSpec] = []
    comments: list[ActivitySpec] = []
    posts: list[ActivitySpec] = []
    products: list[NumericId] = []  # catalogue products the product template may show
    personas: list[PersonaSpec] = []  # who the page may speak as (POST /{page}/personas adds)
    utility_templates: list[UtilityTemplateSpec] = []  # what messaging_type UTILITY may send
    # the handover protocol's receivers; the default made without validating (see _Model)
    handover: HandoverSpec = HandoverSpec.model_construct()


class BehaviourSpec(_Model):
    """Choices between documented behaviours that real traffic contradicts (docs/deviations.md)."""

    missing_messaging_type: Literal["reject", "response"] = "reject"
    quick_reply_title: Literal["reject", "truncate"] = "reject"
    unknown_psid: Literal["no_matching_user", "cannot_send_to_id"] = "no_matching_user"
    tag_retirement_date: date = limits.TAG_RETIREMENT_DATE
    permission_error_status: Literal[400, 403] = 400  # HTTP status of code 10 and 200 errors
    react_response: Literal["recipient_id", "recipient_id_and_message_id"] = "recipient_id"


# --- fault injection and rate limits (docs/faults.md) --------------

FAULT_PRESETS = (
    "temporary_send_failure",  # 1200, HTTP 500, transient
    "service_unavailable",  # 2, HTTP 500, transient
    "app_rate_limit",  # 4, transient
    "rate_limit",  # 613, transient
    "page_rate_limit",  # 80006, transient
    "user_unavailable",  # 551/1545041
    "html_error",  # the edge's HTML "Sorry, something went wrong." page, HTTP 502
)
FAULT_KINDS = (
    "any",
    "text",
    "attachment",
    *sorted(limits.ATTACHMENT_UPLOAD_TYPES),  # audio, file, image, video
    "template",
    "generic",
    "button",
    "media",
    "receipt",
    "customer_feedback",
    "coupon",
    "product",
    "sender_action",
    *sorted(limits.SENDER_ACTIONS),
)
# a latency: `250ms`, or a duration (`2s`; units may combine, `0m20s`), in ASCII digits,
# with ASCII whitespace around it at most; the validator and the JSON Schema say the same
_LATENCY_SPACE = " \t\n\r\f\v"
_LATENCY_FORM = r"[0-9]{1,9}ms|([0-9]{1,12}[smhdw])+"
_LATENCY = re.compile(_LATENCY_FORM)
_LATENCY_MS = re.compile(r"([0-9]{1,9})ms")
LATENCY_PATTERN = rf"^[ \t\n\r\f\v]*({_LATENCY_FORM})[ \t\n\r\f\v]*$"


def latency_seconds(text: str) -> float:
    """`250ms`, `2s`, `1m`: a fault's latency in seconds, at most FAULT_LATENCY_MAX."""
    text = text.strip(_LATENCY_SPACE)
    millis = _LATENCY_MS.fullmatch(text)
    try:
        if not _LATENCY.fullmatch(text):
            raise ValueError(text)
        seconds = int(millis.group(1)) / 1000 if millis else parse_duration(text).total_seconds()
    except ValueError:
        raise ValueError(f"not a latency: {text!r} (expected e.g. 250ms, 2s)") from None
    bound = limits.FAULT_LATENCY_MAX.total_seconds()
    if seconds > bound:
        raise ValueError(f"latency {text!r} is over the {bound:g}s bound")
    return seconds


def _latency(value: Any) -> Any:
    if isinstance(value, str):
        latency_seconds(value)
        return value.strip(_LATENCY_SPACE)
    return value


def _probability(value: Any) -> Any:
    if isinstance(value, bool | str):
        raise ValueError(f"must be a number between 0 and 1, got {value!r}")
    return value


def _id_text(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # an unquoted PSID in YAML
    return value


Latency = Annotated[
    str,
    BeforeValidator(_latency),
    WithJsonSchema(
        {
            "type": "string",
            "description": "a delay before the answer, at most 30s: 250ms, 2s (units may "
            "combine: 0m20s)",
            "pattern": LATENCY_PATTERN,
        }
    ),
]


class FaultMatch(_Model):
    """Which sends a fault applies to; every given key must match (absent = any)."""

    page_id: NumericId | None = None
    recipient_id: Annotated[str, BeforeValidator(_id_text)] | None = Field(None, min_length=1)
    kind: Literal[FAULT_KINDS] = "any"  # type: ignore[valid-type]


class FaultError(_Model):
    """The error a fault answers with: a preset's name (optionally with another HTTP `status`),
    or Graph's fields given in full (`code` and the exact `message`)."""

    preset: Literal[FAULT_PRESETS] | None = None  # type: ignore[valid-type]
    code: StrictInt | None = Field(None, ge=0)
    error_subcode: StrictInt | None = Field(None, ge=1)
    message: str | None = Field(None, min_length=1, max_length=limits.MAX_HEADER_TEXT)
    type: str | None = Field(None, min_length=1, max_length=100)
    status: StrictInt | None = Field(None, ge=400, le=599)
    is_transient: StrictBool | None = None

    @model_validator(mode="before")
    @classmethod
    def _preset_name(cls, value: Any) -> Any:
        if isinstance(value, str):
            if value not in FAULT_PRESETS:
                raise ValueError(f"unknown preset {value!r}: one of {', '.join(FAULT_PRESETS)}")
            return {"preset": value}
        if not isinstance(value, dict | BaseModel):
            raise ValueError(
                "must be a preset name or an object {code, message, error_subcode, type, "
                f"status, is_transient}}, got {value!r}"
            )
        return value

    @model_validator(mode="after")
    def _one_form(self) -> FaultError:
        if self.preset is not None:
            given = [
                key
                for key in ("code", "error_subcode", "message", "type", "is_transient")
                if getattr(self, key) is not None
            ]
            if given:
                raise ValueError(f"a preset takes only `status`, not {', '.join(given)}")
        elif self.code is None or self.message is None:
            raise ValueError(
                "a custom error needs `code` and `message` (or name a preset: "
                f"{', '.join(FAULT_PRESETS)})"
            )
        return self

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> Any:
        if self.preset is not None and self.status is None:
            return self.preset  # as written: `error: temporary_send_failure`
        return handler(self)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"anyOf": [{"enum": list(FAULT_PRESETS)}, handler(core_schema)]}


class FaultSpec(_Model):
    """Fail (or slow down) the sends that match: the next `times`, or each with `probability`
    (reproducible with `seed`), with `error`, after `latency`, or both."""

    name: str | None = Field(None, min_length=1, max_length=200)
    match: FaultMatch = FaultMatch.model_construct()  # the same as FaultMatch(): see _Model
    error: FaultError | None = None
    latency: Latency | None = None
    times: StrictInt | None = Field(None, ge=1, le=1_000_000_000)
    probability: Annotated[float, BeforeValidator(_probability)] | None = Field(None, gt=0, le=1)
    seed: StrictInt | None = None

    @model_validator(mode="after")
    def _effect(self) -> FaultSpec:
        if self.error is None and self.latency is None:
            raise ValueError("a fault needs an `error`, a `latency`, or both")
        if self.seed is not None and self.probability is None:
            raise ValueError("`seed` goes with `probability`")
        return self


class RateLimitSpec(_Model):
    """Present: the documented Send API limits apply, counted on the emulated clock."""

    per_second: StrictInt = Field(limits.RATE_PER_SECOND, ge=1, le=1_000_000)
    media_per_second: StrictInt = Field(limits.RATE_MEDIA_PER_SECOND, ge=1, le=1_000_000)
    daily_per_engaged_user: StrictInt = Field(
        limits.RATE_DAILY_PER_ENGAGED_USER, ge=1, le=1_000_000
    )
    headers: StrictBool = True  # x-business-use-case-usage and x-app-usage on every answer


class Scenario(_Model):
    version: Annotated[Literal[1], BeforeValidator(_no_bool)]
    name: str | None = None
    description: str | None = None
    # defaults made without validating (see _Model); the same as ClockSpec() and AppSpec()
    clock: ClockSpec = ClockSpec.model_construct()
    app: AppSpec = AppSpec.model_construct()
    webhook: WebhookSpec | None = None
    behaviour: BehaviourSpec = BehaviourSpec.model_construct()
    pages: list[PageSpec] = Field(min_length=1)
    faults: list[FaultSpec] = Field([], max_length=limits.FAULTS_MAX)
    rate_limits: RateLimitSpec | None = None


def cross_checks(scenario: Scenario) -> list[tuple[str, str]]:
    """Problems a per-field check cannot see: duplicate ids and tokens. (path, message) pairs."""
    problems: list[tuple[str, str]] = []
    seen_pages: set[str] = set()
    seen_tokens: dict[str, str] = {}
    for p, page in enumerate(scenario.pages):
        if page.id in seen_pages:
            problems.append((f"pages[{p}].id", f"duplicate page id {page.id!r}"))
        seen_pages.add(page.id)
        for t, token in enumerate(page.tokens):
            path = f"pages[{p}].tokens[{t}].token"
            if token.token in seen_tokens:
                problems.append((path, f"token already used at {seen_tokens[token.token]}"))
            seen_tokens.setdefault(token.token, path)
        activities: set[str] = set()  # comments and posts share one id space
        for key, items in (
            ("users", [u.psid for u in page.users]),
            ("user_refs", [r.ref for r in page.user_refs]),
            ("comments", [c.id for c in page.comments]),
            ("posts", [c.id for c in page.posts]),
            ("personas", [persona.ident(page.id) for persona in page.personas]),
            ("utility_templates", [f"{t.name}/{t.language}" for t in page.utility_templates]),
        ):
            seen = activities if key in ("comments", "posts") else set()
            for i, ident in enumerate(items):
                if ident in seen:
                    problems.append((f"pages[{p}].{key}[{i}]", f"duplicate {ident!r}"))
                seen.add(ident)
        problems.extend(receiver_problems(scenario.app.id, page, f"pages[{p}]"))
    return problems
