"""Fault injection: the next N matching sends (or each with a seeded probability) fail in
Graph's own words, or are delayed; faults come from the scenario or the control API."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from conftest import (
    BLOCKED,
    IN_7_DAYS,
    IN_WINDOW,
    LONG_AGO,
    PAGE,
    TEST_SCENARIO,
    assert_refused,
    graph_error,
    make_client,
    send,
    text_to,
)
from pydantic import ValidationError
from samples import sample
from starlette.testclient import TestClient

from emulator.faults import HTML_BODY, build, send_kinds
from emulator.ratelimit import is_media
from emulator.rules.request import Recipient, SendRequest
from emulator.scenario.load import ScenarioError, load_text
from emulator.scenario.model import LATENCY_PATTERN, FaultSpec, Scenario

FAULTS = "/_emulator/faults"
OTHER_PAGE_USER = "2100000000000001"


def with_faults(*faults: dict[str, Any], extra: str = "") -> TestClient:
    """The test scenario plus these faults (and any other top-level YAML)."""
    text = TEST_SCENARIO.read_text() + f"faults: {json.dumps(list(faults))}\n" + extra
    return make_client(text)


def journal(client: TestClient) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = client.get("/_emulator/requests").json()["data"]
    return data


def add_fault(client: TestClient, fault: dict[str, Any]) -> dict[str, Any]:
    response = client.post(FAULTS, json=fault)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def error_fields(response: httpx.Response) -> list[tuple[str, Any]]:
    """The error object's keys in wire order with their values, fbtrace_id aside."""
    error = graph_error(response)
    assert error.pop("fbtrace_id")
    return list(error.items())


# --- presets: Graph's exact answers -------------------------------------------------------

TRANSIENT_1200 = "(#1200) Temporary send message failure. Please try again later."
PRESETS = [
    (
        "temporary_send_failure",
        500,
        [
            ("message", TRANSIENT_1200),
            ("type", "OAuthException"),
            ("is_transient", True),
            ("code", 1200),
        ],
    ),
    (
        "service_unavailable",
        500,
        [
            ("message", "An unexpected error has occurred. Please retry your request later."),
            ("type", "OAuthException"),
            ("is_transient", True),
            ("code", 2),
        ],
    ),
    (
        "app_rate_limit",
        400,
        [
            ("message", "(#4) Application request limit reached"),
            ("type", "OAuthException"),
            ("is_transient", True),
            ("code", 4),
        ],
    ),
    (
        "rate_limit",
        400,
        [
            ("message", "(#613) Calls to this api have exceeded the rate limit."),
            ("type", "OAuthException"),
            ("is_transient", True),
            ("code", 613),
        ],
    ),
    (
        "page_rate_limit",
        400,
        [
            (
                "message",
                "(#80006) There have been too many messenger api calls to this Page account. "
                "Wait a bit and try again. For more info, please refer to "
                "https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
            ),
            ("type", "OAuthException"),
            ("is_transient", True),
            ("code", 80006),
        ],
    ),
    (
        "user_unavailable",
        400,
        [
            ("message", "(#551) This person isn't available right now."),
            ("type", "OAuthException"),
            ("code", 551),
            ("error_subcode", 1545041),
        ],
    ),
]
RULE_OF_PRESET = {"user_unavailable": "person_unavailable"}


@pytest.mark.parametrize(("preset", "status", "fields"), PRESETS, ids=[p[0] for p in PRESETS])
def test_each_preset_answers_as_graph_does(
    client: TestClient, preset: str, status: int, fields: list[tuple[str, Any]]
) -> None:
    fault = add_fault(client, {"error": preset, "times": 1})
    response = send(client, text_to(IN_WINDOW))
    assert response.status_code == status
    assert error_fields(response) == fields
    assert response.headers["content-type"] == "application/json; charset=UTF-8"
    assert response.headers["www-authenticate"].startswith('OAuth "Facebook Platform"')
    assert_refused(client, response, RULE_OF_PRESET.get(preset, preset))
    entry = journal(client)[-1]
    assert entry["fault"] == {"id": fault["id"], "error": preset, "delay": 0.0}
    assert entry["outcome"] == "rejected"
    assert client.get("/_emulator/messages").json()["data"] == []  # nothing was sent
    assert send(client, text_to(IN_WINDOW)).status_code == 200  # times: 1
    assert "fault" not in journal(client)[-1]


