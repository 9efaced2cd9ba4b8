"""The control API: inspect, reset, clock, the person's side, scenario swap. Rejected calls
change nothing and say why, in JSON."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import IN_7_DAYS, IN_WINDOW, PAGE, TEST_SCENARIO, send, text_to
from starlette.testclient import TestClient

NAN = float("nan")


def state(client: TestClient) -> dict[str, Any]:
    """Everything a rejected call must leave alone (people and windows: through the world)."""
    world = client.app.state.world  # type: ignore[attr-defined]
    return {
        "clock": client.get("/_emulator/clock").json(),
        "messages": client.get("/_emulator/messages").json(),
        "journal": client.get("/_emulator/requests").json(),
        "scenario": client.get("/_emulator/scenario").json(),
        "people": {
            page_id: {psid: (p.last_message, p.blocked) for psid, p in page.people.items()}
            for page_id, page in world.pages.items()
        },
        "tokens": sorted(world.grants),
    }


def test_health(client: TestClient) -> None:
    body = client.get("/_emulator/health").json()
    assert body["status"] == "ok"
    assert body["scenario"] == "test"
    assert PAGE in body["pages"]


def test_messages_filters(client: TestClient) -> None:
    send(client, text_to(IN_WINDOW))
    send(client, {"recipient": {"id": IN_WINDOW}, "sender_action": "typing_on"})
    send(client, text_to("2100000000000001"), token="OTHER_TOKEN")
    everything = client.get("/_emulator/messages").json()["data"]
    assert [m["seq"] for m in everything] == [1, 2, 3]
    assert everything[1]["sender_action"] == "typing_on"
    assert everything[1]["message_id"] is None
    mine = client.get("/_emulator/messages", params={"page_id": PAGE}).json()["data"]
    assert len(mine) == 2
    other = client.get("/_emulator/messages", params={"recipient_id": "2100000000000001"})
    assert [m["page_id"] for m in other.json()["data"]] == ["120000000000001"]


def test_messages_timestamp_is_on_the_emulated_clock(client: TestClient) -> None:
    client.post("/_emulator/clock", json={"advance": "30m"})
    send(client, text_to(IN_WINDOW))
    assert client.get("/_emulator/messages").json()["data"][0]["timestamp"] == (
        "2026-01-05T09:30:00.000Z"
    )


def test_journal_records_everything_with_the_token_masked(client: TestClient) -> None:
    send(client, text_to(IN_WINDOW))
    send(client, text_to(IN_7_DAYS))
    journal = client.get("/_emulator/requests").json()["data"]
    assert [(e["status"], e["outcome"]) for e in journal] == [(200, "accepted"), (400, "rejected")]
    rejected = journal[1]
    assert (rejected["rule"], rejected["json_path"]) == ("outside_window", "messaging_type")
    assert rejected["response"]["error"]["error_subcode"] == 2018278
    assert rejected["params"]["access_token"] == "PAGE…"
    assert "PAGE_TOKEN" not in client.get("/_emulator/requests").text
    only = client.get("/_emulator/requests", params={"outcome": "rejected"}).json()["data"]
    assert len(only) == 1


def test_reset_restores_messages_journal_clock_and_windows(client: TestClient) -> None:
    initial = client.get("/_emulator/clock").json()
    client.post(f"/_emulator/pages/{PAGE}/users/{IN_7_DAYS}/messages", json={"text": "hi"})
    send(client, text_to(IN_7_DAYS))
    client.post("/_emulator/clock", json={"advance": "3h"})
    assert client.post("/_emulator/reset").status_code == 200
    assert client.get("/_emulator/clock").json() == initial
    assert client.get("/_emulator/messages").json()["data"] == []
    assert client.get("/_emulator/requests").json()["data"] == []
    assert send(client, text_to(IN_7_DAYS)).status_code == 400  # window closed again


def test_clock_set_and_advance(client: TestClient) -> None:
    assert client.get("/_emulator/clock").json() == {
        "now": "2026-01-05T09:00:00.000Z",
        "frozen": True,
    }
    assert client.post("/_emulator/clock", json={"advance": "1d2h"}).json()["now"] == (
        "2026-01-06T11:00:00.000Z"
    )
    moved = client.post("/_emulator/clock", json={"set": "2026-02-01T12:00:00+01:00"})
    assert moved.json()["now"] == "2026-02-01T11:00:00.000Z"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/_emulator/clock", {"advance": "soon"}),
        ("POST", "/_emulator/clock", {"advance": "-1h"}),
        ("POST", "/_emulator/clock", {"set": "yesterday"}),
        ("POST", "/_emulator/clock", {"advance": "1h", "set": "2026-01-01T00:00:00Z"}),
        ("POST", "/_emulator/clock", {"advance": 3600}),
        ("POST", "/_emulator/clock", [1]),
        ("POST", "/_emulator/clock", {"set": "9999-12-31T23:59:59Z"}),
        ("POST", "/_emulator/clock", {"advance": "99999999999999d"}),
        ("POST", "/_emulator/clock", {"advance": "36501d"}),
        ("POST", "/_emulator/clock", {"advance": NAN}),
        (
            "PUT",
            "/_emulator/scenario",
            {
                "version": 1,
                "pages": [{"id": "2", "tokens": [{"token": "T", "expires": "-99999999999d"}]}],
            },
        ),
        ("GET", "/_emulator/messages/", None),
        ("POST", f"/_emulator/pages/{PAGE}/users/{IN_7_DAYS}/messages", {"text": ""}),
        ("POST", f"/_emulator/pages/{PAGE}/users/{IN_7_DAYS}/messages", {"txt": "hi"}),
        ("POST", f"/_emulator/pages/{PAGE}/users/not-a-psid/messages", {"text": "hi"}),
        ("POST", "/_emulator/pages/999/users/1/messages", {"text": "hi"}),
        ("PUT", "/_emulator/scenario", {"version": 1, "pages": []}),
        ("PUT", "/_emulator/scenario", {"version": 1, "pages": [{"id": "x"}]}),
        ("GET", "/_emulator/requests?outcome=maybe", None),
        ("GET", "/_emulator/nope", None),
        ("DELETE", "/_emulator/messages", None),
    ],
    ids=[
        "advance not a duration",
        "advance backwards",
        "set not a time",
        "advance and set",
        "advance a number",
        "body not an object",
        "clock set past the supported range",
        "advance overflowing",
        "advance more than 100 years",
        "advance NaN",
        "scenario with an overflowing relative time",
        "trailing slash",
        "person writes empty text",
        "person writes unknown key",
        "psid not numeric",
        "unknown page",
        "scenario without pages",
        "scenario with a bad page id",
        "bad journal filter",
        "unknown endpoint",
        "wrong method",
    ],
)
def test_rejected_control_calls_change_nothing(
    client: TestClient, method: str, path: str, body: Any
) -> None:
    send(client, text_to(IN_WINDOW))  # something in the journal and outbox to keep
    before = state(client)
    if isinstance(body, dict) and body.get("advance") is NAN:
        response = client.request(method, path, content=b'{"advance": NaN}')
    else:
        response = client.request(method, path, json=body)
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"]["message"]
    assert state(client) == before


def test_malformed_control_json_is_refused(client: TestClient) -> None:
    response = client.post(
        "/_emulator/clock", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400


def test_invalid_scenario_put_lists_the_problems(client: TestClient) -> None:
    response = client.put(
        "/_emulator/scenario",
        content=b"version: 1\npages:\n  - id: x\n",
        headers={"content-type": "application/yaml"},
    )
    problems = response.json()["error"]["problems"]
    assert problems == ["request body: pages[0].id (line 3): must be a numeric id string, got 'x'"]


def test_scenario_put_replaces_and_resets(client: TestClient) -> None:
    send(client, text_to(IN_WINDOW))
    new = "version: 1\nname: tiny\npages:\n  - id: '5'\n    tokens: [{token: TINY}]\n"
    response = client.put("/_emulator/scenario", content=new.encode())
    assert response.status_code == 200
    assert response.json()["name"] == "tiny"
    assert client.get("/_emulator/messages").json()["data"] == []
    assert send(client, text_to(IN_WINDOW)).json()["error"]["code"] == 190  # old token gone
    assert client.get("/_emulator/health").json()["pages"] == ["5"]


def test_scenario_get_round_trips_through_put(client: TestClient) -> None:
    original = client.get("/_emulator/scenario").json()
    assert client.put("/_emulator/scenario", json=original).status_code == 200
    assert client.get("/_emulator/scenario").json() == original


def test_scenario_put_accepts_the_test_file(client: TestClient) -> None:
    response = client.put("/_emulator/scenario", content=TEST_SCENARIO.read_bytes())
    assert response.status_code == 200


def test_webhooks_endpoint_exists(client: TestClient) -> None:
    assert client.get("/_emulator/webhooks").json()["data"] == []


def test_rules_ledger_lists_every_catalog_entry(client: TestClient) -> None:
    from emulator.wire import catalog

    ledger = client.get("/_emulator/rules").json()
    rules = ledger["data"]
    assert {r["rule"] for r in rules} == set(catalog.BY_KEY)
    assert all(r["source"] and r["confidence"] in ("D", "O", "I") for r in rules)
    fields = {row["field"]: row for row in ledger["fields"]}
    total = fields["name_placeholder[summary][total_cost]"]
    assert (total["required"], total["kind"], total["in"]) == (True, "num", "template receipt")
    assert fields["name_placeholder[elements][n][title]"]["errors"]
    assert all(error in catalog.BY_KEY for row in ledger["fields"] for error in row["errors"])


def test_clock_set_without_offset_means_utc(client: TestClient) -> None:
    answer = client.post("/_emulator/clock", json={"set": "2026-01-05T12:00:00"}).json()
    assert answer["now"] == "2026-01-05T12:00:00.000Z"


@pytest.mark.parametrize(
    "target", ["*", "http://example.test/v21.0/me/messages"], ids=["asterisk", "absolute form"]
)
def test_odd_request_targets_get_graph_answers(live: str, target: str) -> None:
    """Request targets no route matches are Graph's to answer, not the control API's."""
    import socket
    from urllib.parse import urlsplit

    address = urlsplit(live)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(f"OPTIONS {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"application/json" in head
    assert b'"fbtrace_id"' in body
    assert b"control endpoint" not in body


def test_the_person_taps_what_the_page_sent(client: TestClient) -> None:
    quick = {"content_type": "text", "title": "Shoes", "payload": "SHOES"}
    button = {"type": "postback", "title": "Call me", "payload": "CALL"}
    template = {"template_type": "button", "text": "Hi", "buttons": [button]}
    send(
        client,
        text_to(IN_WINDOW, message={"attachment": {"type": "template", "payload": template}}),
    )
    send(client, text_to(IN_WINDOW, message={"text": "Pick", "quick_replies": [quick]}))
    person = f"/_emulator/pages/{PAGE}/users/{IN_WINDOW}/messages"
    tap = client.post(person, json={"quick_reply": "Shoes"}).json()
    assert (tap["kind"], tap["text"], tap["quick_reply"]) == ("message", "Shoes", "SHOES")
    postback = client.post(person, json={"postback": "CALL"}).json()
    assert (postback["kind"], postback["title"]) == ("postback", "Call me")
    react = client.post(person, json={"reaction": {"mid": "m_1", "reaction": "love"}}).json()
    assert (react["kind"], react["action"], react["mid"]) == ("reaction", "react", "m_1")
    read = client.post(person, json={"read": True}).json()
    assert (read["kind"], read["mid"]) == ("read", None)
    picture = {"attachment": {"type": "image", "url": "https://x.test/p.png"}}
    shared = client.post(person, json=picture).json()
    assert shared["attachments"] == [{"type": "image", "payload": {"url": "https://x.test/p.png"}}]


@pytest.mark.parametrize(
    "body",
    [
        {"quick_reply": "NOPE"},
        {"postback": "NOPE"},
        {"text": "a", "read": True},
        {"attachment": {"type": "sticker", "url": "https://x.test/s.png"}},
        {"reaction": {"mid": "m_1", "reaction": "meh"}},
        {"read": "yes"},
    ],
    ids=[
        "unknown quick reply",
        "unknown postback",
        "two actions",
        "bad attachment",
        "bad reaction",
        "bad read",
    ],
)
def test_impossible_person_actions_change_nothing(client: TestClient, body: dict[str, Any]) -> None:
    before = state(client)
    response = client.post(f"/_emulator/pages/{PAGE}/users/{IN_7_DAYS}/messages", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["message"]
    assert state(client) == before


# --- quick replies and postback buttons, as Messenger shows them ------------------------------

PERSON = f"/_emulator/pages/{PAGE}/users/{IN_WINDOW}/messages"
CHIPS = [
    {"content_type": "text", "title": "Yes", "payload": "YES"},
    {"content_type": "text", "title": "Sure", "payload": "YES"},  # another title, same payload
    {"content_type": "text", "title": "No", "payload": "NO"},
]
BUTTONS = [
    {"type": "postback", "title": "Help", "payload": "HELP"},
    {"type": "postback", "title": "Help", "payload": "HELP_AGENT"},  # same title
]
GONE = "those quick replies are gone: the person has already answered"


def page_asks(client: TestClient, chips: list[dict[str, Any]] = CHIPS) -> None:
    sent = send(client, text_to(IN_WINDOW, message={"text": "Sure?", "quick_replies": chips}))
    assert sent.status_code == 200, sent.text


def page_offers_buttons(client: TestClient) -> None:
    template = {"template_type": "button", "text": "Need a hand?", "buttons": BUTTONS}
    message = {"attachment": {"type": "template", "payload": template}}
    assert send(client, text_to(IN_WINDOW, message=message)).status_code == 200


def person_does(client: TestClient, body: dict[str, Any], psid: str = IN_WINDOW) -> Any:
    return client.post(f"/_emulator/pages/{PAGE}/users/{psid}/messages", json=body)


@pytest.mark.parametrize(
    ("between", "tappable"),
    [
        ([], True),
        ([{"reaction": {"mid": "m_1", "reaction": "like"}}], True),  # no answer
        ([{"unreact": {"mid": "m_1"}}], True),
        ([{"read": True}], True),
        ([{"text": "hmm"}], False),  # a message of theirs replaces them
        ([{"attachment": {"type": "image", "url": "https://x.test/a.png"}}], False),
        ([{"quick_reply": "Yes"}], False),  # tapped once: gone
        ([{"postback": "HELP"}], False),  # tapping a button answers too
    ],
    ids=["nothing", "reaction", "unreact", "read", "text", "attachment", "tapped", "postback"],
)
def test_quick_replies_are_gone_once_the_person_answers(
    client: TestClient, between: list[dict[str, Any]], tappable: bool
) -> None:
    page_offers_buttons(client)
    page_asks(client)
    for body in between:
        assert person_does(client, body).status_code == 200
    tap = person_does(client, {"quick_reply": "No"})
    if tappable:
        assert tap.status_code == 200, tap.text
        assert (tap.json()["text"], tap.json()["quick_reply"]) == ("No", "NO")
    else:
        assert tap.status_code == 400
        assert tap.json()["error"]["message"] == GONE
    # postback buttons stay tappable, whatever happened since
    assert person_does(client, {"postback": "HELP"}).status_code == 200


@pytest.mark.parametrize(
    ("after", "wanted", "status"),
    [
        ("another person writes", "No", 200),  # theirs is another conversation
        ("the page types", "No", 200),  # a sender action is no message
        ("the page writes", "No", 400),  # only the latest message's quick replies
        ("the page asks again", "Maybe", 200),  # the new ones, after an answer
        ("the page asks again", "No", 400),  # ...not the old ones
    ],
)
def test_quick_replies_belong_to_the_pages_latest_message(
    client: TestClient, after: str, wanted: str, status: int
) -> None:
    page_asks(client)
    if after == "another person writes":
        assert person_does(client, {"text": "me too"}, psid=IN_7_DAYS).status_code == 200
    elif after == "the page types":
        typing = {"recipient": {"id": IN_WINDOW}, "sender_action": "typing_on"}
        assert send(client, typing).status_code == 200
    elif after == "the page writes":
        assert send(client, text_to(IN_WINDOW, "one more thing")).status_code == 200
    else:
        assert person_does(client, {"text": "not sure"}).status_code == 200
        page_asks(client, [{"content_type": "text", "title": "Maybe", "payload": "MAYBE"}])
    tap = person_does(client, {"quick_reply": wanted})
    assert tap.status_code == status, tap.text


@pytest.mark.parametrize(
    ("action", "named", "chosen"),
    [
        ("quick_reply", "YES", ("Yes", "YES")),  # by payload: the first match
        ("quick_reply", "Sure", ("Sure", "YES")),  # by title
        ("quick_reply", {"payload": "YES", "title": "Sure"}, ("Sure", "YES")),  # exactly
        ("postback", "Help", ("Help", "HELP")),  # the first match
        ("postback", {"payload": "HELP_AGENT", "title": "Help"}, ("Help", "HELP_AGENT")),
    ],
    ids=["qr-payload", "qr-title", "qr-object", "button-title", "button-object"],
)
def test_a_chip_or_button_is_named_by_payload_title_or_both(
    client: TestClient, action: str, named: Any, chosen: tuple[str, str]
) -> None:
    page_offers_buttons(client)
    page_asks(client)
    tap = person_does(client, {action: named})
    assert tap.status_code == 200, tap.text
    event = tap.json()
    if action == "quick_reply":
        assert (event["kind"], event["text"], event["quick_reply"]) == ("message", *chosen)
    else:
        assert (event["kind"], event["title"], event["payload"]) == ("postback", *chosen)


@pytest.mark.parametrize(
    ("action", "named", "message"),
    [
        ("quick_reply", {"payload": "NO", "title": "Yes"}, "no quick reply 'Yes' with payload"),
        ("quick_reply", {"payload": "YES"}, 'or {"payload": "...", "title": "..."}'),
        ("quick_reply", {"payload": "YES", "title": "Yes", "x": 1}, '{"payload": "..."'),
        ("quick_reply", {"payload": 1, "title": "Yes"}, '{"payload": "..."'),
        ("quick_reply", "", "give its payload or title"),
        ("quick_reply", ["YES"], "give its payload or title"),
        ("postback", {"payload": "HELP", "title": "Nope"}, "no postback button 'Nope'"),
        ("postback", {"title": "Help"}, '{"payload": "...", "title": "..."}'),
    ],
)
def test_a_chip_or_button_named_wrongly_is_refused(
    client: TestClient, action: str, named: Any, message: str
) -> None:
    page_offers_buttons(client)
    page_asks(client)
    before = state(client)
    tap = person_does(client, {action: named})
    assert tap.status_code == 400
    assert message in tap.json()["error"]["message"]
    assert state(client) == before
