"""The web UI's server side: its files, the conversations it reads, the live event stream
(Server-Sent Events), and the records behind them (the inbox, the common order, duration_ms)."""

from __future__ import annotations

import asyncio
import json
import queue
import re
import socket
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import (
    BLOCKED,
    IN_7_DAYS,
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

from emulator.app import create_app
from emulator.control import conversations, events, ui
from emulator.control.routes import ControlError
from emulator.persist import Persistence, StateStore, restore, scenario_hash, snapshot
from emulator.rules import limits
from emulator.scenario.load import load_file, load_text
from emulator.state import World
from emulator.webhooks.delivery import Webhooks
from emulator.webhooks.signing import SIGNATURE_256, verify

NEW_PSID = "2000000000000099"
ACT = f"/_emulator/pages/{PAGE}/users/{{psid}}/messages"


def act(client: TestClient | httpx.Client, psid: str, body: dict[str, Any]) -> Any:
    response = client.post(ACT.format(psid=psid), json=body)
    assert response.status_code in (200, 201), response.text
    return response.json()


def people(client: TestClient | httpx.Client, base: str = "/_emulator") -> list[dict[str, Any]]:
    body = client.get(f"{base}/conversations").json()
    page = next(page for page in body["pages"] if page["id"] == PAGE)
    found: list[dict[str, Any]] = page["people"]
    return found


def person(client: TestClient, psid: str) -> dict[str, Any]:
    return next(view for view in people(client) if view["psid"] == psid)


def timeline(client: TestClient | httpx.Client, psid: str, base: str = "/_emulator") -> Any:
    response = client.get(f"{base}/conversations/{PAGE}/{psid}")
    assert response.status_code == 200, response.text
    return response.json()


# --- conversations ------------------------------------------------------------------------


def test_conversations_list_pages_people_and_their_windows(client: TestClient) -> None:
    body = client.get("/_emulator/conversations").json()
    assert (body["now"], body["frozen"], body["namespace"]) == (
        "2026-01-05T09:00:00.000Z",
        True,
        "default",
    )
    assert [(p["id"], p["name"], p["platform"]) for p in body["pages"]] == [
        ("110000000000001", "Acme Shoes", "messenger"),
        ("120000000000001", "Other Page", "messenger"),
        ("130000000000001", "Acme on Instagram", "instagram"),
    ]
    ada = person(client, IN_WINDOW)
    assert ada["name"] == "Ada Lovelace"
    assert ada["blocked"] is False
    assert ada["last_message"] == ada["last_activity"] == "2026-01-05T08:00:00.000Z"
    assert ada["standard_window"] == {
        "open": True,
        "ends": "2026-01-06T08:00:00.000Z",
        "seconds_left": 23 * 3600,
    }
    assert ada["human_agent_window"] == {
        "open": True,
        "ends": "2026-01-12T08:00:00.000Z",
        "seconds_left": (6 * 24 + 23) * 3600,
    }
    grace = person(client, IN_7_DAYS)  # wrote 3 days ago: only the 7-day window
    assert grace["name"] == "Grace"
    assert grace["standard_window"] == {
        "open": False,
        "ends": "2026-01-03T09:00:00.000Z",
        "seconds_left": None,
    }
    assert grace["human_agent_window"]["open"] is True
    assert grace["human_agent_window"]["seconds_left"] == 4 * 24 * 3600
    alan = person(client, NEVER_WROTE)
    assert alan["last_message"] is alan["last_activity"] is None
    closed = {"open": False, "ends": None, "seconds_left": None}
    assert alan["standard_window"] == alan["human_agent_window"] == closed
    blocked = person(client, BLOCKED)
    assert blocked["blocked"] is True
    assert blocked["name"] is None
    assert blocked["standard_window"]["open"] is True  # the window is time; the block is apart
    old = person(client, LONG_AGO)
    assert not old["standard_window"]["open"]
    assert not old["human_agent_window"]["open"]


def test_windows_follow_the_emulated_clock_to_their_end_included(client: TestClient) -> None:
    client.post("/_emulator/clock", json={"advance": "23h"})
    assert person(client, IN_WINDOW)["standard_window"]["seconds_left"] == 0
    assert person(client, IN_WINDOW)["standard_window"]["open"] is True
    client.post("/_emulator/clock", json={"advance": "1s"})
    assert person(client, IN_WINDOW)["standard_window"] == {
        "open": False,
        "ends": "2026-01-06T08:00:00.000Z",
        "seconds_left": None,
    }
    assert person(client, IN_WINDOW)["human_agent_window"]["open"] is True
    # as the Send API decides
    assert send(client, text_to(IN_WINDOW)).status_code == 400


def test_people_are_ordered_by_last_activity_then_psid(client: TestClient) -> None:
    before = [view["psid"] for view in people(client)]
    # wrote at 08:00 (psid order among them), 3 days ago, 10 days ago, never
    assert before == [
        IN_WINDOW,
        BLOCKED,
        IN_7_DAYS,
        LONG_AGO,
        "2000000000000006",
        NEVER_WROTE,
    ]
    client.post("/_emulator/clock", json={"advance": "1m"})
    act(client, NEW_PSID, {"text": "hello, I am new"})  # added, now the newest
    client.post("/_emulator/clock", json={"advance": "1m"})
    refused = send(client, text_to(NEVER_WROTE, tag="HUMAN_AGENT"), token="AGENT_TOKEN")
    assert refused.status_code == 400  # a tag with RESPONSE, or no window: activity all the same
    after = people(client)
    # the person's own activity orders the list: a refused send to them does not move them
    assert [view["psid"] for view in after][:3] == [NEW_PSID, IN_WINDOW, BLOCKED]
    new = after[0]
    assert new["name"] is None
    assert new["last_activity"] == new["last_message"] == "2026-01-05T09:01:00.000Z"
    assert new["standard_window"]["seconds_left"] == 24 * 3600 - 60
    assert new["preview"] == {"from": "person", "text": "hello, I am new"}
    never = next(view for view in after if view["psid"] == NEVER_WROTE)
    assert never["last_activity"] == "2026-01-05T09:02:00.000Z"
    assert never["last_message"] is None  # a refused send is activity, not a window
    assert never["refused"] == 1
    assert never["last_inbound"] is None


@pytest.mark.parametrize(
    ("steps", "preview", "moves_list"),
    [
        ([("person", "first"), ("page", "an answer")], {"from": "page", "text": "an answer"}, 1),
        ([("page", "an answer"), ("person", "later")], {"from": "person", "text": "later"}, 1),
        ([("person", "a"), ("person", "b"), ("page", "c"), ("page", "d")], "d", 1),
        ([("page", "x " * 60)], {"from": "page", "text": ("x " * 40).strip()[:79] + "…"}, 0),
        ([("person", "one\n\n  line")], {"from": "person", "text": "one line"}, 1),
        ([("read", "")], None, 0),
    ],
)
def test_the_preview_is_the_newest_message_either_side_wrote(
    client: TestClient, steps: list[tuple[str, str]], preview: Any, moves_list: int
) -> None:
    before = person(client, IN_WINDOW)
    for who, text in steps:
        client.post("/_emulator/clock", json={"advance": "1m"})
        if who == "page":
            answer = send(client, {**text_to(IN_WINDOW), "message": {"text": text}})
            assert answer.status_code == 200
        elif who == "read":
            act(client, IN_WINDOW, {"read": True})
        else:
            act(client, IN_WINDOW, {"text": text})
    view = person(client, IN_WINDOW)
    if isinstance(preview, str):
        preview = {"from": "page", "text": preview}
    assert view["preview"] == preview
    # only the person's own messages (not a read, not a send) move them in the list
    assert (view["last_inbound"] != before["last_inbound"]) == bool(moves_list)


def test_the_timeline_keeps_the_true_order_at_a_frozen_instant(client: TestClient) -> None:
    wrote = act(client, IN_WINDOW, {"text": "do you have red shoes?"})
    message = {"text": "we do", "metadata": "m-1"}
    sent = send(client, {**text_to(IN_WINDOW), "message": message}).json()
    refused = send(client, text_to(IN_WINDOW, "x" * 2001))  # content: refused before recipient
    send(client, text_to(IN_7_DAYS, "someone else"))  # another conversation
    read = act(client, IN_WINDOW, {"read": True})
    typing = send(client, {"recipient": {"id": IN_WINDOW}, "sender_action": "typing_on"})
    bad_type = send(client, text_to(IN_WINDOW, messaging_type="SOMETIMES"))
    send(client, text_to(IN_WINDOW), token="EXPIRED_TOKEN")  # no page: not in a conversation
    assert refused.status_code == bad_type.status_code == 400
    assert typing.status_code == 200

    body = timeline(client, IN_WINDOW)
    assert body["page"] == {"id": PAGE, "name": "Acme Shoes", "platform": "messenger"}
    assert body["person"]["psid"] == IN_WINDOW
    assert body["person"]["last_activity"] == "2026-01-05T09:00:00.000Z"
    items = body["data"]
    assert [item["kind"] for item in items] == [
        "inbound",
        "sent",
        "rejected",
        "inbound",
        "sent",
        "rejected",
    ]
    seqs = [item["seq"] for item in items]
    assert seqs == sorted(set(seqs))  # increasing, no two alike
    assert {item["at"] for item in items} == {"2026-01-05T09:00:00.000Z"}
    assert items[0]["event"]["mid"] == wrote["mid"]
    assert items[0]["event"]["text"] == "do you have red shoes?"
    assert items[1]["entry"]["message_id"] == sent["message_id"]
    assert items[1]["entry"]["message"] == {"text": "we do", "metadata": "m-1"}
    rejected = items[2]["request"]
    assert rejected["status"] == 400
    assert rejected["rule"] == "text_too_long"
    assert rejected["json_path"] == "message.text"
    assert rejected["response"]["error"]["code"] == 100
    assert rejected["params"]["messaging_type"] == "RESPONSE"
    assert items[3]["event"]["kind"] == "read"
    assert items[3]["event"]["mid"] == read["mid"]
    assert items[4]["entry"]["sender_action"] == "typing_on"
    assert items[5]["request"]["params"]["messaging_type"] == "SOMETIMES"
    # the entries are those of GET /messages and /requests, with the common order
    messages = client.get("/_emulator/messages").json()["data"]
    assert items[1]["entry"] == messages[0]
    assert items[1]["seq"] == messages[0]["order"]
    journal = client.get("/_emulator/requests").json()["data"]
    assert items[2]["request"] == journal[1]


def test_refused_batch_entries_join_their_conversation(client: TestClient) -> None:
    entries = [
        {"method": "POST", "relative_url": "me/messages", "body": {"recipient": {"id": IN_WINDOW}}},
        {"method": "POST", "relative_url": "me/messages", "body": {"recipient": {"id": LONG_AGO}}},
    ]
    body = {"batch": json.dumps(entries), "access_token": "PAGE_TOKEN"}
    assert client.post("/v21.0/", data=body).status_code == 200
    assert [item["kind"] for item in timeline(client, IN_WINDOW)["data"]] == ["rejected"]
    assert [item["kind"] for item in timeline(client, LONG_AGO)["data"]] == ["rejected"]


def test_unknown_conversations_are_json_404s(client: TestClient) -> None:
    missing_page = client.get(f"/_emulator/conversations/999/{IN_WINDOW}")
    assert missing_page.status_code == 404
    assert missing_page.json()["error"]["message"] == "no page '999' in the scenario"
    missing_person = client.get(f"/_emulator/conversations/{PAGE}/{NEW_PSID}")
    assert missing_person.status_code == 404
    assert "no person" in missing_person.json()["error"]["message"]
    act(client, NEW_PSID, {"text": "hi"})  # added by acting: now there
    assert timeline(client, NEW_PSID)["data"][0]["event"]["added"] is True


def chatty(client: TestClient, rounds: int = 6) -> list[int]:
    """IN_WINDOW writes and is answered `rounds` times, someone else writing in between: the
    orders of IN_WINDOW's timeline (2 items a round), oldest first."""
    orders = []
    for number in range(rounds):
        orders.append(act(client, IN_WINDOW, {"text": f"p{number}"})["order"])
        send(client, text_to(IN_WINDOW, f"b{number}"))
        orders.append(client.get("/_emulator/messages").json()["data"][-1]["order"])
        act(client, NEVER_WROTE, {"text": "another conversation"})
    return orders


# (query, by indexes into IN_WINDOW's 12 orders: the slice answered, has_earlier, has_more);
# an index in the query is replaced by that item's order; "last" by the world's last order
PAGES = [
    ({}, (0, 12), False, False),
    ({"limit": "5"}, (7, 12), True, False),
    ({"limit": "12"}, (0, 12), False, False),
    ({"before": 5, "limit": "3"}, (2, 5), True, True),
    ({"before": 3, "limit": "5"}, (0, 3), False, True),
    ({"before": 0}, (0, 0), False, True),
    ({"after": 4}, (5, 12), None, False),
    ({"after": 4, "limit": "3"}, (5, 8), None, True),
    ({"after": 10, "limit": "1"}, (11, 12), None, False),
    ({"after": "last"}, (12, 12), None, False),
    ({"after": "0"}, (0, 12), None, False),
]


@pytest.mark.parametrize(("query", "answered", "has_earlier", "has_more"), PAGES)
def test_a_timeline_comes_a_page_at_a_time(
    client: TestClient,
    query: dict[str, Any],
    answered: tuple[int, int],
    has_earlier: bool | None,
    has_more: bool,
) -> None:
    orders = chatty(client)
    everything = timeline(client, IN_WINDOW)
    last = everything["last_order"]
    assert [item["seq"] for item in everything["data"]] == orders
    params = {
        key: str(last if value == "last" else orders[value] if isinstance(value, int) else value)
        for key, value in query.items()
    }
    body = client.get(f"/_emulator/conversations/{PAGE}/{IN_WINDOW}", params=params).json()
    assert [item["seq"] for item in body["data"]] == orders[slice(*answered)]
    assert body.get("has_earlier") is has_earlier  # not said with `after`
    assert body["has_more"] is has_more
    assert body["last_order"] == last
    assert (body["page"]["id"], body["person"]["psid"]) == (PAGE, IN_WINDOW)


def test_last_order_is_the_worlds_newest(client: TestClient) -> None:
    assert timeline(client, IN_WINDOW)["last_order"] == 0
    act(client, IN_7_DAYS, {"text": "elsewhere"})
    assert send(client, text_to(IN_7_DAYS)).status_code == 200  # the journal's order is newest
    newest = client.get("/_emulator/requests").json()["data"][-1]["order"]
    body = timeline(client, IN_WINDOW)
    assert (body["data"], body["last_order"]) == ([], newest)
    # catching up from it: nothing new, until something happens in this conversation
    caught_up = client.get(
        f"/_emulator/conversations/{PAGE}/{IN_WINDOW}", params={"after": str(newest)}
    )
    assert caught_up.json()["data"] == []
    wrote = act(client, IN_WINDOW, {"text": "now me"})
    again = client.get(
        f"/_emulator/conversations/{PAGE}/{IN_WINDOW}", params={"after": str(newest)}
    ).json()
    assert [item["event"]["mid"] for item in again["data"]] == [wrote["mid"]]
    assert again["last_order"] == wrote["order"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("after=-1", "after must be a whole number, got '-1'"),
        ("after=x", "after must be a whole number"),
        ("before=1.5", "before must be a whole number"),
        ("after=", "after must be a whole number, got ''"),
        ("after=%EF%BC%91", "after must be a whole number"),  # a full-width digit
        ("after=1" + "0" * 30, "after must be a whole number"),
        ("limit=0", "limit must be 1 to 5000, got 0"),
        ("limit=5001", "limit must be 1 to 5000, got 5001"),
        ("after=1&before=2", "give after or before, not both"),
        ("after=1&after=2", "after given 2 times"),
    ],
)
def test_bad_paging_values_are_json_400s(client: TestClient, query: str, message: str) -> None:
    response = client.get(f"/_emulator/conversations/{PAGE}/{IN_WINDOW}?{query}")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert message in response.json()["error"]["message"]


