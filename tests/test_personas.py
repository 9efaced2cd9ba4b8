"""The Personas API: create, list (Graph's cursor paging), read, delete; sends as a persona,
refused for a persona the page does not have; the scenario's personas; reset and --state."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import (
    BLOCKED,
    IN_WINDOW,
    NEVER_WROTE,
    PAGE,
    TEST_SCENARIO,
    assert_refused,
    make_client,
    send,
    text_to,
)
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.persist.snapshot import restore, snapshot
from emulator.scenario.load import load_text
from emulator.state import World
from emulator.wire.paging import cursor, cursor_key

TOKEN = {"access_token": "PAGE_TOKEN"}
PERSONAS = "/v21.0/me/personas"
PICTURE = "https://cdn.example.com/ann.png"
DECLARED = "900000000000001"  # the scenario's persona with an id of its own

SCENARIO_WITH_PERSONAS = TEST_SCENARIO.read_text().replace(
    '    products: ["5000000000000001", "5000000000000002"]\n',
    '    products: ["5000000000000001", "5000000000000002"]\n'
    "    personas:\n"
    f'      - {{id: "{DECLARED}", name: "Agent Ann", profile_picture_url: "{PICTURE}"}}\n'
    '      - {name: "Bob", profile_picture_url: "https://cdn.example.com/bob.png"}\n',
    1,
)


@pytest.fixture
def declared() -> Iterator[TestClient]:
    assert TEST_SCENARIO.read_text() != SCENARIO_WITH_PERSONAS
    with TestClient(create_app(load_text(SCENARIO_WITH_PERSONAS, "personas"))) as client:
        yield client


def create(client: TestClient, name: str = "Ann", **extra: Any) -> httpx.Response:
    return client.post(
        PERSONAS, params=TOKEN, json={"name": name, "profile_picture_url": PICTURE, **extra}
    )


def world_of(client: TestClient) -> World:
    world: World = client.app.state.world  # type: ignore[attr-defined]
    return world


# --- the happy path -------------------------------------------------------------------


def test_create_read_list_delete(client: TestClient) -> None:
    made = create(client)
    assert made.status_code == 200, made.text
    persona_id = made.json()["id"]
    assert list(made.json()) == ["id"]
    assert persona_id.isdigit()
    one = client.get(f"/v21.0/{persona_id}", params=TOKEN)
    assert one.json() == {"name": "Ann", "profile_picture_url": PICTURE, "id": persona_id}
    listed = client.get(PERSONAS, params=TOKEN).json()
    assert listed["data"] == [one.json()]
    assert set(listed["paging"]["cursors"]) == {"before", "after"}
    assert "next" not in listed["paging"]
    # the form body and the page's own id serve as well
    form = client.post(
        f"/v21.0/{PAGE}/personas",
        data={**TOKEN, "name": "Bo", "profile_picture_url": "http://cdn.example.com/b.png"},
    )
    assert form.status_code == 200, form.text
    gone = client.delete(f"/v21.0/{persona_id}", params=TOKEN)
    assert gone.json() == {"success": True}
    assert [p["name"] for p in client.get(PERSONAS, params=TOKEN).json()["data"]] == ["Bo"]
    assert client.get("/_emulator/pages/110000000000001/personas").json()["personas"] == [
        {
            "name": "Bo",
            "profile_picture_url": "http://cdn.example.com/b.png",
            "id": form.json()["id"],
        }
    ]
    words = [entry["response"] for entry in client.get("/_emulator/requests").json()["data"]]
    assert words[0] == {"id": persona_id}


def test_fields_select_what_a_persona_read_answers(client: TestClient) -> None:
    persona_id = create(client).json()["id"]
    only = client.get(f"/v21.0/{persona_id}", params={**TOKEN, "fields": "name"})
    assert only.json() == {"name": "Ann", "id": persona_id}


def test_an_empty_list_has_no_paging(client: TestClient) -> None:
    assert client.get(PERSONAS, params=TOKEN).json() == {"data": []}


def test_a_send_as_a_persona_shows_who_spoke(client: TestClient) -> None:
    persona_id = create(client).json()["id"]
    sent = send(client, text_to(IN_WINDOW, persona_id=persona_id))
    assert sent.status_code == 200, sent.text
    typing = send(
        client,
        {"recipient": {"id": IN_WINDOW}, "sender_action": "typing_on", "persona_id": persona_id},
    )
    assert typing.status_code == 200, typing.text
    messages = client.get("/_emulator/messages").json()["data"]
    assert [m["persona"]["name"] for m in messages] == ["Ann", "Ann"]
    assert messages[0]["persona_id"] == persona_id
    journal = client.get("/_emulator/requests").json()["data"]
    assert journal[-1]["persona"] == "Ann"
    # what was said stays said as whom: deleting the persona later changes no record
    client.delete(f"/v21.0/{persona_id}", params=TOKEN)
    assert client.get("/_emulator/messages").json()["data"][0]["persona"]["name"] == "Ann"


def test_a_plain_send_carries_no_persona(client: TestClient) -> None:
    assert send(client, text_to(IN_WINDOW)).status_code == 200
    entry = client.get("/_emulator/messages").json()["data"][0]
    assert entry["persona_id"] is None
    assert "persona" not in entry


# --- paging ----------------------------------------------------------------------------


def test_cursor_paging_forwards_and_back(client: TestClient) -> None:
    ids = [create(client, f"P{i}").json()["id"] for i in range(5)]
    first = client.get(PERSONAS, params={**TOKEN, "limit": 2}).json()
    assert [p["id"] for p in first["data"]] == ids[:2]
    assert first["paging"]["cursors"] == {"before": cursor(ids[0]), "after": cursor(ids[1])}
    assert "previous" not in first["paging"]
    second = client.get(first["paging"]["next"]).json()  # Graph's next URL, followed as is
    assert [p["id"] for p in second["data"]] == ids[2:4]
    last = client.get(second["paging"]["next"]).json()
    assert [p["id"] for p in last["data"]] == ids[4:]
    assert "next" not in last["paging"]
    back = client.get(PERSONAS, params={**TOKEN, "limit": 2, "before": cursor(ids[4])}).json()
    assert [p["id"] for p in back["data"]] == ids[2:4]
    assert client.get(back["paging"]["previous"]).json()["data"] == first["data"]


@pytest.mark.parametrize(
    ("params", "count"),
    [
        ({"limit": "3"}, 3),
        ({"limit": 0}, 5),  # not a page size: the default (25)
        ({"limit": "many"}, 5),
        ({"limit": "1000"}, 5),
        ({"after": "not-a-cursor"}, 0),
        ({"before": cursor("123")}, 0),  # names no persona (a deleted one)
    ],
)
def test_paging_parameters(client: TestClient, params: dict[str, Any], count: int) -> None:
    for i in range(5):
        create(client, f"P{i}")
    answer = client.get(PERSONAS, params={**TOKEN, **params})
    assert answer.status_code == 200
    assert len(answer.json()["data"]) == count


def test_cursors_are_opaque_and_graph_like() -> None:
    made = cursor("116834566000002")
    assert made.startswith("QVFI")
    assert "=" not in made
    assert cursor_key(made) == "116834566000002"
    assert cursor_key("QVFI") is None or cursor_key("QVFI") == ""
    assert cursor_key(12) is None
    assert cursor_key("%%%") is None


def test_a_real_graph_client_pages_through_personas(live: str) -> None:
    """facebook-sdk's GraphAPI: put_object, get_all_connections (following `paging.next`),
    get_object and delete_object, as a bot's admin script would use them."""
    facebook = pytest.importorskip("facebook")
    original = facebook.FACEBOOK_GRAPH_URL
    facebook.FACEBOOK_GRAPH_URL = f"{live}/"
    try:
        graph = facebook.GraphAPI("PAGE_TOKEN", version="3.1")
        made = [
            graph.put_object("me", "personas", name=f"Agent {i}", profile_picture_url=PICTURE)
            for i in range(4)
        ]
        listed = list(graph.get_all_connections("me", "personas", limit=3))
        assert [p["id"] for p in listed] == [m["id"] for m in made]
        assert graph.get_object(made[0]["id"])["name"] == "Agent 0"
        assert graph.delete_object(made[0]["id"]) == {"success": True}
        with pytest.raises(facebook.GraphAPIError) as refused:
            graph.put_object("me", "personas", name="x" * 51, profile_picture_url=PICTURE)
        assert refused.value.code == 100
    finally:
        facebook.FACEBOOK_GRAPH_URL = original


