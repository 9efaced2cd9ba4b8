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

    start: Instant | None = Field(
        None,
        description="The emulated clock's start, an absolute ISO 8601 time (UTC when it has no "
        "offset), where it stays until POST /_emulator/clock moves it; absent, real time.",
    )


class AppSpec(_Model):
    id: NumericId = Field(
        "100000000000001",
        description="The bot's app id, as echoes (`app_id`) and the handover protocol name it.",
    )
    secret: str = Field(
        "dev-app-secret",
        min_length=1,
        description="The app secret: it signs webhook deliveries (X-Hub-Signature-256) and "
        "checks `appsecret_proof`.",
    )
    require_appsecret_proof: StrictBool = Field(
        False,
        description="True: every Graph call must carry a valid `appsecret_proof`; false: a proof "
        "is checked only when one is sent.",
    )
    name: str = Field(
        "Send API Emulator", description="The app's name, as GET /{page}/subscribed_apps shows it."
    )


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
    url: Annotated[str, BeforeValidator(_webhook_url)] = Field(
        min_length=1,
        description="The bot's http(s) endpoint: it is verified with the hub.challenge handshake "
        "at start, load and reset, then receives each event as a signed POST.",
    )
    verify_token: str = Field(
        "verify-me", description="The `hub.verify_token` the verification handshake sends."
    )
    fields: list[Literal[WEBHOOK_FIELDS]] = Field(  # type: ignore[valid-type]
        list(WEBHOOK_FIELDS),
        description="The webhook fields the app subscribes to; a page's subscription "
        "(POST /{page}/subscribed_apps) starts as these, and an event is delivered only when "
        "both name its field.",
    )


class TokenSpec(_Model):
    token: str = Field(
        min_length=1,
        description="The page access token as the bot sends it (`access_token` or an "
        "Authorization header), unique in the scenario.",
    )
    permissions: list[Literal[PERMISSIONS]] = Field(  # type: ignore[valid-type]
        [limits.PERMISSION_MESSAGING],
        description="The permissions granted to the token, by Meta's names (e.g. human_agent for "
        "the HUMAN_AGENT tag); an empty list grants none.",
    )
    tasks: list[Literal[TASKS]] = Field(  # type: ignore[valid-type]
        [limits.TASK_MESSAGE],
        description="The page tasks of the token's user; sends and uploads need MESSAGE.",
    )
    expires: TimeSpec | None = Field(
        None,
        description="When the token expires, ISO 8601 or relative to the scenario start (+60d; "
        "-1h for one already expired); absent, it never expires.",
    )


class UserSpec(_Model):
    psid: NumericId = Field(
        description="The person's page-scoped id (PSID), the `recipient.id` of sends to them; a "
        "PSID not listed is refused as unknown (see behaviour.unknown_psid)."
    )
    first_name: str | None = Field(
        None, description="The User Profile API's `first_name`; absent, left out of its answers."
    )
    last_name: str | None = Field(
        None, description="The User Profile API's `last_name`; absent, left out of its answers."
    )
    last_message: PastTimeSpec | None = Field(
        None,
        description="When the person last wrote to the page (ISO 8601 or relative, not in the "
        "future), which opens the messaging window; absent, they never wrote and no window is "
        "open.",
    )
    blocked: StrictBool = Field(
        False,
        description="True: the person has blocked the page, so sends to them fail with "
        "`(#551) This person isn't available right now.`",
    )
    profile_pic: str | None = Field(
        None,
        min_length=1,
        description="The User Profile API's `profile_pic` URL (on the platform's CDN hosts an "
        "expiry is added, docs/deviations.md); absent, left out of its answers.",
    )
    locale: str | None = Field(
        None,
        pattern=r"^[a-z]{2,3}_[A-Z]{2}$",
        description="The User Profile API's `locale`, e.g. en_US; absent, left out of its answers.",
    )
    timezone: TimezoneOffset | None = Field(
        None,
        description="The User Profile API's `timezone`, hours from UTC (e.g. -7 or 5.5); absent, "
        "left out of its answers.",
    )
    gender: str | None = Field(
        None,
        min_length=1,
        description="The User Profile API's `gender`, any text; absent, left out of its answers.",
    )
    thread_owner: NumericId | None = Field(
        None,
        description="The id of the connected app owning the person's thread at start (handover "
        "protocol); absent, the page's primary receiver (none: the thread is idle).",
    )


