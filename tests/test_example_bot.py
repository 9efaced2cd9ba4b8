"""The example bot (examples/echo_bot.py) against the emulator, both real servers on free ports:
the person says hello, the bot answers through the Send API with quick replies."""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from conftest import LONG_AGO, ROOT, TEST_SCENARIO, LiveServer
from test_webhooks_delivery import wait_for

sys.path.insert(0, str(ROOT / "examples"))
from echo_bot import create_bot

PAGE = "110000000000001"


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[httpx.Client, list[dict[str, object]]]]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    bot_url = f"http://127.0.0.1:{sock.getsockname()[1]}/webhook"
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(TEST_SCENARIO.read_text() + f"webhook:\n  url: {bot_url}\n")
    emulator = LiveServer(scenario, tmp_path / "emulator.log")
    bot = create_bot(emulator.url, "PAGE_TOKEN", "test-app-secret", "verify-me")
    server = uvicorn.Server(uvicorn.Config(bot, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started, "the bot")
        with httpx.Client(base_url=emulator.url, timeout=10) as client:
            yield client, bot.state.seen
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        emulator.stop()


def test_hello_and_the_bot_answers_with_quick_replies(
    running: tuple[httpx.Client, list[dict[str, object]]],
) -> None:
    client, seen = running
    handshake = client.post("/_emulator/webhooks/verify").json()["handshake"]
    assert handshake["ok"] is True, handshake
    client.post(f"/_emulator/pages/{PAGE}/users/{LONG_AGO}/messages", json={"text": "hello"})
    reply = wait_for(
        lambda: client.get("/_emulator/messages", params={"recipient_id": LONG_AGO}).json()["data"],
        "the bot's answer",
    )[0]
    assert reply["message"]["text"] == "You said: hello"
    assert [q["payload"] for q in reply["message"]["quick_replies"]] == ["SHOES", "SOCKS"]
    assert seen  # the bot verified the signature of what it received (else it answers 403)
    deliveries = client.get("/_emulator/webhooks").json()["data"]
    assert deliveries[0]["status"] == "delivered"


def test_quick_reply_and_postback_round_trips(
    running: tuple[httpx.Client, list[dict[str, object]]],
) -> None:
    client, _ = running
    client.post("/_emulator/webhooks/verify")
    person = f"/_emulator/pages/{PAGE}/users/{LONG_AGO}/messages"

    def answers() -> list[dict[str, object]]:
        data: list[dict[str, object]] = client.get(
            "/_emulator/messages", params={"recipient_id": LONG_AGO}
        ).json()["data"]
        return data

    client.post(person, json={"text": "hello"})
    wait_for(lambda: len(answers()) == 1, "the bot's first answer")
    tapped = client.post(person, json={"quick_reply": "SHOES"})
    assert tapped.status_code == 200, tapped.text
    second = wait_for(lambda: answers()[1:], "the answer to the quick reply")[0]
    payload = second["message"]["attachment"]["payload"]  # type: ignore[index]
    assert payload["text"] == "You picked SHOES. Anything else?"
    assert client.post(person, json={"postback": "Talk to us"}).status_code == 200
    third = wait_for(lambda: answers()[2:], "the answer to the postback")[0]
    assert third["message"] == {"text": "You tapped Talk to us. Thanks!"}
    fields = [d["field"] for d in client.get("/_emulator/webhooks").json()["data"]]
    assert fields.count("messaging_postbacks") == 1
    assert fields.count("messages") == 2
