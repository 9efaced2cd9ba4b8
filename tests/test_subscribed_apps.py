"""POST/GET/DELETE /{page}/subscribed_apps: the fields, checked as Graph checks them, and the
webhook deliveries they decide (a real bot on a free port, the emulator as a real process)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import (
    IN_WINDOW,
    PAGE,
    TEST_SCENARIO,
    assert_refused,
    send,
    text_to,
)
from fbmessenger import MessengerClient
from starlette.testclient import TestClient
from test_webhooks_delivery import Bot, bot_and_server, wait_for

from emulator.app import create_app
from emulator.persist.snapshot import restore, snapshot
from emulator.rules import limits
from emulator.scenario.load import load_text
from emulator.state import World
from emulator.webhooks.subscriptions import is_subscribed

TOKEN = {"access_token": "PAGE_TOKEN"}
EDGE = "/v21.0/me/subscribed_apps"
APP = "100000000000001"
WEBHOOK_FIELDS = ["messages", "message_echoes", "message_deliveries"]
WITH_WEBHOOK = TEST_SCENARIO.read_text() + (
    "webhook:\n  url: http://127.0.0.1:9/webhook\n  fields: [" + ", ".join(WEBHOOK_FIELDS) + "]\n"
)


@pytest.fixture
def hooked() -> Iterator[TestClient]:
    """The test scenario with a webhook (not reachable: these tests read what is subscribed)."""
    with TestClient(create_app(load_text(WITH_WEBHOOK, "hooked"))) as client:
        yield client


def world_of(client: TestClient) -> World:
    world: World = client.app.state.world  # type: ignore[attr-defined]
    return world


def subscribe(client: TestClient, fields: Any, token: str = "PAGE_TOKEN") -> httpx.Response:
    return client.post(EDGE, params={"access_token": token, "subscribed_fields": fields})


def listed(client: TestClient) -> Any:
    return client.get(EDGE, params=TOKEN).json()


# --- the edge --------------------------------------------------------------------------


def test_the_scenarios_webhook_fields_are_the_starting_subscription(hooked: TestClient) -> None:
    assert listed(hooked) == {
        "data": [
            {
                "link": f"https://www.facebook.com/games/?app_id={APP}",
                "name": "Send API Emulator",
                "id": APP,
                "subscribed_fields": WEBHOOK_FIELDS,
            }
        ]
    }


def test_without_a_webhook_the_app_is_not_subscribed(client: TestClient) -> None:
    assert listed(client) == {"data": []}


@pytest.mark.parametrize(
    "given",
    [
        "messages,messaging_postbacks",
        " messages , messaging_postbacks ,messages",
        '["messages", "messaging_postbacks"]',
    ],
)
def test_post_replaces_the_fields(hooked: TestClient, given: str) -> None:
    answer = subscribe(hooked, given)
    assert answer.json() == {"success": True}, answer.text
    assert listed(hooked)["data"][0]["subscribed_fields"] == ["messages", "messaging_postbacks"]


def test_fields_as_a_json_array_in_a_json_body(hooked: TestClient) -> None:
    body = {"subscribed_fields": ["message_reads", "standby"]}
    assert hooked.post(EDGE, params=TOKEN, json=body).json() == {"success": True}
    assert listed(hooked)["data"][0]["subscribed_fields"] == ["message_reads", "standby"]


def test_delete_unsubscribes_the_app(hooked: TestClient) -> None:
    assert hooked.delete(EDGE, params=TOKEN).json() == {"success": True}
    assert listed(hooked) == {"data": []}
    assert subscribe(hooked, "messages").status_code == 200
    assert listed(hooked)["data"][0]["subscribed_fields"] == ["messages"]


def test_the_journal_and_log_say_what_was_set(hooked: TestClient) -> None:
    from emulator import outcomes

    subscribe(hooked, "messages,standby")
    entry = hooked.get("/_emulator/requests").json()["data"][-1]
    assert entry["page_id"] == PAGE
    assert entry["response"] == {"success": True}
    call = {"did": (outcomes.SUBSCRIBED_APPS, "POST", ("messages", "standby"))}
    assert outcomes.worded({"success": True}, None, None, call) == (
        "subscribed apps set messages,standby"
    )


# --- refusals --------------------------------------------------------------------------

ALLOWED = ", ".join(limits.PAGE_WEBHOOK_FIELDS)


@pytest.mark.parametrize(
    ("given", "index", "got"),
    [
        ("comments", 0, "comments"),  # an Instagram field, as integrators met it
        ("messages,mentions", 1, "mentions"),  # `mention` is the Page's
        ("messages,Messages", 1, "Messages"),  # names are not case-insensitive
        ("[1]", 0, "1"),
        ('["messages", {"a": 1}]', 1, '{"a":1}'),
    ],
)
def test_an_unknown_field_is_refused_in_graphs_enum_format(
    hooked: TestClient, given: str, index: int, got: str
) -> None:
    error = assert_refused(hooked, subscribe(hooked, given), "subscribed_field_invalid")
    assert error["message"] == (
        f'(#100) Param subscribed_fields[{index}] must be one of {{{ALLOWED}}} - got "{got}".'
    )
    assert listed(hooked)["data"][0]["subscribed_fields"] == WEBHOOK_FIELDS  # unchanged


def test_the_enum_lists_the_page_fields_in_the_apis_order() -> None:
    assert ALLOWED.startswith("feed, mention, name, picture, category, description, conversations")
    assert len(limits.PAGE_WEBHOOK_FIELDS) == len(set(limits.PAGE_WEBHOOK_FIELDS))
    for field in ("messages", "messaging_handovers", "standby", "messaging_referrals"):
        assert field in limits.MESSENGER_WEBHOOK_FIELDS
    assert "feed" not in limits.MESSENGER_WEBHOOK_FIELDS


@pytest.mark.parametrize("given", [None, "", " , ", "[]"])
def test_the_fields_are_required(hooked: TestClient, given: str | None) -> None:
    params = {**TOKEN} if given is None else {**TOKEN, "subscribed_fields": given}
    answer = hooked.post(EDGE, params=params)
    error = assert_refused(hooked, answer, "subscribed_fields_required")
    assert error["message"] == "(#100) The parameter subscribed_fields is required"


def test_fbmessengers_subscribe_call_gets_the_real_refusal(live: str) -> None:
    """fbmessenger's subscribe_app_to_page() sends no subscribed_fields, which Graph refuses
    since v3.2; the library hands back Graph's answer."""
    client = MessengerClient("PAGE_TOKEN")
    client.graph_url = f"{live}/v{client.api_version}"
    try:
        answer = client.subscribe_app_to_page()
    finally:
        client.session.close()
    assert answer["error"]["message"] == "(#100) The parameter subscribed_fields is required"


