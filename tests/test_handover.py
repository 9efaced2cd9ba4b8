"""The handover protocol: the Graph edges, the 2018300 refusal of sends, the control API's
other apps, standby and messaging_handovers webhooks, reset, and the story end to end."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient
from test_webhooks_delivery import Bot, bot_and_server, wait_for

from emulator.app import create_app
from emulator.scenario.load import ScenarioError, load_text
from emulator.webhooks.signing import verify

APP = "100000000000001"
INBOX = "263902037430900"
DESK = "300000000000001"  # another app the scenario connects: secondary on PAGE, primary on SECOND
PAGE = "110000000000001"
SECOND = "120000000000001"  # the scenario's app is secondary there
ADA = "2000000000000001"  # the bot owns her thread
GRACE = "2000000000000002"  # the Page Inbox owns hers at start
ALAN = "2000000000000003"
SECOND_PERSON = "2100000000000001"
SECRET = "test-app-secret"

SCENARIO = f"""
version: 1
clock: {{start: "2026-01-05T09:00:00Z"}}
app: {{id: "{APP}", secret: {SECRET}}}
pages:
  - id: "{PAGE}"
    name: Acme Shoes
    tokens:
      - {{token: PAGE_TOKEN}}
      - {{token: NO_PERMISSION_TOKEN, permissions: []}}
    handover:
      apps: [{{id: "{DESK}", name: Agent Desk}}]
    users:
      - {{psid: "{ADA}", first_name: Ada, last_message: "-1h"}}
      - {{psid: "{GRACE}", first_name: Grace, last_message: "-1h", thread_owner: "{INBOX}"}}
      - {{psid: "{ALAN}", first_name: Alan, last_message: "-1h"}}
  - id: "{SECOND}"
    name: Second
    tokens: [{{token: SECOND_TOKEN}}]
    handover:
      role: secondary
      page_inbox: false
      apps: [{{id: "{DESK}", name: Agent Desk, role: primary}}]
    users:
      - {{psid: "{SECOND_PERSON}", last_message: "-1h"}}