@pytest.mark.parametrize(
    ("error", "status"), [("html_error", 502), ({"preset": "html_error", "status": 500}, 500)]
)
def test_html_error_is_the_edge_page_not_json(client: TestClient, error: Any, status: int) -> None:
    add_fault(client, {"error": error})
    response = send(client, text_to(IN_WINDOW))
    assert response.status_code == status
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.content == HTML_BODY
    assert b'<h1 id="sorry">Sorry, something went wrong.</h1>' in response.content
    entry = journal(client)[-1]
    assert (entry["rule"], entry["outcome"], entry["status"]) == (
        "edge_failure_html",
        "rejected",
        status,
    )
    assert entry["fault"]["error"] == "html_error"


def test_a_preset_may_take_another_status(client: TestClient) -> None:
    add_fault(client, {"error": {"preset": "service_unavailable", "status": 503}})
    response = send(client, text_to(IN_WINDOW))
    assert response.status_code == 503
    assert graph_error(response)["code"] == 2
    assert journal(client)[-1]["rule"] == "service_unavailable"


def test_a_custom_error_is_sent_field_by_field(client: TestClient) -> None:
    add_fault(
        client,
        {
            "error": {
                "code": 368,
                "error_subcode": 1390008,
                "message": "(#368) The action attempted has been deemed abusive or is otherwise "
                "disallowed",
                "status": 403,
                "is_transient": False,
            }
        },
    )
    response = send(client, text_to(IN_WINDOW))
    assert response.status_code == 403
    assert error_fields(response) == [
        (
            "message",
            "(#368) The action attempted has been deemed abusive or is otherwise disallowed",
        ),
        ("type", "OAuthException"),
        ("code", 368),
        ("error_subcode", 1390008),
        ("is_transient", False),
    ]
    entry = journal(client)[-1]
    assert (entry["rule"], entry["fault"]["error"]) == ("injected_error", "injected_error")


@pytest.mark.parametrize(("code", "status"), [(10, 429), (200, 503), (10, 400)])
def test_a_custom_permission_error_keeps_its_own_status(
    client: TestClient, code: int, status: int
) -> None:
    """behaviour.permission_error_status is for the catalog's 10/200 errors, not injected ones."""
    add_fault(client, {"error": {"code": code, "message": f"(#{code}) nope", "status": status}})
    assert send(client, text_to(IN_WINDOW)).status_code == status


def test_custom_error_messages_are_sent_verbatim(client: TestClient) -> None:
    message = "Braces {stay} as they are: {0} %s"
    add_fault(client, {"error": {"code": 1, "message": message, "type": "GraphMethodException"}})
    error = graph_error(send(client, text_to(IN_WINDOW)))
    assert (error["message"], error["type"]) == (message, "GraphMethodException")


# --- how many, how often ------------------------------------------------------------------


def test_times_fails_the_next_n_then_sends_again(client: TestClient) -> None:
    add_fault(client, {"error": "temporary_send_failure", "times": 2, "name": "flaky"})
    statuses = [send(client, text_to(IN_WINDOW)).status_code for _ in range(4)]
    assert statuses == [500, 500, 200, 200]
    [fault] = client.get(FAULTS).json()["data"]
    assert (fault["remaining"], fault["matched"], fault["applied"]) == (0, 2, 2)
    assert fault["name"] == "flaky"
    marks = [entry.get("fault") for entry in journal(client)]
    assert [mark and mark["name"] for mark in marks] == ["flaky", "flaky", None, None]


def test_without_times_every_matching_send_fails(client: TestClient) -> None:
    add_fault(client, {"error": "service_unavailable"})
    assert {send(client, text_to(IN_WINDOW)).status_code for _ in range(5)} == {500}
    assert client.get(FAULTS).json()["data"][0]["remaining"] is None


def test_a_seeded_probability_fails_the_same_calls_after_every_reset() -> None:
    fault = {"error": "temporary_send_failure", "probability": 0.5, "seed": 7}
    draws = random.Random(7)
    expected = [draws.random() < 0.5 for _ in range(20)]
    assert True in expected
    assert False in expected
    with with_faults(fault) as client:
        runs = []
        for _ in range(2):
            runs.append([send(client, text_to(IN_WINDOW)).status_code == 500 for _ in range(20)])
            client.post("/_emulator/reset")
        assert runs[0] == runs[1] == expected
        [view] = client.get(FAULTS).json()["data"]
        assert (view["matched"], view["applied"]) == (0, 0)  # reset: counts start again


