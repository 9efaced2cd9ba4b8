"""`serve --state FILE` and kill -9: a server killed in the middle of sends loses at most the
sends of its last second (the saver's interval, plus one save's duration), and the next start
on the same file restores the rest, in order and consistent, and serves on.

The kill lands where losing the most is possible: just before the save after next is due
(the saves are seen as writes to the file's WAL). A correctness check, not a speed one: times
only place the kill and sort the sends into those the file must hold and those it may have
lost.

Also what keeps saves under load off the event loop (checked by where and how often the work
happens, not by timing it): the JSON and SQLite work in a worker thread, and the pages taken
again only after a send that changed one."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import IN_WINDOW, TEST_SCENARIO, LiveServer, send, text_to
from samples import MESSAGES, sample
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.persist import Persistence, StateStore, snapshot
from emulator.persist import saver as saver_module
from emulator.persist import store as store_module
from emulator.scenario.load import load_file
from emulator.state import World

COMMENT = "110000000000001_3000000000000001"  # comments and posts of tests/data/test-scenario
POST = "110000000000001_4000000000000001"

INTERVAL = 1.0  # s: the saver saves every second (start to start) while something changes
# s: room for the save under way at the kill (encoding and committing the last second of
# sends in a worker thread), generous for a busy 2-core machine
MARGIN = 0.5
QUIET = 0.3  # s without a write to the WAL file: what comes after it is the next save


class Sender(threading.Thread):
    """Valid sends one after another until the server goes away; for each accepted one, its
    message_id and when its answer arrived (time.monotonic)."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.acked: list[tuple[str, float]] = []
        self.refused: list[str] = []

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=10) as http:
            while True:
                try:
                    answer = send(http, text_to(IN_WINDOW, f"send {len(self.acked)}"))
                except httpx.TransportError:
                    return  # killed
                arrived = time.monotonic()
                if answer.status_code == 200:
                    self.acked.append((answer.json()["message_id"], arrived))
                else:
                    self.refused.append(answer.text)
                    return


def saves(wal: Path, count: int, timeout: float = 15.0) -> list[float]:
    """When (time.monotonic) each of the next `count` saves began writing to the WAL file:
    its first write after a quiet spell."""
    began: list[float] = []
    seen: int | None = None
    changed = time.monotonic()
    deadline = changed + timeout
    while len(began) < count and time.monotonic() < deadline:
        try:
            stamp: int | None = wal.stat().st_mtime_ns
        except FileNotFoundError:
            stamp = None
        now = time.monotonic()
        if stamp != seen:
            if seen is not None and now - changed > QUIET:
                began.append(now)
            seen, changed = stamp, now
        time.sleep(0.005)
    return began


