"""Scenario files: the bundled default and the examples load and behave; bad files are
refused with one clear line per problem."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import ROOT, graph_error, make_client, send, text_to

from emulator.scenario import bundled
from emulator.scenario.load import ScenarioError, default_text, load_default, load_file, load_text
from emulator.scenario.model import Scenario
from emulator.state import World

SCENARIOS = ROOT / "scenarios"


def test_scenarios_folder_holds_the_bundled_default() -> None:
    assert (SCENARIOS / "default.yaml").read_text() == default_text()


def test_the_bundled_default_is_served_as_validated() -> None:
    """`serve` builds the default from default.json without validating (start-up time): it
    must be default.yaml validated (`python -m emulator.scenario.bundled` writes it again)."""
    assert bundled.VALIDATED.read_text("utf-8") == bundled.validated_text()
    served = bundled.default_scenario()
    validated = load_default()
    assert served == validated
    assert served.model_dump(exclude_unset=True) == validated.model_dump(exclude_unset=True)


RICH = """
version: 1
name: every kind of field
clock: {start: "2026-01-05T09:00:00+01:00"}
app: {id: 7, require_appsecret_proof: true}
webhook: {url: "http://127.0.0.1:9/hook", fields: [messages]}
behaviour: {tag_retirement_date: 2026-05-01, permission_error_status: 403}
pages:
  - id: "1"
    tokens: [{token: T, expires: "+1d"}]
    users: [{psid: "2", last_message: "-1h", timezone: 5.5}, {psid: 3, blocked: true}]
faults:
  - {error: rate_limit, times: 2, match: {recipient_id: "2"}}
  - {error: {code: 1, message: x, status: 500}, latency: 10ms, probability: 0.5, seed: 1}
