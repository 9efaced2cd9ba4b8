"""Tokens, permissions and appsecret_proof: the real code, subcode, type, status, message and
WWW-Authenticate header for each refusal."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from conftest import (
    IN_WINDOW,
    PAGE,
    TEST_SCENARIO,
    assert_refused,
    graph_error,
    make_client,
    send,
    text_to,
)
from starlette.testclient import TestClient

from emulator.wire import catalog

BODY = text_to(IN_WINDOW)

# (id, token, path, rule, exact message or None)
ROWS = [
    (
        "no token on /me",
        None,
        "/v21.0/me/messages",
        "token_required_me",
        "An active access token must be used to query information about the current user.",
    ),
    (
        "no token on a page id",
        None,
        f"/v21.0/{PAGE}/messages",
        "token_required",
        "An access token is required to request this resource.",
    ),
    (
        "unknown token",
        "GARBAGE",
        "/v21.0/me/messages",
        "token_invalid",
        "Invalid OAuth access token - Cannot parse access token",
    ),
    ("expired token", "EXPIRED_TOKEN", "/v21.0/me/messages", "token_expired", None),
    (
        "token without pages_messaging",
        "NO_PERMISSION_TOKEN",
        "/v21.0/me/messages",
        "permission_pages_messaging",
        "(#230) Requires pages_messaging permission to manage the object",
    ),
    ("token without the MESSAGE task", "NO_TASK_TOKEN", "/v21.0/me/messages", "task_message", None),
    (
        "page token on another page's path",
        "OTHER_TOKEN",
        f"/v21.0/{PAGE}/messages",
        "unsupported_request",
        f"Unsupported post request. Object with ID '{PAGE}' does not exist, cannot be loaded "
        "due to missing permissions, or does not support this operation. Please read the Graph "
        "API documentation at https://developers.facebook.com/docs/graph-api",
    ),
]


@pytest.mark.parametrize(
    ("token", "path", "rule", "message"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS]
)
def test_token_refusals(
    client: TestClient, token: str | None, path: str, rule: str, message: str | None
) -> None:
    response = send(client, BODY, token=token, path=path)
    spec = catalog.BY_KEY[rule]
    error = assert_refused(client, response, rule)
    if message is not None:
        assert error["message"] == message
    if spec.type == "OAuthException":
        kind = "invalid_token" if spec.code == 190 else "invalid_request"
        expected = f'OAuth "Facebook Platform" "{kind}" "{error["message"]}"'
        assert response.headers["www-authenticate"] == expected
    else:
        assert "www-authenticate" not in response.headers


def test_expired_token_message_names_both_times_in_pacific_time(client: TestClient) -> None:
    error = graph_error(send(client, BODY, token="EXPIRED_TOKEN"))
    # expired 1 h before the frozen start 2026-01-05T09:00:00Z (01:00 PST)
    assert error["message"] == (
        "Error validating access token: Session has expired on Monday, 05-Jan-26 00:00:00 PST. "
        "The current time is Monday, 05-Jan-26 01:00:00 PST."
    )
    assert error["error_subcode"] == 463


def test_token_expires_on_the_emulated_clock(client: TestClient) -> None:
    assert send(client, BODY).status_code == 200
    client.post("/_emulator/clock", json={"advance": "60d"})
    assert graph_error(send(client, BODY))["code"] == 190


@pytest.mark.parametrize(
    "header", ["Bearer PAGE_TOKEN", "OAuth PAGE_TOKEN", "bearer PAGE_TOKEN"], ids=str
)
def test_token_in_authorization_header(client: TestClient, header: str) -> None:
    response = client.post("/v21.0/me/messages", json=BODY, headers={"Authorization": header})
    assert response.status_code == 200, response.text


def test_token_in_json_body(client: TestClient) -> None:
    response = client.post("/v21.0/me/messages", json={**BODY, "access_token": "PAGE_TOKEN"})
    assert response.status_code == 200, response.text


def test_token_in_form_body(client: TestClient) -> None:
    form = {
        "recipient": f'{{"id":"{IN_WINDOW}"}}',
        "messaging_type": "RESPONSE",
        "message": '{"text":"hi"}',
        "access_token": "PAGE_TOKEN",
    }
    assert client.post(f"/v21.0/{PAGE}/messages", data=form).status_code == 200


def test_page_token_on_its_own_page_id(client: TestClient) -> None:
    assert send(client, BODY, path=f"/v21.0/{PAGE}/messages").status_code == 200


def test_unknown_alias_node(client: TestClient) -> None:
    response = send(client, BODY, path="/v21.0/acmeshoes/messages")
    error = graph_error(response)
    assert (response.status_code, error["code"]) == (404, 803)
    assert error["message"] == "(#803) Some of the aliases you requested do not exist: acmeshoes"


PROOF_SCENARIO = TEST_SCENARIO.read_text().replace(
    '  secret: "test-app-secret"\n',
    '  secret: "test-app-secret"\n  require_appsecret_proof: true\n',
)


def proof(token: str, secret: str = "test-app-secret") -> str:
    return hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()


@pytest.mark.parametrize(
    ("extra", "rule"),
    [
        ({}, "appsecret_proof_missing"),
        ({"appsecret_proof": proof("PAGE_TOKEN", "wrong-secret")}, "appsecret_proof_invalid"),
        ({"appsecret_proof": "not-hex"}, "appsecret_proof_invalid"),
        ({"appsecret_proof": proof("PAGE_TOKEN")}, None),
        ({"appsecret_proof": proof("PAGE_TOKEN").upper()}, None),
    ],
    ids=["missing", "wrong secret", "garbage", "valid", "valid upper-case hex"],
)
def test_appsecret_proof_when_required(extra: dict[str, str], rule: str | None) -> None:
    with make_client(PROOF_SCENARIO) as client:
        params = {"access_token": "PAGE_TOKEN", **extra}
        response = client.post("/v21.0/me/messages", params=params, json=BODY)
    if rule is None:
        assert response.status_code == 200, response.text
        return
    spec = catalog.BY_KEY[rule]
    error = graph_error(response)
    assert (response.status_code, error["code"], error["type"], error["message"]) == (
        400,
        100,
        "GraphMethodException",
        spec.message,
    )


def test_appsecret_proof_with_time() -> None:
    with make_client(PROOF_SCENARIO) as client:
        timed = hmac.new(b"test-app-secret", b"PAGE_TOKEN|1700000000", hashlib.sha256)
        params = {
            "access_token": "PAGE_TOKEN",
            "appsecret_proof": timed.hexdigest(),
            "appsecret_time": "1700000000",
        }
        assert client.post("/v21.0/me/messages", params=params, json=BODY).status_code == 200


def test_appsecret_proof_is_checked_even_when_not_required(client: TestClient) -> None:
    params = {"access_token": "PAGE_TOKEN", "appsecret_proof": "whatever"}
    refused = client.post("/v21.0/me/messages", params=params, json=BODY)
    assert graph_error(refused)["message"] == "Invalid appsecret_proof provided in the API argument"
    params["appsecret_proof"] = proof("PAGE_TOKEN")
    assert client.post("/v21.0/me/messages", params=params, json=BODY).status_code == 200


@pytest.mark.parametrize(
    "body_token",
    [None, "", 42],
    ids=["null in the body", "empty in the body", "number in the body"],
)
def test_a_body_token_that_is_not_set_leaves_the_query_token(
    client: TestClient, body_token: object
) -> None:
    body = {**BODY, "access_token": body_token}
    response = client.post("/v21.0/me/messages", params={"access_token": "PAGE_TOKEN"}, json=body)
    assert response.status_code == 200, response.text


def test_body_token_wins_over_query_token(client: TestClient) -> None:
    body = {**BODY, "access_token": "NO_PERMISSION_TOKEN"}
    response = client.post("/v21.0/me/messages", params={"access_token": "PAGE_TOKEN"}, json=body)
    assert graph_error(response)["code"] == 230


def test_null_in_the_body_does_not_unset_a_query_parameter(client: TestClient) -> None:
    body = {**BODY, "messaging_type": None}
    params = {"access_token": "PAGE_TOKEN", "messaging_type": "UPDATE"}
    assert client.post("/v21.0/me/messages", params=params, json=body).status_code == 200


@pytest.mark.parametrize(
    "proof", ["é", "\u0661\u0662", "x" * 5000], ids=["accent", "digits", "long"]
)
def test_odd_appsecret_proofs_are_just_invalid(client: TestClient, proof: str) -> None:
    params = {"access_token": "PAGE_TOKEN", "appsecret_proof": proof}
    response = client.post("/v21.0/me/messages", params=params, json=BODY)
    assert_refused(client, response, "appsecret_proof_invalid")


def test_appsecret_proof_is_checked_before_the_page() -> None:
    with make_client(PROOF_SCENARIO) as client:
        response = send(client, BODY, path="/v21.0/120000000000001/messages")
        assert_refused(client, response, "appsecret_proof_missing")


def test_user_text_in_www_authenticate_is_capped(client: TestClient) -> None:
    body = {**BODY, "messaging_type": "X" * 200_000}
    response = send(client, body)
    assert len(response.headers["www-authenticate"]) < 600
    assert len(graph_error(response)["message"]) > 200_000


@pytest.mark.parametrize(
    ("path", "code"),
    [("/v21.0/\u0661\u0661/messages", 803), ("/v21.0/\u00b2/messages", 803)],
    ids=["Arabic-Indic digits", "superscript two"],
)
def test_only_ascii_digits_are_ids(client: TestClient, path: str, code: int) -> None:
    assert graph_error(send(client, BODY, path=path))["code"] == code