class Tripwire(dict[str, Any]):
    """A record a page must not read: older than what it answers."""

    def get(self, *args: Any) -> Any:
        raise AssertionError("read an old record")

    def __getitem__(self, key: str) -> Any:
        raise AssertionError("read an old record")


@pytest.mark.parametrize(
    ("after", "limit", "answered"),
    [(None, 5, 5), (45, 500, 5), (45, 2, 2)],
    ids=["newest", "after", "after, cut"],
)
def test_a_page_reads_the_records_from_the_newest_end_only(
    after: int | None, limit: int, answered: int
) -> None:
    subject = world()
    page = subject.pages[PAGE]
    for number in range(50):
        subject.person_writes(page, IN_WINDOW, f"m{number}")  # orders 1 to 50
    for index in range(40):  # orders 1 to 40: never read
        subject.inbox[index] = Tripwire(subject.inbox[index])
    found = conversations.timeline_page(subject, PAGE, IN_WINDOW, after=after, limit=limit)
    texts = [item["event"]["text"] for item in found["data"]]
    first = 50 - answered if after is None else after
    assert texts == [f"m{number}" for number in range(first, first + answered)]


def test_conversations_are_scoped_to_their_namespace(client: TestClient) -> None:
    made = client.put(
        "/_emulator/namespaces/ui-scope",
        content=TEST_SCENARIO.read_text(),
        headers={"content-type": "application/yaml"},
    )
    assert made.status_code == 201, made.text
    base = "/_emulator/namespaces/ui-scope"
    graph = f"{base}/graph/v21.0/me/messages"
    assert send(client, text_to(IN_WINDOW, "in ui-scope"), path=graph).status_code == 200
    act(client, NEVER_WROTE, {"text": "in default"})

    scoped = client.get(f"{base}/conversations").json()
    assert scoped["namespace"] == "ui-scope"
    assert people(client, base)[0]["psid"] == IN_WINDOW
    assert [i["kind"] for i in timeline(client, IN_WINDOW, base)["data"]] == ["sent"]
    assert timeline(client, NEVER_WROTE, base)["data"] == []
    assert timeline(client, IN_WINDOW)["data"] == []
    assert [i["kind"] for i in timeline(client, NEVER_WROTE)["data"]] == ["inbound"]
    assert client.get(f"{base}/ui").status_code == 200
    assert client.get(f"{base}/ui/").status_code == 200


