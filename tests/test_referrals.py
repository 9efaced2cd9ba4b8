"""Referrals: a person arrives by an m.me link, a click-to-Messenger ad or the chat plugin.

The control API plays them; the webhook body follows Meta's messaging_referrals and
messaging_postbacks references; the window opens as Meta's list of window-opening actions
says. Deliveries go to a real bot process, signed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import (
    IN_WINDOW,
    LONG_AGO,
    NEVER_WROTE,
    PAGE,
    TEST_SCENARIO,
    LiveServer,
    send,
    text_to,
)
from starlette.testclient import TestClient
from test_webhooks_delivery import SECRET, Bot, bot_and_server, wait_for

from emulator.testing import start
from emulator.webhooks.signing import verify

NEW = "2999999999999999"  # not in the scenario: a person the page has never met
AD = {"ad_title": "Summer sale", "photo_url": "https://example.com/p.jpg", "post_id": "42"}
SHORTLINK = {"source": "SHORTLINK", "ref": "summer"}
ADS = {"source": "ADS", "ad_id": "6045246247433", "ref": "campaign-7", "ads_context_data": AD}
PLUGIN = {"source": "CUSTOMER_CHAT_PLUGIN", "referer_uri": "https://shop.example/cart"}


def act(client: TestClient | httpx.Client, psid: str, body: dict[str, Any]) -> httpx.Response:
    return client.post(f"/_emulator/pages/{PAGE}/users/{psid}/messages", json=body)


def set_get_started(client: TestClient | httpx.Client, payload: str = "GET_STARTED") -> None:
    answer = client.post(
        "/v21.0/me/messenger_profile",
        params={"access_token": "PAGE_TOKEN"},
        json={"get_started": {"payload": payload}},
    )
    assert answer.status_code == 200, answer.text


# (who, the referral, whether the page has Get Started) -> the act's kind and the referral
# object the platform writes (documented key order: ref, ad_id, source, type, context, uri)
ARRIVALS = [
    ("in thread, m.me", LONG_AGO, SHORTLINK, False, "referral",
     {"ref": "summer", "source": "SHORTLINK", "type": "OPEN_THREAD"}),
    ("in thread, ad", LONG_AGO, ADS, False, "referral",
     {"ref": "campaign-7", "ad_id": "6045246247433", "source": "ADS", "type": "OPEN_THREAD",
      "ads_context_data": AD}),
    ("in thread, plugin", LONG_AGO, PLUGIN, True, "referral",
     {"source": "CUSTOMER_CHAT_PLUGIN", "type": "OPEN_THREAD",
      "referer_uri": "https://shop.example/cart"}),
    ("new, m.me, Get Started", NEVER_WROTE, SHORTLINK, True, "postback",
     {"ref": "summer", "source": "SHORTLINK", "type": "OPEN_THREAD"}),
    ("new, ad, Get Started", NEW, ADS, True, "postback",
     {"ref": "campaign-7", "ad_id": "6045246247433", "source": "ADS", "type": "OPEN_THREAD",
      "ads_context_data": AD}),
    ("new, no Get Started", NEW, SHORTLINK, False, "referral",
     {"ref": "summer", "source": "SHORTLINK", "type": "OPEN_THREAD"}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("psid", "body", "get_started", "kind", "referral"),
    [case[1:] for case in ARRIVALS],
    ids=[case[0] for case in ARRIVALS],
)
def test_each_arrival_is_the_documented_event(
    client: TestClient,
    psid: str,
    body: dict[str, Any],
    get_started: bool,
    kind: str,
    referral: dict[str, Any],
) -> None:
    if get_started:
        set_get_started(client, "START_PAYLOAD")
    answer = act(client, psid, {"referral": body})
    assert answer.status_code in (200, 201), answer.text
    event = answer.json()
    assert event["kind"] == kind
    assert list(event["referral"].items()) == list(referral.items())  # the order too
    if kind == "postback":
        assert (event["title"], event["payload"]) == ("Get Started", "START_PAYLOAD")
        assert event["mid"].startswith("m_")


# source -> whether an arrival of a person already in a thread (outside the window) opens it
WINDOW = [("SHORTLINK", SHORTLINK, True), ("ADS", ADS, False), ("plugin", PLUGIN, True)]


@pytest.mark.parametrize(("body", "opens"), [c[1:] for c in WINDOW], ids=[c[0] for c in WINDOW])
def test_the_window_opens_as_the_platform_opens_it(
    client: TestClient, body: dict[str, Any], opens: bool
) -> None:
    assert send(client, text_to(LONG_AGO)).status_code == 400  # wrote 10 days ago
    act(client, LONG_AGO, {"referral": body}).raise_for_status()
    answer = send(client, text_to(LONG_AGO))
    assert (answer.status_code == 200) is opens, answer.text
    if not opens:  # an ad opens the window once the person writes
        act(client, LONG_AGO, {"text": "is it still on sale?"}).raise_for_status()
        assert send(client, text_to(LONG_AGO)).status_code == 200


@pytest.mark.parametrize(("body", "opens"), [c[1:] for c in WINDOW], ids=[c[0] for c in WINDOW])
def test_without_get_started_a_new_person_opens_it_as_one_in_a_thread(
    client: TestClient, body: dict[str, Any], opens: bool
) -> None:
    assert act(client, NEW, {"referral": body}).status_code == 201  # added
    assert (send(client, text_to(NEW)).status_code == 200) is opens


def test_get_started_with_a_referral_opens_the_window_of_a_new_person(client: TestClient) -> None:
    set_get_started(client)
    assert send(client, text_to(NEVER_WROTE)).status_code == 400
    act(client, NEVER_WROTE, {"referral": ADS}).raise_for_status()  # a tap: a call to action
    assert send(client, text_to(NEVER_WROTE)).status_code == 200


REFUSED = [
    ("not an object", "summer", "referral takes an object"),
    ("unknown source", {"source": "QR", "ref": "a"}, "referral source must be one of"),
    ("m.me without ref", {"source": "SHORTLINK"}, "needs a ref"),
    ("ref too long", {"ref": "x" * 251}, "1 to 250 characters"),
    ("ref not text", {"ref": 7}, "1 to 250 characters"),
    ("ad without ad_id", {"source": "ADS"}, "needs ad_id"),
    ("ad_id not numeric", {"source": "ADS", "ad_id": "abc"}, "needs ad_id"),
    ("ad_id off an ad", {"ref": "a", "ad_id": "1"}, "source ADS only"),
    ("bad ad context", {"source": "ADS", "ad_id": "1", "ads_context_data": {"x": "1"}},
     "ads_context_data keys are"),
    ("ad context not text", {"source": "ADS", "ad_id": "1", "ads_context_data": {"ad_title": 1}},
     "ads_context_data.ad_title must be a string"),
    ("ad context not object", {"source": "ADS", "ad_id": "1", "ads_context_data": []},
     "ads_context_data takes an object"),
    ("plugin without uri", {"source": "CUSTOMER_CHAT_PLUGIN"}, "needs referer_uri"),
    ("uri off the plugin", {"ref": "a", "referer_uri": "https://a.example"}, "PLUGIN only"),
    ("unknown key", {"ref": "a", "campaign": "b"}, "unknown key(s) 'campaign'"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "says"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_bad_referrals_are_refused_and_change_nothing(
    client: TestClient, body: Any, says: str
) -> None:
    answer = act(client, NEW, {"referral": body})
    assert answer.status_code == 400
    assert says in answer.json()["error"]["message"], answer.json()
    assert send(client, text_to(NEW)).status_code == 400  # still unknown: nobody was added


# --- the pytest helper ----------------------------------------------------------------------


def test_helper_methods_play_each_source() -> None:
    with start(TEST_SCENARIO) as send_api:
        delivered: list[dict[str, Any]] = []
        send_api.deliver_to(delivered.append)
        link = send_api.person(LONG_AGO).arrives_from(ref="summer")
        assert link.event["referral"] == {
            "ref": "summer",
            "source": "SHORTLINK",
            "type": "OPEN_THREAD",
        }
        ad = send_api.person(IN_WINDOW).clicks_ad("6045246247433", ref="c7", ad_title="Sale")
        assert ad.event["referral"]["ads_context_data"] == {"ad_title": "Sale"}
        plugin = send_api.person(LONG_AGO).opens_chat_plugin("https://shop.example/")
        assert plugin.event["referral"]["referer_uri"] == "https://shop.example/"
        assert [body["entry"][0]["messaging"][0] for body in delivered] == [
            link.event,
            ad.event,
            plugin.event,
        ]
        send_api.assert_nothing_sent()


def test_helper_get_started_carries_the_referral() -> None:
    with start(TEST_SCENARIO) as send_api:
        set_get_started(send_api.client)
        arrived = send_api.person(NEW).arrives_from("summer")
        assert arrived.event["postback"] == {
            "mid": arrived.mid,
            "title": "Get Started",
            "payload": "GET_STARTED",
            "referral": {"ref": "summer", "source": "SHORTLINK", "type": "OPEN_THREAD"},
        }


# --- deliveries to a real bot ---------------------------------------------------------------


@pytest.fixture(scope="module")
def live_bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Bot, str]]:
    with bot_and_server(tmp_path_factory.mktemp("referrals")) as served:
        yield served


DELIVERED = [  # (who, referral, the page has Get Started) -> the field it arrives in
    ("m.me", LONG_AGO, SHORTLINK, False, "messaging_referrals"),
    ("ad", LONG_AGO, ADS, False, "messaging_referrals"),
    ("plugin", LONG_AGO, PLUGIN, False, "messaging_referrals"),
    ("new person", NEVER_WROTE, SHORTLINK, True, "messaging_postbacks"),
]


@pytest.mark.parametrize(
    ("psid", "body", "get_started", "field"),
    [c[1:] for c in DELIVERED],
    ids=[c[0] for c in DELIVERED],
)
def test_referrals_reach_a_real_bot_signed(
    live_bot: tuple[Bot, str], psid: str, body: dict[str, Any], get_started: bool, field: str
) -> None:
    bot, url = live_bot
    with httpx.Client(base_url=url, timeout=10) as client:
        client.post("/_emulator/reset").raise_for_status()
        wait_for(lambda: client.get("/_emulator/webhooks").json()["handshake"], "the handshake")
        bot.received.clear()
        if get_started:
            set_get_started(client)
        played = act(client, psid, {"referral": body}).json()
        wait_for(lambda: bot.received, "the delivery")
        headers, raw = bot.received[0]
        assert verify(SECRET, raw, headers["x-hub-signature-256"])
        event = bot.events()[0]
        assert (event["sender"], event["recipient"]) == ({"id": psid}, {"id": PAGE})
        if field == "messaging_referrals":
            assert event["referral"] == played["referral"]
            assert set(event) == {"sender", "recipient", "timestamp", "referral"}
        else:
            assert event["postback"]["referral"] == played["referral"]
            assert event["postback"]["title"] == "Get Started"
        records = client.get("/_emulator/webhooks").json()["data"]
        assert [r["field"] for r in records] == [field]


def test_an_unsubscribed_field_is_not_delivered(tmp_path: Any) -> None:
    bot = Bot()
    try:
        scenario = tmp_path / "scenario.yaml"
        scenario.write_text(
            TEST_SCENARIO.read_text()
            + f"webhook:\n  url: {bot.url}\n  verify_token: verify-me\n  fields: [messages]\n"
        )
        server = LiveServer(scenario, tmp_path / "emulator.log")
        try:
            with httpx.Client(base_url=server.url, timeout=10) as client:
                act(client, LONG_AGO, {"referral": SHORTLINK}).raise_for_status()
                act(client, LONG_AGO, {"text": "hi"}).raise_for_status()
                wait_for(lambda: bot.received, "the message's delivery")
                fields = [r["field"] for r in client.get("/_emulator/webhooks").json()["data"]]
                assert fields == ["messages"]
        finally:
            server.stop()
    finally:
        bot.stop()
