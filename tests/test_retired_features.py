"""Features retired on a date, answered by the emulated date (issue 13, item 2): marketing
messages (the notification_messages template, its opt-in and token) work before their
shutdown on 10 February 2026 and are refused after it; the one-time notification has no
documented retirement and works in both eras. The era scenarios (scenarios/era-2025.yaml,
era-2026.yaml) send the same things and show the differences."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import ROOT, assert_refused, graph_error, run_cli
from samples import DATED_MESSAGES, dated_sample
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.scenario.load import load_file, load_text

PAGE = "110000000000001"
ADA = "2000000000000001"  # wrote 1 hour ago
GRACE = "2000000000000002"  # wrote 3 days ago
ERAS = {year: ROOT / "scenarios" / f"era-{year}.yaml" for year in (2025, 2026)}


def era(year: int) -> TestClient:
    return TestClient(create_app(load_file(ERAS[year])))


def at(start: str) -> TestClient:
    """The 2025 era's shop with its clock at `start`."""
    text = ERAS[2025].read_text().replace("2025-11-03T09:00:00Z", start)
    return TestClient(create_app(load_text(text, "era")))


def send(client: TestClient, body: dict[str, Any]) -> httpx.Response:
    return client.post("/v21.0/me/messages", params={"access_token": "ACME_PAGE_TOKEN"}, json=body)


def template(payload: dict[str, Any], psid: str = ADA) -> dict[str, Any]:
    return {
        "recipient": {"id": psid},
        "messaging_type": "RESPONSE",
        "message": {"attachment": {"type": "template", "payload": payload}},
    }


MARKETING = {
    "template_type": "notification_messages",
    "title": "Summer sale alerts",
    "image_url": "https://shop.example/sale.png",
    "payload": "SALE_ALERTS",
    "notification_messages_frequency": "WEEKLY",
    "notification_messages_cta_text": "GET_UPDATES",
}
ONE_TIME = {"template_type": "one_time_notif_req", "title": "Back in stock?", "payload": "RESTOCK"}


def opt_in(client: TestClient | httpx.Client, value: Any = True, psid: str = ADA) -> httpx.Response:
    return client.post(f"/_emulator/pages/{PAGE}/users/{psid}/messages", json={"optin": value})


def to_token(kind: str, token: str, text: str = "It is back") -> dict[str, Any]:
    return {"recipient": {kind: token}, "messaging_type": "UPDATE", "message": {"text": text}}


@pytest.fixture(params=[2025, 2026])
def year(request: pytest.FixtureRequest) -> int:
    return int(request.param)


@pytest.fixture
def client(year: int) -> Iterator[TestClient]:
    with era(year) as test_client:
        yield test_client


# --- the era scenarios ------------------------------------------------------------------


def test_the_era_scenarios_pass_check() -> None:
    result = run_cli("check", *(str(path) for path in ERAS.values()))
    assert result.returncode == 0, result.stderr
    assert result.stdout.count(": ok") == 2


# (what is sent, whether 2025 takes it, whether 2026 does, the 2026 rule if refused)
SAME_THINGS = [
    ("marketing opt-in request", template(MARKETING), True, False, "notification_messages_retired"),
    ("one-time notification request", template(ONE_TIME), True, True, None),
    (
        "a retired tag",
        {
            "recipient": {"id": GRACE},
            "messaging_type": "MESSAGE_TAG",
            "tag": "ACCOUNT_UPDATE",
            "message": {"text": "Your password changed"},
        },
        True,
        False,
        "tag_retired",
    ),
    (
        "a sticker",
        {"recipient": {"id": ADA}, "messaging_type": "RESPONSE", "message": {"sticker_id": 1}},
        False,
        True,
        None,
    ),
]


@pytest.mark.parametrize(("what", "body", "in_2025", "in_2026", "rule"), SAME_THINGS)
def test_the_same_sends_in_both_eras(
    what: str, body: dict[str, Any], in_2025: bool, in_2026: bool, rule: str | None
) -> None:
    for year, taken in ((2025, in_2025), (2026, in_2026)):
        with era(year) as client:
            answer = send(client, body)
            assert (answer.status_code == 200) is taken, (what, year, answer.text)
            if year == 2026 and rule is not None:
                assert_refused(client, answer, rule)


# --- marketing messages: before and after 10 February 2026 -------------------------------

# (the emulated instant, whether the template and the token still work)
SHUTDOWN_EDGE = [
    ("2026-02-09T23:59:59Z", True),
    ("2026-02-10T00:00:00Z", False),
    ("2025-06-01T12:00:00Z", True),
    ("2026-12-01T12:00:00Z", False),
]


