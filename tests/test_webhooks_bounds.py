"""Webhook delivery stays bounded: a bot that never answers cannot make the emulator queue
more than --max-records deliveries, and a deleted namespace delivers nothing more."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import httpx
from conftest import IN_WINDOW, PAGE, TEST_SCENARIO, LiveServer, send, text_to

from emulator.namespaces import Namespaces
from emulator.scenario.load import load_file, load_text


def test_a_bot_that_never_answers_cannot_grow_the_queue(tmp_path: Path) -> None:
    silent = socket.socket()  # listens, never accepts: every delivery waits for its timeout
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)
    url = f"http://127.0.0.1:{silent.getsockname()[1]}/webhook"
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(TEST_SCENARIO.read_text() + f"webhook:\n  url: {url}\n")
    server = LiveServer(scenario, tmp_path / "log", "--max-records", "5")
    try:
        with httpx.Client(base_url=server.url, timeout=10) as http:
            for number in range(20):  # 40 events: an echo and a delivery receipt each
                assert send(http, text_to(IN_WINDOW, f"m{number}")).status_code == 200
            records = http.get("/_emulator/webhooks").json()["data"]
        assert len(records) == 5  # the newest five records are kept
        assert {record["status"] for record in records} == {"dropped"}
        assert records[-1]["error"] == "more than 5 deliveries waiting"
    finally:
        server.stop()
        silent.close()


def test_a_deleted_namespace_delivers_nothing_more() -> None:
    text = TEST_SCENARIO.read_text() + "webhook:\n  url: http://127.0.0.1:9/webhook\n"

    async def scenario() -> list[object]:
        namespaces = Namespaces(load_file(TEST_SCENARIO))
        namespaces.start()
        namespace, _ = namespaces.put("w1", load_text(text, "w1"))
        await namespaces.delete("w1")
        page = namespace.world.pages[PAGE]
        namespace.world.person_writes(page, IN_WINDOW, "too late")  # e.g. a slow upload
        records = list(namespace.webhooks.deliveries)
        await namespaces.close()
        return records

    assert asyncio.run(scenario()) == []