# --- refusals --------------------------------------------------------------------------


def _persona(**fields: Any) -> dict[str, Any]:
    return {"name": "Ann", "profile_picture_url": PICTURE, **fields}


REFUSED_CREATES = [
    ("name missing", {"profile_picture_url": PICTURE}, "persona_param_required"),
    ("name empty", _persona(name=""), "persona_param_required"),
    ("name not a string", _persona(name={"a": 1}), "field_not_string"),
    ("name 51 characters", _persona(name="x" * 51), "persona_name_too_long"),
    ("picture missing", {"name": "Ann"}, "persona_param_required"),
    ("picture not a URL", _persona(profile_picture_url="ann.png"), "persona_picture_url"),
    ("picture ftp", _persona(profile_picture_url="ftp://x.example/a.png"), "persona_picture_url"),
]


@pytest.mark.parametrize(
    ("body", "rule"), [c[1:] for c in REFUSED_CREATES], ids=[c[0] for c in REFUSED_CREATES]
)
def test_create_refusals(client: TestClient, body: dict[str, Any], rule: str) -> None:
    assert_refused(client, client.post(PERSONAS, params=TOKEN, json=body), rule)
    assert world_of(client).pages[PAGE].personas == {}


def test_the_name_limit_is_50_characters_of_any_kind(client: TestClient) -> None:
    assert create(client, "é" * 50).status_code == 200
    assert create(client, "😀" * 50).status_code == 200


