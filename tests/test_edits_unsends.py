"""The person edits or unsends a message of their own, on Messenger and on Instagram.

Edits arrive as Meta's `message_edits` reference shows them (`message_edit: {mid, text,
num_edit}`, at most five edits); an unsend as Instagram's `message.is_deleted: true` in the
`messages` field, and on Messenger as nothing (no unsend event is documented there). Each is
gated by the subscribed fields, signed, reflected in the emulator's records (the Conversations
API's text), refused when it cannot happen, and played by the control API and the pytest helper.
Deliveries go to a real bot process too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import LiveServer, send, text_to
from starlette.testclient import TestClient
from test_webhooks_delivery import SECRET, Bot, wait_for

from emulator.app import create_app
from emulator.persist.snapshot import restore, snapshot
from emulator.rules import limits
from emulator.scenario.load import load_text
from emulator.testing import start
from emulator.webhooks.signing import verify

PAGE, ADA, GRACE = "110000000000001", "2000000000000001", "2000000000000002"
IG_PAGE, IG_ACCOUNT = "130000000000001", "17841400000000001"
IG_ADA, IG_GRACE = "1780000000000001", "1780000000000002"
FIELDS = [
    "messages",
    "message_echoes",
    "message_deliveries",
    "message_reads",
    "message_edits",
    "messaging_seen",
]


def scenario(url: str = "http://127.0.0.1:9/webhook", fields: list[str] = FIELDS) -> str:
    """A Messenger page and an Instagram page with its account id; a webhook (unreachable by
    default: the in-process tests read the delivery records)."""
    return f"""
version: 1
clock: {{start: "2026-01-05T09:00:00Z"}}
app: {{id: "100000000000001", secret: "{SECRET}"}}
webhook: {{url: "{url}", verify_token: verify-me, fields: [{", ".join(fields)}]}}
pages:
  - id: "{PAGE}"
    name: Acme
    tokens:
      - token: PAGE_TOKEN
        permissions: [pages_messaging, pages_read_engagement, pages_manage_metadata]
    users:
      - {{psid: "{ADA}", last_message: "-1h"}}
      - {{psid: "{GRACE}", last_message: "-1h"}}
  - id: "{IG_PAGE}"
    name: Acme on Instagram
    platform: instagram
    instagram_account_id: "{IG_ACCOUNT}"
    tokens:
      - token: IG_TOKEN
        permissions: [pages_messaging, instagram_basic, instagram_manage_messages,
                      pages_manage_metadata]
    users:
      - {{psid: "{IG_ADA}", last_message: "-1h"}}
      - {{psid: "{IG_GRACE}", last_message: "-1h"}}