@pytest.mark.parametrize(
    ("token", "fields", "message"),
    [
        (
            "PAGE_TOKEN",
            "feed",
            "(#200) To subscribe to the feed field, one of these permissions is needed: "
            "pages_manage_metadata",
        ),
        (
            "NO_PERMISSION_TOKEN",
            "messages,feed",
            "(#200) To subscribe to the messages field, one of these permissions is needed: "
            "pages_messaging.\nTo subscribe to the feed field, one of these permissions is "
            "needed: pages_manage_metadata",
        ),
    ],
)
def test_each_field_needs_its_permission(
    hooked: TestClient, token: str, fields: str, message: str
) -> None:
    error = assert_refused(hooked, subscribe(hooked, fields, token), "subscribed_field_permission")
    assert error["message"] == message
    assert error["code"] == 200


def test_the_page_fields_with_pages_manage_metadata() -> None:
    text = WITH_WEBHOOK.replace(
        "        permissions: [pages_messaging]\n",
        "        permissions: [pages_messaging, pages_manage_metadata]\n",
        1,
    )
    with TestClient(create_app(load_text(text, "metadata"))) as client:
        assert subscribe(client, "feed,messages").json() == {"success": True}


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_other_methods(hooked: TestClient, method: str) -> None:
    answer = hooked.request(method, EDGE, params=TOKEN)
    assert assert_refused(hooked, answer, "method_not_supported")["message"] == (
        f"Unsupported {method.lower()} request."
    )


def test_another_pages_id_is_refused(hooked: TestClient) -> None:
    answer = hooked.post(
        "/v21.0/120000000000001/subscribed_apps",
        params={**TOKEN, "subscribed_fields": "messages"},
    )
    assert_refused(hooked, answer, "unsupported_request")


# --- what is delivered -----------------------------------------------------------------

GATES = [
    # (app's webhook fields, page's subscribed fields or None = not changed, field, delivered)
    (WEBHOOK_FIELDS, None, "messages", True),
    (WEBHOOK_FIELDS, None, "message_reads", False),  # not the app's
    (WEBHOOK_FIELDS, ("messages",), "messages", True),
    (WEBHOOK_FIELDS, ("messages",), "message_echoes", False),  # not the page's any more
    (WEBHOOK_FIELDS, ("message_reads",), "message_reads", False),  # the page's, not the app's
    (WEBHOOK_FIELDS, (), "messages", False),  # unsubscribed
]


@pytest.mark.parametrize(("app", "page", "field", "delivered"), GATES)
def test_is_subscribed(
    hooked: TestClient,
    app: list[str],
    page: tuple[str, ...] | None,
    field: str,
    delivered: bool,
) -> None:
    world = world_of(hooked)
    assert world.scenario.webhook is not None
    assert list(world.scenario.webhook.fields) == app
    world.pages[PAGE].subscribed_fields = page
    assert is_subscribed(world, PAGE, field) is delivered
    assert is_subscribed(world, "999", field) is False


