"""The Conversations API, read-only: what the emulator recorded, listed and read as Graph does.

GET /{page}/conversations (platform, user_id, fields in Graph's expansion syntax, cursor
paging), GET /{conversation-id}[/messages], GET /{message-id}; every refusal; and the real
facebook-sdk client following `paging.next` through the pytest plugin's interception.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import facebook
import pytest
from conftest import (
    IG_IN_WINDOW,
    IG_PAGE,
    IN_WINDOW,
    LONG_AGO,
    NEVER_WROTE,
    PAGE,
    TEST_SCENARIO,
    assert_refused,
    make_client,
    send,
    text_to,
)
from starlette.testclient import TestClient

from emulator import outcomes
from emulator.testing import intercept, start
from emulator.threads import thread_id

READER = "READER_TOKEN"  # pages_messaging, pages_read_engagement, pages_manage_metadata
TOKENS = """      - token: "READER_TOKEN"
        permissions: [pages_messaging, pages_read_engagement, pages_manage_metadata]
        tasks: [MODERATE]
      - token: "NO_METADATA_TOKEN"
        permissions: [pages_messaging, pages_read_engagement]
      - token: "NO_TASK_READER_TOKEN"
        permissions: [pages_messaging, pages_read_engagement, pages_manage_metadata]
        tasks: [ANALYZE]
      - token: "AGENT_TOKEN"
"""
IG_TOKENS = """      - token: "IG_READER_TOKEN"
        permissions: [instagram_basic, instagram_manage_messages, pages_manage_metadata]
      - token: "IG_NO_BASIC_TOKEN"
        permissions: [instagram_manage_messages, pages_manage_metadata]
      - token: "IG_AGENT_TOKEN"