@pytest.mark.parametrize(("start", "works"), SHUTDOWN_EDGE)
def test_marketing_messages_by_the_emulated_date(start: str, works: bool) -> None:
    with at(start) as client:
        answer = send(client, template(MARKETING))
        if works:
            assert answer.status_code == 200, answer.text
        else:
            assert_refused(client, answer, "notification_messages_retired")


def test_a_token_from_before_the_shutdown_is_refused_after_it() -> None:
    with at("2026-02-09T10:00:00Z") as client:
        assert send(client, template(MARKETING)).status_code == 200
        token = opt_in(client).json()["optin"]["notification_messages_token"]
        first = send(client, to_token("notification_messages_token", token))
        assert first.status_code == 200, first.text
        assert first.json()["recipient_id"] == ADA
        client.post("/_emulator/clock", json={"advance": "1d"})
        assert_refused(
            client,
            send(client, to_token("notification_messages_token", token)),
            "notification_token_retired",
        )


def test_the_marketing_opt_in_end_to_end_in_2025() -> None:
    with era(2025) as client:
        sent = send(client, template(MARKETING))
        assert sent.status_code == 200, sent.text
        answer = opt_in(client, "SALE_ALERTS")
        assert answer.status_code == 200, answer.text
        optin = answer.json()["optin"]
        assert optin["type"] == "notification_messages"
        assert optin["payload"] == "SALE_ALERTS"
        assert optin["title"] == "Summer sale alerts"
        assert optin["notification_messages_frequency"] == "WEEKLY"
        assert optin["user_token_status"] == "NOT_REFRESHED"
        assert isinstance(optin["token_expiry_timestamp"], int)
        token = optin["notification_messages_token"]
        assert token.isdigit()
        # the token reaches her outside the window, again and again (recurring)
        client.post("/_emulator/clock", json={"advance": "3d"})
        for text in ("Sale starts", "Sale ends"):
            again = send(client, to_token("notification_messages_token", token, text))
            assert again.status_code == 200, again.text
        # and the same request cannot be answered twice
        assert opt_in(client, "SALE_ALERTS").status_code == 400


def test_the_helper_plays_the_opt_in_and_its_webhook() -> None:
    from emulator.testing import start

    with start(str(ERAS[2025])) as api:
        delivered: list[dict[str, Any]] = []
        api.deliver_to(delivered.append)
        sent = api.client.post(
            f"{api.graph_url()}/me/messages",
            params={"access_token": "ACME_PAGE_TOKEN"},
            json=template(MARKETING),
        )
        assert sent.status_code == 200, sent.text
        answer = api.person(ADA).opts_in("SALE_ALERTS")
        event = answer.event
        assert event["sender"] == {"id": ADA}
        assert event["recipient"] == {"id": PAGE}
        assert event["optin"]["type"] == "notification_messages"
        assert event["optin"]["notification_messages_token"].isdigit()
        assert [body["entry"][0]["messaging"][0] for body in delivered] == [event]


def test_opting_in_does_not_open_the_window() -> None:
    with era(2025) as client:
        send(client, template(ONE_TIME))
        client.post("/_emulator/clock", json={"advance": "25h"})
        answer = opt_in(client)
        assert answer.status_code == 200, answer.text
        outside = send(client, {**template(ONE_TIME), "messaging_type": "RESPONSE"})
        assert_refused(client, outside, "optin_request_outside_window")


def test_opt_in_requests_need_the_window(year: int, client: TestClient) -> None:
    answer = send(client, template(ONE_TIME, GRACE))
    assert_refused(client, answer, "optin_request_outside_window")


# --- the one-time notification: no documented retirement ---------------------------------


def test_one_time_notification_works_in_both_eras(year: int, client: TestClient) -> None:
    assert send(client, template(ONE_TIME)).status_code == 200
    answer = opt_in(client, "Back in stock?")
    assert answer.status_code == 200, answer.text
    optin = answer.json()["optin"]
    assert optin == {
        "type": "one_time_notif_req",
        "payload": "RESTOCK",
        "one_time_notif_token": optin["one_time_notif_token"],
    }
    token = optin["one_time_notif_token"]
    client.post("/_emulator/clock", json={"advance": "30d"})
    first = send(client, to_token("one_time_notif_token", token))
    assert first.status_code == 200, first.text
    # one message per token
    again = send(client, to_token("one_time_notif_token", token))
    assert_refused(client, again, "no_matching_user")


