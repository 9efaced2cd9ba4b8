"""The handover protocol's edges, for the scenario's own app (the token's):

POST /{page}/pass_thread_control (recipient, target_app_id, metadata), take_thread_control,
request_thread_control, release_thread_control (recipient, metadata) answer
`{"success": true}`; GET /{page}/thread_owner?recipient=PSID answers
`{"data": [{"thread_owner": {"app_id"}}]}`; GET /{page}/secondary_receivers?fields=id,name
lists the page's secondary receivers. Order: method, parameters, the pages_messaging
permission (as for sends), then the person and who may do what (emulator/handover.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emulator import handover, outcomes
from emulator.edges.base import EdgeCall
from emulator.policy.auth import check_messaging_permissions
from emulator.rules.send import parse_recipient
from emulator.wire import catalog

SUCCESS = {"success": True}
RECEIVER_FIELDS = ("id", "name")


def _method(call: EdgeCall, allowed: str) -> None:
    if call.method != allowed:
        raise catalog.METHOD_NOT_SUPPORTED(path="path", method=call.method.lower())


def _psid(call: EdgeCall) -> str:
    """recipient: {"id": PSID} (a thread is a person's), decoded as for sends."""
    values = call.params.values
    if "recipient" not in values:
        raise catalog.RECIPIENT_REQUIRED(path="recipient")
    recipient = parse_recipient(values["recipient"])
    if recipient.kind != "id":
        raise catalog.RECIPIENT_ID_INVALID(path="recipient", field="id")
    call.journal["recipient"] = recipient.value
    return str(recipient.value)


def _metadata(call: EdgeCall) -> str | None:
    value = call.params.values.get("metadata")
    return None if value is None else str(value)


def _acting(call: EdgeCall, words: str) -> tuple[str, str | None, str]:
    """The checks every POST shares: the person, the metadata, the permission, the app."""
    _method(call, "POST")
    psid = _psid(call)
    metadata = _metadata(call)
    check_messaging_permissions(call.grant, "id")
    call.journal["did"] = (outcomes.HANDOVER, words)
    return psid, metadata, call.page.own_app or ""


def pass_thread_control(call: EdgeCall) -> dict[str, Any]:
    _method(call, "POST")
    target = call.params.values.get("target_app_id")
    if target is None or target == "":
        _psid(call)  # a missing recipient is named first
        raise catalog.TARGET_APP_REQUIRED(path="target_app_id")
    target = str(target)
    psid, metadata, app = _acting(call, f"thread passed to {target}")
    handover.pass_thread(call.world, call.page, psid, app, target, metadata)
    return SUCCESS


def take_thread_control(call: EdgeCall) -> dict[str, Any]:
    psid, metadata, app = _acting(call, "thread taken")
    handover.take_thread(call.world, call.page, psid, app, metadata)
    return SUCCESS


def request_thread_control(call: EdgeCall) -> dict[str, Any]:
    psid, metadata, app = _acting(call, "thread control requested")
    handover.request_thread(call.world, call.page, psid, app, metadata)
    return SUCCESS


def release_thread_control(call: EdgeCall) -> dict[str, Any]:
    psid, metadata, app = _acting(call, "thread released")
    handover.release_thread(call.world, call.page, psid, app, metadata)
    return SUCCESS


def thread_owner(call: EdgeCall) -> dict[str, Any]:
    """`{"data": [{"thread_owner": {"app_id"}}]}`; an idle thread: `{"data": []}` (inferred)."""
    _method(call, "GET")
    value = call.params.values.get("recipient")
    if value is None or value == "":
        raise catalog.RECIPIENT_REQUIRED(path="recipient")
    if isinstance(value, dict):  # {"id": PSID}, as some clients send it
        value = value.get("id")
    psid = str(value)
    call.journal["recipient"] = psid
    check_messaging_permissions(call.grant, "id")
    if psid not in call.page.people:
        raise catalog.NO_MATCHING_USER(path="recipient")
    call.journal["did"] = (outcomes.HANDOVER, "thread owner read")
    owner = handover.owner(call.page, psid)
    if owner is None:
        return {"data": []}
    return {"data": [{"thread_owner": {"app_id": owner}}]}


def secondary_receivers(call: EdgeCall) -> dict[str, Any]:
    """The page's secondary receivers, `fields` among id and name (default id); a secondary
    app sees only itself (the error-codes page's 2018234; inferred)."""
    _method(call, "GET")
    check_messaging_permissions(call.grant, "id")
    raw = call.params.values.get("fields")
    asked = [f.strip() for f in str(raw).split(",") if f.strip()] if raw else ["id"]
    fields = [f for f in asked if f in RECEIVER_FIELDS] or ["id"]
    page = call.page
    own = page.own_app
    secondary = [
        (app_id, name)
        for app_id, (name, role) in page.receivers.items()
        if role == "secondary" and (page.primary == own or app_id == own)
    ]
    call.journal["did"] = (outcomes.HANDOVER, "secondary receivers read")
    return {
        "data": [
            {field: (app_id if field == "id" else name) for field in fields}
            for app_id, name in secondary
        ]
    }


EDGES: dict[str, Callable[[EdgeCall], dict[str, Any]]] = {
    "pass_thread_control": pass_thread_control,
    "take_thread_control": take_thread_control,
    "request_thread_control": request_thread_control,
    "release_thread_control": release_thread_control,
    "thread_owner": thread_owner,
    "secondary_receivers": secondary_receivers,
}