# --- the records behind them ----------------------------------------------------------------


def test_each_journal_entry_has_its_duration(client: TestClient) -> None:
    send(client, text_to(IN_WINDOW))
    send(client, text_to(IN_7_DAYS))
    entries = [{"method": "POST", "relative_url": "me/messages", "body": {"x": 1}}] * 3
    client.post("/v21.0/", data={"batch": json.dumps(entries), "access_token": "PAGE_TOKEN"})
    journal = client.get("/_emulator/requests").json()["data"]
    durations = [entry["duration_ms"] for entry in journal]
    assert len(durations) == 6
    assert all(isinstance(d, float) and 0 <= d < 10_000 for d in durations)
    batched = [e["duration_ms"] for e in journal if e["in_batch"]]
    assert batched == sorted(batched)  # counted from the batch's start
    assert journal[-1]["duration_ms"] >= batched[-1]


def test_inbox_outbox_and_journal_share_one_order(client: TestClient) -> None:
    act(client, IN_WINDOW, {"text": "one"})
    send(client, text_to(IN_WINDOW))
    act(client, IN_WINDOW, {"text": "two"})
    world: World = client.app.state.world  # type: ignore[attr-defined]
    orders = sorted(
        entry["order"]
        for records in (world.inbox, world.outbox, world.journal)
        for entry in records
    )
    assert orders == [1, 2, 3, 4]
    assert [entry["seq"] for entry in world.inbox] == [1, 2]
    assert [entry["seq"] for entry in world.outbox] == [1]  # the outbox's own count stays
    assert [entry["id"] for entry in world.journal] == [1]
    client.post("/_emulator/reset")
    assert not world.inbox
    assert act(client, IN_WINDOW, {"text": "again"})["order"] == 1