def test_a_token_without_pages_messaging_is_refused(client: TestClient) -> None:
    bare = {"access_token": "NO_PERMISSION_TOKEN"}
    body = {"name": "Ann", "profile_picture_url": PICTURE}
    assert_refused(
        client, client.post(PERSONAS, params=bare, json=body), "permission_pages_messaging"
    )
    assert_refused(client, client.get(PERSONAS, params=bare), "permission_pages_messaging")


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_other_methods_on_the_edge(client: TestClient, method: str) -> None:
    error = assert_refused(
        client, client.request(method, PERSONAS, params=TOKEN), "method_not_supported"
    )
    assert error["message"] == f"Unsupported {method.lower()} request."


@pytest.mark.parametrize("method", ["GET", "DELETE", "POST"])
def test_an_unknown_or_deleted_persona_is_an_object_graph_cannot_load(
    client: TestClient, method: str
) -> None:
    persona_id = create(client).json()["id"]
    client.delete(f"/v21.0/{persona_id}", params=TOKEN)
    for node in (persona_id, "987654321012345"):
        answer = client.request(method, f"/v21.0/{node}", params=TOKEN)
        error = assert_refused(client, answer, "unsupported_request")
        assert f"Unsupported {method.lower()} request. Object with ID '{node}'" in error["message"]


def test_a_persona_supports_get_and_delete_only(client: TestClient) -> None:
    persona_id = create(client).json()["id"]
    answer = client.post(f"/v21.0/{persona_id}", params=TOKEN, json={"name": "Z"})
    assert_refused(client, answer, "unsupported_request")
    assert_refused(client, client.get(f"/v21.0/{persona_id}/photos", params=TOKEN), "unknown_path")


def test_another_pages_token_cannot_see_a_persona(client: TestClient) -> None:
    persona_id = create(client).json()["id"]
    other = client.get(f"/v21.0/{persona_id}", params={"access_token": "OTHER_TOKEN"})
    assert_refused(client, other, "unsupported_request")
    sent = send(client, text_to("2100000000000001", persona_id=persona_id), token="OTHER_TOKEN")
    assert_refused(client, sent, "persona_unknown")


def test_a_send_with_a_persona_the_page_does_not_have(client: TestClient) -> None:
    error = assert_refused(
        client, send(client, text_to(IN_WINDOW, persona_id="123456789012345")), "persona_unknown"
    )
    assert error["message"] == "(#100) Invalid persona_id."
    action = {"recipient": {"id": IN_WINDOW}, "sender_action": "typing_on", "persona_id": "1"}
    assert_refused(client, send(client, action), "persona_unknown")
    assert client.get("/_emulator/messages").json()["data"] == []


def test_the_persona_is_checked_after_the_recipient_and_before_the_window(
    client: TestClient,
) -> None:
    unknown = "123456789012345"
    assert_refused(
        client, send(client, text_to("2999999999999999", persona_id=unknown)), "no_matching_user"
    )
    assert_refused(
        client, send(client, text_to(NEVER_WROTE, persona_id=unknown)), "persona_unknown"
    )
    assert_refused(client, send(client, text_to(BLOCKED, persona_id=unknown)), "persona_unknown")
    # a malformed id is a parameter error, before any of it
    malformed = send(client, text_to("2999999999999999", persona_id="abc"))
    assert_refused(client, malformed, "persona_id_invalid")


# --- the scenario, reset, --state -----------------------------------------------------


def test_the_scenario_declares_personas(declared: TestClient) -> None:
    listed = declared.get(PERSONAS, params=TOKEN).json()["data"]
    assert next((p["name"], p["id"]) for p in listed) == ("Agent Ann", DECLARED)
    bob = listed[1]["id"]
    assert bob.isdigit()
    assert len(bob) == 15
    assert send(declared, text_to(IN_WINDOW, persona_id=bob)).status_code == 200
    # the made-up id is the same at every load
    with TestClient(create_app(load_text(SCENARIO_WITH_PERSONAS, "again"))) as again:
        assert again.get(PERSONAS, params=TOKEN).json()["data"][1]["id"] == bob