"""
SCENARIO = (
    TEST_SCENARIO.read_text()
    .replace('      - token: "AGENT_TOKEN"\n', TOKENS, 1)
    .replace('      - token: "IG_AGENT_TOKEN"\n', IG_TOKENS, 1)
)
ADA, GRACE = IN_WINDOW, "2000000000000002"


def get(client: TestClient, path: str, token: str | None = READER, **params: Any) -> Any:
    if token is not None:
        params["access_token"] = token
    return client.get(f"/v21.0/{path}", params=params)


@pytest.fixture
def talk() -> Iterator[tuple[TestClient, dict[str, str]]]:
    """Ada writes, the page answers twice; Alan (never wrote) writes once. Returns the mids."""
    with make_client(SCENARIO) as client:
        mids = {}
        inbox = f"/_emulator/pages/{PAGE}/users"
        mids["ada_hi"] = client.post(f"{inbox}/{ADA}/messages", json={"text": "hi"}).json()["mid"]
        mids["page_1"] = send(client, text_to(ADA, "hello")).json()["message_id"]
        mids["page_2"] = send(client, text_to(ADA, "how can I help?")).json()["message_id"]
        client.post("/_emulator/clock", json={"advance": "1m"}).raise_for_status()
        mids["alan"] = client.post(f"{inbox}/{NEVER_WROTE}/messages", json={"text": "yo"}).json()[
            "mid"
        ]
        yield client, mids


def test_lists_threads_newest_first_with_default_fields(talk: Any) -> None:
    client, _ = talk
    answer = get(client, "me/conversations")
    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    assert all(set(item) == {"id", "updated_time"} for item in data)
    # Alan wrote last; then Ada's thread; then the people the scenario says wrote before
    ids = [item["id"] for item in data]
    assert ids[:2] == [thread_id(PAGE, NEVER_WROTE), thread_id(PAGE, ADA)]
    assert thread_id(PAGE, GRACE) in ids
    assert thread_id(PAGE, LONG_AGO) in ids
    assert data[0]["updated_time"] == "2026-01-05T09:01:00+0000"  # Graph's datetime form
    times = [item["updated_time"] for item in data]
    assert times == sorted(times, reverse=True)


def test_conversation_ids_look_like_graphs_and_are_stable() -> None:
    first = thread_id(PAGE, ADA)
    assert first.startswith("t_")
    assert first[2:].isdigit()
    assert len(first) == 18
    assert thread_id(PAGE, ADA) == first != thread_id(PAGE, GRACE)


def test_expanded_fields_as_inbox_tools_ask_for_them(talk: Any) -> None:
    client, _mids = talk
    fields = "participants,messages.limit(2){message,from,created_time},updated_time"
    answer = get(client, "me/conversations", user_id=ADA, fields=fields).json()
    (thread,) = answer["data"]
    ada = {"name": "Ada Lovelace", "email": f"{ADA}@facebook.com", "id": ADA}
    page = {"name": "Acme Shoes", "email": f"{PAGE}@facebook.com", "id": PAGE}
    assert thread["participants"] == {"data": [ada, page]}
    messages = thread["messages"]
    assert [m["message"] for m in messages["data"]] == ["how can I help?", "hello"]
    assert [m["from"] for m in messages["data"]] == [page, page]
    assert set(messages["data"][0]) == {"message", "from", "created_time", "id"}
    assert messages["paging"]["next"].startswith(  # the host the request reached
        f"http://testserver/v21.0/{thread['id']}/messages?access_token={READER}"
        "&fields=message%2Cfrom%2Ccreated_time&limit=2&after="
    )
    assert list(thread) == ["participants", "messages", "updated_time", "id"]


# field -> what Ada's thread answers
CONVERSATION_FIELDS = [
    ("message_count", 3),
    ("snippet", "how can I help?"),
    ("can_reply", True),
    ("senders", {"data": [{"id": ADA}, {"id": PAGE}]}),
    ("participants{id}", {"data": [{"id": ADA}, {"id": PAGE}]}),
]


@pytest.mark.parametrize(("field", "value"), CONVERSATION_FIELDS)
def test_each_conversation_field(talk: Any, field: str, value: Any) -> None:
    client, _ = talk
    (thread,) = get(client, "me/conversations", user_id=ADA, fields=field).json()["data"]
    got = thread[field.split("{")[0]]
    if field == "senders":
        got = {"data": [{"id": entry["id"]} for entry in got["data"]]}
    assert got == value


def test_a_conversation_and_its_messages_and_a_message(talk: Any) -> None:
    client, mids = talk
    conversation = thread_id(PAGE, ADA)
    assert get(client, conversation).json() == {
        "id": conversation,
        "updated_time": "2026-01-05T09:00:00+0000",
    }
    listed = get(client, f"{conversation}/messages", fields="message,from,to").json()
    assert [m["id"] for m in listed["data"]] == [mids["page_2"], mids["page_1"], mids["ada_hi"]]
    assert listed["data"][2]["to"] == {
        "data": [{"name": "Acme Shoes", "email": f"{PAGE}@facebook.com", "id": PAGE}]
    }
    plain = get(client, f"{conversation}/messages").json()["data"][0]
    assert plain == {"id": mids["page_2"], "created_time": "2026-01-05T09:00:00+0000"}
    one = get(client, mids["ada_hi"], fields="message,from{id},created_time").json()
    assert one == {
        "message": "hi",
        "from": {"id": ADA},
        "created_time": "2026-01-05T09:00:00+0000",
        "id": mids["ada_hi"],
    }


FILTERS = [  # query -> the psids whose threads are listed (None: every thread)
    ({"user_id": ADA}, [ADA]),
    ({"user_id": "2999999999999999"}, []),
    ({"platform": "messenger"}, None),
    ({"platform": "MESSENGER"}, None),
    ({"platform": "instagram"}, []),  # a Messenger page has no Instagram threads
]


@pytest.mark.parametrize(("query", "psids"), FILTERS)
def test_filters(talk: Any, query: dict[str, str], psids: list[str] | None) -> None:
    client, _ = talk
    ids = [item["id"] for item in get(client, "me/conversations", **query).json()["data"]]
    if psids is None:
        assert len(ids) >= 4
    else:
        assert ids == [thread_id(PAGE, psid) for psid in psids]


def test_an_instagram_account_lists_its_threads_with_usernames() -> None:
    with make_client(SCENARIO) as client:
        path = f"/_emulator/pages/{IG_PAGE}/users/{IG_IN_WINDOW}/messages"
        client.post(path, json={"text": "hey"}).raise_for_status()
        answer = get(
            client,
            f"{IG_PAGE}/conversations",
            token="IG_READER_TOKEN",
            platform="instagram",
            fields="participants,messages{message}",
        ).json()
        first = answer["data"][0]
        assert first["participants"]["data"][0] == {"username": IG_IN_WINDOW, "id": IG_IN_WINDOW}
        assert first["messages"]["data"][0]["message"] == "hey"
        messenger = get(client, f"{IG_PAGE}/conversations", token="IG_READER_TOKEN").json()
        assert messenger == {"data": []}  # platform defaults to messenger


def test_paging_by_cursors(talk: Any) -> None:
    client, _ = talk
    everything = [i["id"] for i in get(client, "me/conversations", limit=100).json()["data"]]
    first = get(client, "me/conversations", limit=2).json()
    assert [i["id"] for i in first["data"]] == everything[:2]
    assert "previous" not in first["paging"]
    assert "limit=2" in first["paging"]["next"]
    assert "access_token=READER_TOKEN" in first["paging"]["next"]
    after = first["paging"]["cursors"]["after"]
    second = get(client, "me/conversations", limit=2, after=after).json()
    assert [i["id"] for i in second["data"]] == everything[2:4]
    back = get(client, "me/conversations", limit=2, before=second["paging"]["cursors"]["before"])
    assert [i["id"] for i in back.json()["data"]] == everything[:2]
    assert get(client, "me/conversations", after="not-a-cursor").json() == {"data": []}


def test_a_real_client_follows_next_through_interception(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(SCENARIO)
    with start(scenario) as send_api, intercept(send_api):
        for index in range(3):
            send_api.person(ADA).says(f"message {index}")
        graph = facebook.GraphAPI(access_token=READER, version="3.1")
        threads = list(graph.get_all_connections(PAGE, "conversations", limit=2))
        assert len(threads) >= 4
        conversation = graph.get_object(thread_id(PAGE, ADA), fields="message_count")
        assert conversation["message_count"] == 3
        texts = [
            m["message"]
            for m in graph.get_all_connections(
                thread_id(PAGE, ADA), "messages", fields="message", limit=1
            )
        ]
        assert texts == ["message 2", "message 1", "message 0"]


# (name, path, params, token, the rule that refuses it)
REFUSALS = [
    ("syntax: empty name", "me/conversations", {"fields": "id,,participants"}, READER,
     "fields_syntax"),
    ("syntax: unclosed (", "me/conversations", {"fields": "messages.limit(1"}, READER,
     "fields_expected"),
    ("syntax: unclosed {", "me/conversations", {"fields": "messages{message"}, READER,
     "fields_expected"),
    ("syntax: stray }", "me/conversations", {"fields": "id}"}, READER, "fields_unexpected"),
    ("syntax: space", "me/conversations", {"fields": "id updated_time"}, READER,
     "fields_unexpected"),
    ("modifier: not limit", "me/conversations", {"fields": "messages.since(1)"}, READER,
     "fields_modifier"),
    ("modifier: not a number", "me/conversations", {"fields": "messages.limit(x)"}, READER,
     "fields_modifier"),
    ("too deep", "me/conversations", {"fields": "messages{from{id{x}}}"}, READER,
     "fields_too_complex"),
    ("too long", "me/conversations", {"fields": "id," * 2000}, READER, "fields_too_complex"),
    ("too many names", "me/conversations", {"fields": ",".join(["id"] * 101)}, READER,
     "fields_too_complex"),
    ("unknown conversation field", "me/conversations", {"fields": "subject"}, READER,
     "nonexisting_field"),
    ("unknown message field", "me/conversations", {"fields": "messages{sticker}"}, READER,
     "nonexisting_field"),
    ("unknown participant field", "me/conversations", {"fields": "participants{age}"}, READER,
     "nonexisting_field"),
    ("unknown attachment field", "me/conversations",
     {"fields": "messages{attachments{width}}"}, READER, "nonexisting_field"),
    ("braces on a scalar", "me/conversations", {"fields": "snippet{id}"}, READER,
     "nonexisting_field"),
    ("unknown conversation edge", f"{thread_id(PAGE, ADA)}/tags", {}, READER,
     "nonexisting_field"),
    ("bad platform", "me/conversations", {"platform": "whatsapp"}, READER,
     "conversations_platform"),
    ("no pages_messaging", "me/conversations", {}, "NO_PERMISSION_TOKEN",
     "permission_pages_messaging"),
    ("no pages_read_engagement", "me/conversations", {}, "PAGE_TOKEN",
     "permission_pages_read_engagement"),
    ("no pages_manage_metadata", "me/conversations", {}, "NO_METADATA_TOKEN",
     "permission_conversations"),
    ("no instagram_basic", f"{IG_PAGE}/conversations", {"platform": "instagram"},
     "IG_NO_BASIC_TOKEN", "permission_conversations"),
    ("no MESSAGE or MODERATE task", "me/conversations", {}, "NO_TASK_READER_TOKEN",
     "task_message"),
    ("reading a thread needs them too", thread_id(PAGE, ADA), {}, "PAGE_TOKEN",
     "permission_pages_read_engagement"),
    ("unknown conversation", "t_1000000000000000", {}, READER, "unsupported_request"),
    ("unknown message", "m_nope", {}, READER, "unsupported_request"),
    ("another page's conversation", thread_id("120000000000001", "2100000000000001"), {},
     READER, "unsupported_request"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "params", "token", "rule"),
    [case[1:] for case in REFUSALS],
    ids=[case[0] for case in REFUSALS],
)
def test_refusals(talk: Any, path: str, params: dict[str, str], token: str, rule: str) -> None:
    client, _ = talk
    assert_refused(client, get(client, path, token, **params), rule)


def test_syntax_errors_point_at_the_character(talk: Any) -> None:
    client, _ = talk
    error = get(client, "me/conversations", fields="messages.limit(1").json()["error"]
    assert error["message"] == (
        'Syntax error "Expected ")", got end of string" at character 16: messages.limit(1'
    )
    error = get(client, "me/conversations", fields="id,,x").json()["error"]
    assert error["message"] == 'Syntax error "Expected name." at character 3: id,,x'


WRITES = [  # the Conversations API is read-only
    ("POST", "me/conversations", "method_not_supported"),
    ("DELETE", "me/conversations", "method_not_supported"),
    ("POST", thread_id(PAGE, ADA), "unsupported_request"),
    ("DELETE", "MESSAGE", "unsupported_request"),
]


@pytest.mark.parametrize(("method", "path", "rule"), WRITES)
def test_it_is_read_only(talk: Any, method: str, path: str, rule: str) -> None:
    client, mids = talk
    path = mids["ada_hi"] if path == "MESSAGE" else path
    answer = client.request(method, f"/v21.0/{path}", params={"access_token": READER})
    assert_refused(client, answer, rule)


ODD_FIELDS = ["{", "}", ".", "a.", "a.(", "a.limit", "a.limit()", "a{}", ",", " ", "é",
              "a{b,}", "messages.limit(99999999999999999999)", "(" * 50, "{" * 50, "a" * 5000,
              "\x00"]  # fmt: skip


@pytest.mark.parametrize("fields", ODD_FIELDS)
def test_odd_fields_are_refused_never_a_crash(talk: Any, fields: str) -> None:
    client, _ = talk
    answer = get(client, "me/conversations", fields=fields)
    assert answer.status_code in (200, 400), answer.text
    assert "error" in answer.json() or "data" in answer.json()


def test_the_log_says_what_was_read() -> None:
    assert outcomes.worded({}, None, None, {"did": (outcomes.CONVERSATIONS, "message read")}) == (
        "message read"
    )


def test_history_is_what_was_recorded_and_a_reset_clears_it(talk: Any) -> None:
    client, _ = talk
    client.post("/_emulator/reset").raise_for_status()
    assert get(client, f"{thread_id(PAGE, ADA)}", fields="message_count").json() == {
        "message_count": 0,
        "id": thread_id(PAGE, ADA),
    }
    assert get(client, f"{thread_id(PAGE, NEVER_WROTE)}").status_code == 400  # no thread now


def test_the_ledger_lists_the_new_rules_and_limits(client: TestClient) -> None:
    ledger = client.get("/_emulator/rules").json()
    assert ledger["limits"]["fields_depth_max"] == 3
    assert ledger["limits"]["referral_ref_max"] == 250
    rules = {rule["rule"]: rule["confidence"] for rule in ledger["data"]}
    assert rules["fields_expected"] == "O"
    assert rules["permission_pages_read_engagement"] == "I"


def test_attachments_of_both_sides(talk: Any) -> None:
    client, _ = talk
    photo = "https://example.com/pics/shoe%201.png"
    person = client.post(
        f"/_emulator/pages/{PAGE}/users/{ADA}/messages",
        json={"attachment": {"type": "image", "url": photo}},
    ).json()["mid"]
    sent = send(
        client,
        {
            "recipient": {"id": ADA},
            "messaging_type": "RESPONSE",
            "message": {"attachment": {"type": "file", "payload": {"url": "https://e.com/a.pdf"}}},
        },
    ).json()["message_id"]
    mine = get(client, person, fields="message,attachments").json()
    (shown,) = mine["attachments"]["data"]
    assert shown["image_data"] == {"url": photo, "preview_url": photo}
    assert (shown["mime_type"], shown["name"], mine["message"]) == ("image/png", "shoe 1.png", "")
    assert shown["id"].isdigit()
    page_file = get(client, sent, fields="attachments{file_url,mime_type}").json()
    assert page_file["attachments"] == {
        "data": [{"mime_type": "application/pdf", "file_url": "https://e.com/a.pdf"}]
    }
    listed = get(client, f"{thread_id(PAGE, ADA)}/messages", fields="attachments").json()
    shown_by_mid = {m["id"]: m.get("attachments") for m in listed["data"]}
    assert shown_by_mid[sent] == get(client, sent, fields="attachments").json()["attachments"]
    assert shown_by_mid[person] == mine["attachments"]
    assert [mid for mid, shown in shown_by_mid.items() if shown is None] == [
        m["id"] for m in listed["data"][2:]
    ]  # text messages have no attachments field


def test_referrals_and_conversations_survive_the_state_file(tmp_path: Path) -> None:
    from emulator.persist import StateStore, restore, scenario_hash, snapshot

    path = tmp_path / "state.sqlite"
    with make_client(SCENARIO) as before:
        arrived = before.post(
            f"/_emulator/pages/{PAGE}/users/{LONG_AGO}/messages",
            json={"referral": {"ref": "summer"}},
        )
        assert arrived.status_code == 200, arrived.text
        send(before, text_to(LONG_AGO, "welcome back")).raise_for_status()  # the link opened it
        expected = get(before, "me/conversations", fields="messages{message}").json()
        world = before.app.state.world  # type: ignore[attr-defined]
        store = StateStore(path)
        store.save("default", scenario_hash(world.scenario), snapshot(world))
        store.close()
    with make_client(SCENARIO) as after:
        store = StateStore(path)
        saved = store.load("default")
        store.close()
        assert saved is not None
        assert restore(after.app.state.world, saved)  # type: ignore[attr-defined]
        assert get(after, "me/conversations", fields="messages{message}").json() == expected
        inbox = after.get(f"/_emulator/conversations/{PAGE}/{LONG_AGO}").json()["data"]
        assert [
            item["event"]["referral"]["ref"] for item in inbox if item["kind"] == "inbound"
        ] == ["summer"]
