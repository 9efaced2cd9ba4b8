"""Real client code against the running server: the PyPI `fbmessenger` package, and `requests`
sending the body shapes other SDKs and the documentation's curl examples use."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import requests
from conftest import IN_WINDOW, LONG_AGO, TEST_SCENARIO, text_to
from fbmessenger import MessengerClient

TOKEN = {"access_token": "PAGE_TOKEN"}
SEND = "/v21.0/me/messages"
SECRET = "test-app-secret"
OUTSIDE_WINDOW_PREFIX = "(#10) This message is sent outside of allowed window."

MakeClient = Callable[..., MessengerClient]


@pytest.fixture
def messenger(live: str) -> Iterator[MakeClient]:
    """Build fbmessenger clients pointed at the live emulator; their sessions are closed after."""
    made: list[MessengerClient] = []

    def make(token: str = "PAGE_TOKEN", **kwargs: Any) -> MessengerClient:
        client = MessengerClient(token, **kwargs)
        client.graph_url = f"{live}/v{client.api_version}"
        made.append(client)
        return client

    yield make
    for client in made:
        client.session.close()


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture
def proof_required(live: str) -> Iterator[None]:
    """Swap the live server's scenario for one requiring appsecret_proof; restore it after."""
    original = TEST_SCENARIO.read_text()
    strict = original.replace(
        f'  secret: "{SECRET}"\n', f'  secret: "{SECRET}"\n  require_appsecret_proof: true\n'
    )
    assert strict != original
    headers = {"content-type": "application/yaml"}
    httpx.put(f"{live}/_emulator/scenario", content=strict, headers=headers).raise_for_status()
    try:
        yield
    finally:
        restored = httpx.put(f"{live}/_emulator/scenario", content=original, headers=headers)
        restored.raise_for_status()
        assert "require_appsecret_proof" not in restored.json().get("app", {})


