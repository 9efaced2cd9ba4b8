"""Graph batch requests: each entry answered as if sent alone, in Graph's batch format."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from conftest import IN_7_DAYS, IN_WINDOW, assert_refused, graph_error
from starlette.testclient import TestClient


def form_body(psid: str, text: str = "hi", **extra: str) -> str:
    recipient = json.dumps({"id": psid})
    message = json.dumps({"text": text})
    pairs = {"recipient": recipient, "messaging_type": "RESPONSE", "message": message, **extra}
    return str(httpx.QueryParams(pairs))


def batch(client: TestClient | httpx.Client, entries: list[dict[str, Any]], **kw: Any) -> Any:
    data = {"batch": json.dumps(entries), "access_token": "PAGE_TOKEN", **kw}
    return client.post("/v21.0/", data=data)


def test_each_entry_is_answered_as_if_sent_alone(client: TestClient) -> None:
    entries = [
        {"method": "POST", "relative_url": "me/messages", "body": form_body(IN_WINDOW, "one")},
        {"method": "POST", "relative_url": "me/messages", "body": form_body(IN_7_DAYS)},
        {
            "method": "POST",
            "relative_url": "v21.0/me/messages",
            "body": form_body(IN_WINDOW, "x" * 2001),
        },
        {"method": "GET", "relative_url": "me/messages"},
    ]
    response = batch(client, entries)
    assert response.status_code == 200, response.text
    answers = response.json()
    assert [a["code"] for a in answers] == [200, 400, 400, 400]
    assert answers[0]["headers"] == [
        {"name": "Content-Type", "value": "text/javascript; charset=UTF-8"}
    ]
    first = json.loads(answers[0]["body"])
    assert first["recipient_id"] == IN_WINDOW
    assert json.loads(answers[1]["body"])["error"]["error_subcode"] == 2018278
    assert json.loads(answers[2]["body"])["error"]["message"].startswith("(#100) Length of param")
    sent = client.get("/_emulator/messages").json()["data"]
    assert [m["message"]["text"] for m in sent] == ["one"]
    assert sent[0]["message_id"] == first["message_id"]
    journal = client.get("/_emulator/requests").json()["data"]
    assert [e["in_batch"] for e in journal] == [True, True, True, True, False]


def test_entry_token_wins_over_the_batch_token(client: TestClient) -> None:
    entries = [
        {
            "method": "POST",
            "relative_url": "me/messages?access_token=NO_PERMISSION_TOKEN",
            "body": form_body(IN_WINDOW),
        }
    ]
    answer = batch(client, entries).json()[0]
    assert json.loads(answer["body"])["error"]["code"] == 230


def test_json_body_and_object_entry_bodies(client: TestClient) -> None:
    entry_body = {
        "recipient": {"id": IN_WINDOW},
        "messaging_type": "RESPONSE",
        "message": {"text": "hi"},
    }
    payload = {"batch": [{"method": "POST", "relative_url": "me/messages", "body": entry_body}]}
    response = client.post("/v21.0/", params={"access_token": "PAGE_TOKEN"}, json=payload)
    assert response.json()[0]["code"] == 200, response.text


@pytest.mark.parametrize(
    ("batch_value", "rule"),
    [
        ("not json", "batch_invalid"),
        ("[]", "batch_invalid"),
        ('[{"method": "POST"}]', "batch_invalid"),
        ('["me/messages"]', "batch_invalid"),
        (json.dumps([{"method": "GET", "relative_url": "me"}] * 51), "batch_too_large"),
    ],
    ids=["not JSON", "empty", "no relative_url", "entry not an object", "51 entries"],
)
def test_invalid_batches(client: TestClient, batch_value: str, rule: str) -> None:
    response = client.post("/v21.0/", data={"batch": batch_value, "access_token": "PAGE_TOKEN"})
    error = assert_refused(client, response, rule)
    assert error["type"] == "GraphBatchException"


def test_fifty_entries_are_fine(client: TestClient) -> None:
    entries = [{"method": "GET", "relative_url": "me"}] * 50
    answers = batch(client, entries).json()
    assert len(answers) == 50
    assert json.loads(answers[0]["body"]) == {"name": "Acme Shoes", "id": "110000000000001"}


def test_batch_over_real_http(live: str) -> None:
    with httpx.Client(base_url=live) as http:
        entries = [{"method": "POST", "relative_url": "me/messages", "body": form_body(IN_WINDOW)}]
        answers = batch(http, entries).json()
        assert answers[0]["code"] == 200
        assert len(http.get("/_emulator/messages").json()["data"]) == 1


def test_root_without_batch_is_not_routed(client: TestClient) -> None:
    response = client.post("/v21.0/", data={"access_token": "PAGE_TOKEN"})
    assert graph_error(response)["message"] == "Unsupported post request."


def test_a_broken_entry_fails_alone(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    messages = sys.modules["emulator.edges.messages"]
    real = messages.parse_send

    def flaky(values: Any, **kw: Any) -> Any:
        if values.get("message", {}).get("text") == "boom":
            raise RuntimeError("a bug")
        return real(values, **kw)

    monkeypatch.setattr(messages, "parse_send", flaky)
    entries = [
        {"method": "POST", "relative_url": "me/messages", "body": form_body(IN_WINDOW, "ok")},
        {"method": "POST", "relative_url": "me/messages", "body": form_body(IN_WINDOW, "boom")},
    ]
    answers = batch(client, entries).json()
    assert [a["code"] for a in answers] == [200, 500]
    assert json.loads(answers[1]["body"])["error"]["code"] == 1


def test_no_batch_inside_a_batch(client: TestClient) -> None:
    inner = json.dumps([{"method": "GET", "relative_url": "me"}])
    entries = [{"method": "POST", "relative_url": "/", "body": f"batch={inner}"}]
    answer = batch(client, entries).json()[0]
    assert json.loads(answer["body"])["error"]["type"] == "GraphBatchException"


def test_entry_versions_are_their_own(client: TestClient) -> None:
    from samples import sample

    product = {
        "recipient": json.dumps({"id": IN_WINDOW}),
        "messaging_type": "RESPONSE",
        "message": json.dumps(sample("product")),
    }
    entries = [
        {
            "method": "POST",
            "relative_url": "v25.0/me/messages",
            "body": str(httpx.QueryParams(product)),
        },
        {"method": "POST", "relative_url": "me/messages", "body": str(httpx.QueryParams(product))},
    ]
    response = client.post(
        "/v7.0/", data={"batch": json.dumps(entries), "access_token": "PAGE_TOKEN"}
    )
    assert [a["code"] for a in response.json()] == [200, 400]  # the batch's v7.0 is too old


def test_a_batch_carries_no_more_parameters_than_one_request(client: TestClient) -> None:
    """50 entries of 5000 parameters each would be read 50 times over: refused, as one request
    with too many parameters is, and nothing is sent."""
    filler = "&".join(f"p{index}=1" for index in range(110))
    entries = [
        {
            "method": "POST",
            "relative_url": "me/messages",
            "body": form_body(IN_WINDOW) + "&" + filler,
        }
        for _ in range(50)
    ]
    response = batch(client, entries)
    error = assert_refused(client, response, "too_many_params")
    assert error["message"] == "(#100) Too many parameters: at most 5000 are accepted"
    assert client.get("/_emulator/messages").json()["data"] == []
