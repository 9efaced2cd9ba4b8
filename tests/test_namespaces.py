"""Namespaces: several isolated emulators in one server, as parallel test workers share a
sidecar. Tokens route root Graph calls; each namespace has its own control API and Graph URL."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest
from conftest import (
    IN_WINDOW,
    NEVER_WROTE,
    PAGE,
    TEST_SCENARIO,
    assert_refused,
    graph_error,
    send,
    text_to,
)
from starlette.testclient import TestClient

SCENARIO_TEXT = TEST_SCENARIO.read_text()


def scenario_for(prefix: str) -> str:
    """The test scenario with every token made unique to one worker."""
    return SCENARIO_TEXT.replace('token: "', f'token: "{prefix}_')


def put(client: httpx.Client | TestClient, name: str, text: str) -> httpx.Response:
    return client.put(f"/_emulator/namespaces/{name}", content=text)


def test_token_routes_root_graph_calls_to_their_namespace(client: TestClient) -> None:
    made = put(client, "w1", scenario_for("W1"))
    assert made.status_code == 201, made.text
    assert made.json()["graph_url"] == "/_emulator/namespaces/w1/graph"
    assert made.json()["shared_tokens"] == []
    answer = send(client, text_to(IN_WINDOW, "to w1"), token="W1_PAGE_TOKEN")
    assert answer.status_code == 200, answer.text
    # the default namespace neither knows that token nor saw the send
    assert client.get("/_emulator/messages").json()["data"] == []
    sent = client.get("/_emulator/namespaces/w1/messages").json()["data"]
    assert [entry["message"]["text"] for entry in sent] == ["to w1"]
    assert client.get("/_emulator/namespaces/w1/requests").json()["data"][0]["status"] == 200
    assert client.get("/_emulator/requests").json()["data"] == []
    # a default-namespace token still reaches the default namespace
    assert send(client, text_to(IN_WINDOW, "to default")).status_code == 200
    assert len(client.get("/_emulator/messages").json()["data"]) == 1


def test_namespace_tokens_win_over_the_default_namespace(client: TestClient) -> None:
    """A worker may load the same scenario as the server's: its tokens are its own."""
    made = put(client, "w1", SCENARIO_TEXT)
    assert "PAGE_TOKEN" in made.json()["shadowed_tokens"]  # said when the namespace is made
    assert send(client, text_to(IN_WINDOW)).status_code == 200
    assert len(client.get("/_emulator/namespaces/w1/messages").json()["data"]) == 1
    assert client.get("/_emulator/messages").json()["data"] == []


def test_shared_tokens_route_nowhere_at_the_root_but_work_on_the_namespace_url(
    client: TestClient,
) -> None:
    put(client, "w1", SCENARIO_TEXT)
    second = put(client, "w2", SCENARIO_TEXT)
    assert "PAGE_TOKEN" in second.json()["shared_tokens"]
    refused = send(client, text_to(IN_WINDOW))
    error = assert_refused(client, refused, "ambiguous_namespace_token")
    assert "w1, w2" in error["message"]
    for name in ("w1", "w2"):
        answer = send(
            client,
            text_to(IN_WINDOW, name),
            path=f"/_emulator/namespaces/{name}/graph/v21.0/me/messages",
        )
        assert answer.status_code == 200, answer.text
        assert answer.headers["facebook-api-version"] == "v21.0"
        sent = client.get(f"/_emulator/namespaces/{name}/messages").json()["data"]
        assert [entry["message"]["text"] for entry in sent] == [name]
    # the namespace's Graph surface is all of Graph: errors in Graph's shape
    unknown = client.get("/_emulator/namespaces/w1/graph/v21.0/me/nonsense?access_token=PAGE_TOKEN")
    assert graph_error(unknown)["code"] == 2500
    # deleting one makes the token routable again
    assert client.delete("/_emulator/namespaces/w2").json() == {"deleted": "w2"}
    assert send(client, text_to(IN_WINDOW, "again")).status_code == 200
    assert len(client.get("/_emulator/namespaces/w1/messages").json()["data"]) == 2