"""


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(load_text(SCENARIO, "handover"))) as test_client:
        yield test_client


def graph(
    client: TestClient | httpx.Client,
    edge: str,
    body: dict[str, Any] | None = None,
    *,
    token: str = "PAGE_TOKEN",
    method: str = "POST",
) -> httpx.Response:
    params: dict[str, Any] = {"access_token": token}
    if method == "GET":
        return client.get(f"/v21.0/me/{edge}", params={**params, **(body or {})})
    return client.request(method, f"/v21.0/me/{edge}", params=params, json=body)


def owner(client: TestClient | httpx.Client, psid: str, token: str = "PAGE_TOKEN") -> Any:
    return graph(client, "thread_owner", {"recipient": psid}, method="GET", token=token).json()


def text(psid: str) -> dict[str, Any]:
    return {"recipient": {"id": psid}, "messaging_type": "RESPONSE", "message": {"text": "hi"}}


def owned_by(app_id: str) -> dict[str, Any]:
    return {"data": [{"thread_owner": {"app_id": app_id}}]}


# --- the edges' happy paths ---------------------------------------------------------------------


def test_thread_owner_answers_the_owner(client: TestClient) -> None:
    assert owner(client, ADA) == owned_by(APP)
    assert owner(client, GRACE) == owned_by(INBOX)
    assert owner(client, SECOND_PERSON, token="SECOND_TOKEN") == owned_by(DESK)


def test_pass_to_the_page_inbox_and_take_back(client: TestClient) -> None:
    passed = graph(
        client,
        "pass_thread_control",
        {"recipient": {"id": ADA}, "target_app_id": INBOX, "metadata": "to a human"},
    )
    assert (passed.status_code, passed.json()) == (200, {"success": True})
    assert owner(client, ADA) == owned_by(INBOX)
    taken = graph(client, "take_thread_control", {"recipient": {"id": ADA}, "metadata": "back"})
    assert (taken.status_code, taken.json()) == (200, {"success": True})
    assert owner(client, ADA) == owned_by(APP)


def test_pass_in_the_seeds_forms_and_a_numeric_app_id(client: TestClient) -> None:
    answer = client.post(
        "/v21.0/me/pass_thread_control",
        params={"access_token": "PAGE_TOKEN"},
        data={"recipient": f"{{'id':'{ADA}'}}", "target_app_id": DESK},
    )
    assert answer.json() == {"success": True}
    assert owner(client, ADA) == owned_by(DESK)
    graph(client, "take_thread_control", {"recipient": {"id": ADA}})
    assert graph(
        client, "pass_thread_control", {"recipient": {"id": ADA}, "target_app_id": int(INBOX)}
    ).json() == {"success": True}


def test_request_changes_nothing_until_the_owner_passes(client: TestClient) -> None:
    answer = graph(client, "request_thread_control", {"recipient": {"id": GRACE}})
    assert answer.json() == {"success": True}
    assert owner(client, GRACE) == owned_by(INBOX)


def test_release_by_the_primary_leaves_the_thread_idle(client: TestClient) -> None:
    answer = graph(client, "release_thread_control", {"recipient": {"id": ADA}})
    assert answer.json() == {"success": True}
    assert owner(client, ADA) == {"data": []}
    assert graph(client, "messages", text(ADA)).json()["error"]["error_subcode"] == 2018300
    # the primary may pass an idle thread, or take it
    assert graph(
        client, "pass_thread_control", {"recipient": {"id": ADA}, "target_app_id": INBOX}
    ).json() == {"success": True}


def test_release_by_a_secondary_owner_returns_the_thread_to_the_primary(
    client: TestClient,
) -> None:
    client.post(
        f"/_emulator/pages/{SECOND}/threads/{SECOND_PERSON}/pass",
        json={"app_id": DESK, "target_app_id": APP},
    )
    assert owner(client, SECOND_PERSON, token="SECOND_TOKEN") == owned_by(APP)
    answer = graph(
        client, "release_thread_control", {"recipient": {"id": SECOND_PERSON}}, token="SECOND_TOKEN"
    )
    assert answer.json() == {"success": True}
    assert owner(client, SECOND_PERSON, token="SECOND_TOKEN") == owned_by(DESK)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ("id,name", [{"id": INBOX, "name": "Page Inbox"}, {"id": DESK, "name": "Agent Desk"}]),
        (None, [{"id": INBOX}, {"id": DESK}]),
        ("name", [{"name": "Page Inbox"}, {"name": "Agent Desk"}]),
    ],
)
def test_secondary_receivers(client: TestClient, fields: str | None, expected: list[Any]) -> None:
    query = {"fields": fields} if fields else {}
    answer = graph(client, "secondary_receivers", query, method="GET")
    assert (answer.status_code, answer.json()) == (200, {"data": expected})


def test_a_secondary_app_sees_only_itself(client: TestClient) -> None:
    answer = graph(
        client, "secondary_receivers", {"fields": "id"}, method="GET", token="SECOND_TOKEN"
    )
    assert answer.json() == {"data": [{"id": APP}]}


def test_the_default_page_has_the_page_inbox(client: TestClient) -> None:
    from emulator.scenario.bundled import default_scenario

    with TestClient(create_app(default_scenario())) as default:
        answer = default.get(
            "/v21.0/me/secondary_receivers",
            params={"fields": "id,name", "access_token": "ACME_PAGE_TOKEN"},
        )
        assert answer.json() == {"data": [{"id": INBOX, "name": "Page Inbox"}]}


# --- refusals -----------------------------------------------------------------------------------

REFUSALS = [
    # (edge, method, body, token, status, code, subcode, rule, message)
    ("messages", "POST", text(GRACE), "PAGE_TOKEN", 400, 10, 2018300,
     "thread_owned_by_another_app",
     "(#10) Message failed to send because another app is controlling this thread now."),
    ("messages", "POST", {"recipient": {"id": GRACE}, "sender_action": "typing_on"},
     "PAGE_TOKEN", 400, 10, 2018300, "thread_owned_by_another_app", None),
    ("messages", "POST", text(SECOND_PERSON), "SECOND_TOKEN", 400, 10, 2018300,
     "thread_owned_by_another_app", None),
    ("pass_thread_control", "POST", {"recipient": {"id": ADA}, "target_app_id": "999999999"},
     "PAGE_TOKEN", 400, 10, 2018171, "handover_not_receiver",
     "(#10) Only available to Primary and Secondary Receivers."),
    ("pass_thread_control", "POST", {"recipient": {"id": GRACE}, "target_app_id": DESK},
     "PAGE_TOKEN", 400, 10, None, "thread_not_owned",
     "(#10) Cannot pass thread control: this app does not control this thread now."),
    ("release_thread_control", "POST", {"recipient": {"id": GRACE}}, "PAGE_TOKEN", 400, 10,
     None, "thread_not_owned",
     "(#10) Cannot release thread control: this app does not control this thread now."),
    ("take_thread_control", "POST", {"recipient": {"id": SECOND_PERSON}}, "SECOND_TOKEN", 400,
     10, None, "take_not_primary", "(#10) Only the Primary Receiver can take thread control."),
    ("request_thread_control", "POST", {"recipient": {"id": ADA}}, "PAGE_TOKEN", 400, 10, None,
     "request_own_thread", "(#10) This app already controls this thread."),
    ("pass_thread_control", "POST", {"recipient": {"id": ADA}}, "PAGE_TOKEN", 400, 100, None,
     "target_app_id_required", "(#100) The parameter target_app_id is required"),
    ("pass_thread_control", "POST", {"target_app_id": INBOX}, "PAGE_TOKEN", 400, 100, None,
     "recipient_required", "(#100) The parameter recipient is required"),
    ("take_thread_control", "POST", {}, "PAGE_TOKEN", 400, 100, None, "recipient_required",
     None),
    ("take_thread_control", "POST", {"recipient": {"user_ref": "x"}}, "PAGE_TOKEN", 400, 100,
     None, "recipient_id_invalid", None),
    ("take_thread_control", "POST", {"recipient": {"id": "abc"}}, "PAGE_TOKEN", 400, 100, None,
     "recipient_id_invalid", None),
    ("take_thread_control", "POST", {"recipient": {"id": "2999999999999999"}}, "PAGE_TOKEN",
     400, 100, 2018001, "no_matching_user", None),
    ("take_thread_control", "POST", {"recipient": {"id": ADA}}, "NO_PERMISSION_TOKEN", 403, 230,
     None, "permission_pages_messaging", None),
    ("pass_thread_control", "GET", None, "PAGE_TOKEN", 400, 100, None, "method_not_supported",
     "Unsupported get request."),
    ("thread_owner", "POST", {"recipient": ADA}, "PAGE_TOKEN", 400, 100, None,
     "method_not_supported", "Unsupported post request."),
    ("thread_owner", "GET", {}, "PAGE_TOKEN", 400, 100, None, "recipient_required", None),
    ("thread_owner", "GET", {"recipient": "2999999999999999"}, "PAGE_TOKEN", 400, 100, 2018001,
     "no_matching_user", None),
    ("secondary_receivers", "DELETE", None, "PAGE_TOKEN", 400, 100, None,
     "method_not_supported", "Unsupported delete request."),
]  # fmt: skip


@pytest.mark.parametrize(
    ("edge", "method", "body", "token", "status", "code", "subcode", "rule", "message"), REFUSALS
)
def test_refusals(
    client: TestClient,
    edge: str,
    method: str,
    body: dict[str, Any] | None,
    token: str,
    status: int,
    code: int,
    subcode: int | None,
    rule: str,
    message: str | None,
) -> None:
    answer = client.request(
        method,
        f"/v21.0/me/{edge}",
        params={"access_token": token, **(body if method == "GET" and body else {})},
        json=body if method != "GET" else None,
        headers={"X-Emulator-Explain": "1"},
    )
    error = answer.json()["error"]
    assert (answer.status_code, error["code"], error.get("error_subcode")) == (
        status,
        code,
        subcode,
    )
    assert answer.headers["x-emulator-rule"] == rule
    if message is not None:
        assert error["message"] == message


def test_a_refused_handover_changes_nothing(client: TestClient) -> None:
    graph(client, "pass_thread_control", {"recipient": {"id": ADA}, "target_app_id": "9"})
    assert owner(client, ADA) == owned_by(APP)


def test_the_journal_and_log_say_what_happened(client: TestClient) -> None:
    from emulator import outcomes

    graph(client, "pass_thread_control", {"recipient": {"id": ADA}, "target_app_id": INBOX})
    entry = client.get("/_emulator/requests").json()["data"][-1]
    assert entry["recipient"] == ADA
    assert entry["status"] == 200
    did = (outcomes.HANDOVER, f"thread passed to {INBOX}")
    assert outcomes.worded({"success": True}, None, None, {"did": did}) == did[1]


# --- the control API: the other apps ------------------------------------------------------------


def test_the_page_inbox_passes_back_and_requests(client: TestClient) -> None:
    base = f"/_emulator/pages/{PAGE}/threads"
    answer = client.post(f"{base}/{GRACE}/pass", json={"metadata": "done"})
    assert answer.status_code == 200
    assert answer.json()["thread_owner"] == {
        "app_id": APP,
        "name": "this app",
        "role": "primary",
        "own_app": True,
    }
    assert graph(client, "messages", text(GRACE)).status_code == 200
    # the Page Inbox asks for it back: nothing changes until the bot passes it
    assert client.post(f"{base}/{GRACE}/request", json={}).json()["thread_owner"]["app_id"] == APP
    listing = client.get(base).json()
    assert {r["app_id"]: r["role"] for r in listing["receivers"]} == {
        APP: "primary",
        INBOX: "secondary",
        DESK: "secondary",
    }
    assert {t["psid"]: t["thread_owner"]["app_id"] for t in listing["data"]} == {
        ADA: APP,
        GRACE: APP,
        ALAN: APP,
    }


def test_the_primary_app_takes_through_the_control_api(client: TestClient) -> None:
    base = f"/_emulator/pages/{SECOND}/threads/{SECOND_PERSON}"
    client.post(f"{base}/pass", json={"app_id": DESK, "target_app_id": APP}).raise_for_status()
    assert client.get(base).json()["thread_owner"]["app_id"] == APP
    taken = client.post(f"{base}/take", json={})  # the primary (Agent Desk) by default
    assert taken.json()["thread_owner"]["app_id"] == DESK


@pytest.mark.parametrize(
    ("path", "body", "status", "says"),
    [
        (f"{PAGE}/threads/{ADA}/pass", {}, 400, "Cannot pass thread control"),  # inbox: not owner
        (f"{PAGE}/threads/{ADA}/take", {"app_id": INBOX}, 400, "Only the Primary Receiver"),
        (f"{PAGE}/threads/{ADA}/pass", {"app_id": "9"}, 400, "not connected"),
        (f"{PAGE}/threads/{ADA}/pass", {"app_id": "x"}, 400, "numeric app id"),
        (f"{PAGE}/threads/{ADA}/pass", {"bogus": 1}, 400, "unknown keys"),
        (f"{PAGE}/threads/{ADA}/request", {"metadata": 5}, 400, "metadata is a string"),
        (f"{PAGE}/threads/{ADA}/dance", {}, 404, "no action"),
        (f"{PAGE}/threads/abc/pass", {}, 400, "numeric"),
        (f"{PAGE}/threads/2999999999999999/request", {}, 400, "No matching user"),
        (f"999/threads/{ADA}/pass", {}, 404, "no page"),
    ],
)
def test_control_refusals(
    client: TestClient, path: str, body: dict[str, Any], status: int, says: str
) -> None:
    answer = client.post(f"/_emulator/pages/{path}", json=body)
    assert answer.status_code == status
    assert says in answer.json()["error"]["message"]
    assert owner(client, ADA) == owned_by(APP)


def test_control_reads(client: TestClient) -> None:
    assert client.get(f"/_emulator/pages/{PAGE}/threads/2999999999999999").status_code == 404
    assert client.get("/_emulator/pages/999/threads").status_code == 404
    person = client.get(f"/_emulator/conversations/{PAGE}/{GRACE}").json()["person"]
    assert person["thread_owner"] == {
        "app_id": INBOX,
        "name": "Page Inbox",
        "role": "secondary",
        "own_app": False,
    }


def test_reset_restores_the_starting_owners(client: TestClient) -> None:
    client.post(f"/_emulator/pages/{PAGE}/threads/{GRACE}/pass", json={}).raise_for_status()
    graph(client, "pass_thread_control", {"recipient": {"id": ADA}, "target_app_id": DESK})
    client.post("/_emulator/reset").raise_for_status()
    assert owner(client, ADA) == owned_by(APP)
    assert owner(client, GRACE) == owned_by(INBOX)


# --- the scenario -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("handover", "users", "problem"),
    [
        ("{apps: [{id: '5', role: primary}]}", "[]", "one primary receiver"),
        ("{apps: [{id: '5'}, {id: '5'}]}", "[]", "connected twice"),
        (f"{{apps: [{{id: '{APP}'}}]}}", "[]", "handover.role"),
        ("{page_inbox: false}", f"[{{psid: '1', thread_owner: '{INBOX}'}}]", "not connected"),
        ("{role: boss}", "[]", "role"),
    ],
)
def test_scenario_problems(handover: str, users: str, problem: str) -> None:
    text = f"version: 1\npages:\n  - id: '1'\n    handover: {handover}\n    users: {users}\n"
    with pytest.raises(ScenarioError) as caught:
        load_text(text, "bad")
    assert problem in str(caught.value)


# --- webhooks and the story, against a real emulator process and a real bot -------------------


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Bot, str, Path]]:
    folder = tmp_path_factory.mktemp("handover")
    with bot_and_server(folder, SCENARIO) as (bot, url):
        yield bot, url, folder / "emulator.log"


@pytest.fixture
def world(live: tuple[Bot, str, Path]) -> Iterator[tuple[Bot, httpx.Client]]:
    bot, url, _ = live
    with httpx.Client(base_url=url, timeout=10) as client:
        client.post("/_emulator/reset").raise_for_status()
        wait_for(lambda: client.get("/_emulator/webhooks").json()["handshake"], "the handshake")
        bot.received.clear()
        yield bot, client


def entries(bot: Bot) -> list[dict[str, Any]]:
    """Each delivery's entry, its signature checked as a bot checks it."""
    found = []
    for headers, body in bot.received:
        assert verify(SECRET, body, headers["x-hub-signature-256"])
        found.append(json.loads(body)["entry"][0])
    return found


