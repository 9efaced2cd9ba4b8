"""Buttons, wherever templates carry them: each type's fields and limits (reference §6.1)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from emulator.rules import limits
from emulator.rules.fields import Check, Field, Where, check_object, got, raises
from emulator.wire import catalog
from emulator.wire.errors import ErrorSpec

D_BUTTONS = "https://developers.facebook.com/docs/messenger-platform/send-messages/buttons"
_PHONE = re.compile(r"\+[0-9]{6,15}")


@raises(catalog.PHONE_PAYLOAD_INVALID)
def _phone(value: Any, where: Where) -> None:
    """A phone number: + then country code and number, e.g. +15105551234."""
    if not isinstance(value, str) or not _PHONE.fullmatch(value):
        raise where.fail(catalog.PHONE_PAYLOAD_INVALID)


TITLE = Field(
    "title",
    required=True,
    max_len=limits.BUTTON_TITLE_MAX,
    missing_error=catalog.BUTTON_TITLE_EMPTY,
    source=D_BUTTONS,
)
WEB_URL_OPTIONS = (
    Field("webview_height_ratio", "enum", choices=limits.WEBVIEW_HEIGHT_RATIOS),
    Field("messenger_extensions", "bool"),
    Field("fallback_url", "url"),
    Field("webview_share_button", "enum", choices=limits.WEBVIEW_SHARE_BUTTON),
)
URL = Field(
    "url",
    "url",
    required=True,
    missing_error=catalog.WEB_URL_EMPTY,
    empty_string_error=catalog.WEB_URL_EMPTY,
    source=D_BUTTONS,
)


def _typed(kind: str, *fields: Field) -> Field:
    return Field(kind, "obj", fields=(Field("type", "enum", choices=(kind,)), *fields))


BUTTONS: dict[str, Field] = {
    "web_url": _typed("web_url", TITLE, URL, *WEB_URL_OPTIONS),
    "postback": _typed(
        "postback",
        TITLE,
        Field(
            "payload",
            required=True,
            max_len=limits.POSTBACK_PAYLOAD_MAX,
            missing_error=catalog.POSTBACK_PAYLOAD_EMPTY,
            empty_string_error=catalog.POSTBACK_PAYLOAD_EMPTY,
        ),
    ),
    "phone_number": _typed("phone_number", TITLE, Field("payload", required=True, check=_phone)),
    "account_link": _typed("account_link", Field("url", "url", required=True)),
    "account_unlink": _typed("account_unlink"),
    "game_play": _typed(
        "game_play",
        Field("title", max_len=limits.BUTTON_TITLE_MAX),
        Field("payload", max_len=limits.POSTBACK_PAYLOAD_MAX),
        Field("game_metadata", "obj", fields=(Field("player_id"), Field("context_id"))),
    ),
}
# A default_action is a URL button without a title (generic template elements).
DEFAULT_ACTION = Field(
    "default_action",
    "obj",
    fields=(Field("type", "enum", choices=("web_url",)), URL, *WEB_URL_OPTIONS),
)


def typed_check(specs: Mapping[str, Field], allowed: tuple[str, ...]) -> Check:
    """A check for an object whose `type` (one of `allowed`) picks its spec in `specs`."""
    choices = ", ".join(kind.upper() for kind in allowed)  # declared order, as Graph lists

    @raises(catalog.FIELD_NOT_OBJECT, catalog.FIELD_REQUIRED, catalog.FIELD_ENUM)
    def check(value: Any, where: Where) -> None:
        """An object of one of the allowed types, valid for its type."""
        if not isinstance(value, dict):
            raise where.fail(catalog.FIELD_NOT_OBJECT)
        kind = value.get("type")
        if kind is None:
            raise (where / "type").fail(catalog.FIELD_REQUIRED)
        if not isinstance(kind, str) or kind.lower() not in allowed:
            raise (where / "type").fail(catalog.FIELD_ENUM, allowed=choices, got=got(kind))
        check_object(value, specs[kind.lower()], where)

    return check


def button_check(allowed: tuple[str, ...]) -> Check:
    """A check for one button of a `buttons` array where `allowed` types may appear."""
    return typed_check(BUTTONS, allowed)


def buttons(
    allowed: tuple[str, ...] = limits.TEMPLATE_BUTTON_TYPES,
    *,
    required: bool = False,
    max_items: int = limits.BUTTONS_MAX,
    empty_error: ErrorSpec = catalog.ARRAY_EMPTY,
) -> Field:
    """A `buttons` array: 1 to 3 buttons of the allowed types."""
    return Field(
        "buttons",
        "arr",
        required=required,
        item="any",
        min_items=1,
        max_items=max_items,
        empty_error=empty_error,
        check=button_check(allowed),
        source=D_BUTTONS,
    )
