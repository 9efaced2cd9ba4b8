"""Webhook delivery end to end: a real bot on a free port, the emulator as a real process.

Bounded polling waits for asynchronous deliveries; nothing asserts on wall-clock speed.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from conftest import IN_WINDOW, LONG_AGO, TEST_SCENARIO, LiveServer, send, text_to
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from emulator.webhooks.signing import verify

SECRET = "test-app-secret"  # the test scenario's app secret


class Bot:
    """A minimal bot: answers the handshake, records and verifies every delivery."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.handshakes: list[dict[str, str]] = []  # the headers of each verification GET
        self.fail = False
        app = Starlette(routes=[Route("/webhook", self.handle, methods=["GET", "POST"])])
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/webhook"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )
        self.thread.start()
        wait_for(lambda: self.server.started, "the bot to start")

    async def handle(self, request: Request) -> Response:
        if request.method == "GET":
            self.handshakes.append(dict(request.headers))
            if request.query_params.get("hub.verify_token") != "verify-me":
                return Response(status_code=403)
            return PlainTextResponse(request.query_params["hub.challenge"])
        self.received.append((dict(request.headers), await request.body()))
        return Response(status_code=500 if self.fail else 200)

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(body)["entry"][0]["messaging"][0] for _, body in self.received]

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def wait_for(condition: Callable[[], Any], what: str, seconds: float = 15) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@contextlib.contextmanager
def bot_and_server(folder: Path, scenario_text: str | None = None) -> Iterator[tuple[Bot, str]]:
    """A real bot, and a real emulator process whose scenario (the test scenario unless given)
    delivers its webhooks to it; the emulator's log is `folder/emulator.log`."""
    bot = Bot()
    scenario = folder / "scenario.yaml"
    text = TEST_SCENARIO.read_text() if scenario_text is None else scenario_text
    scenario.write_text(text + f"webhook:\n  url: {bot.url}\n  verify_token: verify-me\n")
    try:
        server = LiveServer(scenario, folder / "emulator.log")
        try:
            yield bot, server.url
        finally:
            server.stop()
    finally:
        bot.stop()


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Bot, str]]:
    with bot_and_server(tmp_path_factory.mktemp("webhooks")) as served:
        yield served


@pytest.fixture
def world(setup: tuple[Bot, str]) -> Iterator[tuple[Bot, httpx.Client]]:
    bot, url = setup
    with httpx.Client(base_url=url, timeout=10) as client:
        client.post("/_emulator/reset").raise_for_status()
        wait_for(lambda: client.get("/_emulator/webhooks").json()["handshake"], "the handshake")
        bot.received.clear()
        bot.handshakes.clear()
        bot.fail = False
        yield bot, client


def test_handshake_at_start_and_on_demand(world: tuple[Bot, httpx.Client]) -> None:
    _, client = world
    view = client.get("/_emulator/webhooks").json()
    assert view["configured"] is True
    assert view["handshake"]["ok"] is True, view["handshake"]
    again = client.post("/_emulator/webhooks/verify").json()
    assert again["handshake"]["ok"] is True


def test_person_writes_and_page_sends_reach_the_bot_signed(world: tuple[Bot, httpx.Client]) -> None:
    bot, client = world
    written = client.post(
        f"/_emulator/pages/110000000000001/users/{LONG_AGO}/messages", json={"text": "hi ä/ö"}
    ).json()
    sent = send(client, text_to(LONG_AGO, "hello", message={"text": "hello", "metadata": "m1"}))
    assert sent.status_code == 200, sent.text
    wait_for(lambda: len(bot.received) >= 3, "three deliveries")
    for headers, body in bot.received:
        assert verify(SECRET, body, headers["x-hub-signature-256"])
        assert headers["x-hub-signature"].startswith("sha1=")
    inbound, echo, delivery = bot.events()
    assert inbound["message"] == {"mid": written["mid"], "text": "hi ä/ö"}
    assert b"\\u00e4\\/\\u00f6" in bot.received[0][1]  # escaped as the platform does
    assert echo["message"]["is_echo"] is True
    assert echo["message"]["mid"] == sent.json()["message_id"]
    assert echo["message"]["metadata"] == "m1"
    assert delivery["delivery"]["mids"] == [sent.json()["message_id"]]
    times = [event["timestamp"] for event in (inbound, echo, delivery)]
    assert times == sorted(set(times))  # strictly increasing, on the frozen clock too
    records = client.get("/_emulator/webhooks").json()["data"]
    assert [(r["field"], r["status"]) for r in records] == [
        ("messages", "delivered"),
        ("message_echoes", "delivered"),
        ("message_deliveries", "delivered"),
    ]


AGENT = "facebookexternalua"  # the platform's User-Agent on webhook requests


@pytest.mark.parametrize("field", ["messages", "message_echoes", "message_deliveries"])
def test_deliveries_carry_the_platforms_agent_and_both_signatures(
    world: tuple[Bot, httpx.Client], field: str
) -> None:
    bot, client = world
    client.post(f"/_emulator/pages/110000000000001/users/{IN_WINDOW}/messages", json={"text": "a"})
    assert send(client, text_to(IN_WINDOW, "b")).status_code == 200
    wait_for(lambda: len(bot.received) >= 3, "three deliveries")
    records = client.get("/_emulator/webhooks").json()["data"]
    index = [r["field"] for r in records].index(field)
    headers, body = bot.received[index]
    assert headers["user-agent"] == AGENT
    sha1 = "sha1=" + hmac.new(SECRET.encode(), body, hashlib.sha1).hexdigest()
    assert headers["x-hub-signature"] == sha1
    assert verify(SECRET, body, headers["x-hub-signature-256"])
    record = records[index]
    assert (record["signature"], record["signature_sha1"]) == (
        headers["x-hub-signature-256"],
        headers["x-hub-signature"],
    )