def test_the_story_end_to_end(world: tuple[Bot, httpx.Client]) -> None:
    """The bot passes the thread to the Page Inbox; its next send is refused with 2018300; the
    person's messages arrive as standby; the agent passes the thread back; the bot answers."""
    bot, client = world
    assert graph(
        client,
        "pass_thread_control",
        {"recipient": {"id": ADA}, "target_app_id": INBOX, "metadata": "needs a human"},
    ).json() == {"success": True}
    refused = graph(client, "messages", text(ADA))
    assert refused.status_code == 400
    assert refused.json()["error"]["error_subcode"] == 2018300

    said = client.post(f"/_emulator/pages/{PAGE}/users/{ADA}/messages", json={"text": "help"})
    assert said.json()["standby"] is True
    wait_for(lambda: len(bot.received) >= 1, "the standby message")
    standby = entries(bot)[0]
    assert "messaging" not in standby
    assert standby["standby"][0]["message"]["text"] == "help"
    assert standby["standby"][0]["sender"] == {"id": ADA}

    back = client.post(f"/_emulator/pages/{PAGE}/threads/{ADA}/pass", json={"metadata": "solved"})
    assert back.json()["thread_owner"]["app_id"] == APP
    wait_for(lambda: len(bot.received) >= 2, "the pass_thread_control event")
    handed = entries(bot)[1]["messaging"][0]
    assert handed["sender"] == {"id": ADA}
    assert handed["recipient"] == {"id": PAGE}
    assert handed["pass_thread_control"] == {
        "previous_owner_app_id": INBOX,
        "new_owner_app_id": APP,
        "metadata": "solved",
    }

    answered = graph(client, "messages", text(ADA))
    assert answered.status_code == 200
    wait_for(lambda: len(bot.received) >= 4, "the echo and delivery")
    assert [e["messaging"][0].get("message", {}).get("is_echo") for e in entries(bot)[2:3]] == [
        True
    ]
    fields = [d["field"] for d in client.get("/_emulator/webhooks").json()["data"]]
    assert fields[-4:] == ["standby", "messaging_handovers", "message_echoes", "message_deliveries"]