def test_the_inbox_is_bounded_by_max_records() -> None:
    app = create_app(load_file(TEST_SCENARIO), max_records=3)
    with TestClient(app) as client:
        for number in range(5):
            act(client, IN_WINDOW, {"text": f"m{number}"})
        world: World = app.state.world
        assert [event["text"] for event in world.inbox] == ["m2", "m3", "m4"]
        assert [event["seq"] for event in world.inbox] == [3, 4, 5]
        texts = [item["event"]["text"] for item in timeline(client, IN_WINDOW)["data"]]
        assert texts == ["m2", "m3", "m4"]


def test_the_inbox_is_kept_in_the_state_file(tmp_path: Path) -> None:
    scenario = load_file(TEST_SCENARIO)
    with TestClient(create_app(scenario)) as client:
        act(client, IN_WINDOW, {"text": "remember me"})
        send(client, text_to(IN_WINDOW))
        world: World = client.app.state.world  # type: ignore[attr-defined]
        store = StateStore(tmp_path / "state.db")
        store.save("default", scenario_hash(scenario), snapshot(world))
        saved = store.load("default")
        store.close()
    assert saved is not None
    again = World(scenario)
    assert restore(again, saved)
    assert [event["text"] for event in again.inbox] == ["remember me"]
    assert again.person_writes(again.pages[PAGE], IN_WINDOW, "next")["order"] == 4
    assert again.inbox[-1]["seq"] == 2

    older = dict(saved, counters={"send": 2, "request": 2})  # saved before the UI
    del older["inbox"]
    fresh = World(scenario)
    assert restore(fresh, older)
    assert not fresh.inbox
    # the common order goes on after the newest record's
    assert fresh.person_writes(fresh.pages[PAGE], IN_WINDOW, "next")["order"] == 4