class UserRefSpec(_Model):
    ref: str = Field(
        min_length=1,
        description="A checkbox plugin reference, the `recipient.user_ref` of sends to it; unique "
        "in the page.",
    )
    created: PastTimeSpec | None = Field(
        None,
        description="When the person ticked the checkbox (ISO 8601 or relative, not in the "
        "future), which opens a 24-hour window; absent, no window is open.",
    )


class ActivitySpec(_Model):
    """A comment on a page post, or a visitor post: the target of one private reply."""

    id: ActivityId = Field(
        description="Its id, `<page id>_<number>` (or a plain number), the `recipient.comment_id` "
        "or `recipient.post_id` of the reply; comments and posts share one id space."
    )
    created: PastTimeSpec = Field(
        description="When it was made, ISO 8601 or relative to the scenario start (not in the "
        "future); a private reply is accepted for 7 days after it."
    )
    author_psid: NumericId | None = Field(
        None,
        description="Its author's PSID, the `recipient_id` a private reply answers with; absent, "
        "a made-up PSID (docs/deviations.md).",
    )


class ConnectedAppSpec(_Model):
    """Another app connected to the page (handover protocol): its id, name and role."""

    id: NumericId = Field(
        description="The app's numeric id; not the scenario's own app (set with handover.role)."
    )
    name: str = Field(
        "",
        description="The app's name in the handover answers (secondary_receivers); empty, none "
        "(the Page Inbox keeps its own).",
    )
    role: Literal[limits.HANDOVER_ROLES] = Field(  # type: ignore[valid-type]
        "secondary",
        description="Its role on the page: primary (one per page at most) or secondary.",
    )


class HandoverSpec(_Model):
    """Who receives a page's conversations (handover protocol): the scenario's own app is
    primary unless `role` says secondary; the Page Inbox is a secondary receiver unless
    `page_inbox` is false; `apps` connects more apps."""

    role: Literal[limits.HANDOVER_ROLES] = Field(  # type: ignore[valid-type]
        "primary", description="The role of the scenario's own app on the page."
    )
    page_inbox: StrictBool = Field(
        True,
        description="True: the Page Inbox (app 263902037430900) is a secondary receiver; false: "
        "it is not connected.",
    )
    apps: list[ConnectedAppSpec] = Field(
        [], description="Other apps connected to the page, each with its id, name and role."
    )


def _persona_picture(value: Any) -> Any:
    if isinstance(value, str) and not is_url(value):
        raise ValueError(f"not a valid http(s) URL: {value!r}")
    return value


class PersonaSpec(_Model):
    """A persona the page speaks as (`persona_id` on sends); its id is made from the page's id
    and its name when not given, the same at every load."""

    id: NumericId | None = Field(
        None,
        description="The persona's id, the `persona_id` of sends; absent, made from the page's id "
        "and the name, the same at every load.",
    )
    name: str = Field(
        min_length=1,
        max_length=limits.PERSONA_NAME_MAX,
        description="The name the page speaks as, at most 50 characters.",
    )
    profile_picture_url: Annotated[str, BeforeValidator(_persona_picture)] = Field(
        description="The persona's picture, an http(s) URL (checked for form, never fetched)."
    )

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

    type: Literal[limits.UTILITY_BUTTON_TYPES] = Field(  # type: ignore[valid-type]
        description="POSTBACK (tapping it sends `payload` back) or URL (it opens `url`)."
    )
    text: str = Field(
        min_length=1,
        max_length=limits.BUTTON_TITLE_MAX,
        description="The button's label, at most 20 characters.",
    )
    payload: str | None = Field(
        None,
        max_length=limits.POSTBACK_PAYLOAD_MAX,
        description="A POSTBACK button's payload, at most 1000 characters; a URL button has none.",
    )
    url: str | None = Field(
        None, description="A URL button's http(s) address; a POSTBACK button has none."
    )

    @model_validator(mode="after")
    def _target(self) -> UtilityButtonSpec:
        if self.type == "POSTBACK" and (self.payload is None or self.url is not None):
            raise ValueError("a POSTBACK button has a payload (and no url)")
        if self.type == "URL" and (self.url is None or self.payload is not None):
            raise ValueError("a URL button has a url (and no payload)")
        if self.url is not None and not is_url(self.url):  # a {{1}} in it is allowed
            raise ValueError(f"not a valid http(s) URL: {self.url!r}")
        return self

    @property
    def target(self) -> str | None:
        """The payload or URL, where a placeholder may stand."""
        return self.payload if self.type == "POSTBACK" else self.url