def test_take_and_request_events(world: tuple[Bot, httpx.Client]) -> None:
    bot, client = world
    # the Page Inbox asks the bot (the owner) for Ada's thread
    client.post(f"/_emulator/pages/{PAGE}/threads/{ADA}/request", json={"metadata": "mine?"})
    # on SECOND, the primary (Agent Desk) takes a thread it had passed to the bot
    base = f"/_emulator/pages/{SECOND}/threads/{SECOND_PERSON}"
    client.post(f"{base}/pass", json={"app_id": DESK, "target_app_id": APP}).raise_for_status()
    client.post(f"{base}/take", json={"metadata": "escalated"}).raise_for_status()
    wait_for(lambda: len(bot.received) >= 3, "three handover events")
    request, passed, taken = (entry["messaging"][0] for entry in entries(bot))
    assert request["request_thread_control"] == {
        "requested_owner_app_id": INBOX,
        "metadata": "mine?",
    }
    assert passed["pass_thread_control"] == {"previous_owner_app_id": DESK, "new_owner_app_id": APP}
    assert taken["take_thread_control"] == {
        "previous_owner_app_id": APP,
        "new_owner_app_id": DESK,
        "metadata": "escalated",
    }
    assert taken["recipient"] == {"id": SECOND}


def test_a_release_to_the_bot_arrives_as_a_pass(world: tuple[Bot, httpx.Client]) -> None:
    bot, client = world
    client.post(f"/_emulator/pages/{PAGE}/threads/{GRACE}/release", json={}).raise_for_status()
    wait_for(lambda: bot.received, "the pass_thread_control event")
    (entry,) = entries(bot)
    assert entry["messaging"][0]["pass_thread_control"] == {
        "previous_owner_app_id": INBOX,
        "new_owner_app_id": APP,
    }
    # the bot's own handover calls tell it nothing: it made them
    graph(client, "pass_thread_control", {"recipient": {"id": GRACE}, "target_app_id": INBOX})
    graph(client, "take_thread_control", {"recipient": {"id": GRACE}})
    client.post(f"/_emulator/pages/{PAGE}/users/{GRACE}/messages", json={"text": "marker"})
    wait_for(lambda: len(bot.received) >= 2, "the marker")
    assert entries(bot)[1]["messaging"][0]["message"]["text"] == "marker"


