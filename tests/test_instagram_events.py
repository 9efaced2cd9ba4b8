"""Instagram's own webhooks and profile settings.

On an Instagram page (Meta's Instagram messaging webhooks guide): the envelope is
`object: instagram` and names the Instagram professional account (`entry.id`, the business's
side of each event: the scenario's `instagram_account_id`); reads arrive as `messaging_seen`
with `read.mid`; echoes come in `messages`; no delivery events are sent. The Messenger Profile
API takes `platform=instagram` for ice breakers and the persistent menu only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import LiveServer, assert_refused, send, text_to
from starlette.testclient import TestClient
from test_edits_unsends import (
    ADA,
    IG_ACCOUNT,
    IG_ADA,
    IG_PAGE,
    PAGE,
    act,
    records,
    scenario,
    writes,
)
from test_webhooks_delivery import SECRET, Bot, wait_for

from emulator.app import create_app
from emulator.scenario.load import ScenarioError, load_file, load_text
from emulator.testing import start
from emulator.webhooks.signing import verify

IG = {"access_token": "IG_TOKEN"}
PROFILE = "/v21.0/me/messenger_profile"
ICE = [{"question": "Where are you?", "payload": "WHERE"}]
MENU = [
    {
        "locale": "default",
        "call_to_actions": [{"type": "postback", "title": "Help", "payload": "H"}],
    }
]


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(load_text(scenario(), "instagram"))) as test_client:
        yield test_client


def ig_send(client: TestClient | httpx.Client, psid: str = IG_ADA) -> str:
    answer = send(client, text_to(psid, "hello"), token="IG_TOKEN")
    assert answer.status_code == 200, answer.text
    mid: str = answer.json()["message_id"]
    return mid


# --- the events, exactly ----------------------------------------------------------------------


def test_every_instagram_event_names_the_instagram_account(client: TestClient) -> None:
    mid = writes(client, IG_PAGE, IG_ADA, "hi")
    sent = ig_send(client)
    act(client, IG_PAGE, IG_ADA, {"read": True}).raise_for_status()
    made = records(client)
    assert [r["field"] for r in made] == ["messages", "messages", "messaging_seen"]  # no deliveries
    bodies = [json.loads(r["body"]) for r in made]
    for record, body in zip(made, bodies, strict=True):
        assert body["object"] == "instagram"
        assert body["entry"][0]["id"] == IG_ACCOUNT
        assert verify(SECRET, record["body"].encode(), record["signature"])
    written, echo, seen = (body["entry"][0]["messaging"][0] for body in bodies)
    assert written == {
        "sender": {"id": IG_ADA},
        "recipient": {"id": IG_ACCOUNT},
        "timestamp": written["timestamp"],
        "message": {"mid": mid, "text": "hi"},
    }
    assert (echo["sender"], echo["recipient"]) == ({"id": IG_ACCOUNT}, {"id": IG_ADA})
    assert echo["message"]["is_echo"] is True
    assert seen == {
        "sender": {"id": IG_ADA},
        "recipient": {"id": IG_ACCOUNT},
        "timestamp": seen["timestamp"],
        "read": {"mid": sent},
    }


def test_a_read_names_the_pages_latest_message(client: TestClient) -> None:
    ig_send(client)
    latest = ig_send(client)
    answer = act(client, IG_PAGE, IG_ADA, {"read": True}).json()
    assert (answer["kind"], answer["mid"]) == ("read", latest)


def test_nothing_to_read_is_refused_on_instagram(client: TestClient) -> None:
    answer = act(client, IG_PAGE, IG_ADA, {"read": True})
    assert answer.status_code == 400
    assert "nothing to read" in answer.json()["error"]["message"]


def test_messenger_keeps_its_own_reads_and_deliveries(client: TestClient) -> None:
    send(client, text_to(ADA)).raise_for_status()
    act(client, PAGE, ADA, {"read": True}).raise_for_status()
    made = records(client)
    assert [r["field"] for r in made] == ["message_echoes", "message_deliveries", "message_reads"]
    for record in made:
        assert json.loads(record["body"])["entry"][0]["id"] == PAGE
    read = json.loads(made[-1]["body"])["entry"][0]["messaging"][0]["read"]
    assert list(read) == ["watermark"]


def test_without_an_account_id_the_page_id_stands_in() -> None:
    text = scenario().replace(f'    instagram_account_id: "{IG_ACCOUNT}"\n', "")
    with TestClient(create_app(load_text(text, "no-account"))) as client:
        writes(client, IG_PAGE, IG_ADA)
        body = json.loads(records(client)[-1]["body"])
        assert body["entry"][0]["id"] == IG_PAGE
        assert body["entry"][0]["messaging"][0]["recipient"] == {"id": IG_PAGE}


def test_the_scenarios_stay_valid_and_the_example_names_its_account() -> None:
    example = load_file("scenarios/instagram.json")
    assert example.pages[0].instagram_account_id == "17841400000000030"
    bad = scenario().replace(f'"{IG_ACCOUNT}"', '"ig-1"')
    with pytest.raises(ScenarioError, match=r"instagram_account_id .*numeric id"):
        load_text(bad, "bad")


# --- gating -----------------------------------------------------------------------------------

# (the app's webhook fields, the page's subscribed fields or None, whether a read is delivered)
SEEN_GATING = [
    ("subscribed", ["messages", "messaging_seen"], None, True),
    ("app does not take it", ["messages"], None, False),
    ("page subscribed to messages", ["messages", "messaging_seen"], "messages", True),
    ("page unsubscribed", ["messages", "messaging_seen"], "", False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "page_fields", "delivered"),
    [case[1:] for case in SEEN_GATING],
    ids=[case[0] for case in SEEN_GATING],
)
def test_messaging_seen_is_gated_as_instagram_gates_it(
    fields: list[str], page_fields: str | None, delivered: bool
) -> None:
    with TestClient(create_app(load_text(scenario(fields=fields), "gated"))) as client:
        if page_fields == "":
            client.delete("/v21.0/me/subscribed_apps", params=IG).raise_for_status()
        elif page_fields is not None:  # the page's subscription cannot name messaging_seen
            client.post(
                "/v21.0/me/subscribed_apps", params={**IG, "subscribed_fields": page_fields}
            ).raise_for_status()
        ig_send(client)
        before = len(records(client))
        act(client, IG_PAGE, IG_ADA, {"read": True}).raise_for_status()
        made = [r["field"] for r in records(client)[before:]]
        assert made == (["messaging_seen"] if delivered else [])


# --- platform=instagram on the Messenger Profile API ------------------------------------------


def test_ice_breakers_and_the_menu_are_set_per_platform(client: TestClient) -> None:
    set_ig = client.post(PROFILE, params=IG, json={"platform": "instagram", "ice_breakers": ICE})
    assert set_ig.json() == {"result": "success"}
    # Instagram has no Get Started button: its menu needs none
    menu = client.post(
        PROFILE, params={**IG, "platform": "instagram"}, json={"persistent_menu": MENU}
    )
    assert menu.json() == {"result": "success"}
    fields = {"fields": "ice_breakers,persistent_menu"}
    shown = client.get(PROFILE, params={**IG, **fields, "platform": "INSTAGRAM"}).json()
    assert shown == {"data": [{"ice_breakers": ICE, "persistent_menu": MENU}]}
    assert client.get(PROFILE, params={**IG, **fields}).json() == {"data": []}  # Messenger's
    view = client.get(f"/_emulator/pages/{IG_PAGE}/messenger_profile").json()
    assert view == {
        "page_id": IG_PAGE,
        "messenger_profile": {},
        "instagram_profile": {"ice_breakers": ICE, "persistent_menu": MENU},
    }
    gone = client.delete(
        PROFILE, params={**IG, "platform": "instagram", "fields": '["ice_breakers"]'}
    )
    assert gone.json() == {"result": "success"}
    left = client.get(PROFILE, params={**IG, **fields, "platform": "instagram"}).json()
    assert left == {"data": [{"persistent_menu": MENU}]}


# (what is sent, the rule refusing it)
PROFILE_REFUSALS = [
    ("get_started", "POST", {"platform": "instagram", "get_started": {"payload": "GO"}},
     "instagram_profile_property"),
    ("greeting", "POST", {"platform": "instagram",
                          "greeting": [{"locale": "default", "text": "Hi"}]},
     "instagram_profile_property"),
    ("read greeting", "GET", {"platform": "instagram", "fields": "greeting"},
     "instagram_profile_property"),
    ("composer_input_disabled", "POST",
     {"platform": "instagram",
      "persistent_menu": [{**MENU[0], "composer_input_disabled": True}]}, "invalid_keys"),
    ("unknown platform", "POST", {"platform": "whatsapp", "ice_breakers": ICE},
     "messenger_profile_platform"),
    ("platform not text", "GET", {"platform": ["instagram"], "fields": "ice_breakers"},
     "messenger_profile_platform"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "body", "rule"),
    [case[1:] for case in PROFILE_REFUSALS],
    ids=[case[0] for case in PROFILE_REFUSALS],
)
def test_instagram_profile_refusals(
    client: TestClient, method: str, body: dict[str, Any], rule: str
) -> None:
    if method == "POST":
        answer = client.post(PROFILE, params=IG, json=body)
    else:
        answer = client.request(method, PROFILE, params=IG, json=body)
    assert_refused(client, answer, rule)
    assert (
        client.get(f"/_emulator/pages/{IG_PAGE}/messenger_profile").json()["instagram_profile"]
        == {}
    )


def test_the_refusal_words() -> None:
    with TestClient(create_app(load_text(scenario(), "words"))) as client:
        answer = client.post(
            PROFILE, params={**IG, "platform": "whatsapp"}, json={"ice_breakers": ICE}
        )
        assert answer.json()["error"]["message"] == (
            '(#100) Param platform must be one of {MESSENGER, INSTAGRAM} - got "whatsapp".'
        )
        answer = client.post(
            PROFILE,
            params=IG,
            json={"platform": "instagram", "greeting": [{"locale": "default", "text": "x"}]},
        )
        assert answer.json()["error"]["message"] == (
            "(#100) Param greeting is not supported for platform instagram."
        )


# --- the pytest helper ------------------------------------------------------------------------


def test_the_helper_reads_as_instagram_does() -> None:
    with start(load_text(scenario(), "helper")) as send_api:
        delivered: list[dict[str, Any]] = []
        send_api.deliver_to(delivered.append)
        person = send_api.person(IG_ADA, IG_PAGE)
        said = person.says("hi")
        assert said.webhook["entry"][0]["id"] == IG_ACCOUNT
        assert said.event["recipient"] == {"id": IG_ACCOUNT}
        sent = ig_send(send_api.client)
        seen = person.reads()
        assert seen.event == {
            "sender": {"id": IG_ADA},
            "recipient": {"id": IG_ACCOUNT},
            "timestamp": seen.event["timestamp"],
            "read": {"mid": sent},
        }
        assert delivered == [said.webhook, seen.webhook]


# --- deliveries to a real bot -----------------------------------------------------------------


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Bot, str]]:
    bot = Bot()
    folder = tmp_path_factory.mktemp("instagram")
    path = folder / "scenario.yaml"
    path.write_text(scenario(bot.url))
    server = LiveServer(path, folder / "emulator.log")
    yield bot, server.url
    server.stop()
    bot.stop()


def test_instagram_events_reach_a_real_bot_signed(live: tuple[Bot, str]) -> None:
    bot, url = live
    with httpx.Client(base_url=url, timeout=10) as client:
        wait_for(lambda: client.get("/_emulator/webhooks").json()["handshake"], "the handshake")
        bot.received.clear()
        writes(client, IG_PAGE, IG_ADA, "hi")
        sent = ig_send(client)
        act(client, IG_PAGE, IG_ADA, {"read": True}).raise_for_status()
        wait_for(lambda: len(bot.received) >= 3, "three deliveries")
        for headers, body in bot.received:
            assert verify(SECRET, body, headers["x-hub-signature-256"])
            decoded = json.loads(body)
            assert (decoded["object"], decoded["entry"][0]["id"]) == ("instagram", IG_ACCOUNT)
        events = bot.events()
        assert "message" in events[0]
        assert events[1]["message"]["is_echo"] is True
        assert events[2]["read"] == {"mid": sent}
        view = client.get("/_emulator/webhooks").json()["data"]
        assert "message_deliveries" not in [record["field"] for record in view]
