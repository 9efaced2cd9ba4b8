"""Opt-in rate limits: per-page calls per second and the rolling 24-hour quota of 200 x
engaged users, on the emulated clock, with Graph's throttling errors and usage headers."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from conftest import (
    IN_7_DAYS,
    IN_WINDOW,
    LONG_AGO,
    NEVER_WROTE,
    PAGE,
    TEST_SCENARIO,
    assert_refused,
    graph_error,
    make_client,
    send,
    text_to,
)
from samples import sample
from starlette.testclient import TestClient

from emulator import ratelimit
from emulator.scenario.load import ScenarioError, load_text
from emulator.state import PageState, World

BUC = "x-business-use-case-usage"
APP = "x-app-usage"
RATES = "/_emulator/ratelimits"
ENGAGED = 3  # on PAGE: wrote at some point and did not block it (Ada, Grace, Edsger)
AUDIO_SEND = {**text_to(IN_WINDOW), "message": sample("audio")}


def limited(**limits: Any) -> TestClient:
    """The test scenario with rate limits on (these settings over the defaults)."""
    text = TEST_SCENARIO.read_text() + f"rate_limits: {json.dumps(limits)}\n"
    return make_client(text)


def advance(client: TestClient, by: str) -> None:
    assert client.post("/_emulator/clock", json={"advance": by}).status_code == 200


def buc(response: httpx.Response, page: str = PAGE) -> dict[str, Any]:
    usage = json.loads(response.headers[BUC])
    assert list(usage) == [page]
    [entry] = usage[page]
    assert entry["type"] == "messenger"
    assert entry["call_count"] == entry["total_cputime"] == entry["total_time"]
    result: dict[str, Any] = entry
    return result


def usage(client: TestClient, page: str = PAGE) -> dict[str, Any]:
    data: dict[str, Any] = client.get(RATES).json()["pages"][page]
    return data


def test_off_unless_the_scenario_asks(client: TestClient) -> None:
    responses = [send(client, text_to(IN_WINDOW)) for _ in range(400)]
    assert {r.status_code for r in responses} == {200}
    assert BUC not in responses[-1].headers
    assert APP not in responses[-1].headers
    assert client.get(RATES).json() == {"enabled": False}


THROTTLES = [
    # (limits, the send, how many pass, the error, when the window frees the first call)
    ({"per_second": 3}, text_to(IN_WINDOW), 3, "rate_limit", "2026-01-05T09:00:01"),
    ({"media_per_second": 2}, AUDIO_SEND, 2, "rate_limit", "2026-01-05T09:00:01"),
    (
        {"daily_per_engaged_user": 2},
        text_to(IN_WINDOW),
        2 * ENGAGED,
        "page_rate_limit",
        "2026-01-06T09:00:00",
    ),
]


@pytest.mark.parametrize(
    ("limits", "body", "passes", "rule", "frees"),
    THROTTLES,
    ids=["per second", "media per second", "24 hours"],
)
def test_throttled_with_the_documented_error_until_the_window_slides(
    limits: dict[str, Any], body: dict[str, Any], passes: int, rule: str, frees: str
) -> None:
    free_at = datetime.fromisoformat(frees + "+00:00")
    almost = (free_at - timedelta(milliseconds=1)).isoformat()
    with limited(**limits) as client:
        for _ in range(passes):  # the clock is frozen: all in the same second
            assert send(client, body).status_code == 200
        throttled = send(client, body)
        error = assert_refused(client, throttled, rule)
        assert error["is_transient"] is True
        assert list(error) == ["message", "type", "is_transient", "code", "fbtrace_id"]
        assert BUC in throttled.headers
        assert APP in throttled.headers
        assert send(client, body).status_code == 400  # still throttled: not counted either
        client.post("/_emulator/clock", json={"set": almost})
        assert send(client, body).status_code == 400  # not yet
        client.post("/_emulator/clock", json={"set": free_at.isoformat()})
        write = f"/_emulator/pages/{PAGE}/users/{IN_WINDOW}/messages"
        assert client.post(write, json={"text": "still there?"}).status_code == 200  # 24 h on
        assert send(client, body).status_code == 200


def test_the_exact_throttling_bodies() -> None:
    with limited(per_second=1, daily_per_engaged_user=1) as client:
        assert send(client, text_to(IN_WINDOW)).status_code == 200
        per_second = graph_error(send(client, text_to(IN_WINDOW)))
        assert per_second["message"] == "(#613) Calls to this api have exceeded the rate limit."
        assert (per_second["code"], per_second["type"]) == (613, "OAuthException")
        for _ in range(ENGAGED - 1):
            advance(client, "1s")
            assert send(client, text_to(IN_WINDOW)).status_code == 200
        advance(client, "1s")
        daily = send(client, text_to(IN_WINDOW))
        assert daily.status_code == 400
        assert graph_error(daily)["message"] == (
            "(#80006) There have been too many messenger api calls to this Page account. Wait a "
            "bit and try again. For more info, please refer to "
            "https://developers.facebook.com/docs/graph-api/overview/rate-limiting."
        )
        assert b"https:\\/\\/developers.facebook.com" in daily.content  # Graph escapes slashes
        assert daily.headers["www-authenticate"].startswith(
            'OAuth "Facebook Platform" "invalid_request" "(#80006)'
        )


def test_media_and_other_sends_have_separate_per_second_limits() -> None:
    with limited(per_second=2, media_per_second=1) as client:
        assert send(client, AUDIO_SEND).status_code == 200
        assert graph_error(send(client, AUDIO_SEND))["code"] == 613
        assert send(client, {**text_to(IN_WINDOW), "message": sample("video")}).status_code == 400
        assert send(client, {**text_to(IN_WINDOW), "message": sample("image")}).status_code == 200
        assert send(client, text_to(IN_WINDOW)).status_code == 200
        assert graph_error(send(client, text_to(IN_WINDOW)))["code"] == 613


def test_the_daily_quota_grows_with_engaged_users() -> None:
    with limited(daily_per_engaged_user=1) as client:
        assert usage(client)["engaged_users"] == ENGAGED
        for _ in range(ENGAGED):
            assert send(client, text_to(IN_WINDOW)).status_code == 200
        assert graph_error(send(client, text_to(IN_WINDOW)))["code"] == 80006
        # Alan writes for the first time: one more engaged user, one more call today
        written = client.post(
            f"/_emulator/pages/{PAGE}/users/{NEVER_WROTE}/messages", json={"text": "hi"}
        )
        assert written.status_code == 200
        assert usage(client)["engaged_users"] == ENGAGED + 1
        assert send(client, text_to(NEVER_WROTE)).status_code == 200
        assert graph_error(send(client, text_to(NEVER_WROTE)))["code"] == 80006


def test_a_page_nobody_wrote_to_still_has_one_engaged_users_quota() -> None:
    text = (
        'version: 1\nclock: {start: "2026-01-05T09:00:00Z"}\npages:\n  - id: "1"\n'
        "    tokens: [{token: T}]\n    user_refs: [{ref: r1, created: -1m}]\n"
        "rate_limits: {daily_per_engaged_user: 2}\n"
    )
    body = {"recipient": {"user_ref": "r1"}, "messaging_type": "RESPONSE"}
    body["message"] = {"text": "hi"}
    with make_client(text) as client:
        assert [send(client, body, token="T").status_code for _ in range(3)] == [200, 200, 400]
        assert usage(client, "1")["engaged_users"] == 0
        assert usage(client, "1")["daily_quota"] == 2


def test_usage_headers_move_as_calls_are_made() -> None:
    with limited(daily_per_engaged_user=10) as client:  # 30 calls a day: 3.33 % each
        figures = []
        for _ in range(4):
            response = send(client, text_to(IN_WINDOW))
            assert response.status_code == 200
            figures.append(buc(response)["call_count"])
            app = json.loads(response.headers[APP])
            assert app == {
                "call_count": figures[-1],
                "total_cputime": figures[-1],
                "total_time": figures[-1],
            }
        assert figures == [3, 6, 10, 13]
        assert buc(response)["estimated_time_to_regain_access"] == 0


def test_headers_at_the_limit_say_when_access_comes_back() -> None:
    with limited(daily_per_engaged_user=1) as client:
        send(client, text_to(IN_WINDOW))
        advance(client, "1h")
        send(client, text_to(IN_WINDOW))
        last = send(client, text_to(IN_WINDOW))
        assert last.status_code == 200
        assert buc(last) == {
            "type": "messenger",
            "call_count": 100,
            "total_cputime": 100,
            "total_time": 100,
            "estimated_time_to_regain_access": 23 * 60,  # the first call leaves the window
        }
        advance(client, "30m")
        throttled = send(client, text_to(IN_WINDOW))
        assert buc(throttled)["estimated_time_to_regain_access"] == 22 * 60 + 30


def test_every_answer_of_the_edge_carries_the_headers_refusals_too() -> None:
    with limited(daily_per_engaged_user=10) as client:
        assert send(client, text_to(IN_WINDOW)).status_code == 200
        refused = send(client, text_to(LONG_AGO))  # outside the window: not counted
        assert graph_error(refused)["code"] == 10
        assert buc(refused)["call_count"] == 3
        malformed = send(client, {"recipient": {"id": IN_WINDOW}})
        assert buc(malformed)["call_count"] == 3
        assert usage(client)["last_24h"] == 1
        # other edges and calls refused before the edge carry none
        expired = send(client, text_to(IN_WINDOW), token="EXPIRED_TOKEN")
        assert BUC not in expired.headers


def test_headers_may_be_turned_off_while_limits_apply() -> None:
    with limited(per_second=1, headers=False) as client:
        first = send(client, text_to(IN_WINDOW))
        assert first.status_code == 200
        assert BUC not in first.headers
        second = send(client, text_to(IN_WINDOW))
        assert graph_error(second)["code"] == 613
        assert APP not in second.headers


def test_x_app_usage_adds_up_the_apps_pages() -> None:
    with limited(daily_per_engaged_user=10) as client:  # page quotas: 30 and 10
        send(client, text_to(IN_WINDOW))
        other = send(client, text_to("2100000000000001"), token="OTHER_TOKEN")
        assert other.status_code == 200
        assert buc(other, "120000000000001")["call_count"] == 10
        assert json.loads(other.headers[APP])["call_count"] == 5  # 2 calls of 40


def test_counters_what_counts_and_reset() -> None:
    with limited(per_second=2, daily_per_engaged_user=100) as client:
        view = client.get(RATES).json()
        assert view["enabled"] is True
        assert view["limits"] == {
            "per_second": 2,
            "media_per_second": 10,
            "daily_per_engaged_user": 100,
            "headers": True,
        }
        assert send(client, text_to(IN_WINDOW)).status_code == 200
        assert send(client, {**text_to(IN_7_DAYS)}).status_code == 400  # refused: not counted
        assert send(client, AUDIO_SEND).status_code == 200
        assert usage(client) == {
            "engaged_users": ENGAGED,
            "daily_quota": 100 * ENGAGED,
            "last_24h": 2,
            "last_second": 1,
            "media_last_second": 1,
            "call_count": 0,
            "estimated_time_to_regain_access": 0,
        }
        advance(client, "1s")
        assert (usage(client)["last_second"], usage(client)["last_24h"]) == (0, 2)
        client.post("/_emulator/reset")
        assert usage(client)["last_24h"] == 0


def test_a_faulted_send_is_counted_a_throttled_one_is_not() -> None:
    with limited(per_second=2) as client:
        fault = {"error": "service_unavailable", "times": 1}
        assert client.post("/_emulator/faults", json=fault).status_code == 201
        assert send(client, text_to(IN_WINDOW)).status_code == 500  # reached the page
        assert send(client, text_to(IN_WINDOW)).status_code == 200
        throttled = send(client, text_to(IN_WINDOW))
        assert graph_error(throttled)["code"] == 613  # throttling comes before faults
        assert usage(client)["last_24h"] == 2


def test_setting_the_clock_back_forgets_calls_not_yet_made() -> None:
    with limited(per_second=1) as client:
        advance(client, "1h")
        assert send(client, text_to(IN_WINDOW)).status_code == 200
        client.post("/_emulator/clock", json={"set": "2026-01-05T09:00:00Z"})
        assert usage(client)["last_24h"] == 0
        assert send(client, text_to(IN_WINDOW)).status_code == 200


@pytest.mark.parametrize(
    ("rate_limits", "expected"),
    [
        ("{per_second: 0}", "rate_limits.per_second (line 5): Input should be greater than"),
        ("{per_minute: 5}", "rate_limits.per_minute (line 5): unknown key"),
        ("{headers: 'yes'}", "rate_limits.headers (line 5): Input should be a valid boolean"),
        ("300", "rate_limits (line 5)"),
    ],
)
def test_invalid_rate_limits_name_the_place(rate_limits: str, expected: str) -> None:
    text = (
        f'version: 1\npages:\n  - id: "1"\n    tokens: [{{token: T}}]\nrate_limits: {rate_limits}\n'
    )
    with pytest.raises(ScenarioError) as raised:
        load_text(text, "s.yaml")
    assert any(p.startswith(f"s.yaml: {expected}") for p in raised.value.problems), raised.value


def test_an_empty_rate_limits_section_turns_on_the_documented_defaults() -> None:
    text = 'version: 1\npages:\n  - id: "1"\n    tokens: [{token: T}]\nrate_limits: {}\n'
    limits = load_text(text, "s.yaml").rate_limits
    assert limits is not None
    assert (limits.per_second, limits.media_per_second, limits.daily_per_engaged_user) == (
        300,
        10,
        200,
    )


def test_a_get_on_the_edge_carries_the_headers_too() -> None:
    with limited(daily_per_engaged_user=10) as client:
        assert send(client, text_to(IN_WINDOW)).status_code == 200
        read = client.get("/v21.0/me/messages", params={"access_token": "PAGE_TOKEN"})
        assert read.status_code == 400
        assert buc(read)["call_count"] == 3
        assert json.loads(read.headers[APP])["call_count"] == 3
        assert usage(client)["last_24h"] == 1  # not counted


def world_of(client: TestClient) -> World:
    world: World = client.app.state.world  # type: ignore[attr-defined]
    return world


def test_engaged_users_are_counted_again_only_when_the_people_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scans: list[str] = []
    count = ratelimit.engaged_users

    def counted(page: PageState) -> int:
        scans.append(page.id)
        return count(page)

    monkeypatch.setattr(ratelimit, "engaged_users", counted)
    with limited(daily_per_engaged_user=1) as client:
        for _ in range(ENGAGED):
            assert send(client, text_to(IN_WINDOW)).status_code == 200
        assert graph_error(send(client, text_to(IN_WINDOW)))["code"] == 80006
        assert scans == [PAGE]  # once, not once (or seven times) per call
        # a person who wrote before writes again: still the same engaged users
        write = f"/_emulator/pages/{PAGE}/users/{IN_WINDOW}/messages"
        assert client.post(write, json={"text": "again"}).status_code == 200
        assert graph_error(send(client, text_to(IN_WINDOW)))["code"] == 80006
        assert scans == [PAGE]
        # Alan's first message: counted again, once
        write = f"/_emulator/pages/{PAGE}/users/{NEVER_WROTE}/messages"
        assert client.post(write, json={"text": "hi"}).status_code == 200
        assert send(client, text_to(NEVER_WROTE)).status_code == 200
        assert graph_error(send(client, text_to(NEVER_WROTE)))["code"] == 80006
        assert scans == [PAGE, PAGE]
        # a new person (through the control API) who writes: one more
        write = f"/_emulator/pages/{PAGE}/users/2000000000000099/messages"
        assert client.post(write, json={"text": "new here"}).status_code == 201  # added
        assert usage(client)["engaged_users"] == ENGAGED + 2
        # people replaced whole (as restoring saved state does): counted afresh
        page = world_of(client).pages[PAGE]
        page.people = {psid: p for psid, p in page.people.items() if psid != IN_WINDOW}
        assert usage(client)["engaged_users"] == ENGAGED + 1


def buckets(client: TestClient) -> int:
    rates = world_of(client).rates
    assert rates is not None
    return rates.kept()


def test_the_windows_keep_counts_per_tick_not_one_entry_per_call() -> None:
    with limited(per_second=1000, daily_per_engaged_user=1000) as client:
        for _ in range(200):  # the clock is frozen: one millisecond, one second
            assert send(client, text_to(IN_WINDOW)).status_code == 200
        assert buckets(client) == 2  # per-second window and day window: one bucket each
        assert usage(client)["last_24h"] == 200
        for _ in range(3):  # three more milliseconds in the same second
            advance_ms(client, 1)
            assert send(client, text_to(IN_WINDOW)).status_code == 200
        assert buckets(client) == 4 + 1
        assert (usage(client)["last_second"], usage(client)["last_24h"]) == (203, 203)
        write = f"/_emulator/pages/{PAGE}/users/{IN_WINDOW}/messages"
        for _ in range(30):  # 30 more sends, an hour apart: the first day's ones leave
            advance(client, "1h")
            assert client.post(write, json={"text": "still there?"}).status_code == 200
            assert send(client, text_to(IN_WINDOW)).status_code == 200
        assert usage(client)["last_24h"] == 24
        assert usage(client)["last_second"] == 1
        assert buckets(client) == 1 + 24  # the last second's send; one a second for the day


def advance_ms(client: TestClient, milliseconds: int) -> None:
    now = datetime.fromisoformat(client.get("/_emulator/clock").json()["now"])
    later = (now + timedelta(milliseconds=milliseconds)).isoformat()
    assert client.post("/_emulator/clock", json={"set": later}).status_code == 200


def test_a_call_leaves_the_windows_with_its_tick() -> None:
    with limited(per_second=1, daily_per_engaged_user=1) as client:
        advance_ms(client, 500)  # 09:00:00.500
        assert send(client, text_to(IN_WINDOW)).status_code == 200
        advance_ms(client, 999)  # 09:00:01.499: still within the second
        assert graph_error(send(client, text_to(IN_WINDOW)))["code"] == 613
        advance_ms(client, 1)  # 09:00:01.500
        assert usage(client)["last_second"] == 0
        # the day counts per second: the call is in the 09:00:00 bucket, which leaves the
        # 24-hour window at 09:00:00 the next day (half a second before the call's own time)
        client.post("/_emulator/clock", json={"set": "2026-01-06T08:59:59.999+00:00"})
        assert usage(client)["last_24h"] == 1
        client.post("/_emulator/clock", json={"set": "2026-01-06T09:00:00+00:00"})
        assert usage(client)["last_24h"] == 0