def test_standby_only_when_subscribed(world: tuple[Bot, httpx.Client]) -> None:
    bot, client = world
    hook = client.get("/_emulator/webhooks").json()
    client.put(
        "/_emulator/webhooks",
        json={"url": hook["url"], "verify_token": "verify-me", "fields": ["messages"]},
    ).raise_for_status()
    bot.received.clear()
    client.post(f"/_emulator/pages/{PAGE}/users/{GRACE}/messages", json={"text": "unseen"})
    client.post(f"/_emulator/pages/{PAGE}/users/{ADA}/messages", json={"text": "seen"})
    wait_for(lambda: bot.received, "Ada's message")
    assert [e["messaging"][0]["message"]["text"] for e in entries(bot)] == ["seen"]


# --- persistence (--state) ------------------------------------------------------------------------


def test_thread_owners_survive_a_restart(client: TestClient) -> None:
    from emulator.persist.snapshot import restore, snapshot

    graph(client, "pass_thread_control", {"recipient": {"id": ADA}, "target_app_id": INBOX})
    client.post(f"/_emulator/pages/{PAGE}/threads/{GRACE}/pass", json={}).raise_for_status()
    graph(client, "release_thread_control", {"recipient": {"id": GRACE}})  # idle
    saved = json.loads(json.dumps(snapshot(client.app.state.world)))  # type: ignore[attr-defined]
    with TestClient(create_app(load_text(SCENARIO, "handover"))) as after:
        assert restore(after.app.state.world, saved)  # type: ignore[attr-defined]
        assert owner(after, ADA) == owned_by(INBOX)
        assert owner(after, GRACE) == {"data": []}
        assert owner(after, ALAN) == owned_by(APP)
        # a damaged one changes nothing
        damaged = json.loads(json.dumps(saved))
        damaged["pages"][PAGE]["thread_owners"] = {ADA: 5}
        with pytest.raises(ValueError, match="thread_owners"):
            restore(after.app.state.world, damaged)  # type: ignore[attr-defined]
        assert owner(after, ADA) == owned_by(INBOX)
    # a snapshot from before the handover protocol keeps the scenario's owners
    for page in saved["pages"].values():
        del page["thread_owners"]
    with TestClient(create_app(load_text(SCENARIO, "handover"))) as older:
        assert restore(older.app.state.world, saved)  # type: ignore[attr-defined]
        assert owner(older, GRACE) == owned_by(INBOX)


