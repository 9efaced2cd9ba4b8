"""GET/POST/DELETE /{page}/messenger_profile: the Messenger Profile API, stored per page.

POST sets properties (each replaced whole) and answers `{"result": "success"}`; GET with
`fields` answers `{"data": [{...the requested properties that are set...}]}` (`{"data": []}`
when none is); DELETE with `fields` removes them. Properties emulated: get_started, greeting,
persistent_menu, ice_breakers, whitelisted_domains; other parameters are ignored, as Graph
ignores parameters it does not know. Order: method, parameters, then the pages_messaging
permission (as for sends).
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from emulator import outcomes
from emulator.edges.base import EdgeCall
from emulator.edges.profile import requested_fields
from emulator.rules import limits
from emulator.rules.buttons import URL, WEB_URL_OPTIONS, typed_check
from emulator.rules.fields import Field, Where, check_object, got, is_url, raises
from emulator.wire import catalog
from emulator.wire.params import decode_object

D_PROFILE = (
    "https://developers.facebook.com/docs/messenger-platform/reference/messenger-profile-api"
)
D_MENU = "https://developers.facebook.com/docs/messenger-platform/send-messages/persistent-menu"

GET_STARTED = Field(
    "get_started",
    "obj",
    fields=(Field("payload", required=True, max_len=limits.GET_STARTED_PAYLOAD_MAX),),
    source=f"{D_PROFILE}/get-started-button",
)
GREETING = Field(
    "greeting",
    "obj",
    fields=(
        Field("locale", required=True),
        Field("text", required=True, max_len=limits.GREETING_TEXT_MAX),
    ),
    source=f"{D_PROFILE}/greeting",
)

_MENU_TITLE = Field(
    "title",
    required=True,
    max_len=limits.PERSISTENT_MENU_TITLE_MAX,
    missing_error=catalog.BUTTON_TITLE_EMPTY,
)
MENU_ITEMS: dict[str, Field] = {
    "postback": Field(
        "postback",
        "obj",
        fields=(
            Field("type", "enum", choices=("postback",)),
            _MENU_TITLE,
            Field(
                "payload",
                required=True,
                max_len=limits.POSTBACK_PAYLOAD_MAX,
                missing_error=catalog.POSTBACK_PAYLOAD_EMPTY,
                empty_string_error=catalog.POSTBACK_PAYLOAD_EMPTY,
            ),
        ),
    ),
    "web_url": Field(
        "web_url",
        "obj",
        fields=(Field("type", "enum", choices=("web_url",)), _MENU_TITLE, URL, *WEB_URL_OPTIONS),
    ),
}


# A menu item is a postback or web_url button (nested menus are gone since v8.0).
_menu_item = typed_check(MENU_ITEMS, limits.PERSISTENT_MENU_BUTTON_TYPES)


@raises(catalog.FIELD_REQUIRED)
def _composer_needs_menu(value: Any, where: Where) -> None:
    """With composer_input_disabled true, call_to_actions is required."""
    if value.get("composer_input_disabled") in (True, "true", "1", 1) and not value.get(
        "call_to_actions"
    ):
        raise (where / "call_to_actions").fail(catalog.FIELD_REQUIRED)


PERSISTENT_MENU = Field(
    "persistent_menu",
    "obj",
    fields=(
        Field("locale", required=True),
        Field("composer_input_disabled", "bool"),
        Field("disabled_surfaces", "arr", item="enum", choices=("customer_chat_plugin",)),
        Field(
            "call_to_actions",
            "arr",
            item="any",
            min_items=1,
            max_items=limits.PERSISTENT_MENU_ITEMS_MAX,
            check=_menu_item,
        ),
    ),
    check=_composer_needs_menu,
    source=D_MENU,
)
_QUESTION_FIELDS = (
    Field("question", required=True),
    Field("payload", required=True, max_len=limits.POSTBACK_PAYLOAD_MAX),
)
ICE_BREAKER = Field(
    "ice_breakers", "obj", fields=_QUESTION_FIELDS, source=f"{D_PROFILE}/ice-breakers"
)
ICE_BREAKERS_LOCALIZED = Field(
    "ice_breakers",
    "obj",
    fields=(
        Field("locale", required=True),
        Field(
            "call_to_actions",
            "arr",
            required=True,
            min_items=1,
            max_items=limits.ICE_BREAKERS_MAX,
            fields=_QUESTION_FIELDS,
        ),
    ),
    source=f"{D_PROFILE}/ice-breakers",
)


# an Instagram profile (`platform=instagram`) is kept inside the page's profile under this key,
# which no property is named (so it is saved and restored with it, and never answered)
INSTAGRAM_KEY = "platform:instagram"
# Instagram's persistent menu: "The composer_input_disabled parameter is not available"
INSTAGRAM_PERSISTENT_MENU = Field(
    "persistent_menu",
    "obj",
    fields=tuple(
        f for f in PERSISTENT_MENU.fields if f.name == "locale" or f.name == "call_to_actions"
    ),
    source=f"{catalog.D_IG_PROFILE}/persistent-menu",
)


def messenger_profile(call: EdgeCall) -> dict[str, Any]:
    method = call.method
    instagram = is_instagram(call.params.values.get("platform"))
    profile = call.page.messenger_profile
    if instagram:
        profile = profile.get(INSTAGRAM_KEY) or {}
    if method == "POST":
        properties = parse_properties(call.params.values, profile, instagram=instagram)
        _check_permission(call)
        if instagram:
            profile = call.page.messenger_profile.setdefault(INSTAGRAM_KEY, profile)
        profile.update(properties)
        call.journal["did"] = (outcomes.MESSENGER_PROFILE, method, tuple(properties))
        return {"result": "success"}
    if method in ("GET", "DELETE"):
        names = property_names(call.params.values.get("fields"))
        if instagram:
            _instagram_only(names)
        _check_permission(call)
        call.journal["did"] = (outcomes.MESSENGER_PROFILE, method, tuple(names))
        if method == "DELETE":
            for name in names:
                profile.pop(name, None)
            return {"result": "success"}
        shown = {name: profile[name] for name in names if name in profile}
        return {"data": [shown] if shown else []}
    raise catalog.METHOD_NOT_SUPPORTED(path="path", method=method.lower())


def is_instagram(value: object) -> bool:
    """`platform`: absent or messenger (the page's Messenger profile) or instagram (its
    Instagram account's), in any case."""
    if value is None:
        return False
    if not isinstance(value, str) or value.lower() not in limits.MESSENGER_PROFILE_PLATFORMS:
        raise catalog.MESSENGER_PROFILE_PLATFORM(path="platform", value=value)
    return value.lower() == "instagram"


def _instagram_only(names: list[str]) -> None:
    for name in names:
        if name not in limits.INSTAGRAM_PROFILE_PROPERTIES:
            raise catalog.INSTAGRAM_PROFILE_PROPERTY(path=name, param=name)


def _check_permission(call: EdgeCall) -> None:
    """A page token with pages_messaging (the reference's Permissions section)."""
    if limits.PERMISSION_MESSAGING not in call.grant.permissions:
        raise catalog.PERMISSION_MESSAGING(path="access_token")


def parse_properties(
    values: dict[str, object], stored: dict[str, Any], *, instagram: bool = False
) -> dict[str, Any]:
    """The properties a POST sets, each valid; a menu needs a Get Started button (on Messenger:
    Instagram has none). With `instagram`, only Instagram's properties."""
    given = {
        name: decode_object(values[name])
        for name in limits.MESSENGER_PROFILE_PROPERTIES
        if values.get(name) is not None
    }
    if not given:
        raise catalog.MESSENGER_PROFILE_PARAMS(path="body")
    if instagram:
        _instagram_only(list(given))
        if "persistent_menu" in given:
            _check_instagram_menu(given["persistent_menu"])
    for name, value in given.items():
        _CHECKS[name](value)
    if instagram:
        return given
    if "persistent_menu" in given and "get_started" not in given and "get_started" not in stored:
        raise catalog.GET_STARTED_REQUIRED(path="persistent_menu")
    return given


def property_names(value: object) -> list[str]:
    """The properties named by `fields`: a JSON array (also as a string) or `a,b,c`."""
    if value is None:
        raise catalog.MESSENGER_PROFILE_FIELDS_REQUIRED(path="fields")
    decoded = decode_object(value)
    if isinstance(decoded, list):
        names: list[object] = list(decoded)
    else:
        names = list(requested_fields(decoded))
    if not names:
        raise catalog.ARRAY_MUST_BE_NON_EMPTY(path="fields", param="fields")
    for index, name in enumerate(names):
        # Graph's whole enum is accepted; the properties not emulated are never set
        if not isinstance(name, str) or name not in limits.MESSENGER_PROFILE_FIELDS:
            raise catalog.MESSENGER_PROFILE_FIELD_INVALID(
                path=f"fields[{index}]", index=index, got=got(name)
            )
    return [str(name) for name in dict.fromkeys(names)]


def _array(value: Any, name: str, max_items: int | None = None) -> Where:
    where = Where.root(name, name)
    if not isinstance(value, list):
        raise where.fail(catalog.FIELD_NOT_ARRAY)
    if not value:
        raise where.fail(catalog.ARRAY_EMPTY)
    if max_items is not None and len(value) > max_items:
        raise where.fail(catalog.ARRAY_TOO_MANY)
    return where


def _default_locale(value: list[Any], name: str) -> None:
    if not any(item.get("locale") == limits.DEFAULT_LOCALE for item in value):
        raise catalog.MESSENGER_PROFILE_DEFAULT_LOCALE(path=name, param=name)


def _check_get_started(value: Any) -> None:
    check_object(value, GET_STARTED, Where.root("get_started", "get_started"))


def _check_greeting(value: Any) -> None:
    where = _array(value, "greeting")
    for index, item in enumerate(value):
        check_object(item, GREETING, where / index)
    _default_locale(value, "greeting")


def _check_persistent_menu(value: Any) -> None:
    where = _array(value, "persistent_menu")
    for index, item in enumerate(value):
        check_object(item, PERSISTENT_MENU, where / index)
    _default_locale(value, "persistent_menu")


def _check_instagram_menu(value: Any) -> None:
    """Instagram's menu: no composer_input_disabled, no disabled_surfaces (unknown keys)."""
    where = _array(value, "persistent_menu")
    for index, item in enumerate(value):
        check_object(item, INSTAGRAM_PERSISTENT_MENU, where / index)


def _check_ice_breakers(value: Any) -> None:
    """Two formats, one per request: localized ({locale, call_to_actions}) or a flat list."""
    where = _array(value, "ice_breakers")
    first = value[0]
    localized = isinstance(first, dict) and ("call_to_actions" in first or "locale" in first)
    if not localized and len(value) > limits.ICE_BREAKERS_MAX:
        raise where.fail(catalog.ARRAY_TOO_MANY)
    spec = ICE_BREAKERS_LOCALIZED if localized else ICE_BREAKER
    for index, item in enumerate(value):
        check_object(item, spec, where / index)
    if localized:
        _default_locale(value, "ice_breakers")


def _check_whitelisted_domains(value: Any) -> None:
    """Up to 50 fully qualified https URLs (no IP addresses, no localhost)."""
    where = _array(value, "whitelisted_domains", limits.WHITELISTED_DOMAINS_MAX)
    for index, domain in enumerate(value):
        if not _is_allowed_domain(domain):
            raise (where / index).fail(catalog.FIELD_URL)


def _is_allowed_domain(domain: Any) -> bool:
    if not is_url(domain):
        return False
    try:
        parts = urlsplit(domain)
        host = parts.hostname or ""
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False
    if parts.scheme.lower() != "https" or not host or host == "localhost" or "." not in host:
        return False
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return True
    return False


_CHECKS = {
    "get_started": _check_get_started,
    "greeting": _check_greeting,
    "persistent_menu": _check_persistent_menu,
    "ice_breakers": _check_ice_breakers,
    "whitelisted_domains": _check_whitelisted_domains,
}