@pytest.mark.parametrize("how", ["on demand", "after a reset"])
def test_the_handshake_carries_the_platforms_agent(
    world: tuple[Bot, httpx.Client], how: str
) -> None:
    bot, client = world
    if how == "on demand":
        assert client.post("/_emulator/webhooks/verify").json()["handshake"]["ok"] is True
    else:
        client.post("/_emulator/reset").raise_for_status()
        wait_for(lambda: bot.handshakes, "the handshake")
    assert {headers["user-agent"] for headers in bot.handshakes} == {AGENT}


def test_no_echo_for_sender_actions_or_user_refs(world: tuple[Bot, httpx.Client]) -> None:
    bot, client = world
    send(client, {"recipient": {"id": IN_WINDOW}, "sender_action": "typing_on"})
    ref = {
        "recipient": {"user_ref": "checkout-ref-1"},
        "messaging_type": "RESPONSE",
        "message": {"text": "x"},
    }
    assert send(client, ref).status_code == 200
    send(client, text_to(IN_WINDOW, "marker"))
    wait_for(lambda: len(bot.received) >= 2, "the marker's echo and delivery")
    assert [e["message"]["text"] for e in bot.events() if "message" in e] == ["marker"]


def test_a_failing_bot_never_blocks_the_send_api(world: tuple[Bot, httpx.Client]) -> None:
    bot, client = world
    bot.fail = True
    response = send(client, text_to(IN_WINDOW, "while the bot is down"))
    assert response.status_code == 200
    records = wait_for(
        lambda: [
            r for r in client.get("/_emulator/webhooks").json()["data"] if len(r["attempts"]) >= 2
        ],
        "a retried delivery",
    )
    assert records[0]["attempts"][0]["status"] == 500
    assert records[0]["status"] in ("pending", "failed")


def test_the_person_writing_is_delivered_without_a_bot_listening(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/webhook"
    scenario.write_text(TEST_SCENARIO.read_text() + f"webhook:\n  url: {url}\n")
    server = LiveServer(scenario, tmp_path / "log")
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            handshake = wait_for(
                lambda: client.get("/_emulator/webhooks").json()["handshake"], "the handshake"
            )
            assert handshake["ok"] is False
            assert send(client, text_to(IN_WINDOW)).status_code == 200
            record = wait_for(lambda: client.get("/_emulator/webhooks").json()["data"], "records")[
                0
            ]
            assert record["signature"].startswith("sha256=")
    finally:
        server.stop()


def test_webhook_configured_through_the_control_api(world: tuple[Bot, httpx.Client]) -> None:
    bot, client = world
    try:
        view = client.put(
            "/_emulator/webhooks",
            json={"url": bot.url, "verify_token": "verify-me", "fields": ["messages"]},
        ).json()
        assert view["handshake"]["ok"] is True
        assert view["fields"] == ["messages"]
        send(client, text_to(IN_WINDOW, "not echoed"))
        client.post(
            f"/_emulator/pages/110000000000001/users/{IN_WINDOW}/messages", json={"text": "hey"}
        )
        wait_for(lambda: bot.received, "the person's message")
        assert [e["message"].get("text") for e in bot.events()] == ["hey"]
        refused = client.put("/_emulator/webhooks", json={"url": "", "fields": ["nope"]})
        assert refused.status_code == 400
        assert client.get("/_emulator/webhooks").json()["fields"] == ["messages"]
        assert client.delete("/_emulator/webhooks").json()["configured"] is False
    finally:
        client.put("/_emulator/webhooks", json={"url": bot.url, "verify_token": "verify-me"})


@pytest.mark.parametrize(
    "url", ["http://[::1", "http://127.0.0.1:99999/x", "ftp://x.test/hook", "not a url", "http://"]
)
def test_invalid_webhook_urls_are_refused_and_change_nothing(
    world: tuple[Bot, httpx.Client], url: str
) -> None:
    _, client = world
    before = client.get("/_emulator/webhooks").json()["url"]
    response = client.put("/_emulator/webhooks", json={"url": url})
    assert response.status_code == 400, response.text
    assert client.get("/_emulator/webhooks").json()["url"] == before


def test_echoes_carry_attachments_as_documented(world: tuple[Bot, httpx.Client]) -> None:
    bot, client = world
    image = {"type": "image", "payload": {"url": "https://x.test/a.png", "is_reusable": True}}
    quick = [{"content_type": "text", "title": "Ok", "payload": "OK"}]
    send(client, text_to(IN_WINDOW, message={"attachment": image, "quick_replies": quick}))
    wait_for(lambda: len(bot.received) >= 1, "the echo")
    echo = bot.events()[0]["message"]
    assert echo["attachments"] == [{"type": "image", "payload": {"url": "https://x.test/a.png"}}]
    assert "quick_replies" not in echo
    assert "attachment" not in echo
