"""Hostile and malformed requests against the running server over real HTTP.

Every case must get a Graph answer (the `{"error": {...}}` envelope in JSON, or a documented
success), never a 500 or an HTML page, and must leave the server serving with its state intact.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from conftest import IN_WINDOW, PAGE, graph_error, text_to

from emulator.rules.limits import (
    JOURNAL_REFUSED_PARAMS_MAX,
    MAX_BODY_BYTES,
    MAX_PARAMS,
    SINGLE_QUOTED_MAX,
)

SEND = "/v21.0/me/messages"
TOKEN = {"access_token": "PAGE_TOKEN"}
JSON_CT = {"content-type": "application/json"}
FORM_CT = {"content-type": "application/x-www-form-urlencoded"}
VALID = json.dumps(text_to(IN_WINDOW)).encode()
BOUNDARY = "XyZzY"
IMAGE_URL = "https://example.com/a.png"
STRANGER = "2000000000000009"  # not in the scenario


@dataclass
class Case:
    id: str
    kwargs: dict[str, Any]
    status: int
    code: int | None = None  # None: a success
    message: str | None = None
    method: str = "POST"
    path: str = SEND
    error_type: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # more fields the answer must carry


def body(value: Any) -> dict[str, Any]:
    return {"params": TOKEN, "content": json.dumps(value).encode(), "headers": JSON_CT}


def raw(content: bytes, headers: dict[str, str] | None = None, **kw: Any) -> dict[str, Any]:
    return {"params": TOKEN, "content": content, "headers": headers or {}, **kw}


def multipart(fields: dict[str, bytes], *, close: bool = True) -> bytes:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + value
        + b"\r\n"
        for name, value in fields.items()
    ]
    return b"".join(parts) + (f"--{BOUNDARY}--\r\n".encode() if close else b"")


def nested(depth: int) -> dict[str, Any]:
    inner: dict[str, Any] = {"leaf": "x"}
    for _ in range(depth):
        inner = {"a": inner}
    return inner


def msg_action() -> dict[str, Any]:
    return {"recipient": {"id": IN_WINDOW}, "sender_action": "typing_on"}


def oversized_chunks() -> Iterator[bytes]:
    for _ in range(MAX_BODY_BYTES // 65536 + 2):
        yield b" " * 65536


MP_FIELDS = {
    "recipient": b'{"id":"2000000000000001"}',
    "messaging_type": b"RESPONSE",
    "message": b'{"text":"hi"}',
}
MP_CT = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
MP_OTHER = {"content-type": "multipart/form-data; boundary=other"}
MP_NONE = {"content-type": "multipart/form-data"}
XML = raw(b"<recipient><id>1</id></recipient>", {"content-type": "application/xml"})
BEARER = {"content": VALID, "headers": {**JSON_CT, "authorization": "Bearer PAGE_TOKEN"}}
IMAGE = {"type": "image", "payload": {"url": IMAGE_URL, "is_reusable": "true"}}
TEMPLATE_DEEP = {"attachment": {"type": "template", "payload": nested(200)}}
DEEP_ARRAY = b"[" * 100_000
DEEP_OBJECT = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
MANY_PAIRS = "&".join(f"p{index}=1" for index in range(MAX_PARAMS))
SEEDS_FORM = f"recipient={{'id':'{IN_WINDOW}'}}&messaging_type=RESPONSE".encode()
AT_THE_LIMIT = "&".join(
    [
        *(f"p{index}=1" for index in range(MAX_PARAMS - 3)),
        SEEDS_FORM.decode(),
        "message={'text':'hi'}",
    ]
).encode()
LONG_QUOTED = "{'text':'" + "\\'" * (SINGLE_QUOTED_MAX // 2) + "'}"
RR = "(#100) The parameter recipient is required"
TOO_MANY = f"(#100) Too many parameters: at most {MAX_PARAMS} are accepted"
INVALID = "(#100) Invalid parameter"
TEXT_TYPE = "(#100) Param message[text] must be a UTF-8 encoded string"
MT_TYPE = '(#100) Param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG} - got "5".'
RCPT_EMPTY = "(#100) param recipient must be non-empty"
MSG_EMPTY = "(#100) param message must be non-empty"
KEYS = '(#100) Invalid keys "x" were found in param "message".'
RID = '(#100) Param recipient[id] must be a valid ID string (e.g., "123")'
GM = "GraphMethodException"


def bad(id: str, kwargs: dict[str, Any], message: str | None = RR, **more: Any) -> Case:
    more.setdefault("status", 400)
    more.setdefault("code", 100)
    return Case(id, kwargs, message=message, **more)


def ok(id: str, kwargs: dict[str, Any], **more: Any) -> Case:
    return Case(id, kwargs, 200, **more)


def msg(**changes: Any) -> dict[str, Any]:
    return body(text_to(IN_WINDOW, **changes))


CASES = [
    # bodies Graph cannot decode are ignored, so the recipient is missing
    bad("malformed-json", raw(b'{"recipient": {"id": ', JSON_CT)),
    bad("json-invalid-utf8", raw(VALID.replace(b"hello", b"\xff\xfe"), JSON_CT)),
    bad("form-invalid-utf8-raw", raw(b"recipient={'id':'1'}&message=\xff", FORM_CT)),
    bad("form-invalid-utf8-escaped", raw(b"recipient=%7B%7D&message=%FF%FE", FORM_CT)),
    bad("multipart-invalid-utf8", raw(multipart({**MP_FIELDS, "message": b"\xff"}), MP_CT)),
    # the query string is ignored as a whole; the token still arrives in the header
    ok("query-invalid-utf8", BEARER, path=SEND + "?note=%FF%FE"),
    bad("text-plain-json", raw(VALID, {"content-type": "text/plain"})),
    bad("application-xml", XML),
    bad("no-content-type", raw(VALID)),
    ok("json-with-charset", raw(VALID, {"content-type": "Application/JSON; charset=UTF-8"})),
    bad("json-array", body([text_to(IN_WINDOW)])),
    bad("json-string", body("recipient")),
    bad("json-number", body(12345)),
    bad("json-null", body(None)),
    bad("empty-json-body", raw(b"", JSON_CT)),
    # nesting: undecodable bodies are ignored; decodable deep parameters are refused
    bad("deep-array-100000", raw(DEEP_ARRAY, JSON_CT)),
    bad("deep-object-100000", raw(DEEP_OBJECT, JSON_CT)),
    bad("deep-valid-object-in-message", msg(message=TEMPLATE_DEEP), INVALID),
    bad(
        "deep-json-string-param",
        raw(b'recipient={"id":"1"}&message=' + DEEP_ARRAY, FORM_CT),
        INVALID,
    ),
    bad(
        "deep-bracket-keys",
        raw(b"recipient[id]=1&message" + b"[a]" * 200 + b"=1", FORM_CT),
        INVALID,
    ),
    # the size limit, declared or streamed
    bad("too-large-content-length", raw(b" " * (MAX_BODY_BYTES + 1), JSON_CT), None, status=413),
    bad("too-large-chunked", raw(b"", JSON_CT), None, status=413, extra={"chunked": True}),
    # types
    bad("text-is-number", msg(message={"text": 123}), TEXT_TYPE),
    ok("recipient-id-is-number", msg(recipient={"id": int(IN_WINDOW)})),
    bad("messaging-type-is-number", msg(messaging_type=5), MT_TYPE),
    bad("recipient-is-string", msg(recipient="abc"), RCPT_EMPTY),
    bad("message-is-array", msg(message=[1, 2]), MSG_EMPTY),
    bad("unknown-key-in-message", msg(message={"text": "hi", "x": 1}), KEYS),
    # values Python's json takes but cannot write back: the journal and outbox must stay readable
    bad("nan-literal", raw(VALID.replace(b'"RESPONSE"', b"NaN"), JSON_CT)),
    bad("infinity-literal", raw(VALID.replace(b'"RESPONSE"', b"-Infinity"), JSON_CT)),
    bad("number-overflow", raw(VALID.replace(f'"{IN_WINDOW}"'.encode(), b"1e999"), JSON_CT)),
    bad("lone-surrogate-key", raw(VALID.replace(b'"text"', b'"\\ud800"'), JSON_CT)),
    bad("lone-surrogate-text", raw(VALID.replace(b"hello", b"\\udc00"), JSON_CT)),
    bad("raw-surrogate-bytes", raw(VALID.replace(b"hello", b"\xed\xa0\x80"), JSON_CT)),
    # encodings json.loads detects are read as before
    ok("json-with-bom", raw(b"\xef\xbb\xbf" + VALID, JSON_CT)),
    ok("json-in-utf-16", raw(VALID.decode().encode("utf-16"), JSON_CT)),
    # how many parameters one request may carry (counted before they are decoded)
    bad("too-many-form-params", raw(MANY_PAIRS.encode() + b"&" + SEEDS_FORM, FORM_CT), TOO_MANY),
    bad(
        "too-many-query-params",
        {"content": VALID, "headers": JSON_CT},
        TOO_MANY,
        path=f"{SEND}?access_token=PAGE_TOKEN&{MANY_PAIRS}",
    ),
    ok("form-params-at-the-limit", raw(AT_THE_LIMIT, FORM_CT)),
    # the seeds' single-quoted objects: rewritten as JSON up to SINGLE_QUOTED_MAX characters
    ok("single-quoted-escapes", raw(SEEDS_FORM + b"&message={'text':'it\\'s \"x\"'}", FORM_CT)),
    bad(
        "single-quoted-too-long",
        raw(SEEDS_FORM + b"&message=" + LONG_QUOTED.encode(), FORM_CT),
        MSG_EMPTY,
    ),
    # multipart framing
    bad("multipart-wrong-boundary", raw(multipart(MP_FIELDS), MP_OTHER)),
    bad("multipart-no-boundary", raw(multipart(MP_FIELDS), MP_NONE)),
    bad("multipart-truncated", raw(multipart(MP_FIELDS, close=False)[:-8], MP_CT), None),
    ok("multipart-well-formed", raw(multipart(MP_FIELDS), MP_CT)),
    # null means unset; booleans as strings
    ok("message-null-beside-action", body({**msg_action(), "message": None})),
    ok("quick-replies-null", msg(message={"text": "hi", "quick_replies": None})),
    ok("metadata-null", msg(message={"text": "hi", "metadata": None})),
    ok("is-reusable-string", msg(message={"attachment": IMAGE})),
]
UNKNOWN_PATH = "Unknown path components: "
ALIAS = "(#803) Some of the aliases you requested do not exist: foobar"


def route(id: str, path: str, message: str | None, code: int = 2500, **more: Any) -> Case:
    return bad(id, msg(), message, code=code, path=path, **more)


def verb(method: str) -> Case:
    unsupported = f"Unsupported {method.lower()} request."
    return bad(
        f"method-{method.lower()}", {"params": TOKEN}, unsupported, method=method, error_type=GM
    )


READ = "(#100) For field 'messages': The parameter user_id is required"
ROUTES = [
    bad("method-get", {"params": TOKEN}, READ, method="GET", error_type="OAuthException"),
    # a method HTTP parsers know but Graph does not serve (httptools refuses unknown ones
    # itself, with a plain 400, before the emulator sees them: docs/deviations.md)
    *(verb(method) for method in ("DELETE", "PUT", "PATCH", "OPTIONS", "PROPFIND")),
    route("extra-segment", SEND + "/extra", UNKNOWN_PATH + "/messages/extra"),
    route("malformed-version", "/v2.80/me/messages", UNKNOWN_PATH + "/me/messages"),
    route("unknown-alias", "/v21.0/foobar/messages", ALIAS, 803, status=404),
    route(
        "other-node", "/v21.0/999/messages", None, 100, error_type=GM, extra={"error_subcode": 33}
    ),
    route("unknown-edge", "/v21.0/me/foo", UNKNOWN_PATH + "/foo"),
    route("root", "/", "Unsupported post request.", 100, error_type=GM),
]


@pytest.fixture
def http(live: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live, timeout=30) as client:
        yield client


def outbox(http: httpx.Client) -> list[str | None]:
    response = http.get("/_emulator/messages")
    assert response.status_code == 200
    return [entry["message_id"] for entry in response.json()["data"]]


def assert_graph_answer(response: httpx.Response, case: Case) -> dict[str, Any]:
    assert response.status_code != 500, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    assert response.status_code == case.status, response.text
    answer = response.json()
    if case.code is None:
        assert "error" not in answer
        assert answer.get("recipient_id") == IN_WINDOW
    else:
        assert set(answer) == {"error"}, answer
        error = answer["error"]
        for key, kind in (("message", str), ("type", str), ("code", int), ("fbtrace_id", str)):
            assert isinstance(error.get(key), kind), (key, error)
        assert error["code"] == case.code, error
        if case.message is not None:
            assert error["message"] == case.message
        if case.error_type is not None:
            assert error["type"] == case.error_type
        answer = error
    for key, value in case.extra.items():
        if key != "chunked":
            assert answer.get(key) == value, answer
    return answer


def assert_still_serving(http: httpx.Client, before: list[str | None], accepted: int) -> None:
    """A valid send still succeeds, and the outbox kept everything sent before."""
    response = http.post(SEND, params=TOKEN, json=text_to(IN_WINDOW, "still alive"))
    assert response.status_code == 200, response.text
    after = outbox(http)
    assert after[: len(before)] == before
    assert len(after) == len(before) + accepted + 1
    assert after[-1] == response.json()["message_id"]
    journal = http.get("/_emulator/requests")
    assert journal.status_code == 200, journal.text
    assert journal.json()["data"][-1]["response"] == response.json()


@pytest.mark.parametrize("case", CASES + ROUTES, ids=lambda case: case.id)
def test_hostile_request_gets_a_graph_answer(http: httpx.Client, case: Case) -> None:
    http.post(SEND, params=TOKEN, json=text_to(IN_WINDOW, "before")).raise_for_status()
    before = outbox(http)
    kwargs = dict(case.kwargs)
    if case.extra.get("chunked"):
        kwargs["content"] = oversized_chunks()
    response = http.request(case.method, case.path, **kwargs)
    answer = assert_graph_answer(response, case)
    if case.id == "is-reusable-string":
        assert answer["attachment_id"].isdigit()
        assert answer["message_id"].startswith("m_")
    if case.id == "message-null-beside-action":
        assert set(answer) == {"recipient_id"}  # a sender action has no message_id
    assert_still_serving(http, before, accepted=1 if case.code is None else 0)


def test_raw_non_ascii_request_target_is_refused_and_server_keeps_serving(
    http: httpx.Client, live: str
) -> None:
    """Bytes httpx cannot send: a raw 0xFF in the request line never reaches the app (HTTP 400)."""
    url = urlsplit(live)
    request = (
        b"POST /v21.0/me/messages?access_token=PAGE_TOKEN&x=\xff HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/json\r\nConnection: close\r\n"
        b"Content-Length: " + str(len(VALID)).encode() + b"\r\n\r\n" + VALID
    )
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(request)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 400"), reply
    assert_still_serving(http, outbox(http), accepted=0)


def test_journal_records_rejection_with_rule_and_path_and_masks_tokens(http: httpx.Client) -> None:
    bad = text_to(IN_WINDOW, message={"text": "hi", "x": 1})
    http.post(SEND, params=TOKEN, json=bad)
    http.post(SEND, json=bad, headers={"authorization": "Bearer AGENT_TOKEN"})
    response = http.get("/_emulator/requests", params={"outcome": "rejected"})
    assert response.status_code == 200
    entries = response.json()["data"]
    assert len(entries) == 2
    for entry, shown in zip(entries, ("PAGE…", "AGEN…"), strict=True):
        assert entry["outcome"] == "rejected"
        assert entry["status"] == 400
        assert entry["rule"] == "invalid_keys"
        assert entry["json_path"] == "message.x"
        assert entry["params"]["access_token"] == shown
        assert entry["response"]["error"]["code"] == 100
    everything = http.get("/_emulator/requests").text
    assert "PAGE_TOKEN" not in everything
    assert "AGENT_TOKEN" not in everything


def test_journal_does_not_keep_a_huge_refused_call_whole(http: httpx.Client) -> None:
    """A refused call of more than JOURNAL_REFUSED_PARAMS_MAX bytes keeps its rule and path,
    not its parameters; a valid send of that size would keep them."""
    huge = text_to(IN_WINDOW, message={"text": "x" * (JOURNAL_REFUSED_PARAMS_MAX + 1)})
    small = text_to(IN_WINDOW, message={"text": "x" * 2001})
    assert http.post(SEND, params=TOKEN, json=huge).status_code == 400
    assert http.post(SEND, params=TOKEN, json=small).status_code == 400
    kept, shown = http.get("/_emulator/requests").json()["data"][-2:]
    assert kept["rule"] == shown["rule"] == "text_too_long"
    assert kept["json_path"] == "message.text"
    assert kept["params"] == {"access_token": "PAGE…"}
    assert kept["notes"][-1].startswith("parameters not kept: ")
    assert shown["params"]["message"] == small["message"]


CONTROL = [
    ("clock-nan", "/_emulator/clock", b'{"advance": NaN}'),
    ("clock-surrogate", "/_emulator/clock", b'{"set": "\\ud800"}'),
    ("person-text-surrogate", f"/_emulator/pages/{PAGE}/users/{STRANGER}/messages",
     b'{"text": "\\ud800"}'),
    ("person-key-surrogate", f"/_emulator/pages/{PAGE}/users/{STRANGER}/messages",
     b'{"text": "hi", "\\ud800": 1}'),
]  # fmt: skip


@pytest.mark.parametrize(("path", "content"), [c[1:] for c in CONTROL], ids=[c[0] for c in CONTROL])
def test_control_api_refuses_unwritable_json_without_changing_state(
    http: httpx.Client, path: str, content: bytes
) -> None:
    """The control API answers a refused call 4xx in JSON and changes nothing."""
    now = http.get("/_emulator/clock").json()["now"]
    response = http.post(path, content=content, headers=JSON_CT)
    assert response.status_code != 500, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert 400 <= response.status_code < 500
    assert isinstance(response.json()["error"]["message"], str)
    assert http.get("/_emulator/clock").json()["now"] == now
    unknown = http.post(SEND, params=TOKEN, json=text_to(STRANGER))
    assert graph_error(unknown)["error_subcode"] == 2018001  # the person was not added