def read(url: str, path: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = httpx.get(f"{url}{path}", timeout=30).json()["data"]
    return data


def test_kill_9_under_load_loses_at_most_the_last_second(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    args = ("--state", str(state), "--max-records", "1000000")  # none dropped by the bound
    first = LiveServer(TEST_SCENARIO, tmp_path / "first.log", *args)
    try:
        sender = Sender(first.url)
        sender.start()
        time.sleep(INTERVAL)  # sends old enough to be saved by the time of the kill
        # two saves under load, then the kill just before the third
        seen = saves(Path(f"{state}-wal"), 2)
        assert len(seen) == 2, "the server did not save twice under load"
        time.sleep(max(0.0, seen[1] + (seen[1] - seen[0]) - 0.05 - time.monotonic()))
        assert sender.is_alive(), sender.refused  # still sending: the kill lands mid-load
        killed_at = time.monotonic()
        os.kill(first.process.pid, signal.SIGKILL)
        first.process.wait(timeout=10)
        sender.join(timeout=30)
    finally:
        first.stop()
    assert not sender.refused
    acked = [message_id for message_id, _ in sender.acked]
    must_keep = [m for m, arrived in sender.acked if arrived < killed_at - INTERVAL - MARGIN]
    assert must_keep, "no send is old enough to be saved: the load ran too short"
    assert len(set(acked)) == len(acked)

    second = LiveServer(TEST_SCENARIO, tmp_path / "second.log", *args)
    try:
        assert "state: restored the state saved at" in second.log()
        outbox = read(second.url, "/_emulator/messages")
        journal = read(second.url, "/_emulator/requests")
        restored = [entry["message_id"] for entry in outbox]
        # what came back is what the client was told, in its order, from the first send on,
        # without gaps or repeats; and it holds every send answered before the last second
        assert restored == acked[: len(restored)]
        assert len(restored) >= len(must_keep), (
            f"{len(must_keep) - len(restored)} of {len(must_keep)} sends answered more than "
            f"{INTERVAL + MARGIN} s before the kill are lost"
        )
        # consistent: numbered 1, 2, 3... in both, one journal entry per message
        assert [entry["seq"] for entry in outbox] == list(range(1, len(outbox) + 1))
        assert [entry["id"] for entry in journal] == list(range(1, len(journal) + 1))
        assert [entry["response"]["message_id"] for entry in journal] == restored
        orders = [entry["order"] for entry in [*outbox, *journal]]
        assert len(set(orders)) == len(orders)

        # the restored server serves on, numbering after what it restored
        with httpx.Client(base_url=second.url, timeout=10) as http:
            after = send(http, text_to(IN_WINDOW, "after the restart"))
        assert after.status_code == 200, after.text
        new_outbox = read(second.url, "/_emulator/messages")
        new_journal = read(second.url, "/_emulator/requests")
        assert new_outbox[:-1] == outbox
        assert new_journal[:-1] == journal
        message = new_outbox[-1]
        assert message["message_id"] == after.json()["message_id"]
        assert message["message_id"] not in acked
        assert message["seq"] == len(outbox) + 1
        assert new_journal[-1]["id"] == len(journal) + 1
        assert min(message["order"], new_journal[-1]["order"]) > max(orders)
    finally:
        second.stop()
    assert "Traceback" not in first.log() + second.log()


def test_a_save_encodes_and_writes_off_the_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loop only picks what to save; the JSON of thousands of records (tens of ms) and the
    SQLite transaction happen in a worker thread, so the loop keeps answering sends."""
    encoded_on: set[int] = set()
    dumps = store_module.dumps

    def watched(value: Any) -> str:
        encoded_on.add(threading.get_ident())
        return dumps(value)

    monkeypatch.setattr(store_module, "dumps", watched)
    world = World(load_file(TEST_SCENARIO))
    for number in range(1000):
        world.record_send({"message_id": f"m_{number}", "message": {"text": "hi"}})
        world.record_request({"method": "POST", "outcome": "accepted"})
    store = StateStore(tmp_path / "state.sqlite")
    persistence = Persistence(store, world)

    async def save() -> int:
        assert await persistence.save()
        return threading.get_ident()

    loop_thread = asyncio.run(save())
    assert encoded_on
    assert loop_thread not in encoded_on
    saved = store.load("default")
    assert saved is not None
    assert saved["outbox"] == list(world.outbox)
    assert saved["journal"] == list(world.journal)
    store.close()


def batch_entry(recipient: dict[str, str]) -> dict[str, str]:
    """A batch entry sending a text, its parameters form-encoded as Graph batches take them."""
    pairs = {"recipient": json.dumps(recipient), "messaging_type": "RESPONSE"}
    body = str(httpx.QueryParams({**pairs, "message": json.dumps({"text": "hi"})}))
    return {"method": "POST", "relative_url": "me/messages", "body": body}


def batch(client: TestClient, entries: list[dict[str, str]]) -> list[dict[str, Any]]:
    answer = client.post(
        "/v21.0/", data={"batch": json.dumps(entries), "access_token": "PAGE_TOKEN"}
    )
    assert answer.status_code == 200, answer.text
    answers: list[dict[str, Any]] = answer.json()
    return answers


def test_plain_sends_do_not_make_saves_take_the_pages_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With thousands of people, taking the pages costs tens of ms on the loop: saves under a
    load of sends take them again only after a send that changed a page (a saved attachment,
    a private reply), and the file holds the world's pages after every kind of send."""
    taken: list[World] = []
    take = saver_module.snapshot_pages

    def counting(world: World) -> dict[str, Any]:
        taken.append(world)
        return take(world)

    monkeypatch.setattr(saver_module, "snapshot_pages", counting)
    store = StateStore(tmp_path / "state.sqlite")
    with TestClient(create_app(load_file(TEST_SCENARIO))) as client:
        world: World = client.app.state.world  # type: ignore[attr-defined]
        persistence = Persistence(store, world)

        def saved(takes: int) -> None:
            assert asyncio.run(persistence.save())
            assert len(taken) == takes
            state = store.load("default")
            assert state is not None
            assert state["pages"] == snapshot(world)["pages"]

        def sent(body: dict[str, Any]) -> None:
            answer = send(client, {"messaging_type": "RESPONSE", **body})
            assert answer.status_code == 200, answer.text

        saved(1)
        for name in MESSAGES:
            sent({"recipient": {"id": IN_WINDOW}, "message": sample(name)})
        sent({"recipient": {"id": IN_WINDOW}, "sender_action": "typing_on"})
        sent({"recipient": {"user_ref": "checkout-ref-1"}, "message": {"text": "hi"}})
        plain = batch_entry({"id": IN_WINDOW})
        assert [a["code"] for a in batch(client, [plain, plain])] == [200, 200]
        saved(1)

        reusable = {
            "type": "image",
            "payload": {"url": "https://a.test/a.png", "is_reusable": True},
        }
        sent({"recipient": {"id": IN_WINDOW}, "message": {"attachment": reusable}})
        saved(2)
        sent({"recipient": {"comment_id": COMMENT}, "message": {"text": "Thanks!"}})
        saved(3)
        post_reply = batch_entry({"post_id": POST})  # a batch: the second entry changes a page
        assert [a["code"] for a in batch(client, [plain, post_reply])] == [200, 200]
        saved(4)
        sent({"recipient": {"id": IN_WINDOW}, "message": {"text": "plain again"}})
        saved(4)
    store.close()