def outbox(live: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = httpx.get(f"{live}/_emulator/messages").json()["data"]
    return data


# --- fbmessenger ---------------------------------------------------------------------------


def test_fbmessenger_send_returns_recipient_and_message_id(
    messenger: MakeClient, live: str
) -> None:
    answer = messenger().send({"text": "hi"}, IN_WINDOW, "RESPONSE")
    assert set(answer) == {"recipient_id", "message_id"}
    assert answer["recipient_id"] == IN_WINDOW
    assert answer["message_id"].startswith("m_")
    [entry] = outbox(live)
    assert entry["message_id"] == answer["message_id"]
    assert entry["notification_type"] == "REGULAR"
    assert entry["api_version"] == "v2.12"  # fbmessenger's default API version


def test_fbmessenger_send_action_returns_recipient_only(messenger: MakeClient) -> None:
    assert messenger().send_action("typing_on", IN_WINDOW) == {"recipient_id": IN_WINDOW}


def test_fbmessenger_send_outside_window_returns_graph_error(messenger: MakeClient) -> None:
    error = messenger(api_version="25.0").send({"text": "hi"}, LONG_AGO, "RESPONSE")["error"]
    assert error["code"] == 10
    assert error["error_subcode"] == 2018278
    assert error["type"] == "OAuthException"
    assert error["message"].startswith(OUTSIDE_WINDOW_PREFIX)
    assert isinstance(error["fbtrace_id"], str)


def test_fbmessenger_appsecret_proof_is_accepted(messenger: MakeClient) -> None:
    client = messenger(app_secret=SECRET)
    assert "appsecret_proof" in client.auth_args
    assert "message_id" in client.send({"text": "hi"}, IN_WINDOW, "RESPONSE")


@pytest.mark.usefixtures("proof_required")
@pytest.mark.parametrize(
    ("secret", "expected"),
    [
        pytest.param(SECRET, None, id="right-secret"),
        pytest.param("wrong-secret", "Invalid appsecret_proof provided in the API argument",
                     id="wrong-secret"),
        pytest.param(None, "API calls from the server require an appsecret_proof argument",
                     id="no-secret"),
    ],
)  # fmt: skip
def test_fbmessenger_against_a_page_requiring_the_proof(
    messenger: MakeClient, live: str, secret: str | None, expected: str | None
) -> None:
    answer = messenger(app_secret=secret).send({"text": "hi"}, IN_WINDOW, "RESPONSE")
    if expected is None:
        assert answer["recipient_id"] == IN_WINDOW
        assert len(outbox(live)) == 1
        return
    assert answer["error"]["message"] == expected
    assert answer["error"]["code"] == 100
    assert answer["error"]["type"] == "GraphMethodException"
    assert outbox(live) == []


@pytest.mark.usefixtures("proof_required")
@pytest.mark.parametrize(("sent_time", "status"), [("1767603600", 200), ("1767603601", 400)])
def test_appsecret_proof_with_appsecret_time(
    live: str, http: requests.Session, sent_time: str, status: int
) -> None:
    """The time-bound variant: HMAC of `token|time`, with appsecret_time sent alongside."""
    proof = hmac.new(SECRET.encode(), b"PAGE_TOKEN|1767603600", hashlib.sha256).hexdigest()
    query = {**TOKEN, "appsecret_proof": proof, "appsecret_time": sent_time}
    response = http.post(f"{live}{SEND}", params=query, json=text_to(IN_WINDOW))
    assert response.status_code == status, response.text


# --- requests: body shapes -----------------------------------------------------------------


def chunked_multipart(boundary: str, fields: dict[str, str]) -> Iterator[bytes]:
    """A multipart/form-data body yielded part by part, so requests sends it chunked."""
    for name, value in fields.items():
        yield f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        yield value.encode() + b"\r\n"
    yield f"--{boundary}--\r\n".encode()


def test_chunked_multipart_send(live: str, http: requests.Session) -> None:
    boundary = "----emulator-test-boundary"
    fields = {
        "recipient": json.dumps({"id": IN_WINDOW}),
        "messaging_type": "RESPONSE",
        "message": json.dumps({"text": "chunked hello"}),
    }
    response = http.post(
        f"{live}{SEND}",
        params=TOKEN,
        data=chunked_multipart(boundary, fields),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.request.headers.get("Transfer-Encoding") == "chunked"
    assert "Content-Length" not in response.request.headers
    assert response.status_code == 200, response.text
    assert response.json()["recipient_id"] == IN_WINDOW
    assert outbox(live)[0]["message"] == {"text": "chunked hello"}


FORMS = [
    pytest.param(
        {"recipient": f"{{'id':'{IN_WINDOW}'}}", "message": "{'text':'hi'}"},
        {"text": "hi"},
        id="single-quoted-objects",
    ),
    pytest.param(
        {"recipient[id]": IN_WINDOW, "message[text]": "hi"}, {"text": "hi"}, id="bracket-keys"
    ),
    pytest.param(
        {
            "recipient[id]": IN_WINDOW,
            "message[text]": "pick",
            "message[quick_replies][0][content_type]": "text",
            "message[quick_replies][0][title]": "Red",
            "message[quick_replies][0][payload]": "RED",
        },
        {
            "text": "pick",
            "quick_replies": [{"content_type": "text", "title": "Red", "payload": "RED"}],
        },
        id="bracket-keys-with-list",
    ),
    pytest.param(
        {"recipient": json.dumps({"id": IN_WINDOW}), "message": json.dumps({"text": "hi"})},
        {"text": "hi"},
        id="json-strings",
    ),
]


@pytest.mark.parametrize(("form", "message"), FORMS)
def test_form_encoded_send(
    live: str, http: requests.Session, form: dict[str, str], message: dict[str, Any]
) -> None:
    response = http.post(f"{live}{SEND}", params=TOKEN, data={**form, "messaging_type": "RESPONSE"})
    assert response.request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert response.status_code == 200, response.text
    assert response.json()["recipient_id"] == IN_WINDOW
    assert outbox(live)[0]["message"] == message


@pytest.mark.parametrize("scheme", ["Bearer", "OAuth", "bearer"])
def test_token_in_authorization_header(live: str, http: requests.Session, scheme: str) -> None:
    headers = {"Authorization": f"{scheme} PAGE_TOKEN"}
    response = http.post(f"{live}{SEND}", json=text_to(IN_WINDOW), headers=headers)
    assert response.status_code == 200, response.text
    assert "message_id" in response.json()


@pytest.mark.parametrize(
    ("path", "version"),
    [
        ("/v2.6/me/messages", "v2.6"),
        ("/v10.0/me/messages", "v10.0"),
        ("/v25.0/me/messages", "v25.0"),
        ("/me/messages", "v25.0"),
    ],
    ids=["v2.6", "v10.0", "v25.0", "unversioned"],
)
def test_api_versions(live: str, http: requests.Session, path: str, version: str) -> None:
    response = http.post(f"{live}{path}", params=TOKEN, json=text_to(IN_WINDOW))
    assert response.status_code == 200, response.text
    assert response.headers["facebook-api-version"] == version
    assert outbox(live)[0]["api_version"] == version
