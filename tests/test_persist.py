"""Persistence (`serve --state FILE`): a world's state through SQLite and back, refused for
another scenario, and a damaged or foreign state file is one clear StateError."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import (
    BLOCKED,
    IN_WINDOW,
    NEVER_WROTE,
    PAGE,
    TEST_SCENARIO,
    assert_refused,
    send,
    text_to,
)
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.persist import (
    Persistence,
    StateError,
    StateStore,
    restore,
    scenario_hash,
    snapshot,
)
from emulator.scenario.load import load_default, load_file, load_text
from emulator.state import World

NEW_PSID = "2000000000000099"
COMMENT = "110000000000001_3000000000000001"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8 + b"\x00\r\n--end"
UPLOAD = "/v21.0/me/message_attachments"
PROFILE = "/v21.0/me/messenger_profile"

# What the control API shows of an emulator's state: it must come back the same.
VIEWS = [
    "/_emulator/messages",
    "/_emulator/requests",
    "/_emulator/attachments",
    "/_emulator/clock",
    f"/_emulator/pages/{PAGE}/messenger_profile",
]


def world_of(client: TestClient) -> World:
    world: World = client.app.state.world  # type: ignore[attr-defined]
    return world


def views(client: TestClient) -> dict[str, Any]:
    return {path: client.get(path).json() for path in VIEWS}


def busy_client() -> TestClient:
    """An emulator on the test scenario after a bit of everything that changes state."""
    client = TestClient(create_app(load_file(TEST_SCENARIO)))
    assert send(client, text_to(IN_WINDOW, "hello Ada")).status_code == 200
    assert_refused(client, send(client, text_to(NEVER_WROTE)), "outside_window")
    reply = {"recipient": {"comment_id": COMMENT}, "message": {"text": "Thanks!"}}
    assert send(client, {**reply, "messaging_type": "RESPONSE"}).status_code == 200
    upload = client.post(
        UPLOAD,
        params={"access_token": "PAGE_TOKEN"},
        data={"message": json.dumps({"attachment": {"type": "image", "payload": {}}})},
        files={"filedata": ("shirt.png", PNG, "image/png")},
    )
    assert upload.status_code == 200, upload.text
    greeting = {"greeting": [{"locale": "default", "text": "Hi {{user_first_name}}"}]}
    profile = client.post(PROFILE, params={"access_token": "PAGE_TOKEN"}, json=greeting)
    assert profile.status_code == 200, profile.text
    # form-encoded parameters land in the journal too
    form = client.post(
        "/v21.0/me/messages",
        data={
            "access_token": "PAGE_TOKEN",
            "recipient": json.dumps({"id": BLOCKED}),
            "messaging_type": "RESPONSE",
            "message": json.dumps({"text": "café ☕"}),
        },
    )
    assert form.status_code != 200
    wrote = client.post(f"/_emulator/pages/{PAGE}/users/{NEW_PSID}/messages", json={"text": "hi"})
    assert wrote.status_code == 201, wrote.text
    moved = client.post("/_emulator/clock", json={"advance": "2h"})
    assert moved.status_code == 200
    return client


def test_round_trip_through_the_state_file(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    with busy_client() as before:
        expected = views(before)
        upload_id = next(
            a["attachment_id"] for a in expected["/_emulator/attachments"]["data"] if a["has_data"]
        )
        store = StateStore(path)
        store.save("default", scenario_hash(world_of(before).scenario), snapshot(world_of(before)))
        store.close()

    with TestClient(create_app(load_file(TEST_SCENARIO))) as after:
        assert views(after) != expected  # a fresh emulator
        store = StateStore(path)
        saved = store.load("default")
        store.close()
        assert saved is not None
        result = restore(world_of(after), saved)
        assert result, result.reason
        assert "messages" in result.reason
        assert views(after) == expected
        data = after.get(f"/_emulator/attachments/{upload_id}/data")
        assert data.content == PNG
        assert data.headers["content-type"] == "image/png"

        # windows: the person who wrote through the control API may be answered, still at the
        # restored (moved) clock; the private reply was used up
        assert send(after, text_to(NEW_PSID)).status_code == 200
        reply = {"recipient": {"comment_id": COMMENT}, "message": {"text": "Again"}}
        again = send(after, {**reply, "messaging_type": "RESPONSE"})
        assert again.json()["error"]["code"] == 10900
        # the uploaded attachment is usable again from its page
        reuse = send(
            after,
            {
                "recipient": {"id": IN_WINDOW},
                "messaging_type": "RESPONSE",
                "message": {
                    "attachment": {"type": "image", "payload": {"attachment_id": upload_id}}
                },
            },
        )
        assert reuse.status_code == 200, reuse.text
        # the counters go on: no sequence number or request id repeats
        messages = after.get("/_emulator/messages").json()["data"]
        requests = after.get("/_emulator/requests").json()["data"]
        assert [m["seq"] for m in messages] == list(range(1, len(messages) + 1))
        assert [r["id"] for r in requests] == list(range(1, len(requests) + 1))


def test_a_frozen_clock_comes_back_at_its_instant() -> None:
    with busy_client() as before:
        now = before.get("/_emulator/clock").json()["now"]
        saved = snapshot(world_of(before))
    assert saved["clock"]["now"].startswith("2026-01-05T11:00:00")
    world = World(load_file(TEST_SCENARIO))
    assert restore(world, saved)
    assert world.clock.now() == datetime.fromisoformat(now.replace("Z", "+00:00"))


def test_a_real_time_clock_keeps_its_lead_and_instants() -> None:
    scenario = load_default()
    with TestClient(create_app(scenario)) as before:
        assert before.post("/_emulator/clock", json={"advance": "25h"}).status_code == 200
        world = world_of(before)
        saved = snapshot(world)
        ada_wrote = world.pages[PAGE].people[IN_WINDOW].last_message
    time.sleep(0.01)
    fresh = World(load_default())
    assert restore(fresh, saved)
    lead = fresh.clock.now() - datetime.now(UTC)
    assert timedelta(hours=24) < lead <= timedelta(hours=25)
    # relative scenario times stay the instants they were resolved to
    assert fresh.pages[PAGE].people[IN_WINDOW].last_message == ada_wrote


def test_another_scenario_is_not_restored(tmp_path: Path) -> None:
    with busy_client() as before:
        saved = snapshot(world_of(before))
    other = load_file(TEST_SCENARIO).model_copy(update={"name": "renamed"})
    world = World(other)
    result = restore(world, saved)
    assert not result
    assert result.reason == "state file was saved for another scenario"
    assert len(world.outbox) == 0
    assert world.clock.now() == datetime(2026, 1, 5, 9, tzinfo=UTC)


def test_the_webhook_is_not_part_of_the_scenario_match() -> None:
    with busy_client() as before:
        saved = snapshot(world_of(before))
    text = TEST_SCENARIO.read_text() + '\nwebhook:\n  url: "http://127.0.0.1:9/webhook"\n'
    assert restore(World(load_text(text, "with webhook")), saved)


def test_outbox_and_journal_stay_bounded_deques() -> None:
    scenario = load_file(TEST_SCENARIO)
    with busy_client() as before:
        saved = snapshot(world_of(before))
    assert len(saved["journal"]) > 3
    world = World(scenario, max_records=3)
    outbox, journal = world.outbox, world.journal
    assert restore(world, saved)
    assert world.outbox is outbox
    assert world.journal is journal
    assert (world.outbox.maxlen, world.journal.maxlen) == (3, 3)
    assert list(world.journal) == saved["journal"][-3:]  # the newest stay


def test_the_saved_state_is_plain_json() -> None:
    """Journal parameters (JSON, form and multipart alike) are written as JSON."""
    with busy_client() as before:
        encoded = StateStore.encode(snapshot(world_of(before)))
    json.loads(encoded.text)
    journal = [json.loads(text) for _, text in encoded.records["journal"]]
    assert any(entry["params"].get("files") for entry in journal)
    assert len(encoded.blobs) == 1
    assert next(iter(encoded.blobs.values())) == PNG


def test_save_is_all_or_nothing(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.sqlite")
    with busy_client() as client:
        world = world_of(client)
        store.save("default", scenario_hash(world.scenario), snapshot(world))
        first = store.load("default")
        client.post("/_emulator/reset")
        encoded = StateStore.encode(snapshot(world))
    broken = dataclasses.replace(encoded, blobs={"x": object()})  # type: ignore[dict-item]
    with pytest.raises(StateError):
        store.write("default", broken)  # fails after the row was replaced: rolled back
    assert store.load("default") == first
    store.close()


def test_saves_write_new_records_and_follow_resets(tmp_path: Path) -> None:
    """Persistence writes the entries added since its last save; the file always holds what
    the world holds, also after old entries drop out and after a reset."""
    store = StateStore(tmp_path / "state.sqlite")
    with TestClient(create_app(load_file(TEST_SCENARIO), max_records=3)) as client:
        world = world_of(client)
        persistence = Persistence(store, world)  # listens from now on

        def saved_matches() -> None:
            persistence.save_now()
            saved = store.load("default")
            assert saved is not None
            assert saved["outbox"] == list(world.outbox)
            assert saved["journal"] == list(world.journal)

        for round_ in range(3):
            for text in ("one", "two"):
                assert send(client, text_to(IN_WINDOW, f"{text} {round_}")).status_code == 200
                saved_matches()
            send(client, text_to(NEVER_WROTE))  # a refusal: journal only
            saved_matches()
        assert world.journal[0]["id"] == 7  # older ones dropped out, in the file too
        client.post("/_emulator/reset")
        saved_matches()
        assert send(client, text_to(IN_WINDOW)).status_code == 200
        saved_matches()
        # an unheard reset (no listener): the next save still rewrites everything
        world.listeners.remove(persistence._on_event)
        world.reset()
        saved_matches()
    store.close()


def test_after_a_restore_saves_add_to_the_file(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.sqlite")
    with busy_client() as client:
        Persistence(store, world_of(client)).save_now()
    with TestClient(create_app(load_file(TEST_SCENARIO), max_records=2)) as client:
        world = world_of(client)
        persistence = Persistence(store, world)
        assert persistence.restore()
        assert len(world.journal) == 2
        assert send(client, text_to(NEW_PSID, "after the restart")).status_code == 200
        persistence.save_now()
        saved = store.load("default")
        assert saved is not None
        assert saved["journal"] == list(world.journal)
        assert saved["outbox"] == list(world.outbox)
        assert saved["outbox"][-1]["message"] == {"text": "after the restart"}
    store.close()


def test_namespaces_are_kept_apart(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.sqlite")
    with busy_client() as client:
        world = world_of(client)
        store.save("worker-1", scenario_hash(world.scenario), snapshot(world))
    assert store.load("default") is None
    assert store.names() == ["worker-1"]
    store.delete("worker-1")
    assert store.names() == []
    store.close()


# --- damaged and foreign files ----------------------------------------------------------


def one_line(error: pytest.ExceptionInfo[StateError], path: Path) -> str:
    message = str(error.value)
    assert "\n" not in message
    assert str(path) in message
    return message


def test_garbage_is_not_a_state_file(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    path.write_bytes(b"this is not a database at all\n" * 200)
    with pytest.raises(StateError) as error:
        StateStore(path)
    assert "not a database" in one_line(error, path)


def test_a_directory_or_missing_folder_cannot_be_opened(tmp_path: Path) -> None:
    with pytest.raises(StateError) as error:
        StateStore(tmp_path)
    one_line(error, tmp_path)
    missing = tmp_path / "no" / "such" / "state.sqlite"
    with pytest.raises(StateError) as error:
        StateStore(missing)
    one_line(error, missing)


def test_another_programs_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE invoices (id INTEGER)")
    db.close()
    with pytest.raises(StateError) as error:
        StateStore(path)
    assert "not a send-api-emulator state file" in one_line(error, path)
    with sqlite3.connect(path) as db:  # untouched
        assert db.execute("SELECT name FROM sqlite_master").fetchall() == [("invoices",)]
    db.close()


def test_a_damaged_row_is_a_state_error(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    store = StateStore(path)
    with busy_client() as client:
        world = world_of(client)
        store.save("default", scenario_hash(world.scenario), snapshot(world))
    store.close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE namespaces SET state = '{\"pages\": {tr'")
    db.close()
    store = StateStore(path)
    with pytest.raises(StateError) as error:
        store.load("default")
    assert "damaged" in one_line(error, path)
    store.close()


@pytest.mark.parametrize(
    "damage",
    [
        lambda s: s.pop("outbox"),
        lambda s: s["clock"].update(now="yesterday"),
        lambda s: s["pages"][PAGE]["people"].append({"psid": "1", "shoe_size": 44}),
        lambda s: s["pages"][PAGE].update(activities=[]),
        lambda s: s["journal"].append("not an entry"),
        lambda s: s["counters"].update(send="many"),
    ],
    ids=["no outbox", "bad clock", "unknown field", "lost activities", "bad entry", "counter"],
)
def test_a_damaged_snapshot_changes_nothing(damage: Any) -> None:
    with busy_client() as client:
        saved = snapshot(world_of(client))
    damage(saved)
    world = World(load_file(TEST_SCENARIO))
    people = dict(world.pages[PAGE].people)
    with pytest.raises(StateError) as error:
        restore(world, saved)
    assert "damaged" in str(error.value)
    assert "\n" not in str(error.value)
    assert world.pages[PAGE].people == people
    assert len(world.outbox) == len(world.journal) == 0
    assert world.clock.now() == datetime(2026, 1, 5, 9, tzinfo=UTC)


def test_another_format_is_not_restored() -> None:
    with busy_client() as client:
        saved = snapshot(world_of(client))
    saved["format"] = 99
    result = restore(World(load_file(TEST_SCENARIO)), saved)
    assert not result
    assert "format 99" in result.reason


# --- Persistence: saving while the app runs ---------------------------------------------


def test_persistence_saves_changes_and_on_stop(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"

    async def scenario() -> None:
        store = StateStore(path)
        app = create_app(load_file(TEST_SCENARIO))
        world: World = app.state.world
        persistence = Persistence(store, world, "default", interval=0.02)
        assert not persistence.restore()  # nothing saved yet
        persistence.start()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as client:
            sent = await client.post(
                "/v21.0/me/messages",
                params={"access_token": "PAGE_TOKEN"},
                json=text_to(IN_WINDOW, "saved in the background"),
            )
            assert sent.status_code == 200
            for _ in range(500):  # the loop saves within a few intervals
                saved = store.load("default")
                if saved is not None and saved["outbox"]:
                    break
                await asyncio.sleep(0.01)
            assert saved is not None
            assert [m["message"]["text"] for m in saved["outbox"]] == ["saved in the background"]
            # a clock move alone (no event, no journal entry) is a change too
            await client.post("/_emulator/clock", json={"set": "2026-02-01T00:00:00Z"})
            await persistence.stop()  # the last save
        assert world.listeners.count(persistence._on_event) == 0
        saved = store.load("default")
        assert saved is not None
        assert saved["clock"]["now"].startswith("2026-02-01T00:00:00")
        store.close()

        # a restart finds it all
        again = StateStore(path)
        fresh = World(load_file(TEST_SCENARIO))
        result = Persistence(again, fresh).restore()
        assert result, result.reason
        assert fresh.outbox[0]["message"] == {"text": "saved in the background"}
        assert fresh.clock.now() == datetime(2026, 2, 1, tzinfo=UTC)
        again.close()

    asyncio.run(scenario())


def test_a_failing_save_is_logged_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> None:
        store = StateStore(tmp_path / "state.sqlite")
        world = World(load_file(TEST_SCENARIO))
        persistence = Persistence(store, world, interval=0.01)
        store.close()  # every write now fails
        persistence.start()
        world.person_writes(world.pages[PAGE], NEW_PSID, "hi")
        await asyncio.sleep(0.1)
        await persistence.stop()
        assert persistence.changed()  # still to be saved

    asyncio.run(scenario())
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1  # one line per failing spell, not one per attempt
    assert "not saved" in errors[0].getMessage()
