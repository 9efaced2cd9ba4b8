"""POST/GET/DELETE /{page}/subscribed_apps: which webhook fields the page sends the app.

POST `subscribed_fields` (a comma-separated list or a JSON array; Required) replaces the
page's fields and answers `{"success": true}`; GET answers `{"data": [{"link", "name", "id",
"subscribed_fields"}]}` (`{"data": []}` when the app is not subscribed); DELETE unsubscribes the
app. Fields are checked against the Page's webhook fields in the API's declared order, then the
permission each needs (Messenger's: pages_messaging; the Page's others: pages_manage_metadata).
What is subscribed gates deliveries (webhooks/subscriptions.py).
"""

from __future__ import annotations

from typing import Any

from emulator import outcomes
from emulator.edges.base import EdgeCall
from emulator.rules import limits
from emulator.rules.fields import got
from emulator.webhooks.subscriptions import page_fields
from emulator.wire import catalog
from emulator.wire.params import decode_object

_ALLOWED = ", ".join(limits.PAGE_WEBHOOK_FIELDS)
_KNOWN = frozenset(limits.PAGE_WEBHOOK_FIELDS)
_PERMISSION_LINE = "To subscribe to the {field} field, one of these permissions is needed: {name}"


def subscribed_apps(call: EdgeCall) -> dict[str, Any]:
    method = call.method
    page = call.page
    if method == "POST":
        fields = parse_fields(call.params.values.get("subscribed_fields"))
        _check_permissions(call, fields)
        page.subscribed_fields = tuple(fields)
        call.journal["did"] = (outcomes.SUBSCRIBED_APPS, method, tuple(fields))
        return {"success": True}
    if method == "GET":
        call.journal["did"] = (outcomes.SUBSCRIBED_APPS, method, ())
        fields = page_fields(call.world, page)
        if not fields:
            return {"data": []}
        app = call.world.scenario.app
        return {
            "data": [
                {
                    "link": f"https://www.facebook.com/games/?app_id={app.id}",
                    "name": app.name,
                    "id": app.id,
                    "subscribed_fields": fields,
                }
            ]
        }
    if method == "DELETE":
        page.subscribed_fields = ()
        call.journal["did"] = (outcomes.SUBSCRIBED_APPS, method, ())
        return {"success": True}
    raise catalog.METHOD_NOT_SUPPORTED(path="path", method=method.lower())


def parse_fields(value: object) -> list[str]:
    """The fields named: `a,b,c`, a JSON array (also as a string); each a Page webhook field,
    in the order given, each once."""
    if value is None:
        raise catalog.SUBSCRIBED_FIELDS_REQUIRED(path="subscribed_fields")
    decoded = decode_object(value)
    if isinstance(decoded, str):
        names: list[object] = [part.strip() for part in decoded.split(",") if part.strip()]
    elif isinstance(decoded, list):
        names = list(decoded)
    else:
        names = [decoded]
    if not names:
        raise catalog.SUBSCRIBED_FIELDS_REQUIRED(path="subscribed_fields")
    for index, name in enumerate(names):
        if not isinstance(name, str) or name not in _KNOWN:
            raise catalog.SUBSCRIBED_FIELD_INVALID(
                path=f"subscribed_fields[{index}]", index=index, allowed=_ALLOWED, got=got(name)
            )
    return [str(name) for name in dict.fromkeys(names)]


def _check_permissions(call: EdgeCall, fields: list[str]) -> None:
    """One line per field the token may not subscribe to, as Graph lists them."""
    granted = call.grant.permissions
    lines = []
    for field in fields:
        needed = (
            limits.PERMISSION_MESSAGING
            if field in limits.MESSENGER_WEBHOOK_FIELDS
            else limits.PERMISSION_MANAGE_METADATA
        )
        if needed not in granted:
            lines.append(_PERMISSION_LINE.format(field=field, name=needed))
    if lines:
        raise catalog.SUBSCRIBED_FIELD_PERMISSION(path="subscribed_fields", text=".\n".join(lines))
