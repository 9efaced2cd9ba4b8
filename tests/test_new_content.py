"""Newer message content (issue 13, item 4): `message.sticker_id` (Meta's changelog of 1 June
2026) and the image grid template (30 June 2026), each refused before its date on the emulated
clock and taken after it with its documented limits; the webhooks carry stickers as the
changelog says (an `image` and a `sticker` attachment until 30 August 2026, then `sticker`)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from conftest import ROOT, assert_refused
from samples import DATED_MESSAGES, dated_sample
from starlette.testclient import TestClient
from test_retired_features import field_rule

from emulator.app import create_app
from emulator.rules import limits
from emulator.scenario.load import load_file, load_text
from emulator.webhooks import events

ADA = "2000000000000001"
ERA_2026 = ROOT / "scenarios" / "era-2026.yaml"


def at(start_at: str) -> TestClient:
    text = ERA_2026.read_text().replace("2026-11-02T09:00:00Z", start_at)
    return TestClient(create_app(load_text(text, "era")))


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(load_file(ERA_2026))) as test_client:
        yield test_client


def send(client: TestClient, message: dict[str, Any]) -> httpx.Response:
    body = {"recipient": {"id": ADA}, "messaging_type": "RESPONSE", "message": message}
    return client.post("/v21.0/me/messages", params={"access_token": "ACME_PAGE_TOKEN"}, json=body)


# --- stickers -----------------------------------------------------------------------------

STICKER = 767226160478561  # the changelog's example


@pytest.mark.parametrize("sticker_id", [STICKER, str(STICKER)])
def test_a_sticker_is_sent_and_answered_as_any_message(client: TestClient, sticker_id: Any) -> None:
    answer = send(client, {"sticker_id": sticker_id})
    assert answer.status_code == 200, answer.text
    assert set(answer.json()) == {"recipient_id", "message_id"}
    kept = client.get("/_emulator/messages").json()["data"][-1]
    assert kept["message"] == {"sticker_id": sticker_id}


# (the message, the rule)
BAD_STICKERS = [
    ({"sticker_id": "abc"}, "sticker_id_invalid"),
    ({"sticker_id": True}, "sticker_id_invalid"),
    ({"sticker_id": {"id": 1}}, "sticker_id_invalid"),
    ({"sticker_id": STICKER, "text": "hi"}, "sticker_with_content"),
    (
        {"sticker_id": STICKER, "attachment": {"type": "image", "payload": {"url": "https://a/b"}}},
        "sticker_with_content",
    ),
]


@pytest.mark.parametrize(("message", "rule"), BAD_STICKERS)
def test_bad_stickers(client: TestClient, message: dict[str, Any], rule: str) -> None:
    assert_refused(client, send(client, message), rule)


# (the emulated instant, whether sticker_id is known)
STICKER_EDGE = [("2026-05-31T23:59:59Z", False), ("2026-06-01T00:00:00Z", True)]


@pytest.mark.parametrize(("start_at", "known"), STICKER_EDGE)
def test_sticker_id_by_the_emulated_date(start_at: str, known: bool) -> None:
    with at(start_at) as client:
        answer = send(client, {"sticker_id": STICKER})
        if known:
            assert answer.status_code == 200, answer.text
        else:
            assert_refused(client, answer, "sticker_not_yet")


# (the emulated instant, the attachments the echo carries)
ECHO_EDGE = [
    ("2026-08-29T12:00:00Z", ["image", "sticker"]),
    ("2026-08-30T00:00:00Z", ["sticker"]),
]


@pytest.mark.parametrize(("start_at", "kinds"), ECHO_EDGE)
def test_the_echo_carries_the_sticker_as_the_changelog_says(
    start_at: str, kinds: list[str]
) -> None:
    time = int(datetime.fromisoformat(start_at).timestamp() * 1000)
    echo = events.echo("1", ADA, time, "m_1", "7", {"sticker_id": STICKER})
    attachments = echo["message"]["attachments"]
    assert [a["type"] for a in attachments] == kinds
    assert all(a["payload"]["sticker_id"] == STICKER for a in attachments)
    assert "text" not in echo["message"]


# --- the image grid template ------------------------------------------------------------

GRID = DATED_MESSAGES["image_grid"]


def grid(**element: Any) -> dict[str, Any]:
    message = copy.deepcopy(GRID)
    message["attachment"]["payload"]["elements"][0].update(element)
    return message


def images(count: int, heroes: int = 0) -> list[dict[str, Any]]:
    return [
        {"url": f"https://acme.test/{i}.png", **({"is_hero_image": True} if i < heroes else {})}
        for i in range(count)
    ]


def test_an_image_grid_is_sent(client: TestClient) -> None:
    answer = send(client, dated_sample("image_grid"))
    assert answer.status_code == 200, answer.text
    assert client.get("/_emulator/messages").json()["data"][-1]["message"] == GRID


# (what, the element's change, the rule or None)
GRID_LIMITS = [
    ("2 images", {"images": images(2)}, None),
    ("6 images", {"images": images(6)}, None),
    ("1 image", {"images": images(1)}, "image_grid_too_few"),
    ("7 images", {"images": images(7)}, "array_too_many"),
    ("one hero", {"images": images(3, heroes=1)}, None),
    ("two heroes", {"images": images(3, heroes=2)}, "image_grid_hero"),
    ("title 45", {"title": "t" * limits.IMAGE_GRID_TITLE_MAX}, None),
    ("title 46", {"title": "t" * (limits.IMAGE_GRID_TITLE_MAX + 1)}, "field_too_long"),
    ("subtitle 80", {"subtitle": "s" * limits.IMAGE_GRID_SUBTITLE_MAX}, None),
    ("subtitle 81", {"subtitle": "s" * 81}, "field_too_long"),
    (
        "a call button",
        {"buttons": [{"type": "phone_number", "title": "Call", "payload": "+15105551234"}]},
        "field_enum",
    ),
    (
        "an action of no known type",
        {"images": [{"url": "https://a.test/1.png", "action": {"type": "call"}}, *images(1)]},
        "field_enum",
    ),
    (
        "a postback action without payload",
        {"images": [{"url": "https://a.test/1.png", "action": {"type": "postback"}}, *images(1)]},
        "field_required",
    ),
]


@pytest.mark.parametrize(("what", "change", "rule"), GRID_LIMITS)
def test_image_grid_limits(
    client: TestClient, what: str, change: dict[str, Any], rule: str | None
) -> None:
    answer = send(client, grid(**change))
    if rule is None:
        assert answer.status_code == 200, answer.text
    else:
        assert_refused(client, answer, rule)


def test_an_image_grid_has_exactly_one_element(client: TestClient) -> None:
    message = copy.deepcopy(GRID)
    payload = message["attachment"]["payload"]
    payload["elements"] = payload["elements"] * 2
    assert_refused(client, send(client, message), "array_too_many")


IMAGE_GRID_EDGE = [("2026-06-29T23:59:59Z", False), ("2026-06-30T00:00:00Z", True)]


@pytest.mark.parametrize(("start_at", "known"), IMAGE_GRID_EDGE)
def test_the_image_grid_by_the_emulated_date(start_at: str, known: bool) -> None:
    with at(start_at) as client:
        answer = send(client, dated_sample("image_grid"))
        if known:
            assert answer.status_code == 200, answer.text
        else:
            assert_refused(client, answer, "image_grid_not_yet")


def test_instagram_pages_do_not_take_the_image_grid() -> None:
    """Instagram's template list (generic, button, product) has no image grid."""
    from emulator.rules.templates import INSTAGRAM_TEMPLATES

    assert "image_grid" not in INSTAGRAM_TEMPLATES


def _grid_cases() -> list[Any]:
    from test_templates import cases

    from emulator.rules.image_grid import IMAGE_GRID

    return list(cases({"image_grid": IMAGE_GRID}, DATED_MESSAGES))


@pytest.mark.parametrize(("name", "path", "value", "rule"), _grid_cases())
def test_image_grid_field_rule(
    client: TestClient, name: str, path: Any, value: Any, rule: str | None
) -> None:
    field_rule(client, name, path, value, rule)


def test_the_ledger_serves_the_dates_and_limits(client: TestClient) -> None:
    served = client.get("/_emulator/rules").json()
    assert served["limits"]["marketing_messages_shutdown"] == "2026-02-10"
    assert served["limits"]["sticker_send_since"] == "2026-06-01"
    assert served["limits"]["image_grid_since"] == "2026-06-30"
    assert served["limits"]["image_grid_images"] == [2, 6]
    grid = [row for row in served["fields"] if row["in"] == "template image_grid"]
    assert any(row["field"].endswith("[images]") and row["max_items"] == 6 for row in grid)