def test_control_calls_are_scoped_to_their_namespace(client: TestClient) -> None:
    put(client, "w1", scenario_for("W1"))
    base = "/_emulator/namespaces/w1"
    moved = client.post(f"{base}/clock", json={"advance": "25h"}).json()["now"]
    assert moved == "2026-01-06T10:00:00.000Z"
    assert client.get("/_emulator/clock").json()["now"] == "2026-01-05T09:00:00.000Z"
    # the window closed in w1 only
    closed = send(client, text_to(IN_WINDOW), token="W1_PAGE_TOKEN")
    assert graph_error(closed)["code"] == 10
    assert send(client, text_to(IN_WINDOW)).status_code == 200
    # the person writes in w1: their window opens there only
    wrote = client.post(f"{base}/pages/{PAGE}/users/{NEVER_WROTE}/messages", json={"text": "hi"})
    assert wrote.status_code == 200, wrote.text
    assert send(client, text_to(NEVER_WROTE), token="W1_PAGE_TOKEN").status_code == 200
    assert graph_error(send(client, text_to(NEVER_WROTE)))["code"] == 10
    # resetting w1 leaves the default namespace's records alone
    assert client.post(f"{base}/reset").status_code == 200
    assert client.get(f"{base}/messages").json()["data"] == []
    assert len(client.get("/_emulator/messages").json()["data"]) == 1
    assert client.get(f"{base}/health").json()["namespace"] == "w1"
    assert client.get("/_emulator/health").json()["namespace"] == "default"


def test_a_scenario_put_inside_a_namespace_reroutes_its_tokens(client: TestClient) -> None:
    put(client, "w1", scenario_for("W1"))
    replaced = client.put("/_emulator/namespaces/w1/scenario", content=scenario_for("V2"))
    assert replaced.status_code == 200, replaced.text
    assert send(client, text_to(IN_WINDOW), token="V2_PAGE_TOKEN").status_code == 200
    assert graph_error(send(client, text_to(IN_WINDOW), token="W1_PAGE_TOKEN"))["code"] == 190
    # PUT on an existing namespace replaces its scenario and resets it
    again = put(client, "w1", scenario_for("W1"))
    assert again.status_code == 200
    assert client.get("/_emulator/namespaces/w1/messages").json()["data"] == []


def test_listing_and_describing_namespaces(client: TestClient) -> None:
    put(client, "w1", scenario_for("W1"))
    names = [item["name"] for item in client.get("/_emulator/namespaces").json()["data"]]
    assert names == ["default", "w1"]
    described = client.get("/_emulator/namespaces/w1").json()
    assert described["control_url"] == "/_emulator/namespaces/w1"
    assert described["pages"][0] == PAGE
    # the default namespace is reachable by name too, and PUT on it replaces its scenario
    assert client.get("/_emulator/namespaces/default/health").json()["namespace"] == "default"
    assert put(client, "default", SCENARIO_TEXT).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "says"),
    [
        ("PUT", "/_emulator/namespaces/bad%20name", SCENARIO_TEXT, 400, "namespace name"),
        ("PUT", "/_emulator/namespaces/" + "x" * 65, SCENARIO_TEXT, 400, "namespace name"),
        ("PUT", "/_emulator/namespaces/%2E", SCENARIO_TEXT, 400, "namespace name"),
        ("PUT", "/_emulator/namespaces/%2E%2E", SCENARIO_TEXT, 400, "namespace name"),
        ("PUT", "/_emulator/namespaces/.hidden", SCENARIO_TEXT, 400, "namespace name"),
        ("PUT", "/_emulator/namespaces/w9", "pages: [", 400, "invalid scenario"),
        ("PUT", "/_emulator/namespaces/w9", "version: 1\nbogus: 1\n", 400, "invalid scenario"),
        ("DELETE", "/_emulator/namespaces/nope", "", 404, "no namespace"),
        ("DELETE", "/_emulator/namespaces/default", "", 400, "default namespace"),
        ("GET", "/_emulator/namespaces/nope", "", 404, "no namespace"),
        ("GET", "/_emulator/namespaces/nope/messages", "", 404, "no namespace"),
        ("POST", "/_emulator/namespaces/nope/graph/v21.0/me/messages", "", 404, "no namespace"),
        ("GET", "/_emulator/namespaces/default/bogus", "", 404, "no control endpoint"),
    ],
)
def test_bad_namespace_calls_are_refused_and_change_nothing(
    client: TestClient, method: str, path: str, body: str, status: int, says: str
) -> None:
    answer = client.request(method, path, content=body)
    assert answer.status_code == status, answer.text
    assert says in answer.json()["error"]["message"]
    names = [item["name"] for item in client.get("/_emulator/namespaces").json()["data"]]
    assert names == ["default"]


