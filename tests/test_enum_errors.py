"""Every enum parameter's error, exactly as Graph writes it: `(#100) Param NAME must be one of
{A, B, C} - got "VALUE".` with the values in the API's declared order, never sorted
(reference §15.1). One row per enum parameter; the expected texts are written out by hand so
that a change of order in limits.py shows here."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import IN_WINDOW, graph_error, send
from starlette.testclient import TestClient

R = {"id": IN_WINDOW}
TOKEN = {"access_token": "PAGE_TOKEN"}


def msg(**message: Any) -> dict[str, Any]:
    return {"recipient": R, "messaging_type": "RESPONSE", "message": message}


def template(payload: dict[str, Any]) -> dict[str, Any]:
    return msg(attachment={"type": "template", "payload": payload})


def button(kind: Any) -> dict[str, Any]:
    return template(
        {"template_type": "button", "text": "Pick", "buttons": [{"type": kind, "title": "X"}]}
    )


def feedback_question(**question: Any) -> dict[str, Any]:
    base = {"id": "q1", "type": "csat", "title": "How was it?", "score_label": "neg_pos"}
    return template(
        {
            "template_type": "customer_feedback",
            "title": "Rate us",
            "subtitle": "Tell us",
            "button_title": "Rate",
            "feedback_screens": [{"questions": [{**base, **question}]}],
            "business_privacy": {"url": "https://example.com/privacy"},
        }
    )


# (id, body, expected message) for the Send API
SEND_ENUMS: list[tuple[str, dict[str, Any], str]] = [
    (
        "messaging_type",
        {**msg(text="hi"), "messaging_type": "PROMO"},
        '(#100) Param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG} - got "PROMO".',
    ),
    (
        "notification_type",
        {**msg(text="hi"), "notification_type": "LOUD"},
        "(#100) Param notification_type must be one of {REGULAR, SILENT_PUSH, NO_PUSH} - got "
        '"LOUD".',
    ),
    (
        "sender_action",
        {"recipient": R, "sender_action": "wave"},
        "(#100) Param sender_action must be one of {MARK_SEEN, TYPING_ON, TYPING_OFF, REACT, "
        'UNREACT} - got "wave".',
    ),
    (
        "message[attachment][type]",
        msg(attachment={"type": "sticker", "payload": {}}),
        "(#100) Param message[attachment][type] must be one of {AUDIO, FILE, IMAGE, TEMPLATE, "
        'VIDEO} - got "sticker".',
    ),
    (
        "image_aspect_ratio",
        template(
            {
                "template_type": "generic",
                "image_aspect_ratio": "round",
                "elements": [{"title": "T", "subtitle": "s"}],
            }
        ),
        "(#100) Param name_placeholder[image_aspect_ratio] must be one of {HORIZONTAL, SQUARE} "
        '- got "round".',
    ),
    (
        "button type",
        button("call"),
        "(#100) Param name_placeholder[buttons][0][type] must be one of {WEB_URL, POSTBACK, "
        'PHONE_NUMBER, ACCOUNT_LINK, ACCOUNT_UNLINK, GAME_PLAY} - got "call".',
    ),
    (
        "webview_height_ratio",
        template(
            {
                "template_type": "button",
                "text": "Pick",
                "buttons": [
                    {
                        "type": "web_url",
                        "title": "X",
                        "url": "https://example.com",
                        "webview_height_ratio": "huge",
                    }
                ],
            }
        ),
        "(#100) Param name_placeholder[buttons][0][webview_height_ratio] must be one of "
        '{COMPACT, TALL, FULL} - got "huge".',
    ),
    (
        "feedback question type",
        feedback_question(type="stars"),
        "(#100) Param name_placeholder[feedback_screens][0][questions][0][type] must be one of "
        '{CSAT, NPS, CES, FREE_FORM} - got "stars".',
    ),
    (
        "feedback score_label",
        feedback_question(score_label="meh"),
        "(#100) Param name_placeholder[feedback_screens][0][questions][0][score_label] must be "
        'one of {NEG_POS, HARD_EASY, DIS_SAT, UNLIKE_LIKE, POOR_GREAT, NONE} - got "meh".',
    ),
]


@pytest.mark.parametrize(
    ("body", "expected"), [row[1:] for row in SEND_ENUMS], ids=[row[0] for row in SEND_ENUMS]
)
def test_send_enum_errors_list_the_declared_order(
    client: TestClient, body: dict[str, Any], expected: str
) -> None:
    response = send(client, body)
    assert response.status_code == 400, response.text
    error = graph_error(response)
    assert (error["code"], error["message"]) == (100, expected)


# (id, method, path, params, expected message) for the other edges
EDGE_ENUMS: list[tuple[str, str, str, dict[str, Any], str]] = [
    (
        "messenger_profile fields",
        "GET",
        "/v21.0/me/messenger_profile",
        {**TOKEN, "fields": "greeting,bogus"},
        "(#100) Param fields[1] must be one of {GET_STARTED, PERSISTENT_MENU, TARGET_AUDIENCE, "
        "WHITELISTED_DOMAINS, GREETING, ACCOUNT_LINKING_URL, PAYMENT_SETTINGS, HOME_URL, "
        'ICE_BREAKERS} - got "bogus".',
    ),
    (
        "conversations platform",
        "GET",
        "/v21.0/me/conversations",
        {**TOKEN, "platform": "whatsapp"},
        '(#100) Param platform must be one of {MESSENGER, INSTAGRAM} - got "whatsapp".',
    ),
    (
        "upload type",
        "POST",
        "/v21.0/me/message_attachments",
        {
            **TOKEN,
            "message": '{"attachment":{"type":"template","payload":{"url":"https://a.b/c.png"}}}',
        },
        "(#100) Param message[attachment][type] must be one of {AUDIO, FILE, IMAGE, VIDEO} - "
        'got "template".',
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "params", "expected"),
    [row[1:] for row in EDGE_ENUMS],
    ids=[row[0] for row in EDGE_ENUMS],
)
def test_edge_enum_errors_list_the_declared_order(
    client: TestClient, method: str, path: str, params: dict[str, Any], expected: str
) -> None:
    response = client.request(method, path, params=params)
    assert response.status_code == 400, response.text
    assert graph_error(response)["message"] == expected


def test_messenger_profile_accepts_the_whole_declared_enum(client: TestClient) -> None:
    """A property Graph declares but the emulator does not store is named without error."""
    response = client.get(
        "/v21.0/me/messenger_profile", params={**TOKEN, "fields": "home_url,target_audience"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"data": []}


def test_the_ledger_serves_each_enum_in_its_declared_order(client: TestClient) -> None:
    enums = client.get("/_emulator/rules").json()["enums"]
    assert enums["messaging_type"] == ["RESPONSE", "UPDATE", "MESSAGE_TAG"]
    assert enums["sender_action"][:3] == ["MARK_SEEN", "TYPING_ON", "TYPING_OFF"]
    assert enums["messenger_profile fields"][:3] == [
        "GET_STARTED",
        "PERSISTENT_MENU",
        "TARGET_AUDIENCE",
    ]