def test_no_webhook_no_subscription(client: TestClient) -> None:
    assert is_subscribed(world_of(client), PAGE, "messages") is False


@pytest.fixture(scope="module")
def live_server_and_bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Bot, str]]:
    with bot_and_server(tmp_path_factory.mktemp("subscribed")) as served:
        yield served


@pytest.fixture
def live_bot(live_server_and_bot: tuple[Bot, str]) -> Iterator[tuple[Bot, httpx.Client]]:
    bot, url = live_server_and_bot
    with httpx.Client(base_url=url, timeout=10) as client:
        client.post("/_emulator/reset").raise_for_status()
        wait_for(lambda: client.get("/_emulator/webhooks").json()["handshake"], "the handshake")
        bot.received.clear()
        yield bot, client


def _person_writes_then_page_answers(client: httpx.Client, text: str) -> None:
    wrote = client.post(f"/_emulator/pages/{PAGE}/users/{IN_WINDOW}/messages", json={"text": text})
    assert wrote.status_code == 200, wrote.text
    assert send(client, text_to(IN_WINDOW, f"re: {text}")).status_code == 200


def _fields_delivered(client: httpx.Client) -> list[str]:
    return [record["field"] for record in client.get("/_emulator/webhooks").json()["data"]]


def test_subscribed_fields_decide_what_reaches_the_bot(
    live_bot: tuple[Bot, httpx.Client],
) -> None:
    bot, client = live_bot
    _person_writes_then_page_answers(client, "one")
    wait_for(lambda: len(bot.received) >= 3, "three deliveries")
    assert _fields_delivered(client) == ["messages", "message_echoes", "message_deliveries"]

    # the page keeps only `messages`: echoes and delivery receipts stop
    answer = client.post(EDGE, params={**TOKEN, "subscribed_fields": "messages,messaging_optouts"})
    assert answer.json() == {"success": True}
    assert _helper_fields(client) == ["messages"]  # optouts: the app's webhook does not take them
    _person_writes_then_page_answers(client, "two")
    wait_for(lambda: len(bot.received) >= 4, "the fourth delivery")
    assert _fields_delivered(client)[3:] == ["messages"]
    assert bot.events()[3]["message"]["text"] == "two"

    # unsubscribed: nothing at all
    assert client.delete(EDGE, params=TOKEN).json() == {"success": True}
    _person_writes_then_page_answers(client, "three")
    assert _fields_delivered(client)[4:] == []

    # a reset brings back the scenario's fields
    client.post("/_emulator/reset").raise_for_status()
    _person_writes_then_page_answers(client, "four")
    wait_for(lambda: len(bot.received) >= 7, "three more deliveries")
    assert [e.get("message", {}).get("text") for e in bot.events()[4:6]] == ["four", "re: four"]


def _helper_fields(client: httpx.Client) -> list[str]:
    fields: list[str] = client.get(f"/_emulator/pages/{PAGE}/subscribed_apps").json()["delivered"]
    return fields


def test_the_control_api_and_helper_show_the_subscription(hooked: TestClient) -> None:
    from emulator.testing import start

    subscribe(hooked, "messages,messaging_postbacks")
    view = hooked.get(f"/_emulator/pages/{PAGE}/subscribed_apps").json()
    assert view == {
        "page_id": PAGE,
        "subscribed_fields": ["messages", "messaging_postbacks"],
        "webhook_fields": WEBHOOK_FIELDS,
        "delivered": ["messages"],
    }
    assert hooked.get("/_emulator/pages/1/subscribed_apps").status_code == 404
    with start(WITH_WEBHOOK) as api:
        assert api.subscribed_fields() == WEBHOOK_FIELDS


def test_the_subscription_survives_the_state_file(hooked: TestClient) -> None:
    subscribe(hooked, "messages")
    saved = snapshot(world_of(hooked))
    with TestClient(create_app(load_text(WITH_WEBHOOK, "hooked"))) as after:
        assert listed(after)["data"][0]["subscribed_fields"] == WEBHOOK_FIELDS
        assert restore(world_of(after), saved)
        assert listed(after)["data"][0]["subscribed_fields"] == ["messages"]
    hooked.delete(EDGE, params=TOKEN)
    saved = snapshot(world_of(hooked))
    with TestClient(create_app(load_text(WITH_WEBHOOK, "hooked"))) as after:
        assert restore(world_of(after), saved)
        assert listed(after) == {"data": []}


def test_a_damaged_subscription_in_the_state_file_is_an_error(hooked: TestClient) -> None:
    from emulator.persist.snapshot import StateError

    saved = snapshot(world_of(hooked))
    saved["pages"][PAGE]["subscribed_fields"] = [1]
    after = TestClient(create_app(load_text(WITH_WEBHOOK, "hooked")))
    with after, pytest.raises(StateError, match="subscribed_fields"):
        restore(world_of(after), saved)