def test_persistence_ignores_webhook_events(tmp_path: Path) -> None:
    world = World(load_file(TEST_SCENARIO))
    store = StateStore(tmp_path / "state.db")
    try:
        persistence = Persistence(store, world)
        world.emit("webhook", {"id": 1, "status": "pending"})
        assert not persistence.changed()
        world.emit("clock", {"now": "2026-01-05T09:00:00.000Z", "frozen": True})
        assert persistence.changed()
    finally:
        store.close()


@pytest.mark.parametrize(
    ("bot_secret", "secret_changes", "valid", "status", "outcome"),
    [
        ("test-app-secret", False, True, 200, "delivered"),
        ("another-secret", False, True, 403, "failed"),  # the bot's secret is wrong
        ("new-secret", True, False, 403, "failed"),  # signed before the app's secret changed
    ],
    ids=["both agree", "the bot's secret differs", "the secret changed since"],
)
def test_each_delivery_says_whether_its_signature_is_valid(
    monkeypatch: pytest.MonkeyPatch,
    bot_secret: str,
    secret_changes: bool,
    valid: bool,
    status: int,
    outcome: str,
) -> None:
    monkeypatch.setattr(limits, "WEBHOOK_MAX_ATTEMPTS", 1)
    scenario = load_text(
        TEST_SCENARIO.read_text() + "webhook:\n  url: http://bot.test/webhook\n",
        "test",
    )

    def bot(request: httpx.Request) -> httpx.Response:
        signed = verify(bot_secret, request.content, request.headers[SIGNATURE_256])
        return httpx.Response(200 if signed else 403)

    async def scenario_() -> dict[str, Any]:
        subject = World(scenario)
        hooks = Webhooks(subject)
        hooks._client = httpx.AsyncClient(transport=httpx.MockTransport(bot))
        seen: list[dict[str, Any]] = []
        subject.listeners.insert(0, lambda kind, data: seen.append({"kind": kind, **data}))
        subject.person_writes(subject.pages[PAGE], IN_WINDOW, "hi")
        made = [data for data in seen if data["kind"] == "webhook"]
        assert [data["signature_valid"] for data in made] == [True]  # as made
        if secret_changes:
            app = subject.scenario.app.model_copy(update={"secret": "new-secret"})
            subject.scenario = subject.scenario.model_copy(update={"app": app})
        await asyncio.gather(*hooks._workers.values())  # the delivery, as a task
        await hooks.close()
        return dict(hooks.deliveries[0])

    record = asyncio.run(scenario_())
    assert record["signature_valid"] is valid
    assert [attempt["status"] for attempt in record["attempts"]] == [status]
    assert record["status"] == outcome


# --- the UI's files -------------------------------------------------------------------------