def test_a_spared_call_may_be_taken_by_the_next_fault(client: TestClient) -> None:
    add_fault(client, {"error": "app_rate_limit", "probability": 0.5, "seed": 1})
    add_fault(client, {"error": "service_unavailable"})
    draws = random.Random(1)
    expected = [4 if draws.random() < 0.5 else 2 for _ in range(10)]
    codes = [graph_error(send(client, text_to(IN_WINDOW)))["code"] for _ in range(10)]
    assert codes == expected
    first, second = client.get(FAULTS).json()["data"]
    assert (first["matched"], first["applied"]) == (10, expected.count(4))
    assert second["applied"] == expected.count(2)


# --- latency --------------------------------------------------------------------------------


def test_latency_alone_delays_a_send_that_succeeds(client: TestClient) -> None:
    fault = add_fault(client, {"latency": "20ms", "times": 1})
    response = send(client, text_to(IN_WINDOW))
    assert response.status_code == 200
    entry = journal(client)[-1]
    assert entry["outcome"] == "accepted"
    assert entry["fault"] == {"id": fault["id"], "error": None, "delay": 0.02}
    assert len(client.get("/_emulator/messages").json()["data"]) == 1


def test_latency_and_error_together(client: TestClient) -> None:
    add_fault(client, {"latency": "1s", "error": "rate_limit", "times": 1})
    import emulator.graph

    waited: list[float] = []

    async def no_wait(seconds: float) -> None:
        waited.append(seconds)

    original = emulator.graph.asyncio.sleep
    emulator.graph.asyncio.sleep = no_wait  # type: ignore[assignment]
    try:
        response = send(client, text_to(IN_WINDOW))
    finally:
        emulator.graph.asyncio.sleep = original
    assert graph_error(response)["code"] == 613
    assert waited == [1.0]
    assert journal(client)[-1]["fault"]["delay"] == 1.0


# --- matching -------------------------------------------------------------------------------

MEDIA_SEND = {**text_to(IN_WINDOW), "message": sample("image")}
GENERIC_SEND = {**text_to(IN_WINDOW), "message": sample("generic")}
TYPING = {"recipient": {"id": IN_WINDOW}, "sender_action": "typing_on"}
OTHER_PAGE = (text_to(OTHER_PAGE_USER), "OTHER_TOKEN")


@pytest.mark.parametrize(
    ("match", "hits"),
    [
        ({}, {"text", "image", "generic", "typing", "grace", "other page"}),
        ({"page_id": PAGE}, {"text", "image", "generic", "typing", "grace"}),
        ({"page_id": "120000000000001"}, {"other page"}),
        ({"recipient_id": IN_7_DAYS}, {"grace"}),
        ({"recipient_id": int(IN_7_DAYS)}, {"grace"}),  # an unquoted PSID
        ({"kind": "text"}, {"text", "grace", "other page"}),
        ({"kind": "attachment"}, {"image"}),
        ({"kind": "image"}, {"image"}),
        ({"kind": "video"}, set()),
        ({"kind": "template"}, {"generic"}),
        ({"kind": "generic"}, {"generic"}),
        ({"kind": "receipt"}, set()),
        ({"kind": "sender_action"}, {"typing"}),
        ({"kind": "typing_on"}, {"typing"}),
        ({"kind": "text", "recipient_id": IN_WINDOW, "page_id": PAGE}, {"text"}),
    ],
)
def test_faults_match_by_page_recipient_and_kind(
    client: TestClient, match: dict[str, Any], hits: set[str]
) -> None:
    add_fault(client, {"match": match, "error": "service_unavailable"})
    sends = {
        "text": (text_to(IN_WINDOW), "PAGE_TOKEN"),
        "image": (MEDIA_SEND, "PAGE_TOKEN"),
        "generic": (GENERIC_SEND, "PAGE_TOKEN"),
        "typing": (TYPING, "PAGE_TOKEN"),
        "grace": (
            {**text_to(IN_7_DAYS), "messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"},
            "AGENT_TOKEN",
        ),
        "other page": OTHER_PAGE,
    }
    failed = set()
    for name, (body, token) in sends.items():
        status = send(client, body, token=token).status_code
        assert status in (200, 500), (name, status)
        if status == 500:
            failed.add(name)
    assert failed == hits