rate_limits: {per_second: 5}
"""


@pytest.mark.parametrize(
    "source",
    [RICH, *(path.read_text() for path in sorted(SCENARIOS.iterdir()))],
    ids=["rich", *(path.name for path in sorted(SCENARIOS.iterdir()))],
)
def test_construct_rebuilds_what_validation_built(source: str) -> None:
    validated = load_text(source, "scenario", as_json=source.lstrip().startswith("{"))
    data = validated.model_dump(mode="json", exclude_unset=True)
    built = bundled.construct(Scenario, data)
    assert built == validated
    assert built.model_dump(exclude_unset=True) == validated.model_dump(exclude_unset=True)


@pytest.mark.parametrize("path", sorted(SCENARIOS.iterdir()), ids=lambda p: p.name)
def test_every_example_loads(path: Path) -> None:
    scenario = load_file(path)
    assert scenario.pages
    assert all(page.tokens for page in scenario.pages)


def test_shop_window_closes_an_hour_later() -> None:
    with make_client((SCENARIOS / "shop.yaml").read_text()) as client:
        body = text_to("2000000000000102")  # wrote 23 h before the start
        assert send(client, body, token="SHOP_PAGE_TOKEN").status_code == 200
        client.post("/_emulator/clock", json={"advance": "1h1s"})
        assert graph_error(send(client, body, token="SHOP_PAGE_TOKEN"))["code"] == 10


def test_no_human_agent_scenario_refuses_the_bot_not_the_agent() -> None:
    body = {**text_to("2000000000000202"), "messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}
    with make_client((SCENARIOS / "no-human-agent.yaml").read_text()) as client:
        refused = graph_error(send(client, body, token="DESK_BOT_TOKEN"))
        assert (refused["code"], refused["error_subcode"]) == (100, 2018276)
        assert send(client, body, token="DESK_AGENT_TOKEN").status_code == 200


def test_instagram_scenario_requires_appsecret_proof_and_refuses_other_tags() -> None:
    import hashlib
    import hmac

    scenario = load_file(SCENARIOS / "instagram.json")
    proof = hmac.new(b"ig-app-secret", b"LUMEN_IG_TOKEN", hashlib.sha256).hexdigest()
    body = {**text_to("17841400000000302"), "messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}
    from starlette.testclient import TestClient

    from emulator.app import create_app

    with TestClient(create_app(scenario)) as client:
        url = "/v21.0/me/messages"
        params = {"access_token": "LUMEN_IG_TOKEN", "appsecret_proof": proof}
        assert client.post(url, params=params, json=body).status_code == 200
        other = {**body, "tag": "ACCOUNT_UPDATE"}
        assert graph_error(client.post(url, params=params, json=other))["message"] == (
            "(#100) Invalid tag."
        )
        no_proof = client.post(url, params={"access_token": "LUMEN_IG_TOKEN"}, json=body)
        assert graph_error(no_proof)["type"] == "GraphMethodException"


MINIMAL = 'version: 1\npages:\n  - id: "1"\n    tokens: [{token: T}]\n'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("version: 2\n" + MINIMAL.split("\n", 1)[1], "version"),
        (MINIMAL + "colour: blue\n", "colour (line 5): unknown key"),
        (MINIMAL.replace('id: "1"', "id: acme"), "pages[0].id (line 3): must be a numeric id"),
        (MINIMAL + "    users: [{psid: '2', last_message: yesterday}]\n", "last_message"),
        (MINIMAL + "    platform: whatsapp\n", "pages[0].platform"),
        (
            MINIMAL.replace("tokens: [{token: T}]", "tokens: [{token: T, permissions: [x]}]"),
            "permissions[0]",
        ),
        (MINIMAL + "  - id: '1'\n", "pages[1].id: duplicate page id '1'"),
        (MINIMAL + "    tokens: []\n", "duplicate key 'tokens'"),
        ("version: 1\npages: []\n", "pages"),
        ("- just a list\n", "must be a mapping"),
        ("", "empty"),
        ("version: 1\npages: [\n", "invalid YAML"),
        ("version: 1\nclock: {start: '-1h'}\npages: []\n", "clock.start"),
    ],
    ids=[
        "wrong version",
        "unknown key",
        "page id not numeric",
        "bad time",
        "unknown platform",
        "unknown permission",
        "duplicate page",
        "duplicate YAML key",
        "no pages",
        "not a mapping",
        "empty file",
        "broken YAML",
        "relative clock start",
    ],
)
def test_invalid_scenarios_name_the_problem(text: str, expected: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_text(text, "bad.yaml")
    assert any(expected in problem for problem in caught.value.problems), caught.value.problems
    assert all(problem.startswith("bad.yaml: ") for problem in caught.value.problems)


def test_json_scenario_errors_use_json_paths() -> None:
    with pytest.raises(ScenarioError) as caught:
        load_text(
            '{"version": 1, "pages": [{"id": "1", "tokens": [{"tok": "x"}]}]}',
            "s.json",
            as_json=True,
        )
    assert "s.json: pages[0].tokens[0].tok: unknown key" in caught.value.problems
    assert "s.json: pages[0].tokens[0].token: required key is missing" in caught.value.problems


def test_ids_may_be_unquoted_numbers_and_times_unquoted_timestamps() -> None:
    text = (
        "version: 1\nclock: {start: 2026-01-05T09:00:00Z}\npages:\n"
        "  - id: 110000000000001\n    tokens: [{token: T}]\n"
        "    users: [{psid: 2000000000000001, last_message: 2026-01-05T08:00:00Z}]\n"
    )
    world = World(load_text(text, "t"))
    person = world.pages["110000000000001"].people["2000000000000001"]
    assert person.last_message == datetime(2026, 1, 5, 8, tzinfo=UTC)


def test_relative_times_count_from_a_frozen_start() -> None:
    text = MINIMAL.replace("version: 1\n", "version: 1\nclock: {start: '2026-01-05T09:00:00Z'}\n")
    text += "    users: [{psid: '2', last_message: '-1d2h'}]\n"
    world = World(load_text(text, "t"))
    assert world.pages["1"].people["2"].last_message == datetime(2026, 1, 4, 7, tzinfo=UTC)
    assert world.clock.frozen


def test_without_a_start_the_clock_is_real_time() -> None:
    world = World(load_text(MINIMAL + "    users: [{psid: '2', last_message: '-1h'}]\n", "t"))
    assert not world.clock.frozen
    now = datetime.now(UTC)
    assert abs(world.clock.now() - now) < timedelta(minutes=1)
    last = world.pages["1"].people["2"].last_message
    assert last is not None
    assert abs((now - last) - timedelta(hours=1)) < timedelta(minutes=1)


def test_tokens_default_to_pages_messaging_and_message_task() -> None:
    scenario = load_text(MINIMAL, "t")
    token = scenario.pages[0].tokens[0]
    assert (token.permissions, token.tasks) == (["pages_messaging"], ["MESSAGE"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n"
                for i in range(12)
            ),
            "YAML aliases",
        ),
        ("version: 1\npages: &p [*p]\n", "pages"),
        # libyaml refuses the escape itself; PyYAML's pure-Python parser builds the string
        ('version: 1\nname: "\\ud800"\npages: []\n', "surrogate|invalid Unicode character escape"),
    ],
    ids=["alias bomb", "recursive alias", "lone surrogate"],
)
def test_hostile_yaml_is_refused_quickly(text: str, expected: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_text(text, "evil.yaml")
    assert re.search(expected, " ".join(caught.value.problems)), caught.value.problems


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (MINIMAL.replace("version: 1", "version: true"), "version"),
        (MINIMAL + "    users: [{psid: '2', blocked: 'yes'}]\n", "blocked"),
        (MINIMAL + "    users: [{psid: '2', last_message: '+1d'}]\n", "must not be in the future"),
        (
            MINIMAL
            + "    comments: [{id: '1_2', created: '-1h'}]\n"
            + "    posts: [{id: '1_2', created: '-1h'}]\n",
            "posts[0]: duplicate",
        ),
        (MINIMAL.replace("[{token: T}]", "[{token: T, expires: '-99999999999d'}]"), "too long"),
        (
            MINIMAL.replace("[{token: T}]", "[{token: T, expires: '9999-01-01T00:00:00Z'}]"),
            "outside",
        ),
        (MINIMAL.replace('id: "1"', 'id: "\u00b2"'), "numeric id"),
    ],
    ids=[
        "version true",
        "blocked as a string",
        "a person writing in the future",
        "comment and post share an id",
        "overflowing relative time",
        "time past the clock's range",
        "superscript digit id",
    ],
)
def test_strict_scenario_values(text: str, expected: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_text(text, "s.yaml")
    assert expected in " ".join(caught.value.problems), caught.value.problems


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kolkata"])
def test_unquoted_yaml_times_are_utc_whatever_the_machine_zone(
    monkeypatch: pytest.MonkeyPatch, zone: str
) -> None:
    import time

    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        text = (
            "version: 1\nclock: {start: 2026-01-05}\n"
            "pages:\n  - id: '1'\n    tokens: [{token: T}]\n"
            "    users: [{psid: '2', last_message: 2026-01-04 08:30:00}]\n"
        )
        world = World(load_text(text, "t"))
    finally:
        monkeypatch.undo()
        time.tzset()
    assert world.clock.now() == datetime(2026, 1, 5, tzinfo=UTC)
    assert world.pages["1"].people["2"].last_message == datetime(2026, 1, 4, 8, 30, tzinfo=UTC)