class UtilityTemplateSpec(_Model):
    """A utility message template of the page (approved): what `message.template` names."""

    name: str = Field(
        min_length=1,
        max_length=limits.UTILITY_TEMPLATE_NAME_MAX,
        pattern=r"^[a-z0-9_]+$",
        description="The name sends give as `message.template.name`: lower-case letters, digits "
        "and underscores; unique in the page with its language.",
    )
    language: str = Field(
        limits.UTILITY_DEFAULT_LANGUAGE,
        pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$",
        description="The language code sends give as `message.template.language.code` (matched "
        "exactly), e.g. en or en_US.",
    )
    category: Literal[limits.UTILITY_CATEGORIES] = Field(  # type: ignore[valid-type]
        "UTILITY", description="The template's category; UTILITY is the only one."
    )
    header: str | None = Field(
        None,
        min_length=1,
        description='The header text, e.g. "{{1}} Update", placeholders as in `body`; absent, '
        "no header.",
    )
    body: str = Field(
        min_length=1,
        description='The message text, e.g. "Your order #{{1}} is on its way.", with positional '
        "({{1}}) or named ({{order_id}}) placeholders, not both.",
    )
    buttons: list[UtilityButtonSpec] = Field(
        [],
        max_length=limits.UTILITY_BUTTONS_MAX,
        description="Up to 3 buttons under the message.",
    )

    @model_validator(mode="after")
    def _one_format(self) -> UtilityTemplateSpec:
        for text in (self.header, self.body):
            names = placeholders(text)
            if is_named(names) and any(name.isdigit() for name in names):
                raise ValueError(f"mixes positional and named placeholders: {text!r}")
        return self


class PageSpec(_Model):
    id: NumericId = Field(
        description="The page's numeric id, the `{page}` of Graph paths; unique in the scenario."
    )
    name: str = Field("", description="The page's name, as GET /{page} answers it.")
    platform: Literal["messenger", "instagram"] = Field(
        "messenger",
        description="messenger, or instagram for a page whose sends and webhooks follow "
        "Instagram's rules and shapes.",
    )
    instagram_account_id: NumericId | None = Field(
        None,
        description="On an Instagram page, the linked professional account's id that webhooks "
        "name (entry.id, the page's side of each event); absent, the page's id.",
    )
    tokens: list[TokenSpec] = Field([], description="The access tokens that act for this page.")
    users: list[UserSpec] = Field(
        [], description="The people the page knows, by PSID, with their window and profile."
    )
    user_refs: list[UserRefSpec] = Field(
        [], description="Checkbox plugin references that sends may address as `recipient.user_ref`."
    )
    comments: list[ActivitySpec] = Field(
        [],
        description="Comments on the page's posts, each open to one private reply "
        "(`recipient.comment_id`).",
    )
    posts: list[ActivitySpec] = Field(
        [],
        description="Visitor posts on the page, each open to one private reply "
        "(`recipient.post_id`).",
    )
    products: list[NumericId] = Field(
        [], description="The catalogue product ids a product template may show; others are refused."
    )
    personas: list[PersonaSpec] = Field(
        [],
        description="The personas the page may speak as at start; POST /{page}/personas adds more.",
    )
    utility_templates: list[UtilityTemplateSpec] = Field(
        [], description="The page's approved utility templates, what a UTILITY send may name."
    )
    # the default made without validating (see _Model)
    handover: HandoverSpec = Field(
        HandoverSpec.model_construct(),
        description="The handover protocol's receivers of the page; absent, the scenario's app "
        "is primary and the Page Inbox secondary.",
    )