BAD_TOKENS = [
    ("never issued", "one_time_notif_token", "1234567890123456789"),
    ("never issued, marketing", "notification_messages_token", "1234567890123456789"),
]


@pytest.mark.parametrize(("what", "kind", "token"), BAD_TOKENS)
def test_unknown_tokens_match_no_user(what: str, kind: str, token: str) -> None:
    with era(2025) as client:
        assert_refused(client, send(client, to_token(kind, token)), "no_matching_user")


def test_a_token_of_the_other_kind_matches_no_user() -> None:
    with era(2025) as client:
        send(client, template(ONE_TIME))
        token = opt_in(client).json()["optin"]["one_time_notif_token"]
        answer = send(client, to_token("notification_messages_token", token))
        assert_refused(client, answer, "no_matching_user")


def test_a_one_time_token_expires_after_a_year() -> None:
    with era(2025) as client:
        send(client, template(ONE_TIME))
        token = opt_in(client).json()["optin"]["one_time_notif_token"]
        client.post("/_emulator/clock", json={"advance": "366d"})
        again = send(client, to_token("one_time_notif_token", token))
    assert_refused(client, again, "no_matching_user")


BAD_OPTINS = [
    ("no request sent", None, True, "no opt-in request"),
    ("a payload not sent", ONE_TIME, "OTHER", "no opt-in request"),
    ("not a string", ONE_TIME, 7, "optin takes"),
    ("empty", ONE_TIME, "", "optin takes"),
]


@pytest.mark.parametrize(("what", "sent", "value", "says"), BAD_OPTINS)
def test_bad_opt_ins_are_refused_without_change(
    what: str, sent: dict[str, Any] | None, value: Any, says: str
) -> None:
    with era(2025) as client:
        if sent is not None:
            send(client, template(sent))
        answer = opt_in(client, value)
        assert answer.status_code == 400, answer.text
        assert says in answer.json()["error"]["message"]


# (the template, what breaks it, the rule)
BAD_REQUESTS = [
    ({**ONE_TIME, "title": "x" * 66}, "field_too_long"),
    ({"template_type": "one_time_notif_req", "payload": "P"}, "field_required"),
    ({**MARKETING, "notification_messages_frequency": "HOURLY"}, "field_enum"),
    ({**MARKETING, "title": "x" * 66}, "field_too_long"),
    ({k: v for k, v in MARKETING.items() if k != "payload"}, "field_required"),
    ({**MARKETING, "colour": "red"}, "invalid_keys"),
]


@pytest.mark.parametrize(("payload", "rule"), BAD_REQUESTS)
def test_opt_in_request_fields(payload: dict[str, Any], rule: str) -> None:
    with era(2025) as client:
        assert_refused(client, send(client, template(payload)), rule)


def test_limits_accepted_at_the_edge() -> None:
    with era(2025) as client:
        for payload in ({**ONE_TIME, "title": "x" * 65}, {**MARKETING, "title": "y" * 65}):
            answer = send(client, template(payload))
            assert answer.status_code == 200, answer.text
        assert graph_error(send(client, template({**ONE_TIME, "title": ""})))["code"] == 100


# --- every field rule of the opt-in request templates, generated from their specs ---------


def field_rule(client: TestClient, name: str, path: Any, value: Any, rule: str | None) -> None:
    """test_templates.test_field_rule for a template valid in this client's era."""
    from test_templates import DELETE, body, container, payload_of

    message = dated_sample(name)
    node = container(payload_of(message), path)
    if value is DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    response = client.post(
        "/v21.0/me/messages", params={"access_token": "ACME_PAGE_TOKEN"}, json=body(message)
    )
    if rule is None:
        assert response.status_code == 200, response.text
    else:
        assert_refused(client, response, rule)


def _optin_cases() -> list[Any]:
    from test_templates import cases

    from emulator.rules.optin_templates import NOTIFICATION_MESSAGES, ONE_TIME_NOTIF_REQ

    specs = {
        "notification_messages": NOTIFICATION_MESSAGES,
        "one_time_notif_req": ONE_TIME_NOTIF_REQ,
    }
    return list(cases(specs, DATED_MESSAGES))


@pytest.mark.parametrize(("name", "path", "value", "rule"), _optin_cases())
def test_opt_in_field_rule(name: str, path: Any, value: Any, rule: str | None) -> None:
    with era(2025) as client:
        field_rule(client, name, path, value, rule)


