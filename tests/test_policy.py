"""Policy from the scenario, on the emulated clock: windows, tags, blocks, private replies.

The test scenario's clock is frozen at 2026-01-05T09:00:00Z (before the tag retirement).
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import (
    BLOCKED,
    IG_IN_7_DAYS,
    IG_IN_WINDOW,
    IN_7_DAYS,
    IN_WINDOW,
    LONG_AGO,
    NEVER_WROTE,
    assert_refused,
    graph_error,
    send,
)
from samples import sample
from starlette.testclient import TestClient

FEEDBACK = sample("customer_feedback")


def to(
    psid: str, messaging_type: str = "RESPONSE", tag: str | None = None, **message: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "recipient": {"id": psid},
        "messaging_type": messaging_type,
        "message": message or {"text": "hello"},
    }
    if tag:
        body["tag"] = tag
    return body


def action(psid: str, sender_action: str = "typing_on") -> dict[str, Any]:
    return {"recipient": {"id": psid}, "sender_action": sender_action}


# (id, body, token, rule expected or None)
ROWS: list[tuple[str, dict[str, Any], str, str | None]] = [
    # RESPONSE / UPDATE / sender actions: inside 24 h of the person's last message
    ("RESPONSE inside 24h", to(IN_WINDOW), "PAGE_TOKEN", None),
    ("UPDATE inside 24h", to(IN_WINDOW, "UPDATE"), "PAGE_TOKEN", None),
    ("RESPONSE after 3 days", to(IN_7_DAYS), "PAGE_TOKEN", "outside_window"),
    ("UPDATE after 3 days", to(IN_7_DAYS, "UPDATE"), "PAGE_TOKEN", "outside_window"),
    ("RESPONSE to someone who never wrote", to(NEVER_WROTE), "PAGE_TOKEN", "outside_window"),
    ("sender action inside 24h", action(IN_WINDOW), "PAGE_TOKEN", None),
    ("sender action after 3 days", action(IN_7_DAYS, "mark_seen"), "PAGE_TOKEN", "outside_window"),
    # tags outside the window
    (
        "POST_PURCHASE_UPDATE outside 24h",
        to(LONG_AGO, "MESSAGE_TAG", "POST_PURCHASE_UPDATE"),
        "PAGE_TOKEN",
        None,
    ),
    (
        "ACCOUNT_UPDATE outside 24h",
        to(LONG_AGO, "MESSAGE_TAG", "ACCOUNT_UPDATE"),
        "PAGE_TOKEN",
        None,
    ),
    (
        "CONFIRMED_EVENT_UPDATE to someone who never wrote",
        to(NEVER_WROTE, "MESSAGE_TAG", "CONFIRMED_EVENT_UPDATE"),
        "PAGE_TOKEN",
        None,
    ),
    # HUMAN_AGENT: within 7 days, only with the human agent permission
    ("HUMAN_AGENT within 7 days", to(IN_7_DAYS, "MESSAGE_TAG", "HUMAN_AGENT"), "AGENT_TOKEN", None),
    (
        "HUMAN_AGENT without the permission",
        to(IN_7_DAYS, "MESSAGE_TAG", "HUMAN_AGENT"),
        "PAGE_TOKEN",
        "human_agent_permission",
    ),
    (
        "HUMAN_AGENT after 10 days",
        to(LONG_AGO, "MESSAGE_TAG", "HUMAN_AGENT"),
        "AGENT_TOKEN",
        "outside_window",
    ),
    # CUSTOMER_FEEDBACK: within 7 days, only with the customer feedback template
    (
        "CUSTOMER_FEEDBACK with the template",
        to(IN_7_DAYS, "MESSAGE_TAG", "CUSTOMER_FEEDBACK", **FEEDBACK),
        "PAGE_TOKEN",
        None,
    ),
    (
        "CUSTOMER_FEEDBACK with text",
        to(IN_7_DAYS, "MESSAGE_TAG", "CUSTOMER_FEEDBACK"),
        "PAGE_TOKEN",
        "customer_feedback_template_only",
    ),
    (
        "CUSTOMER_FEEDBACK after 10 days",
        to(LONG_AGO, "MESSAGE_TAG", "CUSTOMER_FEEDBACK", **FEEDBACK),
        "PAGE_TOKEN",
        "outside_window",
    ),
    # blocked persons and unknown PSIDs
    ("blocked person", to(BLOCKED), "PAGE_TOKEN", "person_unavailable"),
    ("blocked person, sender action", action(BLOCKED), "PAGE_TOKEN", "person_unavailable"),
    ("unknown PSID", to("2999999999999999"), "PAGE_TOKEN", "no_matching_user"),
    ("PSID of another page", to("2100000000000001"), "PAGE_TOKEN", "no_matching_user"),
    # Instagram pages: only HUMAN_AGENT among tags, IG window subcode
    ("Instagram RESPONSE inside 24h", to(IG_IN_WINDOW), "IG_TOKEN", None),
    ("Instagram RESPONSE after 3 days", to(IG_IN_7_DAYS), "IG_TOKEN", "outside_window_instagram"),
    (
        "Instagram HUMAN_AGENT",
        to(IG_IN_7_DAYS, "MESSAGE_TAG", "HUMAN_AGENT"),
        "IG_AGENT_TOKEN",
        None,
    ),
    (
        "Instagram other tag",
        to(IG_IN_7_DAYS, "MESSAGE_TAG", "POST_PURCHASE_UPDATE"),
        "IG_TOKEN",
        "instagram_tag_unavailable",
    ),
    (
        "Instagram CUSTOMER_FEEDBACK",
        to(IG_IN_WINDOW, "MESSAGE_TAG", "CUSTOMER_FEEDBACK"),
        "IG_TOKEN",
        "instagram_tag_unavailable",
    ),
    (
        "Instagram customer feedback template",
        to(IG_IN_WINDOW, **FEEDBACK),
        "IG_TOKEN",
        "template_type_invalid",
    ),
]


@pytest.mark.parametrize(
    ("body", "token", "rule"), [row[1:] for row in ROWS], ids=[row[0] for row in ROWS]
)
def test_policy(client: TestClient, body: dict[str, Any], token: str, rule: str | None) -> None:
    response = send(client, body, token=token)
    if rule is None:
        assert response.status_code == 200, response.text
        return
    assert_refused(client, response, rule)


@pytest.mark.parametrize(
    ("advance", "allowed"),
    [("22h59m", True), ("23h", True), ("23h1s", False), ("2d", False)],
    ids=["24h minus 1 min", "exactly 24h", "24h plus 1 s", "2 days later"],
)
def test_window_closes_on_the_emulated_clock(
    client: TestClient, advance: str, allowed: bool
) -> None:
    # IN_WINDOW wrote 1 h before the start, so 23 h later is exactly 24 h.
    assert client.post("/_emulator/clock", json={"advance": advance}).status_code == 200
    response = send(client, to(IN_WINDOW))
    assert (response.status_code == 200) is allowed, response.text


def test_human_agent_window_is_seven_days(client: TestClient) -> None:
    # IN_7_DAYS wrote 3 days before the start: 4 days later is exactly 7 days.
    client.post("/_emulator/clock", json={"advance": "4d"})
    assert (
        send(client, to(IN_7_DAYS, "MESSAGE_TAG", "HUMAN_AGENT"), token="AGENT_TOKEN").status_code
        == 200
    )
    client.post("/_emulator/clock", json={"advance": "1s"})
    response = send(client, to(IN_7_DAYS, "MESSAGE_TAG", "HUMAN_AGENT"), token="AGENT_TOKEN")
    assert graph_error(response)["error_subcode"] == 2018278


def test_person_writing_opens_the_window(client: TestClient) -> None:
    assert send(client, to(LONG_AGO)).status_code == 400
    written = client.post(
        f"/_emulator/pages/110000000000001/users/{LONG_AGO}/messages", json={"text": "hi"}
    )
    assert written.status_code == 200
    assert written.json()["mid"].startswith("m_")
    assert send(client, to(LONG_AGO)).status_code == 200


def test_unknown_person_writing_is_added(client: TestClient) -> None:
    psid = "2555555555555555"
    assert graph_error(send(client, to(psid)))["error_subcode"] == 2018001
    written = client.post(
        f"/_emulator/pages/110000000000001/users/{psid}/messages", json={"text": "hi"}
    )
    assert written.status_code == 201
    assert send(client, to(psid)).json()["recipient_id"] == psid


@pytest.mark.parametrize(
    ("date", "allowed"),
    [("2026-04-26T23:59:59Z", True), ("2026-04-27T00:00:00Z", False)],
    ids=["day before retirement", "retirement day"],
)
def test_retired_tags_after_cutover(client: TestClient, date: str, allowed: bool) -> None:
    client.post("/_emulator/clock", json={"set": date})
    # AGENT_TOKEN never expires (PAGE_TOKEN does, 60 days after the start)
    response = send(client, to(NEVER_WROTE, "MESSAGE_TAG", "ACCOUNT_UPDATE"), token="AGENT_TOKEN")
    if allowed:
        assert response.status_code == 200, response.text
    else:
        error = graph_error(response)
        assert (error["code"], error["error_subcode"], error["message"]) == (
            100,
            1893061,
            "Invalid parameter",
        )


def test_unknown_psid_behaviour_can_match_live_wording() -> None:
    from conftest import TEST_SCENARIO, make_client

    text = TEST_SCENARIO.read_text() + "behaviour:\n  unknown_psid: cannot_send_to_id\n"
    with make_client(text) as client:
        error = graph_error(send(client, to("2999999999999999")))
    assert error["message"] == "(#100) Parameter error: You cannot send messages to this id"
    assert "error_subcode" not in error


def test_missing_messaging_type_behaviour_defaults_to_response() -> None:
    from conftest import TEST_SCENARIO, make_client

    text = TEST_SCENARIO.read_text() + "behaviour:\n  missing_messaging_type: response\n"
    with make_client(text) as client:
        response = send(client, {"recipient": {"id": IN_WINDOW}, "message": {"text": "hi"}})
        assert response.status_code == 200, response.text
        assert client.get("/_emulator/messages").json()["data"][-1]["messaging_type"] == "RESPONSE"


class TestRecipientKinds:
    """user_ref, phone_number and private replies answer without or with recipient_id."""

    def test_user_ref_has_no_recipient_id(self, client: TestClient) -> None:
        body = {
            "recipient": {"user_ref": "checkout-ref-1"},
            "messaging_type": "RESPONSE",
            "message": {"text": "hi"},
        }
        response = send(client, body)
        assert response.status_code == 200, response.text
        assert set(response.json()) == {"message_id"}

    def test_unknown_user_ref(self, client: TestClient) -> None:
        body = {
            "recipient": {"user_ref": "nope"},
            "messaging_type": "RESPONSE",
            "message": {"text": "hi"},
        }
        assert graph_error(send(client, body))["error_subcode"] == 2018001

    def test_user_ref_opt_in_older_than_24h(self, client: TestClient) -> None:
        body = {
            "recipient": {"user_ref": "old-ref"},
            "messaging_type": "RESPONSE",
            "message": {"text": "hi"},
        }
        assert graph_error(send(client, body))["error_subcode"] == 2018278

    def test_phone_number_needs_its_permission(self, client: TestClient) -> None:
        body = {
            "recipient": {
                "phone_number": "+1(212)555-2368",
                "name": {"first_name": "J", "last_name": "D"},
            },
            "messaging_type": "UPDATE",
            "message": {"text": "hi"},
        }
        refused = send(client, body)
        assert (refused.status_code, graph_error(refused)["code"]) == (403, 230)
        allowed = send(client, body, token="AGENT_TOKEN")
        assert allowed.status_code == 200, allowed.text
        assert set(allowed.json()) == {"message_id"}

    def test_private_reply_once_per_comment(self, client: TestClient) -> None:
        body = {
            "recipient": {"comment_id": "110000000000001_3000000000000001"},
            "message": {"text": "Thanks!"},
            "messaging_type": "RESPONSE",
        }
        first = send(client, body)
        assert first.status_code == 200, first.text
        assert first.json()["recipient_id"] == NEVER_WROTE  # the commenter
        second = graph_error(send(client, body))
        assert (second["code"], second["message"]) == (
            10900,
            "(#10900) Activity already replied to",
        )

    def test_private_reply_after_seven_days(self, client: TestClient) -> None:
        body = {
            "recipient": {"comment_id": "110000000000001_3000000000000002"},
            "message": {"text": "late"},
            "messaging_type": "RESPONSE",
        }
        assert graph_error(send(client, body))["code"] == 10901

    def test_private_reply_to_unknown_comment(self, client: TestClient) -> None:
        body = {
            "recipient": {"comment_id": "110000000000001_3999999999999999"},
            "message": {"text": "?"},
            "messaging_type": "RESPONSE",
        }
        error = graph_error(send(client, body))
        assert (error["code"], error["error_subcode"], error["message"]) == (
            100,
            2018292,
            "(#100) Invalid comment_id parameter",
        )

    def test_private_reply_to_visitor_post(self, client: TestClient) -> None:
        body = {
            "recipient": {"post_id": "110000000000001_4000000000000001"},
            "message": {"text": "hi"},
            "messaging_type": "RESPONSE",
        }
        response = send(client, body)
        assert response.json() == {
            "recipient_id": "2000000000000007",
            "message_id": response.json()["message_id"],
        }

    def test_reset_allows_the_private_reply_again(self, client: TestClient) -> None:
        body = {
            "recipient": {"comment_id": "110000000000001_3000000000000001"},
            "message": {"text": "Thanks!"},
            "messaging_type": "RESPONSE",
        }
        assert send(client, body).status_code == 200
        client.post("/_emulator/reset")
        assert send(client, body).status_code == 200


def test_sender_action_does_not_use_up_the_private_reply(client: TestClient) -> None:
    recipient = {"comment_id": "110000000000001_3000000000000001"}
    assert send(client, {"recipient": recipient, "sender_action": "mark_seen"}).status_code == 200
    message = {"recipient": recipient, "messaging_type": "RESPONSE", "message": {"text": "hi"}}
    assert send(client, message).status_code == 200


@pytest.mark.parametrize(
    ("body", "token", "rule"),
    [
        (to("2999999999999999", "MESSAGE_TAG", "HUMAN_AGENT"), "PAGE_TOKEN", "no_matching_user"),
        (
            to(IN_7_DAYS, "MESSAGE_TAG", "HUMAN_AGENT"),
            "NO_PERMISSION_TOKEN",
            "permission_pages_messaging",
        ),
        (to("1780000000000009", "MESSAGE_TAG", "ACCOUNT_UPDATE"), "IG_TOKEN", "no_matching_user"),
        (to(BLOCKED, "MESSAGE_TAG", "HUMAN_AGENT"), "PAGE_TOKEN", "human_agent_permission"),
    ],
    ids=[
        "unknown PSID before the tag's permission",
        "pages_messaging before the tag",
        "unknown IGSID before Instagram's tag rule",
        "the tag's permission before the block",
    ],
)
def test_check_order(client: TestClient, body: dict[str, Any], token: str, rule: str) -> None:
    """Recipient resolution, then permissions, then window and tag, then the person (§7.6)."""
    assert_refused(client, send(client, body, token=token), rule)


def test_retired_tag_after_recipient_resolution() -> None:
    from conftest import TEST_SCENARIO, make_client

    text = TEST_SCENARIO.read_text().replace("2026-01-05T09:00:00Z", "2026-05-05T09:00:00Z")
    with make_client(text) as client:
        unknown = send(
            client, to("2999999999999999", "MESSAGE_TAG", "ACCOUNT_UPDATE"), token="AGENT_TOKEN"
        )
        assert_refused(client, unknown, "no_matching_user")
        known = send(client, to(LONG_AGO, "MESSAGE_TAG", "ACCOUNT_UPDATE"), token="AGENT_TOKEN")
        assert_refused(client, known, "tag_retired")


def test_feedback_template_type_matches_in_any_case(client: TestClient) -> None:
    upper = sample("customer_feedback")
    upper["attachment"]["payload"]["template_type"] = "CUSTOMER_FEEDBACK"
    body = to(IN_7_DAYS, "MESSAGE_TAG", "CUSTOMER_FEEDBACK", **upper)
    assert send(client, body).status_code == 200


def test_reusable_attachment_is_usable_by_its_page_only(client: TestClient) -> None:
    image = {"type": "image", "payload": {"url": "https://x.test/a.png", "is_reusable": True}}
    saved = send(client, to(IN_WINDOW, attachment=image)).json()["attachment_id"]
    again = {"type": "image", "payload": {"attachment_id": saved}}
    assert send(client, to(IN_WINDOW, attachment=again)).status_code == 200
    other = to("2100000000000001", attachment=again)
    assert_refused(client, send(client, other, token="OTHER_TOKEN"), "attachment_not_owned")
    unknown = {"type": "image", "payload": {"attachment_id": "1234567890"}}
    assert_refused(client, send(client, to(IN_WINDOW, attachment=unknown)), "attachment_not_owned")


def test_permission_error_status_can_be_403() -> None:
    from conftest import TEST_SCENARIO, make_client

    text = TEST_SCENARIO.read_text() + "behaviour:\n  permission_error_status: 403\n"
    with make_client(text) as client:
        window = send(client, to(IN_7_DAYS))
        assert (window.status_code, graph_error(window)["code"]) == (403, 10)
        task = send(client, to(IN_WINDOW), token="NO_TASK_TOKEN")
        assert (task.status_code, graph_error(task)["code"]) == (403, 200)
        other = send(client, to("2999999999999999"))
        assert other.status_code == 400  # code 100 stays 400


@pytest.mark.parametrize(
    ("choice", "keys"),
    [
        ("recipient_id", {"recipient_id"}),
        ("recipient_id_and_message_id", {"recipient_id", "message_id"}),
    ],
    ids=["Instagram documentation", "Messenger prose"],
)
def test_react_response_behaviour(choice: str, keys: set[str]) -> None:
    from conftest import TEST_SCENARIO, make_client

    text = TEST_SCENARIO.read_text() + f"behaviour:\n  react_response: {choice}\n"
    react = {
        "recipient": {"id": IN_WINDOW},
        "sender_action": "react",
        "payload": {"message_id": "m_9", "reaction": "love"},
    }
    with make_client(text) as client:
        answer = send(client, react).json()
    assert set(answer) == keys
    assert answer.get("message_id", "m_9") == "m_9"