def test_the_number_of_namespaces_is_bounded(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from emulator.rules import limits

    monkeypatch.setattr(limits, "MAX_NAMESPACES", 2)
    assert put(client, "a", scenario_for("A")).status_code == 201
    assert put(client, "b", scenario_for("B")).status_code == 201
    refused = put(client, "c", scenario_for("C"))
    assert refused.status_code == 409
    assert "too many namespaces" in refused.json()["error"]["message"]
    assert put(client, "a", scenario_for("A")).status_code == 200  # replacing is not adding


WORKERS = 4
ROUNDS = 15


def _worker(base: str, index: int, barrier: threading.Barrier, found: dict[int, Any]) -> None:
    """One test worker: its own namespace and tokens, sends, a person, the clock, a reset."""
    name = f"gw{index}"
    token = f"GW{index}_PAGE_TOKEN"
    with httpx.Client(base_url=base, timeout=30) as http:
        made = put(http, name, scenario_for(f"GW{index}"))
        assert made.status_code == 201, made.text
        control = f"/_emulator/namespaces/{name}"
        barrier.wait()  # every worker runs its rounds at the same time as the others
        for round_ in range(ROUNDS):
            answer = send(http, text_to(IN_WINDOW, f"{name}-{round_}"), token=token)
            assert answer.status_code == 200, answer.text
            http.post(f"{control}/pages/{PAGE}/users/{NEVER_WROTE}/messages", json={"text": name})
        # each worker moves its own clock by its own amount
        http.post(f"{control}/clock", json={"advance": f"{index + 1}h"})
        found[index] = {
            "texts": [e["message"]["text"] for e in http.get(f"{control}/messages").json()["data"]],
            "journal": [
                e["params"]["message"] for e in http.get(f"{control}/requests").json()["data"]
            ],
            "now": http.get(f"{control}/clock").json()["now"],
        }
        barrier.wait()
        if index % 2 == 0:  # half the workers reset; the others must keep everything
            http.post(f"{control}/reset")
        barrier.wait()
        found[index]["after_resets"] = len(http.get(f"{control}/messages").json()["data"])
        http.delete(f"/_emulator/namespaces/{name}")


def test_four_parallel_workers_share_one_server_without_leaking(live: str) -> None:
    barrier = threading.Barrier(WORKERS, timeout=60)
    found: dict[int, Any] = {}
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            _worker(live, index, barrier, found)
        except BaseException as exc:  # reported below, with the others' results
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    for index in range(WORKERS):
        name = f"gw{index}"
        assert found[index]["texts"] == [f"{name}-{r}" for r in range(ROUNDS)]
        assert [m["text"] for m in found[index]["journal"]] == [
            f"{name}-{r}" for r in range(ROUNDS)
        ]
        assert found[index]["now"] == f"2026-01-05T{9 + index + 1:02d}:00:00.000Z"
        assert found[index]["after_resets"] == (0 if index % 2 == 0 else ROUNDS)
    # the default namespace saw none of it, and the workers cleaned up after themselves
    assert httpx.get(f"{live}/_emulator/messages").json()["data"] == []
    listed = httpx.get(f"{live}/_emulator/namespaces").json()["data"]
    assert [item["name"] for item in listed] == ["default"]


def test_a_batch_entry_with_its_own_token_runs_in_that_tokens_namespace(client: TestClient) -> None:
    import json

    put(client, "w1", scenario_for("W1"))
    entries = [
        {"method": "POST", "relative_url": "v21.0/me/messages", "body": _form(IN_WINDOW, "own")},
        {
            "method": "POST",
            "relative_url": "v21.0/me/messages?access_token=W1_PAGE_TOKEN",
            "body": _form(IN_WINDOW, "w1"),
        },
    ]
    answer = client.post(
        "/v21.0/", data={"batch": json.dumps(entries), "access_token": "PAGE_TOKEN"}
    )
    assert [entry["code"] for entry in answer.json()] == [200, 200], answer.text
    texts = [e["message"]["text"] for e in client.get("/_emulator/messages").json()["data"]]
    assert texts == ["own"]
    in_w1 = client.get("/_emulator/namespaces/w1/messages").json()["data"]
    assert [e["message"]["text"] for e in in_w1] == ["w1"]
    assert client.get("/_emulator/namespaces/w1/requests").json()["data"][0]["in_batch"]


def _form(psid: str, text: str) -> str:
    from urllib.parse import urlencode

    return urlencode(
        {
            "recipient": f'{{"id":"{psid}"}}',
            "messaging_type": "RESPONSE",
            "message": f'{{"text":"{text}"}}',
        }
    )