# --- the pytest helper ----------------------------------------------------------------------------

BUTTONS = {
    "attachment": {
        "type": "template",
        "payload": {
            "template_type": "button",
            "text": "How can I help?",
            "buttons": [{"type": "postback", "title": "Menu", "payload": "MENU"}],
        },
    }
}


def test_the_helper_plays_the_page_inbox() -> None:
    from emulator.testing import SendApiError, start

    with start(SCENARIO) as send_api:
        bodies: list[dict[str, Any]] = []
        send_api.deliver_to(bodies.append)
        assert send_api.thread_owner(GRACE) == INBOX
        with httpx.Client(transport=send_api.transport, base_url=send_api.url) as http:
            graph(http, "messages", {**text(ADA), "message": BUTTONS})
            graph(http, "pass_thread_control", {"recipient": {"id": ADA}, "target_app_id": INBOX})
            assert send_api.thread_owner(ADA) == INBOX
            send_api.person(ADA).says("help")  # another app's thread: the standby channel
            assert bodies[-1]["entry"][0]["standby"][0]["message"]["text"] == "help"
            send_api.person(ADA).taps_postback("MENU")  # standby postbacks carry no payload
            assert bodies[-1]["entry"][0]["standby"][0]["postback"]["title"] == "Menu"
            assert "payload" not in bodies[-1]["entry"][0]["standby"][0]["postback"]
            answer = send_api.inbox(ADA).passes_back("done")
            assert answer["thread_owner"]["app_id"] == APP
            assert send_api.thread_owner(ADA) == APP
            send_api.person(ADA).says("thanks")
            assert "messaging" in bodies[-1]["entry"][0]
            assert graph(http, "messages", text(ADA)).status_code == 200
        assert send_api.inbox(ADA, app_id=DESK).requests()["thread_owner"]["app_id"] == APP
        with pytest.raises(SendApiError, match="Only the Primary Receiver"):
            send_api.inbox(ADA).takes()
        send_api.inbox(SECOND_PERSON, SECOND, app_id=DESK).passes_to(APP)
        assert send_api.thread_owner(SECOND_PERSON, SECOND) == APP
        assert (
            send_api.inbox(SECOND_PERSON, SECOND, app_id=DESK).takes()["thread_owner"]["app_id"]
            == DESK
        )
        send_api.inbox(GRACE).releases()
        assert send_api.thread_owner(GRACE) == APP


def test_the_log_says_what_happened(live: tuple[Bot, str, Path]) -> None:
    _, url, log = live
    with httpx.Client(base_url=url, timeout=10) as client:
        client.post("/_emulator/reset").raise_for_status()
        graph(client, "pass_thread_control", {"recipient": {"id": ADA}, "target_app_id": INBOX})
        graph(client, "messages", text(ADA))
        graph(client, "thread_owner", {"recipient": ADA}, method="GET")
    wait_for(lambda: "thread owner read" in log.read_text(), "the log lines")
    lines = log.read_text()
    assert f"-> 200 thread passed to {INBOX}" in lines
    assert "-> 400 rejected #10/2018300 thread_owned_by_another_app" in lines