def test_only_sends_that_would_be_accepted_meet_a_fault(client: TestClient) -> None:
    add_fault(client, {"error": "service_unavailable", "times": 1})
    assert_refused(client, send(client, text_to(BLOCKED)), "person_unavailable")
    assert_refused(client, send(client, text_to(LONG_AGO)), "outside_window")
    assert_refused(client, send(client, text_to(IN_WINDOW), token="EXPIRED_TOKEN"), "token_expired")
    assert "fault" not in journal(client)[-1]
    assert client.get(FAULTS).json()["data"][0]["applied"] == 0
    assert send(client, text_to(IN_WINDOW)).status_code == 500


def test_faults_in_a_batch_fail_their_entry_alone(client: TestClient) -> None:
    add_fault(client, {"match": {"recipient_id": IN_WINDOW}, "error": "html_error"})
    entries = [
        {"method": "POST", "relative_url": "me/messages", "body": _form(psid)}
        for psid in (IN_WINDOW, LONG_AGO, IN_WINDOW)
    ]
    data = {"batch": json.dumps(entries), "access_token": "PAGE_TOKEN"}
    answers = client.post("/v21.0/", data=data).json()
    # JSON inside a batch: Graph's transient code 2 stands in for the HTML page
    assert [a["code"] for a in answers] == [500, 400, 500]
    assert json.loads(answers[0]["body"])["error"]["code"] == 2
    assert json.loads(answers[1]["body"])["error"]["code"] == 10
    marks = [(e["in_batch"], e.get("fault", {}).get("error")) for e in journal(client)]
    assert marks == [(True, "html_error"), (True, None), (True, "html_error"), (False, None)]


def _form(psid: str) -> str:
    return str(
        httpx.QueryParams(
            {
                "recipient": json.dumps({"id": psid}),
                "messaging_type": "RESPONSE",
                "message": json.dumps({"text": "hi"}),
            }
        )
    )


# --- the control API ------------------------------------------------------------------------


def test_list_add_delete_and_clear(client: TestClient) -> None:
    assert client.get(FAULTS).json() == {"data": []}
    first = add_fault(client, {"error": "rate_limit", "match": {"kind": "text"}, "times": 3})
    second = add_fault(client, {"latency": "250ms", "probability": 0.25, "seed": 9})
    assert (first["id"], second["id"]) == ("f1", "f2")
    assert first == {
        "id": "f1",
        "origin": "control",
        "match": {"kind": "text"},
        "error": "rate_limit",
        "times": 3,
        "remaining": 3,
        "matched": 0,
        "applied": 0,
    }
    assert client.get(FAULTS).json()["data"] == [first, second]
    removed = client.delete(f"{FAULTS}/f1")
    assert removed.json() == {"deleted": 1, "fault": first}
    missing = client.delete(f"{FAULTS}/f1")
    assert missing.status_code == 404
    assert missing.json()["error"] == {"message": "no fault 'f1'", "faults": ["f2"]}
    assert [f["id"] for f in client.get(FAULTS).json()["data"]] == ["f2"]
    assert client.delete(FAULTS).json() == {"deleted": 1}
    assert client.get(FAULTS).json() == {"data": []}
    assert send(client, text_to(IN_WINDOW)).status_code == 200


