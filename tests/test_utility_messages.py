"""Utility messages: `messaging_type: UTILITY` with `message.template` names a template of the
page (scenario `utility_templates`), needs `pages_utility_messaging`, and may be sent inside or
outside the 24-hour window. One row per rule: the happy paths, every refusal, the tag case."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import assert_refused, graph_error, make_client, send
from starlette.testclient import TestClient

from emulator.scenario.load import ScenarioError, load_text

PAGE = "110000000000001"
IN_WINDOW = "2000000000000001"  # wrote 1 hour ago
OUTSIDE = "2000000000000002"  # wrote 3 days ago
LONG_AGO = "2000000000000005"  # wrote 10 days ago
NEVER_WROTE = "2000000000000003"
BLOCKED = "2000000000000004"

SCENARIO = """
version: 1
clock: {start: "2026-07-01T09:00:00Z"}
pages:
  - id: "110000000000001"
    tokens:
      - {token: UTILITY_TOKEN, permissions: [pages_messaging, pages_utility_messaging]}
      - {token: PAGE_TOKEN, permissions: [pages_messaging]}
      - {token: ONLY_UTILITY_TOKEN, permissions: [pages_utility_messaging]}
    users:
      - {psid: "2000000000000001", last_message: "-1h"}
      - {psid: "2000000000000002", last_message: "-3d"}
      - {psid: "2000000000000003"}
      - {psid: "2000000000000004", last_message: "-1h", blocked: true}
      - {psid: "2000000000000005", last_message: "-10d"}
    utility_templates:
      - name: order_delivery_update
        language: en
        header: "{{1}} Update"
        body: "Good news! Your order #{{1}} is on its way."
      - name: order_delivery_update_named
        language: en_US
        body: "Your order #{{order_id}} is on its way, {{customer_name}}!"
      - name: order_confirmation
        language: en
        body: "Your order is now {{1}}"
        buttons:
          - {type: POSTBACK, text: "Track Order", payload: "order_id_{{1}}"}
          - {type: URL, text: "Help", url: "https://example.com/help"}
      - name: account_notice
        body: "Your account was updated."
  - id: "130000000000001"
    platform: instagram
    tokens:
      - {token: IG_TOKEN, permissions: [pages_messaging, pages_utility_messaging]}
    users:
      - {psid: "1780000000000001", last_message: "-1h"}