class BehaviourSpec(_Model):
    """Choices between documented behaviours that real traffic contradicts (docs/deviations.md)."""

    missing_messaging_type: Literal["reject", "response"] = Field(
        "reject",
        description="A send without `messaging_type`: reject (documented) or response (taken "
        "as RESPONSE, as production does); docs/deviations.md.",
    )
    quick_reply_title: Literal["reject", "truncate"] = Field(
        "reject",
        description="A quick reply title over 20 characters: reject (documented) or truncate "
        "(as live Graph does); docs/deviations.md.",
    )
    unknown_psid: Literal["no_matching_user", "cannot_send_to_id"] = Field(
        "no_matching_user",
        description="The error for a PSID the page does not know: 2018001 `No matching user "
        "found` (documented) or live Graph's `You cannot send messages to this id`; "
        "docs/deviations.md.",
    )
    tag_retirement_date: date = Field(
        limits.TAG_RETIREMENT_DATE,
        description="The date (YYYY-MM-DD, on the emulated clock, UTC) from which the "
        "ACCOUNT_UPDATE, CONFIRMED_EVENT_UPDATE and POST_PURCHASE_UPDATE tags are refused.",
    )
    permission_error_status: Literal[400, 403] = Field(
        400,
        description="The HTTP status of code 10 and 200 permission errors: 400 (the reference's "
        "default) or 403; docs/deviations.md.",
    )
    react_response: Literal["recipient_id", "recipient_id_and_message_id"] = Field(
        "recipient_id",
        description="What a react or unreact sender action answers: the recipient_id alone "
        "(Instagram docs) or with the reacted message's id; docs/deviations.md.",
    )


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

    page_id: NumericId | None = Field(
        None, description="Only sends through this page; absent, any page."
    )
    recipient_id: Annotated[str, BeforeValidator(_id_text)] | None = Field(
        None,
        min_length=1,
        description="Only sends to this recipient: a PSID, or the user_ref, phone number or "
        "comment id as sent; absent, anyone.",
    )
    kind: Literal[FAULT_KINDS] = Field(  # type: ignore[valid-type]
        "any",
        description="Only sends of this kind: text, attachment or an attachment type, template "
        "or a template type, sender_action or one action; any: all sends.",
    )


