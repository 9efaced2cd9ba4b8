"""The scenario file, as a pydantic model: the contract's §2, unknown keys rejected."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    WithJsonSchema,
)

from emulator.rules import limits
from emulator.scenario.times import as_utc, check_time, format_instant, parse_instant
from emulator.wire.ids import is_activity_id, is_numeric_id

PERMISSIONS = (
    limits.PERMISSION_MESSAGING,
    limits.PERMISSION_PHONE_NUMBER,
    limits.PERMISSION_HUMAN_AGENT,
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
    model_config = ConfigDict(extra="forbid", frozen=True)


class ClockSpec(_Model):
    """Given `start`, the clock is frozen there and moves only when told; absent, real time."""

    start: Instant | None = None


class AppSpec(_Model):
    id: NumericId = "100000000000001"
    secret: str = Field("dev-app-secret", min_length=1)
    require_appsecret_proof: StrictBool = False


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


class UserRefSpec(_Model):
    ref: str = Field(min_length=1)
    created: PastTimeSpec | None = None


class ActivitySpec(_Model):
    """A comment on a page post, or a visitor post: the target of one private reply."""

    id: ActivityId
    created: PastTimeSpec
    author_psid: NumericId | None = None


class PageSpec(_Model):
    id: NumericId
    name: str = ""
    platform: Literal["messenger", "instagram"] = "messenger"
    tokens: list[TokenSpec] = []
    users: list[UserSpec] = []
    user_refs: list[UserRefSpec] = []
    comments: list[ActivitySpec] = []
    posts: list[ActivitySpec] = []
    products: list[NumericId] = []  # catalogue products the product template may show


class BehaviourSpec(_Model):
    """Choices between documented behaviours that real traffic contradicts (README: deviations)."""

    missing_messaging_type: Literal["reject", "response"] = "reject"
    quick_reply_title: Literal["reject", "truncate"] = "reject"
    unknown_psid: Literal["no_matching_user", "cannot_send_to_id"] = "no_matching_user"
    tag_retirement_date: date = limits.TAG_RETIREMENT_DATE
    permission_error_status: Literal[400, 403] = 400  # HTTP status of code 10 and 200 errors
    react_response: Literal["recipient_id", "recipient_id_and_message_id"] = "recipient_id"


class Scenario(_Model):
    version: Annotated[Literal[1], BeforeValidator(_no_bool)]
    name: str | None = None
    description: str | None = None
    clock: ClockSpec = ClockSpec()
    app: AppSpec = AppSpec()
    webhook: WebhookSpec | None = None
    behaviour: BehaviourSpec = BehaviourSpec()
    pages: list[PageSpec] = Field(min_length=1)


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
        ):
            seen = activities if key in ("comments", "posts") else set()
            for i, ident in enumerate(items):
                if ident in seen:
                    problems.append((f"pages[{p}].{key}[{i}]", f"duplicate {ident!r}"))
                seen.add(ident)
    return problems
