"""The documented top-level parameter rules, one row per rule or boundary side.

Each row names the catalog rule it checks (None for rows that must pass). In-process:
these are rule tables, not transport tests.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import IN_WINDOW, assert_refused, graph_error, send
from starlette.testclient import TestClient

from emulator.rules import limits

R = {"id": IN_WINDOW}


def msg(**message: Any) -> dict[str, Any]:
    return {"recipient": R, "messaging_type": "RESPONSE", "message": message}


def qr(count: int = 1, **reply: Any) -> list[dict[str, Any]]:
    base = {"content_type": "text", "title": "Yes", "payload": "YES"}
    return [{**base, **reply} for _ in range(count)]


# (id, body, rule expected to fire or None for success)
ROWS: list[tuple[str, dict[str, Any], str | None]] = [
    # recipient: exactly one of id, user_ref, comment_id, post_id, phone_number
    (
        "recipient missing",
        {"messaging_type": "RESPONSE", "message": {"text": "hi"}},
        "recipient_required",
    ),
    ("recipient empty object", {**msg(text="hi"), "recipient": {}}, "recipient_empty"),
    ("recipient not an object", {**msg(text="hi"), "recipient": "nope"}, "recipient_empty"),
    (
        "recipient unknown key",
        {**msg(text="hi"), "recipient": {"id": IN_WINDOW, "psid": "1"}},
        "invalid_keys",
    ),
    (
        "recipient id and user_ref",
        {**msg(text="hi"), "recipient": {"id": IN_WINDOW, "user_ref": "x"}},
        "recipient_one_identifier",
    ),
    (
        "recipient only name",
        {**msg(text="hi"), "recipient": {"name": {"first_name": "A"}}},
        "recipient_one_identifier",
    ),
    (
        "recipient id not numeric",
        {**msg(text="hi"), "recipient": {"id": "+1(212)555-2368"}},
        "recipient_id_invalid",
    ),
    ("recipient id as number", {**msg(text="hi"), "recipient": {"id": int(IN_WINDOW)}}, None),
    (
        "recipient user_ref empty",
        {**msg(text="hi"), "recipient": {"user_ref": ""}},
        "recipient_string",
    ),
    (
        "recipient name without phone_number",
        {**msg(text="hi"), "recipient": {"id": IN_WINDOW, "name": {"first_name": "A"}}},
        "recipient_name_without_phone",
    ),
    (
        "recipient comment_id malformed",
        {**msg(text="hi"), "recipient": {"comment_id": "abc"}},
        "recipient_id_invalid",
    ),
    ("top-level id on a POST", {**msg(text="hi"), "id": "1"}, "multiple_ids"),
    # message or sender_action, never both
    (
        "neither message nor sender_action",
        {"recipient": R, "messaging_type": "RESPONSE"},
        "message_or_state_required",
    ),
    (
        "message and sender_action",
        {**msg(text="hi"), "sender_action": "typing_on"},
        "message_and_state",
    ),
    ("sender_action alone", {"recipient": R, "sender_action": "typing_on"}, None),
    ("sender_action upper case", {"recipient": R, "sender_action": "MARK_SEEN"}, None),
    (
        "sender_action with null message",
        {"recipient": R, "sender_action": "typing_off", "message": None},
        None,
    ),
    ("sender_action invalid", {"recipient": R, "sender_action": "typing"}, "sender_action_invalid"),
    ("react without payload", {"recipient": R, "sender_action": "react"}, "reaction_payload"),
    (
        "react with payload",
        {
            "recipient": R,
            "sender_action": "react",
            "payload": {"message_id": "m_1", "reaction": "love"},
        },
        None,
    ),
    (
        "unreact needs message_id",
        {"recipient": R, "sender_action": "unreact", "payload": {}},
        "reaction_payload",
    ),
    # messaging_type: required, enum
    (
        "messaging_type missing",
        {"recipient": R, "message": {"text": "hi"}},
        "messaging_type_required",
    ),
    (
        "messaging_type invalid",
        {**msg(text="hi"), "messaging_type": "PROMOTION"},
        "messaging_type_invalid",
    ),
    (
        "messaging_type not a string",
        {**msg(text="hi"), "messaging_type": 5},
        "messaging_type_invalid",
    ),
    ("messaging_type lower case", {**msg(text="hi"), "messaging_type": "response"}, None),
    ("messaging_type UPDATE", {**msg(text="hi"), "messaging_type": "UPDATE"}, None),
    # message: text or attachment, not both; non-empty
    ("message empty object", {**msg(), "message": {}}, "message_empty"),
    ("message not an object", {**msg(), "message": [1, 2]}, "message_empty"),
    ("message without text or attachment", msg(metadata="m"), "message_no_content"),
    ("message empty text", msg(text=""), "message_no_content"),
    (
        "message text and attachment",
        msg(text="hi", attachment={"type": "image", "payload": {"url": "https://x.test/a.png"}}),
        "message_text_and_attachment",
    ),
    ("message unknown key", msg(text="hi", sayHi=1), "invalid_keys"),
    ("text not a string", msg(text=123), "text_not_string"),
    ("text at the limit", msg(text="a" * limits.TEXT_MAX), None),
    ("text over the limit", msg(text="a" * (limits.TEXT_MAX + 1)), "text_too_long"),
    ("text limit counts characters not bytes", msg(text="ü" * limits.TEXT_MAX), None),
    # metadata: a string under 1000 characters
    (
        "metadata just under the limit",
        msg(text="hi", metadata="m" * (limits.METADATA_LIMIT - 1)),
        None,
    ),
    (
        "metadata at the limit",
        msg(text="hi", metadata="m" * limits.METADATA_LIMIT),
        "metadata_invalid",
    ),
    ("metadata not a string", msg(text="hi", metadata={"a": 1}), "metadata_invalid"),
    # attachment envelope
    (
        "attachment without type",
        msg(attachment={"payload": {"url": "https://x.test/a.png"}}),
        "attachment_field_required",
    ),
    ("attachment without payload", msg(attachment={"type": "image"}), "attachment_field_required"),
    (
        "attachment type invalid",
        msg(attachment={"type": "sticker", "payload": {}}),
        "attachment_type_invalid",
    ),
    (
        "attachment is_reusable not boolean",
        msg(
            attachment={
                "type": "image",
                "payload": {"url": "https://x.test/a.png", "is_reusable": "maybe"},
            }
        ),
        "field_not_boolean",
    ),
    (
        "attachment is_reusable as string",
        msg(
            attachment={
                "type": "image",
                "payload": {"url": "https://x.test/a.png", "is_reusable": "true"},
            }
        ),
        None,
    ),
    # quick_replies: 1..13, content types, title and payload
    ("quick_replies empty", msg(text="hi", quick_replies=[]), "quick_replies_too_few"),
    (
        "quick_replies not an array",
        msg(text="hi", quick_replies={"a": 1}),
        "quick_replies_not_array",
    ),
    (
        "quick_replies at the limit",
        msg(text="hi", quick_replies=qr(limits.QUICK_REPLIES_MAX)),
        None,
    ),
    (
        "quick_replies over the limit",
        msg(text="hi", quick_replies=qr(limits.QUICK_REPLIES_MAX + 1)),
        "quick_replies_too_many",
    ),
    ("quick reply not an object", msg(text="hi", quick_replies=["yes"]), "quick_reply_not_object"),
    ("quick reply unknown key", msg(text="hi", quick_replies=qr(playload="x")), "invalid_keys"),
    (
        "quick reply without content_type",
        msg(text="hi", quick_replies=[{"title": "a", "payload": "b"}]),
        "quick_reply_content_type_required",
    ),
    (
        "quick reply content_type invalid",
        msg(text="hi", quick_replies=qr(content_type="geolocation")),
        "quick_reply_content_type_invalid",
    ),
    (
        "quick reply location retired",
        msg(text="hi", quick_replies=[{"content_type": "location"}]),
        "quick_reply_location_retired",
    ),
    (
        "quick reply user_email",
        msg(text="hi", quick_replies=[{"content_type": "user_email"}]),
        None,
    ),
    (
        "quick reply user_phone_number",
        msg(text="hi", quick_replies=[{"content_type": "user_phone_number"}]),
        None,
    ),
    (
        "quick reply text without title",
        msg(text="hi", quick_replies=[{"content_type": "text", "payload": "P"}]),
        "quick_reply_title_required",
    ),
    (
        "quick reply image without title",
        msg(
            text="hi",
            quick_replies=[
                {"content_type": "text", "payload": "P", "image_url": "https://x.test/i.png"}
            ],
        ),
        None,
    ),
    (
        "quick reply text without payload",
        msg(text="hi", quick_replies=[{"content_type": "text", "title": "T"}]),
        "quick_reply_payload_required",
    ),
    ("quick reply numeric payload", msg(text="hi", quick_replies=qr(payload=42)), None),
    (
        "quick reply title at the limit",
        msg(text="hi", quick_replies=qr(title="t" * limits.QUICK_REPLY_TITLE_MAX)),
        None,
    ),
    (
        "quick reply title over the limit",
        msg(text="hi", quick_replies=qr(title="t" * (limits.QUICK_REPLY_TITLE_MAX + 1))),
        "quick_reply_field_too_long",
    ),
    (
        "quick reply payload at the limit",
        msg(text="hi", quick_replies=qr(payload="p" * limits.QUICK_REPLY_PAYLOAD_MAX)),
        None,
    ),
    (
        "quick reply payload over the limit",
        msg(text="hi", quick_replies=qr(payload="p" * (limits.QUICK_REPLY_PAYLOAD_MAX + 1))),
        "quick_reply_field_too_long",
    ),
    (
        "quick reply title not a string",
        msg(text="hi", quick_replies=qr(title=["x"])),
        "quick_reply_field_not_string",
    ),
    (
        "quick replies on an attachment",
        msg(
            attachment={"type": "image", "payload": {"url": "https://x.test/a.png"}},
            quick_replies=qr(),
        ),
        None,
    ),
    # notification_type: enum, REGULAR by default
    ("notification_type SILENT_PUSH", {**msg(text="hi"), "notification_type": "SILENT_PUSH"}, None),
    ("notification_type NO_PUSH", {**msg(text="hi"), "notification_type": "no_push"}, None),
    (
        "notification_type invalid",
        {**msg(text="hi"), "notification_type": "LOUD"},
        "notification_type_invalid",
    ),
    # tag: enum, only with MESSAGE_TAG, required with it
    (
        "tag without MESSAGE_TAG",
        {**msg(text="hi"), "tag": "ACCOUNT_UPDATE"},
        "tag_without_message_tag",
    ),
    (
        "tag invalid",
        {**msg(text="hi"), "messaging_type": "MESSAGE_TAG", "tag": "SHIPPING_UPDATE"},
        "tag_invalid",
    ),
    (
        "MESSAGE_TAG without tag",
        {**msg(text="hi"), "messaging_type": "MESSAGE_TAG"},
        "tag_required",
    ),
    (
        "tag lower case",
        {**msg(text="hi"), "messaging_type": "MESSAGE_TAG", "tag": "post_purchase_update"},
        None,
    ),
]


@pytest.mark.parametrize(("body", "rule"), [row[1:] for row in ROWS], ids=[row[0] for row in ROWS])
def test_top_level_rule(client: TestClient, body: dict[str, Any], rule: str | None) -> None:
    response = send(client, body)
    if rule is None:
        assert response.status_code == 200, response.text
        assert response.json()["recipient_id"] == IN_WINDOW
        return
    assert_refused(client, response, rule)


EXACT_MESSAGES = [
    (
        {"recipient": R, "message": {"text": "hi"}},
        "(#100) param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG}",
    ),
    (
        {**msg(text="hi"), "recipient": {"phone_number": "+1", "name": "John"}},
        '(#100) Param recipient[name] must be an object like {"first_name":"John", '
        '"last_name":"Doe"}',
    ),
    (
        msg(text="a" * 2001),
        "(#100) Length of param message[text] must be less than or equal to 2000",
    ),
    ({"recipient": R, "messaging_type": "RESPONSE"}, "(#100) Must send either message or state"),
    (
        {**msg(text="hi"), "sender_action": "mark_seen"},
        "(#100) Cannot send both message and state at the same time.",
    ),
    (msg(text="hi", sayHi=1), '(#100) Invalid keys "sayHi" were found in param "message".'),
    (
        msg(text="hi", quick_replies=qr(playload="x")),
        '(#100) Invalid keys "playload" were found in param "message[quick_replies][0]".',
    ),
    (
        {**msg(text="hi"), "messaging_type": "PROMO"},
        '(#100) Param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG} - got "PROMO".',
    ),
    (
        {**msg(text="hi"), "recipient": {"id": "abc"}},
        '(#100) Param recipient[id] must be a valid ID string (e.g., "123")',
    ),
    (msg(text="hi", quick_replies=[]), "(#194) param message[quick_replies] has too few elements."),
    (
        msg(text="hi", quick_replies=qr(14)),
        "(#105) param message[quick_replies] has too many elements.",
    ),
    (
        {**msg(text="hi"), "tag": "HUMAN_AGENT"},
        "(#100) Messaging type should be MESSAGE_TAG for tagged messages.",
    ),
]


@pytest.mark.parametrize(("body", "message"), EXACT_MESSAGES, ids=[m for _, m in EXACT_MESSAGES])
def test_exact_message_strings(client: TestClient, body: dict[str, Any], message: str) -> None:
    """The strings the real API sends, byte for byte (reference §7.5)."""
    assert graph_error(send(client, body))["message"] == message


def test_notification_type_defaults_to_regular(client: TestClient) -> None:
    assert send(client, msg(text="hi")).status_code == 200
    assert client.get("/_emulator/messages").json()["data"][-1]["notification_type"] == "REGULAR"


def test_accepted_message_is_recorded_as_sent(client: TestClient) -> None:
    message = {"text": "hi", "quick_replies": qr(2), "metadata": "order-42"}
    response = send(client, {"recipient": R, "messaging_type": "UPDATE", "message": message})
    recorded = client.get("/_emulator/messages").json()["data"][-1]
    assert recorded["message"] == message
    assert recorded["message_id"] == response.json()["message_id"]
    assert (recorded["messaging_type"], recorded["recipient"]) == ("UPDATE", R)


def test_rejected_sends_are_not_recorded(client: TestClient) -> None:
    send(client, msg(text="a" * 2001))
    assert client.get("/_emulator/messages").json()["data"] == []


@pytest.mark.parametrize(
    ("extra", "rule"),
    [
        ({"persona_id": "abc"}, "persona_id_invalid"),
        ({"persona_id": {"id": 1}}, "persona_id_invalid"),
        ({"persona_id": 1234567890}, "persona_unknown"),  # read as an id: not the page's persona
        ({"reply_to": {"mid": 5}}, "reply_to_invalid"),
        ({"reply_to": {"mid": "m_1", "is_self_reply": True}}, "invalid_keys"),
        ({"reply_to": {"mid": "m_1"}}, None),
        ({"reply_to": "m_1"}, "param_not_json"),
        ({"recipient": {"id": "\u0661\u0662"}}, "recipient_id_invalid"),
    ],
    ids=[
        "persona_id not an id",
        "persona_id an object",
        "persona_id a number",
        "reply_to mid not a string",
        "reply_to unknown key",
        "reply_to valid",
        "reply_to not an object",
        "recipient id in Arabic-Indic digits",
    ],
)
def test_optional_parameters(client: TestClient, extra: dict[str, Any], rule: str | None) -> None:
    response = send(client, {**msg(text="hi"), **extra})
    if rule is None:
        assert response.status_code == 200, response.text
    else:
        assert_refused(client, response, rule)


def test_invalid_tag_beside_a_sender_action_is_refused(client: TestClient) -> None:
    body = {"recipient": R, "sender_action": "typing_on", "tag": "NOPE"}
    assert_refused(client, send(client, body), "tag_invalid")