class FaultError(_Model):
    """The error a fault answers with: a preset's name (optionally with another HTTP `status`),
    or Graph's fields given in full (`code` and the exact `message`)."""

    preset: Literal[FAULT_PRESETS] | None = Field(  # type: ignore[valid-type]
        None,
        description="A named error (docs/faults.md lists each one's answer); with a preset, "
        "only `status` may be given.",
    )
    code: StrictInt | None = Field(
        None, ge=0, description="A custom error's `code`; required without a preset."
    )
    error_subcode: StrictInt | None = Field(
        None, ge=1, description="A custom error's `error_subcode`; absent, left out."
    )
    message: str | None = Field(
        None,
        min_length=1,
        max_length=limits.MAX_HEADER_TEXT,
        description="A custom error's exact `message`, at most 512 characters; required without "
        "a preset.",
    )
    type: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="A custom error's `type`; absent, OAuthException.",
    )
    status: StrictInt | None = Field(
        None,
        ge=400,
        le=599,
        description="The answer's HTTP status, 400 to 599; absent, the preset's own "
        "(docs/faults.md) or 400 for a custom error.",
    )
    is_transient: StrictBool | None = Field(
        None, description="A custom error's `is_transient`; absent, left out."
    )

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

    name: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="A label shown in GET /_emulator/faults and in the journal's `fault` mark.",
    )
    match: FaultMatch = Field(
        FaultMatch.model_construct(),  # the same as FaultMatch(): see _Model
        description="Which sends the fault applies to; absent, every send.",
    )
    error: FaultError | None = Field(
        None,
        description="The error the sends fail with: a preset's name or an object; absent, the "
        "sends succeed after `latency`.",
    )
    latency: Latency | None = Field(
        None,
        description="A delay before the answer, e.g. 250ms or 2s, at most 30s; absent, none.",
    )
    times: StrictInt | None = Field(
        None,
        ge=1,
        le=1_000_000_000,
        description="Apply to the next N matching sends, then stop; absent, every time.",
    )
    probability: Annotated[float, BeforeValidator(_probability)] | None = Field(
        None,
        gt=0,
        le=1,
        description="Apply to each matching send with this probability (over 0, at most 1); "
        "absent, always.",
    )
    seed: StrictInt | None = Field(
        None,
        description="Seeds the `probability` draws, so the same sends fail after every reset; "
        "absent, the draws are random.",
    )

    @model_validator(mode="after")
    def _effect(self) -> FaultSpec:
        if self.error is None and self.latency is None:
            raise ValueError("a fault needs an `error`, a `latency`, or both")
        if self.seed is not None and self.probability is None:
            raise ValueError("`seed` goes with `probability`")
        return self


class RateLimitSpec(_Model):
    """Present: the documented Send API limits apply, counted on the emulated clock."""

    per_second: StrictInt = Field(
        limits.RATE_PER_SECOND,
        ge=1,
        le=1_000_000,
        description="Sends per second per page (text, templates, sender actions...); over it, 613.",
    )
    media_per_second: StrictInt = Field(
        limits.RATE_MEDIA_PER_SECOND,
        ge=1,
        le=1_000_000,
        description="Sends with an audio or video attachment per second per page; over it, 613.",
    )
    daily_per_engaged_user: StrictInt = Field(
        limits.RATE_DAILY_PER_ENGAGED_USER,
        ge=1,
        le=1_000_000,
        description="Sends per page in a rolling 24 hours, per engaged user (one who wrote and "
        "did not block the page, at least one counted); over it, 80006.",
    )
    headers: StrictBool = Field(
        True,
        description="True: x-business-use-case-usage and x-app-usage headers on every answer of "
        "the messages edge.",
    )


class Scenario(_Model):
    version: Annotated[Literal[1], BeforeValidator(_no_bool)] = Field(
        description="The scenario format's version: 1."
    )
    name: str | None = Field(None, description="The scenario's name, shown by /_emulator/health.")
    description: str | None = Field(
        None, description="Free text for the scenario's readers; the emulator does not use it."
    )
    # defaults made without validating (see _Model); the same as ClockSpec() and AppSpec()
    clock: ClockSpec = Field(
        ClockSpec.model_construct(), description="The emulated clock; absent, real time."
    )
    app: AppSpec = Field(
        AppSpec.model_construct(), description="The bot's app: its id, secret and name."
    )
    webhook: WebhookSpec | None = Field(
        None,
        description="Where and which webhook events are delivered; absent, none are sent.",
    )
    behaviour: BehaviourSpec = Field(
        BehaviourSpec.model_construct(),
        description="Choices between documented and observed behaviours where sources disagree "
        "(docs/deviations.md).",
    )
    pages: list[PageSpec] = Field(
        min_length=1,
        description="The pages the bot acts for, at least one, with their tokens and people.",
    )
    faults: list[FaultSpec] = Field(
        [],
        max_length=limits.FAULTS_MAX,
        description="Faults that fail or delay the matching sends (docs/faults.md), at most 100.",
    )
    rate_limits: RateLimitSpec | None = Field(
        None,
        description="Present: the Send API's rate limits and usage headers apply "
        "(docs/faults.md); absent, no limits.",
    )


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