@pytest.fixture
def static(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "static"
    (root / "icons").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><title>UI</title>")
    (root / "app.js").write_text("export const x = 1;")
    (root / "style.css").write_text("body { margin: 0 }")
    (root / "icons" / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (root / "notes.md").write_text("not served: unknown type")
    (root / ".hidden.js").write_text("not served: hidden")
    (tmp_path / "secret.js").write_text("outside")
    (root / "linked.js").symlink_to(tmp_path / "secret.js")
    monkeypatch.setattr(ui, "STATIC", root)
    return root


@pytest.mark.parametrize(
    ("path", "content_type", "text"),
    [
        ("/_emulator/ui", "text/html; charset=utf-8", "<!doctype html><title>UI</title>"),
        ("/_emulator/ui/", "text/html; charset=utf-8", "<!doctype html><title>UI</title>"),
        ("/_emulator/ui/index.html", "text/html; charset=utf-8", "<!doctype html>"),
        ("/_emulator/ui/app.js", "text/javascript; charset=utf-8", "export const x = 1;"),
        ("/_emulator/ui/style.css", "text/css; charset=utf-8", "body { margin: 0 }"),
        ("/_emulator/ui/icons/logo.svg", "image/svg+xml", "<svg"),
        ("/_emulator/namespaces/default/ui/app.js", "text/javascript; charset=utf-8", "export"),
    ],
)
def test_ui_files_are_served_with_their_types(
    client: TestClient, static: Path, path: str, content_type: str, text: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == ui.CSP
    assert response.text.startswith(text)
    head = client.head(path)
    assert (head.status_code, head.content) == (200, b"")


@pytest.mark.parametrize(
    "path",
    [
        "/_emulator/ui/../routes.py",
        "/_emulator/ui/%2e%2e/control/routes.py",
        "/_emulator/ui/%2E%2E%2Fcontrol%2Froutes.py",
        "/_emulator/ui/icons/%2e%2e/%2e%2e/secret.js",
        "/_emulator/ui//etc/passwd",
        "/_emulator/ui/%2Fetc%2Fpasswd",
        "/_emulator/ui/..%5Csecret.js",
        "/_emulator/ui/C:%5Cwindows",
        "/_emulator/ui/linked.js",
        "/_emulator/ui/.hidden.js",
        "/_emulator/ui/notes.md",
        "/_emulator/ui/icons",
        "/_emulator/ui/missing.js",
        "/_emulator/ui/app.js%00.html",
    ],
)
def test_nothing_else_is_served(client: TestClient, static: Path, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert "message" in response.json()["error"]


def test_find_asset_refuses_what_is_not_a_plain_name_under_the_root(static: Path) -> None:
    assert ui.find_asset(static, "icons/logo.svg") == (static / "icons" / "logo.svg").resolve()
    for name in ("../secret.js", "/etc/passwd", str(static / "app.js"), "", "a//b.js", "x\\y.js"):
        assert ui.find_asset(static, name) is None, name


def test_a_raw_dot_dot_path_is_refused_by_a_real_server(live: str) -> None:
    host, port = httpx.URL(live).host, httpx.URL(live).port
    assert port is not None
    with socket.create_connection((host, port), timeout=5) as raw:
        target = b"/_emulator/ui/../control/routes.py"  # as sent: no client normalises it
        raw.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 404"), head
    assert json.loads(body)["error"]["message"] == "no UI file '../control/routes.py'"


@pytest.mark.parametrize(
    "directive",
    [
        "default-src 'self'",
        "img-src 'self' data: http: https:",  # what the bot sent, from anywhere
        "media-src 'self' http: https:",
        "style-src 'self'",
        "script-src 'self'",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ],
)
def test_the_ui_runs_only_its_own_files(client: TestClient, directive: str) -> None:
    page = client.get("/_emulator/ui")
    policy = [part.strip() for part in page.headers["content-security-policy"].split(";")]
    assert directive in policy


class InlineFinder(HTMLParser):
    """What a CSP without 'unsafe-inline' would block in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "style" or (tag == "script" and "src" not in names):
            self.found.append(f"<{tag}>")
        self.found += [f"{tag} {name}=" for name in names if name == "style" or name[:2] == "on"]
        for name, value in attrs:
            if name in ("href", "src", "action") and (value or "").startswith("javascript:"):
                self.found.append(f"{tag} {name}=javascript:")


def test_the_shipped_ui_has_nothing_inline_its_csp_would_block() -> None:
    finder = InlineFinder()
    finder.feed((ui.STATIC / "index.html").read_text())
    assert finder.found == []
    # markup from strings (inline handlers or styles would come back), style attributes, eval
    blocked = re.compile(
        r"\b(innerHTML|outerHTML|insertAdjacentHTML|eval|Function)\b\s*[=(]"
        r"|setAttribute\(\s*[\"']style|\bnew Function\b"
    )
    for script in sorted(ui.STATIC.glob("*.js")):
        found = blocked.search(script.read_text())
        assert found is None, f"{script.name}: {found and found.group()}"


def test_the_package_ships_the_ui(client: TestClient) -> None:
    assert (ui.STATIC / "index.html").is_file()
    page = client.get("/_emulator/ui")
    assert page.status_code == 200
    assert "<html" in page.text.lower()


# --- the live event stream ------------------------------------------------------------------


class EventReader:
    """An SSE client on a thread: (event, data) pairs as they come; None once the stream ends."""

    def __init__(self, url: str) -> None:
        self.events: queue.Queue[tuple[str, Any] | None] = queue.Queue()
        self.comments: list[str] = []
        self._client = httpx.Client(timeout=httpx.Timeout(10, read=None))
        self._stream = self._client.stream("GET", url)
        self.response = self._stream.__enter__()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        kind = None
        try:
            for line in self.response.iter_lines():
                if line.startswith(":"):
                    self.comments.append(line)
                elif line.startswith("event: "):
                    kind = line.removeprefix("event: ")
                elif line.startswith("data: ") and kind is not None:
                    self.events.put((kind, json.loads(line.removeprefix("data: "))))
                    kind = None
        except Exception:  # closed under it by close(): the test decides what that means
            pass
        finally:
            self.events.put(None)

    def next(self, timeout: float = 5) -> tuple[str, Any]:
        item = self.events.get(timeout=timeout)
        assert item is not None, "the stream ended"
        return item

    def ended(self, timeout: float = 5) -> bool:
        return self.events.get(timeout=timeout) is None

    def close(self) -> None:
        self.response.close()
        self._client.close()
        self._thread.join(5)


@pytest.fixture
def http(live: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live, timeout=10) as client:
        yield client


def test_events_arrive_live_in_order(live: str, http: httpx.Client) -> None:
    reader = EventReader(f"{live}/_emulator/events")
    try:
        assert reader.response.status_code == 200
        assert reader.response.headers["content-type"].startswith("text/event-stream")
        assert reader.response.headers["cache-control"] == "no-cache"

        answer = send(http, text_to(IN_WINDOW, "live")).json()
        kind, entry = reader.next()
        assert kind == "sent"
        assert entry["message_id"] == answer["message_id"]
        assert entry["message"] == {"text": "live"}
        kind, request = reader.next()
        assert kind == "request"
        assert (request["outcome"], request["status"]) == ("accepted", 200)
        assert isinstance(request["duration_ms"], float)
        assert request["order"] == entry["order"] + 1

        send(http, text_to(IN_7_DAYS, "too late"))
        kind, refused = reader.next()
        assert (kind, refused["outcome"], refused["rule"]) == (
            "request",
            "rejected",
            "outside_window",
        )
        assert refused["response"]["error"]["error_subcode"] == 2018278

        wrote = act(http, IN_WINDOW, {"text": "from the person"})
        kind, event = reader.next()
        assert kind == "inbound"
        assert event == wrote
        assert event["order"] > refused["order"]

        http.post("/_emulator/clock", json={"advance": "1h"}).raise_for_status()
        assert reader.next() == ("clock", {"now": "2026-01-05T10:00:00.000Z", "frozen": True})
        http.post("/_emulator/reset").raise_for_status()
        assert reader.next() == ("reset", {})
        http.put(
            "/_emulator/scenario",
            content=TEST_SCENARIO.read_text(),
            headers={"content-type": "application/yaml"},
        ).raise_for_status()
        assert reader.next() == ("reset", {})
        assert reader.events.empty()
        assert reader.comments == [": connected"]
    finally:
        reader.close()


def test_namespace_streams_carry_their_namespace_only_with_webhooks(
    live: str, http: httpx.Client
) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on: deliveries fail fast
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    scenario = TEST_SCENARIO.read_text() + (
        f"webhook:\n  url: http://127.0.0.1:{closed_port}/webhook\n  verify_token: v\n"
    )
    name = "ui-events"
    base = f"/_emulator/namespaces/{name}"
    made = http.put(base, content=scenario, headers={"content-type": "application/yaml"})
    assert made.status_code == 201, made.text
    reader = EventReader(f"{live}{base}/events")
    try:
        # the namespace has the default's tokens too (they route to it at the root)
        default = "/_emulator/namespaces/default/graph/v21.0/me/messages"
        assert send(http, text_to(IN_WINDOW, "to default"), path=default).status_code == 200
        answer = send(
            http, text_to(IN_WINDOW, "to ui-events"), path=f"{base}/graph/v21.0/me/messages"
        )
        kind, entry = reader.next()
        assert (kind, entry["message"]["text"]) == ("sent", "to ui-events")
        assert entry["message_id"] == answer.json()["message_id"]
        # the deliveries the send makes follow it, then the request that caused them
        kind, echo = reader.next()
        assert (kind, echo["field"], echo["status"], echo["attempts"]) == (
            "webhook",
            "message_echoes",
            "pending",
            [],
        )
        kind, delivery = reader.next()
        assert (kind, delivery["field"]) == ("webhook", "message_deliveries")
        assert reader.next()[0] == "request"
        kind, attempted = reader.next()  # the first attempt's outcome: refused, retried later
        assert (kind, attempted["id"], attempted["status"]) == ("webhook", echo["id"], "pending")
        assert attempted["attempts"][0]["status"] is None
        assert attempted["attempts"][0]["error"]
    finally:
        reader.close()
        http.delete(base)


def test_namespace_streams_go_on_when_replaced_and_end_when_deleted(
    live: str, http: httpx.Client
) -> None:
    base = "/_emulator/namespaces/ui-ending"
    yaml = {"content-type": "application/yaml"}
    made = http.put(base, content=TEST_SCENARIO.read_text(), headers=yaml)
    assert made.status_code == 201, made.text
    reader = EventReader(f"{live}{base}/events")
    try:
        # a new scenario: the same world, reset; the stream goes on
        assert http.put(base, content=TEST_SCENARIO.read_text(), headers=yaml).status_code == 200
        assert reader.next() == ("reset", {})
        http.put(f"{base}/scenario", content=TEST_SCENARIO.read_text(), headers=yaml)
        assert reader.next() == ("reset", {})
        http.post(f"{base}/clock", json={"advance": "1h"}).raise_for_status()
        assert reader.next()[0] == "clock"
        # deleted: a reset (the client reloads), then the stream ends
        assert http.delete(base).status_code == 200
        assert reader.next() == ("reset", {})
        assert reader.ended()
        assert http.get(f"{base}/events").status_code == 404
    finally:
        reader.close()
        http.delete(base)


def test_a_server_with_an_open_stream_stops_promptly_on_sigterm(tmp_path: Path) -> None:
    server = LiveServer(TEST_SCENARIO, tmp_path / "emulator.log")
    try:
        reader = EventReader(f"{server.url}/_emulator/events")
        with httpx.Client(base_url=server.url, timeout=10) as http:
            send(http, text_to(IN_WINDOW))
        assert reader.next()[0] == "sent"
        server.process.terminate()
        server.process.wait(timeout=10)  # without the streams ending, uvicorn waits for them
        assert reader.next()[0] == "request"
        assert reader.ended()
        reader.close()
    finally:
        server.stop()


def test_the_plugins_server_mode_stops_with_an_open_stream() -> None:
    """The pytest plugin's server runs in a thread (no signals): its stop ends the streams."""
    import threading

    from emulator.testing import start

    api = start(TEST_SCENARIO, "server")
    reader = EventReader(f"{api.url}/_emulator/events")
    api.clock.advance("1h")
    assert reader.next()[0] == "clock"
    closing = threading.Thread(target=api.close, daemon=True)
    closing.start()
    closing.join(30)  # a hang guard, not a timing check: uvicorn would wait for the stream
    assert not closing.is_alive()
    assert reader.ended()
    reader.close()


# --- the event hub, in-process --------------------------------------------------------------


def world() -> World:
    return World(load_file(TEST_SCENARIO))


def clock(number: int) -> dict[str, Any]:
    return {"now": f"2026-01-05T09:00:0{number}.000Z", "frozen": True}


def drain(subscriber: events.Subscriber) -> list[bytes]:
    frames = []
    while not subscriber.queue.empty():
        frames.append(subscriber.queue.get_nowait())
    return frames


def test_with_nobody_listening_an_event_costs_one_check(monkeypatch: pytest.MonkeyPatch) -> None:
    subject = world()
    hub = events.EventHub(subject)
    assert subject.listeners[0] == hub._on_event  # first: causes come before their effects

    def never(kind: str, data: Any) -> bytes:
        raise AssertionError("serialised with nobody listening")

    monkeypatch.setattr(events, "frame", never)
    subject.emit("send", {"message_id": "m_1"})


def test_a_slow_reader_overflows_alone_and_gets_overflow() -> None:
    async def scenario() -> None:
        subject = world()
        hub = events.EventHub(subject, limit=3)
        slow, quick = hub.subscribe(), hub.subscribe()
        for number in range(3):
            subject.emit("clock", clock(number))
        assert len(drain(quick)) == 3
        subject.emit("clock", clock(3))
        subject.emit("unknown-kind", {})  # not shown
        assert slow.ending == "overflow"
        assert quick.ending is None
        assert drain(quick) == [events.frame("clock", clock(3))]
        assert [data async for data in slow.frames()] == [b'event: overflow\ndata: {"limit":3}\n\n']

    asyncio.run(scenario())


def run_stream(hub: events.EventHub, until: Any, method: str = "GET") -> list[dict[str, Any]]:
    """Run the ASGI app of /events while `until(messages, disconnect)` runs, then until it
    ends; answers what it sent."""

    async def scenario() -> list[dict[str, Any]]:
        sent: list[dict[str, Any]] = []
        gone = asyncio.Event()
        first = True

        async def receive() -> dict[str, Any]:
            nonlocal first
            if first:
                first = False
                return {"type": "http.request", "body": b"", "more_body": False}
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send_(message: dict[str, Any]) -> None:
            sent.append(message)

        stream = asyncio.create_task(
            events.EventStream(hub)({"type": "http", "method": method}, receive, send_)
        )
        await asyncio.sleep(0.01)
        await until(sent, gone)
        await asyncio.wait_for(stream, 2)
        assert not hub.subscribers
        return sent

    return asyncio.run(scenario())


def bodies(messages: list[dict[str, Any]]) -> list[bytes]:
    return [m["body"] for m in messages if m["type"] == "http.response.body"]


def test_a_stream_writes_events_and_ends_when_the_client_goes() -> None:
    subject = world()
    hub = events.EventHub(subject)

    async def until(sent: list[dict[str, Any]], gone: asyncio.Event) -> None:
        assert len(hub.subscribers) == 1
        subject.emit("reset", {})
        await asyncio.to_thread(subject.emit, "clock", clock(1))  # from another thread
        await asyncio.sleep(0.05)
        gone.set()

    sent = run_stream(hub, until)
    assert sent[0]["status"] == 200
    assert dict(sent[0]["headers"])[b"content-type"] == b"text/event-stream; charset=utf-8"
    assert bodies(sent) == [
        events.CONNECTED,
        b"event: reset\ndata: {}\n\n",
        events.frame("clock", clock(1)),
        b"",
    ]
    assert sent[-1]["more_body"] is False


def test_a_stream_ends_at_shutdown_and_overflows() -> None:
    subject = world()
    hub = events.EventHub(subject, limit=2)

    async def shutdown(sent: list[dict[str, Any]], gone: asyncio.Event) -> None:
        await asyncio.to_thread(events.end_all_streams)

    assert bodies(run_stream(hub, shutdown)) == [events.CONNECTED, b""]

    async def flood(sent: list[dict[str, Any]], gone: asyncio.Event) -> None:
        for number in range(5):
            subject.emit("clock", clock(number))

    assert bodies(run_stream(hub, flood))[-2:] == [
        b'event: overflow\ndata: {"limit":2}\n\n',
        b"",
    ]


@pytest.mark.parametrize("thread", [False, True], ids=["same loop", "another thread"])
def test_a_discarded_world_ends_its_streams_after_a_reset(thread: bool) -> None:
    subject = world()
    hub = events.EventHub(subject)

    async def discard(sent: list[dict[str, Any]], gone: asyncio.Event) -> None:
        subject.emit("clock", clock(1))
        if thread:
            await asyncio.to_thread(subject.emit, "closed", {})
        else:
            subject.emit("closed", {})
        subject.emit("clock", clock(2))  # after the end: not written

    assert bodies(run_stream(hub, discard)) == [
        events.CONNECTED,
        events.frame("clock", clock(1)),
        b"event: reset\ndata: {}\n\n",
        b"",
    ]
    sent = run_stream(hub, discard)  # a new stream on it is refused
    assert sent[0]["status"] == 404
    assert b"namespace was deleted" in bodies(sent)[0]


def test_a_world_discarded_with_no_stream_open_opens_none() -> None:
    async def scenario() -> None:
        subject = world()
        hub = events.EventHub(subject)
        subject.emit("closed", {})
        with pytest.raises(ControlError) as refused:
            hub.subscribe()
        assert refused.value.status == 404

    asyncio.run(scenario())


def test_a_stream_pings_while_nothing_happens() -> None:
    hub = events.EventHub(world(), ping=0.01)

    async def wait(sent: list[dict[str, Any]], gone: asyncio.Event) -> None:
        await asyncio.sleep(0.05)
        gone.set()

    assert bodies(run_stream(hub, wait))[1] == events.PING


def test_head_answers_the_headers_only() -> None:
    async def nothing(sent: list[dict[str, Any]], gone: asyncio.Event) -> None:
        pass

    sent = run_stream(events.EventHub(world()), nothing, method="HEAD")
    assert sent[0]["status"] == 200
    assert bodies(sent) == [b""]


def test_too_many_streams_are_refused() -> None:
    async def scenario() -> None:
        hub = events.EventHub(world(), most=1)
        hub.subscribe()
        with pytest.raises(ControlError) as refused:
            hub.subscribe()
        assert refused.value.status == 503
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send_(message: dict[str, Any]) -> None:
            sent.append(message)

        await events.EventStream(hub)({"type": "http", "method": "GET"}, receive, send_)
        assert sent[0]["status"] == 503
        assert b"too many open event streams" in bodies(sent)[0]

    asyncio.run(scenario())


def test_frames_are_one_data_line_of_ascii_json() -> None:
    data = events.frame("request", {"text": "two\nlines ä", "at": Path("/x"), "n": [1.5]})
    assert data == (b'event: request\ndata: {"text":"two\\nlines \\u00e4","at":"/x","n":[1.5]}\n\n')
    looped: dict[str, Any] = {}
    looped["self"] = looped
    assert events.frame("request", looped) == b'event: request\ndata: {"unserializable":true}\n\n'
