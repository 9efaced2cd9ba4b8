"""POST /{page}/messages: the Send API. Rules, then policy, then the record and the answer."""

from __future__ import annotations

from typing import Any

from emulator import outcomes
from emulator.edges.attachments import save_attachment, uploaded_file
from emulator.edges.base import EdgeCall
from emulator.entries import sent_entry
from emulator.policy.utility import check_utility
from emulator.policy.window import Target, check_send
from emulator.rules import limits
from emulator.rules.request import SendRequest
from emulator.rules.send import parse_send
from emulator.wire import catalog
from emulator.wire.respond import Ids


def messages(call: EdgeCall) -> dict[str, Any]:
    rates = call.world.rates
    if rates is None:
        return _messages(call)
    try:
        return _messages(call)
    finally:  # the usage headers, once, on every answer of this edge (refusals, GET too)
        rates.headers(call.journal, call.page, call.now)


def _messages(call: EdgeCall) -> dict[str, Any]:
    if call.method == "GET":
        raise catalog.READ_NOT_SUPPORTED(path="path")
    if call.method != "POST":
        raise catalog.METHOD_NOT_SUPPORTED(path="path", method=call.method.lower())
    world = call.world
    behaviour = world.scenario.behaviour
    request = parse_send(
        call.params.values,
        missing_messaging_type=behaviour.missing_messaging_type,
        quick_reply_title=behaviour.quick_reply_title,
        version=call.version,
        has_file=bool(call.params.files)
        and any(part.name == limits.UPLOAD_FILE_PART for part in call.params.files),
        instagram=call.page.instagram,
    )
    call.journal["recipient"] = request.recipient.value
    if call.params.files and not request.is_sender_action:
        uploaded_file(call.params)  # upload-and-send: the filedata part must hold a file
    target = check_send(
        request,
        call.page,
        call.grant,
        call.now,
        tag_retirement=behaviour.tag_retirement_date,
        unknown_psid=behaviour.unknown_psid,
    )
    # a send that would be accepted: the rate limits count it (or throttle it), then an
    # injected fault may fail or delay it (both off unless the scenario or control API asks)
    if world.rates is not None:
        world.rates.admit(call.page, request, call.now)
    if world.faults:
        world.faults.apply(call.journal, call.page.id, request, target.recipient_id)
    return accept(call, request, target)


def save_sent_attachment(call: EdgeCall, request: SendRequest) -> str:
    """`is_reusable: true` on a send saves the asset for this page and answers its id."""
    attachment = (request.message or {}).get("attachment") or {}
    payload = attachment.get("payload") or {}
    url = payload.get("url")
    saved = save_attachment(
        call,
        request.attachment_type or "",
        url if isinstance(url, str) else None,
        uploaded_file(call.params),  # upload-and-send keeps the uploaded bytes
        origin="send",
        digits=15,
    )
    return saved.id


def accept(call: EdgeCall, request: SendRequest, target: Target) -> dict[str, Any]:
    """Record the accepted send and build its answer."""
    world = call.world
    # ids the emulator made or checked (digits, base64url): written without the JSON encoder
    payload: dict[str, Any] = Ids()
    if target.recipient_id is not None:
        payload["recipient_id"] = target.recipient_id
    message_id = None
    attachment_id = None
    if not request.is_sender_action:
        message_id = world.ids.message_id()
        payload["message_id"] = message_id
        if request.is_reusable:
            attachment_id = save_sent_attachment(call, request)
            payload["attachment_id"] = attachment_id
    else:
        call.journal["did"] = (outcomes.SENDER_ACTION, request.sender_action)  # for the log
        if request.payload is not None and (
            call.world.scenario.behaviour.react_response == "recipient_id_and_message_id"
        ):
            # the message reacted to, as the client wrote it: an ordinary answer
            payload = {**payload, "message_id": request.payload["message_id"]}
    if target.activity is not None and not request.is_sender_action:
        target.activity.replied = True  # the one private reply is a message
    if target.once is not None and not request.is_sender_action:
        target.once.used = True  # a one-time notification token carries one message
    entry = sent_entry(
        message_id,
        call.page.id,
        request.recipient.as_sent,
        target.recipient_id,
        request.messaging_type,
        request.tag,
        request.notification_type,
        request.message,
        request.sender_action,
        request.payload,
        request.persona_id,
        request.reply_to,
        attachment_id,
        call.version,
        call.now_iso,
    )
    if request.persona_id is not None:  # who spoke, as they were when they spoke
        persona = call.page.personas[request.persona_id]
        entry["persona"] = dict(persona)
        call.journal["persona"] = persona["name"]
    if request.utility is not None:  # the template as the person sees it, for the UI and tests
        entry["utility"] = check_utility(
            request.utility, call.page.spec.utility_templates, call.grant
        )
    world.record_send(entry)
    return payload