"""


@pytest.fixture
def client() -> Iterator[TestClient]:
    with make_client(SCENARIO) as test_client:
        yield test_client


def text(*values: str, **named: str) -> list[dict[str, Any]]:
    positional = [{"type": "text", "text": value} for value in values]
    return positional + [
        {"type": "text", "parameter_name": name, "text": value} for name, value in named.items()
    ]


def utility(
    psid: str = IN_WINDOW,
    name: str = "order_delivery_update",
    language: str = "en",
    components: Any = None,
    **extra: Any,
) -> dict[str, Any]:
    if components is None:
        components = [
            {"type": "header", "parameters": text("Order")},
            {"type": "body", "parameters": text("566701")},
        ]
    return {
        "recipient": {"id": psid},
        "messaging_type": "UTILITY",
        "message": {
            "template": {"name": name, "language": {"code": language}, "components": components}
        },
        **extra,
    }


NAMED = [{"type": "body", "parameters": text(order_id="566701", customer_name="John")}]
BUTTONS = [
    {"type": "body", "parameters": text("confirmed")},
    {"type": "buttons", "parameters": [{"type": "POSTBACK", "payload": "12345"}]},
]

# (id, body, token, rule or None for an accepted send)
ROWS: list[tuple[str, dict[str, Any], str, str | None]] = [
    # when: inside the window and outside it, however long ago (Meta's successor of the tags)
    ("inside the window", utility(IN_WINDOW), "UTILITY_TOKEN", None),
    ("outside the 24-hour window", utility(OUTSIDE), "UTILITY_TOKEN", None),
    ("beyond 7 days", utility(LONG_AGO), "UTILITY_TOKEN", None),
    ("a person who never wrote", utility(NEVER_WROTE), "UTILITY_TOKEN", None),
    (
        "named parameters",
        utility(name="order_delivery_update_named", language="en_US", components=NAMED),
        "UTILITY_TOKEN",
        None,
    ),
    (
        "a postback button's payload",
        utility(name="order_confirmation", components=BUTTONS),
        "UTILITY_TOKEN",
        None,
    ),
    (
        "no placeholders, no components",
        utility(name="account_notice", components=[]),
        "UTILITY_TOKEN",
        None,
    ),
    (
        "components left out",
        {
            **utility(name="account_notice"),
            "message": {"template": {"name": "account_notice", "language": {"code": "en"}}},
        },
        "UTILITY_TOKEN",
        None,
    ),
    (
        "lower-case messaging_type",
        {**utility(), "messaging_type": "utility"},
        "UTILITY_TOKEN",
        None,
    ),
    (
        "with metadata",
        {**utility(), "message": {**utility()["message"], "metadata": "m"}},
        "UTILITY_TOKEN",
        None,
    ),
    # the permission
    (
        "without pages_utility_messaging",
        utility(),
        "PAGE_TOKEN",
        "permission_pages_utility_messaging",
    ),
    ("without pages_messaging", utility(), "ONLY_UTILITY_TOKEN", "permission_pages_messaging"),
    # the template
    ("an unknown template", utility(name="nope"), "UTILITY_TOKEN", "utility_template_not_found"),
    ("another language", utility(language="es"), "UTILITY_TOKEN", "utility_template_not_found"),
    # the parameters
    (
        "a body parameter missing",
        utility(components=[{"type": "header", "parameters": text("Order")}]),
        "UTILITY_TOKEN",
        "utility_params_count",
    ),
    (
        "one parameter too many",
        utility(
            components=[
                {"type": "header", "parameters": text("Order")},
                {"type": "body", "parameters": text("1", "2")},
            ]
        ),
        "UTILITY_TOKEN",
        "utility_params_count",
    ),
    (
        "a header the template lacks",
        utility(name="account_notice", components=[{"type": "header", "parameters": text("x")}]),
        "UTILITY_TOKEN",
        "utility_params_count",
    ),
    (
        "a button parameter missing",
        utility(name="order_confirmation", components=BUTTONS[:1]),
        "UTILITY_TOKEN",
        "utility_params_count",
    ),
    (
        "a named parameter misnamed",
        utility(
            name="order_delivery_update_named",
            language="en_US",
            components=[{"type": "body", "parameters": text(order="1", customer_name="J")}],
        ),
        "UTILITY_TOKEN",
        "utility_params_format",
    ),
    (
        "a parameter without text",
        utility(
            components=[
                {"type": "header", "parameters": [{"type": "text"}]},
                {"type": "body", "parameters": text("1")},
            ]
        ),
        "UTILITY_TOKEN",
        "utility_params_format",
    ),
    (
        "an unknown component type",
        utility(components=[{"type": "footer", "parameters": []}]),
        "UTILITY_TOKEN",
        "utility_params_format",
    ),
    (
        "a component twice",
        utility(components=[{"type": "body", "parameters": text("1")}] * 2),
        "UTILITY_TOKEN",
        "utility_params_format",
    ),
    (
        "a button parameter of the wrong type",
        utility(
            name="order_confirmation",
            components=[
                BUTTONS[0],
                {"type": "buttons", "parameters": [{"type": "URL", "url": "1"}]},
            ],
        ),
        "UTILITY_TOKEN",
        "utility_params_format",
    ),
    # the shape of the message
    (
        "text instead of a template",
        {**utility(), "message": {"text": "hi"}},
        "UTILITY_TOKEN",
        "invalid_keys",
    ),
    (
        "no template",
        {**utility(), "message": {"metadata": "m"}},
        "UTILITY_TOKEN",
        "utility_template_required",
    ),
    (
        "template not an object",
        {**utility(), "message": {"template": "order"}},
        "UTILITY_TOKEN",
        "utility_template_required",
    ),
    (
        "template without a name",
        {**utility(), "message": {"template": {"language": {"code": "en"}}}},
        "UTILITY_TOKEN",
        "utility_template_field_required",
    ),
    (
        "language without a code",
        {**utility(), "message": {"template": {"name": "account_notice", "language": "en"}}},
        "UTILITY_TOKEN",
        "utility_template_field_required",
    ),
    (
        "components not an array",
        utility(components={"type": "body"}),
        "UTILITY_TOKEN",
        "utility_components_invalid",
    ),
    (
        "an unknown template key",
        {
            **utility(),
            "message": {"template": {**utility()["message"]["template"], "namespace": "x"}},
        },
        "UTILITY_TOKEN",
        "invalid_keys",
    ),
    (
        "a template with RESPONSE",
        {**utility(), "messaging_type": "RESPONSE"},
        "UTILITY_TOKEN",
        "invalid_keys",
    ),
    # tags: UTILITY is not a tag
    (
        "UTILITY as a tag",
        {**utility(), "messaging_type": "MESSAGE_TAG", "tag": "UTILITY"},
        "UTILITY_TOKEN",
        "tag_invalid",
    ),
    (
        "a tag beside UTILITY",
        {**utility(), "tag": "HUMAN_AGENT"},
        "UTILITY_TOKEN",
        "tag_without_message_tag",
    ),
    # the person's own state still applies
    ("a blocked person", utility(BLOCKED), "UTILITY_TOKEN", "person_unavailable"),
    ("an unknown person", utility("2999999999999999"), "UTILITY_TOKEN", "no_matching_user"),
]


@pytest.mark.parametrize(
    ("body", "token", "rule"), [row[1:] for row in ROWS], ids=[row[0] for row in ROWS]
)
def test_utility_rules(
    client: TestClient, body: dict[str, Any], token: str, rule: str | None
) -> None:
    response = send(client, body, token=token)
    if rule is None:
        assert response.status_code == 200, response.text
        assert set(response.json()) == {"recipient_id", "message_id"}
    else:
        assert_refused(client, response, rule)


def test_exact_strings_of_the_production_refusals(client: TestClient) -> None:
    missing = graph_error(send(client, utility(name="nope"), token="UTILITY_TOKEN"))
    assert missing["message"] == "(#100) Template cannot be found."
    permission = graph_error(send(client, utility(), token="PAGE_TOKEN"))
    assert permission["message"] == (
        "Requires pages_utility_messaging permission to manage the object"
    )
    tag = graph_error(
        send(
            client,
            {**utility(), "messaging_type": "MESSAGE_TAG", "tag": "UTILITY"},
            token="UTILITY_TOKEN",
        )
    )
    assert tag["message"] == "(#100) Invalid tag."


def test_the_send_is_recorded_with_the_filled_template(client: TestClient) -> None:
    body = utility(name="order_confirmation", components=BUTTONS, psid=OUTSIDE)
    message_id = send(client, body, token="UTILITY_TOKEN").json()["message_id"]
    entry = client.get("/_emulator/messages").json()["data"][-1]
    assert entry["message_id"] == message_id
    assert entry["messaging_type"] == "UTILITY"
    assert entry["message"] == body["message"]  # as the client sent it
    assert entry["utility"] == {
        "name": "order_confirmation",
        "language": "en",
        "category": "UTILITY",
        "body": "Your order is now confirmed",
        "buttons": [
            {"type": "POSTBACK", "title": "Track Order", "payload": "order_id_12345"},
            {"type": "URL", "title": "Help", "url": "https://example.com/help"},
        ],
    }


def test_header_and_body_filled_in_place(client: TestClient) -> None:
    send(client, utility(), token="UTILITY_TOKEN")
    entry = client.get("/_emulator/messages").json()["data"][-1]
    assert (entry["utility"]["header"], entry["utility"]["body"]) == (
        "Order Update",
        "Good news! Your order #566701 is on its way.",
    )


def test_a_send_without_messaging_type_and_a_template_is_utility_when_allowed() -> None:
    """Meta's named-parameter example leaves messaging_type out; with the production behaviour
    (missing_messaging_type: response) such a send is a utility message."""
    text_ = SCENARIO.replace(
        "version: 1", "version: 1\nbehaviour: {missing_messaging_type: response}"
    )
    with make_client(text_) as client:
        body = utility()
        del body["messaging_type"]
        response = send(client, body, token="UTILITY_TOKEN")
        assert response.status_code == 200, response.text
        assert client.get("/_emulator/messages").json()["data"][-1]["messaging_type"] == "UTILITY"


def test_instagram_does_not_take_utility(client: TestClient) -> None:
    body = {**utility("1780000000000001"), "messaging_type": "UTILITY"}
    response = client.post("/v21.0/me/messages", params={"access_token": "IG_TOKEN"}, json=body)
    error = assert_refused(client, response, "messaging_type_invalid")
    assert error["message"].endswith('- got "UTILITY".')


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ({"name": "Order Update", "body": "x"}, "name"),
        ({"name": "a", "body": "{{1}} and {{name}}"}, "mixes positional and named"),
        ({"name": "a", "body": "x", "buttons": [{"type": "POSTBACK", "text": "t"}]}, "payload"),
        ({"name": "a", "body": "x", "buttons": [{"type": "URL", "text": "t"}]}, "url"),
        (
            {"name": "a", "body": "x", "buttons": [{"type": "URL", "text": "t", "url": "no url"}]},
            "not a valid http(s) URL: 'no url'",
        ),
        ({"name": "a", "body": "x", "category": "MARKETING"}, "category"),
        ({"name": "a"}, "body"),
    ],
)
def test_scenario_refuses_malformed_templates(template: dict[str, Any], problem: str) -> None:
    document = {"version": 1, "pages": [{"id": PAGE, "utility_templates": [template]}]}
    with pytest.raises(ScenarioError) as failure:
        load_text(json.dumps(document), "t.json")
    assert problem in str(failure.value)


def test_scenario_refuses_a_template_declared_twice() -> None:
    twice = [{"name": "a", "body": "x"}, {"name": "a", "body": "y"}]
    document = {"version": 1, "pages": [{"id": PAGE, "utility_templates": twice}]}
    with pytest.raises(ScenarioError) as failure:
        load_text(json.dumps(document), "t.json")
    assert "duplicate" in str(failure.value)


def test_a_body_only_utility_message_reads_as_text_in_the_conversations_api() -> None:
    """Meta's page: body-only utility messages appear in the Conversation API as text."""
    permissions = "[pages_messaging, pages_utility_messaging, pages_read_engagement, "
    text_ = SCENARIO.replace(
        "[pages_messaging, pages_utility_messaging]", permissions + "pages_manage_metadata]"
    )
    with make_client(text_) as client:
        body = utility(OUTSIDE, name="account_notice", components=[])
        assert send(client, body, token="UTILITY_TOKEN").status_code == 200
        answer = client.get(
            "/v21.0/me/conversations",
            params={
                "access_token": "UTILITY_TOKEN",
                "user_id": OUTSIDE,
                "fields": "messages{message}",
            },
        ).json()
        assert answer["data"][0]["messages"]["data"][0]["message"] == "Your account was updated."


def test_the_testing_helper_names_a_utility_send(client: TestClient) -> None:
    from emulator.testing.records import SentMessage

    send(client, utility(name="order_confirmation", components=BUTTONS), token="UTILITY_TOKEN")
    sent = SentMessage(client.get("/_emulator/messages").json()["data"][-1])
    assert (sent.kind, sent.text) == ("utility:order_confirmation", "Your order is now confirmed")
    assert "[UTILITY] utility:order_confirmation" in sent.describe()