def test_reset_brings_back_the_scenarios_faults_only() -> None:
    with with_faults({"error": "temporary_send_failure", "times": 1}) as client:
        assert send(client, text_to(IN_WINDOW)).status_code == 500
        add_fault(client, {"error": "rate_limit"})
        views = client.get(FAULTS).json()["data"]
        assert [(v["id"], v["origin"], v["remaining"]) for v in views] == [
            ("f1", "scenario", 0),
            ("f2", "control", None),
        ]
        client.post("/_emulator/reset")
        views = client.get(FAULTS).json()["data"]
        assert [(v["id"], v["origin"], v["remaining"]) for v in views] == [("f1", "scenario", 1)]
        assert send(client, text_to(IN_WINDOW)).status_code == 500
        assert send(client, text_to(IN_WINDOW)).status_code == 200
        # the scenario as loaded shows the faults as written
        scenario = client.get("/_emulator/scenario").json()
        assert scenario["faults"] == [{"error": "temporary_send_failure", "times": 1}]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({}, "a fault needs an `error`, a `latency`, or both"),
        ({"error": "oops"}, "error: unknown preset 'oops': one of temporary_send_failure"),
        ({"error": 5}, "error: must be a preset name or an object"),
        ({"error": {"code": 2}}, "error: a custom error needs `code` and `message`"),
        ({"error": {"preset": "rate_limit", "code": 4}}, "error: a preset takes only `status`"),
        ({"error": {"preset": "rate_limit", "status": 200}}, "error.status: Input should be"),
        ({"error": "rate_limit", "times": 0}, "times: Input should be greater than or equal to 1"),
        ({"error": "rate_limit", "probability": 1.5}, "probability: Input should be less than"),
        ({"error": "rate_limit", "probability": "0.5"}, "probability: must be a number"),
        ({"error": "rate_limit", "seed": 3}, "`seed` goes with `probability`"),
        ({"latency": "31s"}, "latency: latency '31s' is over the 30s bound"),
        ({"latency": "soon"}, "latency: not a latency: 'soon' (expected e.g. 250ms, 2s)"),
        ({"latency": "1s", "match": {"kind": "sticker"}}, "match.kind: Input should be 'any'"),
        ({"latency": "1s", "match": {"page_id": "acme"}}, "match.page_id: must be a numeric id"),
        ({"latency": "1s", "colour": "red"}, "colour: unknown key"),
    ],
)
def test_invalid_faults_are_refused_and_change_nothing(
    client: TestClient, body: dict[str, Any], problem: str
) -> None:
    response = client.post(FAULTS, json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"] == "invalid fault"
    assert any(line.startswith(problem) for line in error["problems"]), error["problems"]
    assert client.get(FAULTS).json() == {"data": []}


@pytest.mark.parametrize("raw", [b"[1]", b"not json", b'"rate_limit"'])
def test_fault_bodies_must_be_json_objects(client: TestClient, raw: bytes) -> None:
    response = client.post(FAULTS, content=raw)
    assert response.status_code == 400
    assert "JSON object" in response.json()["error"]["message"]


def test_faults_are_bounded(client: TestClient) -> None:
    from emulator.rules import limits

    for _ in range(limits.FAULTS_MAX):
        add_fault(client, {"latency": "1s", "match": {"kind": "receipt"}})
    response = client.post(FAULTS, json={"latency": "1s"})
    assert response.status_code == 409
    assert len(client.get(FAULTS).json()["data"]) == limits.FAULTS_MAX


# --- the scenario file ----------------------------------------------------------------------

MINIMAL = 'version: 1\npages:\n  - id: "1"\n    tokens: [{token: T}]\n'


@pytest.mark.parametrize(
    ("faults", "expected"),
    [
        ("faults: [{error: nope}]", "faults[0].error (line 5): unknown preset 'nope'"),
        ("faults: [{times: 2}]", "faults[0] (line 5): a fault needs an `error`, a `latency`"),
        ("faults: [{latency: 1h}]", "faults[0].latency (line 5): latency '1h' is over"),
        ("faults: [{latency: 2s, match: {kind: gif}}]", "faults[0].match.kind (line 5)"),
        ("faults: {error: rate_limit}", "faults (line 5)"),
    ],
)
def test_invalid_faults_in_a_scenario_name_the_place(faults: str, expected: str) -> None:
    with pytest.raises(ScenarioError) as raised:
        load_text(MINIMAL + faults + "\n", "s.yaml")
    assert any(p.startswith(f"s.yaml: {expected}") for p in raised.value.problems), raised.value


def test_a_scenario_with_every_fault_form_loads() -> None:
    scenario = load_text(
        MINIMAL
        + """faults:
  - {error: temporary_send_failure, times: 3}
  - {match: {page_id: 1, recipient_id: 2000000000000001, kind: audio}, latency: 250ms}
  - {error: {preset: html_error, status: 500}, probability: 0.1, seed: 42}
  - {error: {code: 10, error_subcode: 2018065, message: "(#10) custom"}, latency: 2s}
""",
        "s.yaml",
    )
    assert [f.error.preset if f.error else None for f in scenario.faults] == [
        "temporary_send_failure",
        None,
        "html_error",
        None,
    ]
    assert scenario.faults[1].match.recipient_id == "2000000000000001"


def test_the_schema_describes_faults_and_rate_limits() -> None:
    schema = Scenario.model_json_schema()
    assert {"faults", "rate_limits"} <= set(schema["properties"])
    error = schema["$defs"]["FaultError"]
    assert error["anyOf"][0]["enum"][0] == "temporary_send_failure"
    assert "RateLimitSpec" in schema["$defs"]


def test_check_validates_faults(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from emulator.cli import main

    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(MINIMAL + "faults: [{error: rate_limit, times: 2}]\nrate_limits: {}\n")
    bad.write_text(MINIMAL + "faults: [{error: rate_limit, probability: 0}]\n")
    assert main(["check", str(good)]) == 0
    assert main(["check", str(bad)]) == 1
    assert capsys.readouterr().err.strip() == (
        f"{bad}: faults[0].probability (line 5): Input should be greater than 0 (got 0)"
    )


LATENCY_FORMS = [
    # (text, well-formed): the scenario validator and the JSON Schema's pattern agree
    ("250ms", True),
    ("2s", True),
    ("30s", True),
    ("0m20s", True),  # units combine, as in every duration
    ("0h0m1s", True),
    (" 2s ", True),  # whitespace around is dropped
    ("\t2s\n", True),
    ("0ms", True),
    ("1s250ms", False),  # ms does not combine
    ("2 s", False),
    ("2S", False),
    ("2", False),
    ("1.5s", False),
    ("+2s", False),
    ("ms", False),
    ("", False),
    ("\u0663s", False),  # ARABIC-INDIC DIGIT THREE: ASCII digits only
    ("\u20032s", False),  # an em space: ASCII whitespace only
    ("\x1c2s", False),
    ("1234567890ms", False),  # at most 9 digits of ms, 12 of a unit, in both
    ("1234567890123s", False),
]


@pytest.mark.parametrize(("text", "well_formed"), LATENCY_FORMS)
def test_the_schema_and_the_validator_agree_on_latencies(text: str, well_formed: bool) -> None:
    schema = Scenario.model_json_schema()
    [latency, _] = schema["$defs"]["FaultSpec"]["properties"]["latency"]["anyOf"]
    assert latency["pattern"] == LATENCY_PATTERN
    matches = jsonschema.Draft202012Validator(latency).is_valid(text)
    assert matches is well_formed
    assert (re.search(LATENCY_PATTERN, text) is not None) is well_formed
    if well_formed:
        assert FaultSpec.model_validate({"latency": text}).latency == text.strip()
    else:
        with pytest.raises(ValidationError, match="not a latency"):
            FaultSpec.model_validate({"latency": text})


def test_a_latency_is_kept_without_the_whitespace_around_it() -> None:
    spec = FaultSpec.model_validate({"latency": " 0m20s\n"})
    assert spec.latency == "0m20s"
    assert build("f1", spec, "scenario").delay == 20.0


@pytest.mark.parametrize(
    ("message", "sender_action", "attachment_type", "kinds"),
    [
        ({"text": "hi"}, None, None, ("text",)),
        (None, "typing_on", None, ("sender_action", "typing_on")),
        ({"attachment": {"type": "image", "payload": {}}}, None, "image", ("attachment", "image")),
        ({"attachment": {"type": "AUDIO"}}, None, "audio", ("attachment", "audio")),
        ({"attachment": {"type": "template"}}, None, "template", ("template", "generic")),
        ({"attachment": "image"}, None, None, ("text",)),  # not an object: no attachment
    ],
)
def test_a_sends_attachment_type_and_kinds(
    message: dict[str, Any] | None,
    sender_action: str | None,
    attachment_type: str | None,
    kinds: tuple[str, ...],
) -> None:
    request = SendRequest(
        Recipient("id", IN_WINDOW, {"id": IN_WINDOW}),
        "RESPONSE",
        None,
        "REGULAR",
        message,
        sender_action,
        template_type="generic" if attachment_type == "template" else None,
    )
    assert request.attachment_type == attachment_type
    assert send_kinds(request) == kinds
    assert is_media(request) is (attachment_type == "audio")