# --- airline templates: no source dates a retirement, so they are taken in every era -------

AIRLINE = ["airline_boardingpass", "airline_checkin", "airline_itinerary", "airline_update"]


@pytest.mark.parametrize("name", AIRLINE)
def test_airline_templates_are_accepted_in_both_eras(name: str, year: int) -> None:
    from samples import sample

    with era(year) as client:
        answer = send(client, {**template({}), "message": sample(name)})
        assert answer.status_code == 200, answer.text


# (what the boarding pass carries instead of one barcode)
BARCODES = [("neither", {}), ("both", {"barcode_image_url": "https://acme.test/bar.png"})]


@pytest.mark.parametrize(("what", "extra"), BARCODES)
def test_a_boarding_pass_has_one_barcode(what: str, extra: dict[str, Any]) -> None:
    from samples import sample

    message = sample("airline_boardingpass")
    boarding = message["attachment"]["payload"]["boarding_pass"][0]
    if what == "neither":
        del boarding["qr_code"]
    boarding.update(extra)
    with era(2026) as client:
        assert_refused(
            client, send(client, {**template({}), "message": message}), "airline_barcode"
        )


# --- the opt-in reaches a real bot, signed ------------------------------------------------


def test_the_opt_in_reaches_a_real_bot_signed(tmp_path: Any) -> None:
    import json

    from conftest import LiveServer
    from test_webhooks_delivery import Bot, wait_for

    from emulator.webhooks.signing import verify

    bot = Bot()
    scenario = tmp_path / "era.yaml"
    scenario.write_text(ERAS[2025].read_text() + f"webhook:\n  url: {bot.url}\n")
    server = LiveServer(scenario, tmp_path / "emulator.log")
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            wait_for(lambda: client.get("/_emulator/webhooks").json()["handshake"], "handshake")
            sent = client.post(
                "/v21.0/me/messages",
                params={"access_token": "ACME_PAGE_TOKEN"},
                json=template(MARKETING),
            )
            assert sent.status_code == 200, sent.text
            played = opt_in(client).json()

            def optins() -> list[tuple[dict[str, str], bytes]]:
                return [
                    (headers, raw)
                    for headers, raw in bot.received
                    if "optin" in json.loads(raw)["entry"][0]["messaging"][0]
                ]

            headers, raw = wait_for(optins, "the opt-in delivery")[0]
            assert verify("dev-app-secret", raw, headers["x-hub-signature-256"])
            event = json.loads(raw)["entry"][0]["messaging"][0]
            assert event["optin"] == played["optin"]
            assert event["sender"] == {"id": ADA}
    finally:
        server.stop()
        bot.stop()


# --- opt-in tokens survive a restart (--state) ---------------------------------------------


def test_opt_in_tokens_are_saved_and_restored() -> None:
    from test_persist import world_of

    from emulator.persist.snapshot import restore, snapshot
    from emulator.state import World

    with era(2025) as before:
        send(before, template(ONE_TIME))
        token = opt_in(before).json()["optin"]["one_time_notif_token"]
        saved = snapshot(world_of(before))
    world = World(load_file(ERAS[2025]))
    assert restore(world, saved)
    optin = world.pages[PAGE].optins[token]
    assert (optin.psid, optin.kind, optin.used) == (ADA, "one_time_notif_req", False)
    damaged = {**saved, "pages": {PAGE: {**saved["pages"][PAGE], "optins": {token: {}}}}}
    from emulator.persist.snapshot import StateError

    with pytest.raises(StateError):
        restore(World(load_file(ERAS[2025])), damaged)


def test_a_token_send_needs_the_thread_like_a_psid_send() -> None:
    """The handover protocol: while another app owns the person's thread, a send to their
    token is refused as one to their PSID (10/2018300)."""
    text = (
        ERAS[2025]
        .read_text()
        .replace("    users:\n", "    handover: {page_inbox: true}\n    users:\n", 1)
    )
    with TestClient(create_app(load_text(text, "era"))) as client:
        send(client, template(ONE_TIME))
        token = opt_in(client).json()["optin"]["one_time_notif_token"]
        passed = client.post(
            "/v21.0/me/pass_thread_control",
            params={"access_token": "ACME_PAGE_TOKEN"},
            json={"recipient": {"id": ADA}, "target_app_id": "263902037430900"},
        )
        assert passed.status_code == 200, passed.text
        answer = send(client, to_token("one_time_notif_token", token))
        assert_refused(client, answer, "thread_owned_by_another_app")