def test_reset_restores_the_scenarios_personas(declared: TestClient) -> None:
    create(declared, "Temp")
    declared.delete(f"/v21.0/{DECLARED}", params=TOKEN)
    assert [p["name"] for p in declared.get(PERSONAS, params=TOKEN).json()["data"]] == [
        "Bob",
        "Temp",
    ]
    declared.post("/_emulator/reset")
    names = [p["name"] for p in declared.get(PERSONAS, params=TOKEN).json()["data"]]
    assert names == ["Agent Ann", "Bob"]


@pytest.mark.parametrize(
    ("persona", "problem"),
    [
        ('{name: "", profile_picture_url: "https://x.example/a.png"}', "name"),
        ('{name: "' + "x" * 51 + '", profile_picture_url: "https://x.example/a.png"}', "name"),
        ('{name: "Ann", profile_picture_url: "not a url"}', "profile_picture_url"),
        ('{name: "Ann"}', "profile_picture_url"),
        ('{id: "abc", name: "Ann", profile_picture_url: "https://x.example/a.png"}', "id"),
    ],
)
def test_scenario_personas_are_validated(persona: str, problem: str) -> None:
    from emulator.scenario.load import ScenarioError

    products = '    products: ["5000000000000001", "5000000000000002"]\n'
    text = TEST_SCENARIO.read_text().replace(
        products, f"{products}    personas:\n      - {persona}\n"
    )
    with pytest.raises(ScenarioError) as error:
        load_text(text, "bad")
    assert f"pages[0].personas[0].{problem}" in str(error.value)


def test_two_personas_with_one_id_are_refused() -> None:
    from emulator.scenario.load import ScenarioError

    twice = f'      - {{id: "{DECLARED}", name: "Again", profile_picture_url: "{PICTURE}"}}\n'
    with pytest.raises(ScenarioError, match="duplicate"):
        load_text(SCENARIO_WITH_PERSONAS.replace("    personas:\n", "    personas:\n" + twice), "x")


def test_personas_survive_the_state_file(declared: TestClient) -> None:
    made = create(declared, "Carol").json()["id"]
    declared.delete(f"/v21.0/{DECLARED}", params=TOKEN)
    send(declared, text_to(IN_WINDOW, persona_id=made))
    saved = snapshot(world_of(declared))
    expected = declared.get(PERSONAS, params=TOKEN).json()
    with TestClient(create_app(load_text(SCENARIO_WITH_PERSONAS, "personas"))) as after:
        assert restore(world_of(after), saved)
        assert after.get(PERSONAS, params=TOKEN).json() == expected
        assert after.get("/_emulator/messages").json()["data"][0]["persona"]["name"] == "Carol"
        assert send(after, text_to(IN_WINDOW, persona_id=made)).status_code == 200
        newer = create(after, "Dan").json()["id"]
        assert newer != made  # ids go on from where they were


def test_a_state_file_from_before_personas_keeps_the_scenarios(declared: TestClient) -> None:
    saved = snapshot(world_of(declared))
    for page in saved["pages"].values():
        del page["personas"], page["subscribed_fields"]
    with TestClient(create_app(load_text(SCENARIO_WITH_PERSONAS, "personas"))) as after:
        assert restore(world_of(after), saved)
        assert len(after.get(PERSONAS, params=TOKEN).json()["data"]) == 2


def test_a_damaged_persona_in_the_state_file_changes_nothing(declared: TestClient) -> None:
    from emulator.persist.store import StateError

    saved = snapshot(world_of(declared))
    saved["pages"][PAGE]["personas"] = [{"name": 1, "id": "1"}]
    with TestClient(create_app(load_text(SCENARIO_WITH_PERSONAS, "personas"))) as after:
        with pytest.raises(StateError, match="personas"):
            restore(world_of(after), saved)
        assert len(after.get(PERSONAS, params=TOKEN).json()["data"]) == 2


def test_the_helper_lists_personas(tmp_path: Path) -> None:
    from emulator.testing import start

    with start(SCENARIO_WITH_PERSONAS) as api:
        assert [p["name"] for p in api.personas()] == ["Agent Ann", "Bob"]


def test_the_log_line_names_the_persona() -> None:
    from emulator import outcomes

    call = {"persona": "Ann"}
    assert outcomes.worded({"message_id": "m_1"}, None, None, call) == "sent m_1 as Ann"
    created = {"did": (outcomes.PERSONA, "created", "1")}
    assert outcomes.worded({"id": "1"}, None, None, created) == "persona created 1"


def test_bad_input_never_breaks_the_edge() -> None:
    with make_client() as client:
        for body in ([1, 2], "text", {"name": None}, {"name": ["a"], "profile_picture_url": 5}):
            answer = client.post(PERSONAS, params=TOKEN, json=body)
            assert answer.status_code == 400, answer.text
            assert "error" in answer.json()