"""


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(load_text(scenario(), "edits"))) as test_client:
        yield test_client


def act(client: TestClient | httpx.Client, page: str, psid: str, body: Any) -> httpx.Response:
    return client.post(f"/_emulator/pages/{page}/users/{psid}/messages", json=body)


def writes(client: TestClient | httpx.Client, page: str, psid: str, text: str = "helo") -> str:
    answer = act(client, page, psid, {"text": text})
    assert answer.status_code == 200, answer.text
    mid: str = answer.json()["mid"]
    return mid


def records(client: TestClient | httpx.Client) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = client.get("/_emulator/webhooks").json()["data"]
    return data


def last_body(client: TestClient) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(records(client)[-1]["body"])
    return body


# --- each event, exactly ---------------------------------------------------------------------

# (platform, page, person, the page's id in webhooks, object, field of an edit, of an unsend)
PLATFORMS = [
    ("messenger", PAGE, ADA, PAGE, "page", "message_edits", None),
    ("instagram", IG_PAGE, IG_ADA, IG_ACCOUNT, "instagram", "message_edits", "messages"),
]


@pytest.mark.parametrize(
    ("page", "psid", "account", "obj", "edit_field", "unsend_field"),
    [case[1:] for case in PLATFORMS],
    ids=[case[0] for case in PLATFORMS],
)
def test_an_edit_is_the_documented_message_edit(
    client: TestClient,
    page: str,
    psid: str,
    account: str,
    obj: str,
    edit_field: str,
    unsend_field: str | None,
) -> None:
    mid = writes(client, page, psid)
    answer = act(client, page, psid, {"edit": {"mid": mid, "text": "hello"}})
    assert answer.status_code == 200, answer.text
    assert (answer.json()["kind"], answer.json()["mid"], answer.json()["num_edit"]) == (
        "edit",
        mid,
        1,
    )
    record = records(client)[-1]
    assert record["field"] == edit_field
    body = json.loads(record["body"])
    entry = body["entry"][0]
    assert (body["object"], entry["id"]) == (obj, account)
    assert entry["messaging"] == [
        {
            "sender": {"id": psid},
            "recipient": {"id": account},
            "timestamp": entry["time"],
            "message_edit": {"mid": mid, "text": "hello", "num_edit": 1},
        }
    ]
    assert verify(SECRET, record["body"].encode(), record["signature"])
    again = act(client, page, psid, {"edit": {"mid": mid, "text": "hello!"}}).json()
    assert again["num_edit"] == 2
    assert last_body(client)["entry"][0]["messaging"][0]["message_edit"]["num_edit"] == 2


@pytest.mark.parametrize(
    ("page", "psid", "account", "obj", "edit_field", "unsend_field"),
    [case[1:] for case in PLATFORMS],
    ids=[case[0] for case in PLATFORMS],
)
def test_an_unsend_is_instagrams_is_deleted_and_nothing_on_messenger(
    client: TestClient,
    page: str,
    psid: str,
    account: str,
    obj: str,
    edit_field: str,
    unsend_field: str | None,
) -> None:
    mid = writes(client, page, psid)
    before = len(records(client))
    answer = act(client, page, psid, {"unsend": {"mid": mid}})
    assert answer.status_code == 200, answer.text
    assert (answer.json()["kind"], answer.json()["mid"]) == ("unsend", mid)
    if unsend_field is None:  # Messenger documents no unsend event
        assert len(records(client)) == before
        return
    record = records(client)[-1]
    assert record["field"] == unsend_field
    body = json.loads(record["body"])
    entry = body["entry"][0]
    assert (body["object"], entry["id"]) == (obj, account)
    assert entry["messaging"] == [
        {
            "sender": {"id": psid},
            "recipient": {"id": account},
            "timestamp": entry["time"],
            "message": {"mid": mid, "is_deleted": True},
        }
    ]
    assert verify(SECRET, record["body"].encode(), record["signature"])


# --- gated by the subscribed fields ----------------------------------------------------------

# (webhook fields, page, person, action, the field expected or None)
GATING = [
    ("edit, subscribed", ["messages", "message_edits"], PAGE, ADA, "edit", "message_edits"),
    ("edit, not subscribed", ["messages"], PAGE, ADA, "edit", None),
    ("IG edit, not subscribed", ["messages"], IG_PAGE, IG_ADA, "edit", None),
    ("IG unsend, messages", ["messages"], IG_PAGE, IG_ADA, "unsend", "messages"),
    ("IG unsend, no messages", ["message_edits"], IG_PAGE, IG_ADA, "unsend", None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "page", "psid", "action", "field"),
    [case[1:] for case in GATING],
    ids=[case[0] for case in GATING],
)
def test_each_event_only_when_its_field_is_subscribed(
    fields: list[str], page: str, psid: str, action: str, field: str | None
) -> None:
    with TestClient(create_app(load_text(scenario(fields=fields), "gated"))) as client:
        mid = writes(client, page, psid)
        before = len(records(client))
        body = {"mid": mid, "text": "hello"} if action == "edit" else {"mid": mid}
        act(client, page, psid, {action: body}).raise_for_status()
        made = records(client)[before:]
        assert [r["field"] for r in made] == ([field] if field else [])


# --- refusals ---------------------------------------------------------------------------------


def test_refusals_say_why_and_change_nothing(client: TestClient) -> None:
    mid = writes(client, PAGE, ADA)
    picture = act(
        client, PAGE, ADA, {"attachment": {"type": "image", "url": "https://a.example/p.png"}}
    ).json()["mid"]
    sent = send(client, text_to(ADA)).json()["message_id"]
    grace = writes(client, PAGE, GRACE)
    cases = [
        ({"edit": {"mid": "m_nope", "text": "x"}}, "no message m_nope"),
        ({"unsend": {"mid": "m_nope"}}, "no message m_nope"),
        ({"edit": {"mid": sent, "text": "x"}}, "is the page's message"),
        ({"unsend": {"mid": sent}}, "is the page's message"),
        ({"edit": {"mid": grace, "text": "x"}}, "another person's message"),
        ({"unsend": {"mid": grace}}, "another person's message"),
        ({"edit": {"mid": picture, "text": "x"}}, "has no text to edit"),
        ({"edit": {"mid": mid}}, "edit needs the new text"),
        ({"edit": {"mid": mid, "text": ""}}, "edit needs the new text"),
        ({"edit": {"mid": mid, "text": 7}}, "edit needs the new text"),
        ({"edit": {"mid": mid, "text": "x", "at": 1}}, "edit takes only"),
        ({"unsend": {"mid": mid, "text": "x"}}, "unsend takes only"),
        ({"edit": mid}, "edit needs"),
        ({"unsend": {}}, "unsend needs"),
        ({"unsend": {"mid": 7}}, "unsend needs"),
    ]
    before = client.get(f"/_emulator/conversations/{PAGE}/{ADA}").json()["data"]
    for body, says in cases:
        answer = act(client, PAGE, ADA, body)
        assert answer.status_code == 400, (body, answer.text)
        assert says in answer.json()["error"]["message"], (body, answer.json())
    assert client.get(f"/_emulator/conversations/{PAGE}/{ADA}").json()["data"] == before


def test_at_most_five_edits_and_none_after_an_unsend(client: TestClient) -> None:
    mid = writes(client, PAGE, ADA)
    for number in range(1, limits.MESSAGE_EDITS_MAX + 1):
        answer = act(client, PAGE, ADA, {"edit": {"mid": mid, "text": f"v{number}"}})
        assert answer.json()["num_edit"] == number
    sixth = act(client, PAGE, ADA, {"edit": {"mid": mid, "text": "v6"}})
    assert sixth.status_code == 400
    assert "at most 5" in sixth.json()["error"]["message"]
    act(client, PAGE, ADA, {"unsend": {"mid": mid}}).raise_for_status()
    for body in ({"unsend": {"mid": mid}}, {"edit": {"mid": mid, "text": "x"}}):
        answer = act(client, PAGE, ADA, body)
        assert answer.status_code == 400
        assert "was unsent" in answer.json()["error"]["message"]


# --- the emulator's own records ---------------------------------------------------------------


def test_the_conversations_api_shows_the_edit_and_loses_the_unsent(client: TestClient) -> None:
    kept = writes(client, PAGE, ADA, "helo")
    gone = writes(client, PAGE, ADA, "oops")
    token = {"access_token": "PAGE_TOKEN", "fields": "message"}
    act(client, PAGE, ADA, {"edit": {"mid": kept, "text": "hello"}}).raise_for_status()
    assert client.get(f"/v21.0/{kept}", params=token).json()["message"] == "hello"
    assert client.get(f"/v21.0/{gone}", params=token).status_code == 200
    act(client, PAGE, ADA, {"unsend": {"mid": gone}}).raise_for_status()
    assert client.get(f"/v21.0/{gone}", params=token).status_code == 400  # no such message now
    inbound = [
        item["event"]
        for item in client.get(f"/_emulator/conversations/{PAGE}/{ADA}").json()["data"]
        if item["kind"] == "inbound"
    ]
    by_mid = {event["mid"]: event for event in inbound if event["kind"] == "message"}
    assert (by_mid[kept]["text"], by_mid[kept]["num_edit"]) == ("hello", 1)
    assert by_mid[gone]["is_deleted"] is True
    assert [event["kind"] for event in inbound][-2:] == ["edit", "unsend"]


def test_an_edit_or_unsend_does_not_open_the_window(client: TestClient) -> None:
    mid = writes(client, PAGE, ADA)
    client.post("/_emulator/clock", json={"advance": "25h"}).raise_for_status()
    act(client, PAGE, ADA, {"edit": {"mid": mid, "text": "hello"}}).raise_for_status()
    assert send(client, text_to(ADA)).status_code == 400  # still outside the 24-hour window
    act(client, PAGE, ADA, {"unsend": {"mid": mid}}).raise_for_status()
    assert send(client, text_to(ADA)).status_code == 400


# --- the pytest helper ------------------------------------------------------------------------


def test_the_helper_edits_and_unsends() -> None:
    with start(load_text(scenario(), "helper")) as send_api:
        delivered: list[dict[str, Any]] = []
        send_api.deliver_to(delivered.append)
        ada = send_api.person(ADA)
        mid = ada.says("helo").mid
        assert mid is not None
        edited = ada.edits(mid, "hello")
        assert edited.event["message_edit"] == {"mid": mid, "text": "hello", "num_edit": 1}
        unsent = ada.unsends(mid)
        assert unsent["kind"] == "unsend"
        assert unsent.webhook == {}  # Messenger reports no unsend
        assert [body["entry"][0]["messaging"][0] for body in delivered][1:] == [edited.event]
        ig = send_api.person(IG_ADA, IG_PAGE)
        ig_mid = ig.says("hi").mid
        assert ig_mid is not None
        gone = ig.unsends(ig_mid)
        assert gone.webhook["object"] == "instagram"
        assert gone.webhook["entry"][0]["id"] == IG_ACCOUNT
        assert gone.event == {
            "sender": {"id": IG_ADA},
            "recipient": {"id": IG_ACCOUNT},
            "timestamp": gone.event["timestamp"],
            "message": {"mid": ig_mid, "is_deleted": True},
        }
        with pytest.raises(Exception, match="was unsent"):
            ig.edits(ig_mid, "x")


# --- deliveries to a real bot -----------------------------------------------------------------


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Bot, str]]:
    bot = Bot()
    folder = tmp_path_factory.mktemp("edits")
    path = folder / "scenario.yaml"
    path.write_text(scenario(bot.url))
    server = LiveServer(path, folder / "emulator.log")
    yield bot, server.url
    server.stop()
    bot.stop()


def test_edits_and_unsends_reach_a_real_bot_signed(live: tuple[Bot, str]) -> None:
    bot, url = live
    with httpx.Client(base_url=url, timeout=10) as client:
        wait_for(lambda: client.get("/_emulator/webhooks").json()["handshake"], "the handshake")
        bot.received.clear()
        mid = writes(client, PAGE, ADA)
        act(client, PAGE, ADA, {"edit": {"mid": mid, "text": "hello"}}).raise_for_status()
        act(client, PAGE, ADA, {"unsend": {"mid": mid}}).raise_for_status()  # nothing sent
        ig_mid = writes(client, IG_PAGE, IG_ADA)
        act(client, IG_PAGE, IG_ADA, {"unsend": {"mid": ig_mid}}).raise_for_status()
        wait_for(lambda: len(bot.received) >= 4, "four deliveries")
        for headers, body in bot.received:
            assert verify(SECRET, body, headers["x-hub-signature-256"])
        events = bot.events()
        assert [
            next(k for k in e if k not in ("sender", "recipient", "timestamp")) for e in events
        ] == [
            "message",
            "message_edit",
            "message",
            "message",
        ]
        assert events[1]["message_edit"] == {"mid": mid, "text": "hello", "num_edit": 1}
        assert events[3]["message"] == {"mid": ig_mid, "is_deleted": True}
        assert json.loads(bot.received[3][1])["entry"][0]["id"] == IG_ACCOUNT


def test_the_ledger_lists_the_edit_limit_and_the_instagram_profile_rules(
    client: TestClient,
) -> None:
    ledger = client.get("/_emulator/rules").json()
    assert ledger["limits"]["message_edits_max"] == limits.MESSAGE_EDITS_MAX == 5
    rules = {rule["rule"]: rule for rule in ledger["data"]}
    for key in ("messenger_profile_platform", "instagram_profile_property"):
        assert rules[key]["confidence"] == "I"
        assert "instagram" in rules[key]["source"]


def test_a_saved_state_keeps_the_edits_unsends_and_instagram_profile(client: TestClient) -> None:
    kept = writes(client, PAGE, ADA, "helo")
    gone = writes(client, IG_PAGE, IG_ADA, "oops")
    act(client, PAGE, ADA, {"edit": {"mid": kept, "text": "hello"}}).raise_for_status()
    act(client, IG_PAGE, IG_ADA, {"unsend": {"mid": gone}}).raise_for_status()
    client.post(
        "/v21.0/me/messenger_profile",
        params={"access_token": "IG_TOKEN", "platform": "instagram"},
        json={"ice_breakers": [{"question": "Hi?", "payload": "HI"}]},
    ).raise_for_status()
    saved = json.loads(json.dumps(snapshot(client.app.state.world)))  # type: ignore[attr-defined]
    with TestClient(create_app(load_text(scenario(), "after"))) as after:
        assert restore(after.app.state.world, saved)  # type: ignore[attr-defined]
        messages = {
            item["event"]["mid"]: item["event"]
            for page, psid in ((PAGE, ADA), (IG_PAGE, IG_ADA))
            for item in after.get(f"/_emulator/conversations/{page}/{psid}").json()["data"]
            if item["kind"] == "inbound" and item["event"]["kind"] == "message"
        }
        assert (messages[kept]["text"], messages[kept]["num_edit"]) == ("hello", 1)
        assert messages[gone]["is_deleted"] is True
        profile = after.get(f"/_emulator/pages/{IG_PAGE}/messenger_profile").json()
        assert profile["instagram_profile"] == {
            "ice_breakers": [{"question": "Hi?", "payload": "HI"}]
        }
        # edits go on counting from the saved state
        again = act(after, PAGE, ADA, {"edit": {"mid": kept, "text": "hello!"}}).json()
        assert again["num_edit"] == 2
