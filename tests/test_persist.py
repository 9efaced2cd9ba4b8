"""Persistence (`serve --state FILE`): a world's state through SQLite and back, refused for
another scenario, and a damaged or foreign state file is one clear StateError."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import sqlite3
import sys
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
from emulator.clock import Clock
from emulator.persist import (
    Persistence,
    StateError,
    StateStore,
    restore,
    scenario_hash,
    snapshot,
)
from emulator.persist import saver as saver_module
from emulator.persist.snapshot import (
    ACTIVITY_FIELDS,
    ATTACHMENT_FIELDS,
    PERSON_FIELDS,
    snapshot_core,
)
from emulator.persist.store import encode
from emulator.scenario.load import load_default, load_file, load_text
from emulator.scenario.model import Scenario
from emulator.state import Activity, Person, SavedAttachment, World
from emulator.wire.ids import IdFactory

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


def save_now(persistence: Persistence) -> None:
    """One save, as the saving loop makes it (on this thread's own event loop)."""
    assert asyncio.run(persistence.save())


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
            save_now(persistence)
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
        save_now(Persistence(store, world_of(client)))
    with TestClient(create_app(load_file(TEST_SCENARIO), max_records=2)) as client:
        world = world_of(client)
        persistence = Persistence(store, world)
        assert persistence.restore()
        assert len(world.journal) == 2
        assert send(client, text_to(NEW_PSID, "after the restart")).status_code == 200
        save_now(persistence)
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
        expected = list(world.outbox)
    assert store.load("default") is None
    saved = store.load("worker-1")
    assert saved is not None
    assert saved["outbox"] == expected
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
        # types are exact: "7" and True are not numbers, 0 and "no" are not flags
        lambda s: s["journal"][-1].update(id=str(s["journal"][-1]["id"])),
        lambda s: s["outbox"][0].update(order="1"),
        lambda s: s["counters"].update(send=True),
        lambda s: s["counters"].update(ids="9"),
        lambda s: s["pages"][PAGE]["people"][0].update(first_name=5),
        lambda s: s["pages"][PAGE]["people"][0].update(blocked="no"),
        lambda s: s["pages"][PAGE]["people"][0].update(timezone=True),
        lambda s: s["pages"][PAGE]["people"][0].update(last_message="2026-01-05T09:00:00"),
        lambda s: s["pages"][PAGE]["people"][0].pop("blocked"),
        lambda s: s["pages"][PAGE]["activities"][0].update(replied=0),
        lambda s: s["pages"][PAGE]["activities"][0].update(kind="reel_id"),
        lambda s: s["pages"][PAGE]["attachments"][0].update(size="12"),
        lambda s: s["pages"][PAGE]["attachments"][0].update(data="bytes"),
        lambda s: s["pages"][PAGE]["user_refs"].update(ref=5),
        lambda s: s["pages"][PAGE].update(messenger_profile=[]),
        lambda s: s["grants"].update(dict.fromkeys(s["grants"], 5)),
        lambda s: s["grants"].clear(),
        # numbers that would repeat
        lambda s: s["outbox"].append(dict(s["outbox"][-1])),
        lambda s: s["counters"].update(send=1),
        lambda s: s["counters"].update(order=2),
        # the clock: of another kind, or out of range (checked before anything changes)
        lambda s: s["clock"].update(frozen=1),
        lambda s: s["clock"].update(now="9999-01-01T00:00:00+00:00"),
        lambda s: s.pop("pages"),
    ],
    ids=[
        "no outbox",
        "bad clock",
        "unknown field",
        "lost activities",
        "bad entry",
        "counter",
        "string id",
        "string order",
        "bool counter",
        "string ids counter",
        "number name",
        "string blocked",
        "bool timezone",
        "naive time",
        "missing field",
        "number replied",
        "unknown activity kind",
        "string size",
        "string bytes",
        "number ref time",
        "list profile",
        "number expiry",
        "missing grants",
        "repeated seq",
        "counter repeats",
        "order counter repeats",
        "clock kind",
        "clock out of range",
        "no pages",
    ],
)
def test_a_damaged_snapshot_changes_nothing(damage: Any) -> None:
    with busy_client() as client:
        saved = snapshot(world_of(client))
    damage(saved)
    world = World(load_file(TEST_SCENARIO))
    people = dict(world.pages[PAGE].people)
    activities = dict(world.pages[PAGE].activities)
    grants = world.grants
    counters, ids = world.counters(), world.ids.peek()
    with pytest.raises(StateError) as error:
        restore(world, saved)
    assert "damaged" in str(error.value)
    assert "\n" not in str(error.value)
    assert world.pages[PAGE].people == people
    assert world.pages[PAGE].activities == activities
    assert world.pages[PAGE].attachments == {}
    assert world.grants is grants
    assert len(world.outbox) == len(world.journal) == 0
    assert world.clock.now() == datetime(2026, 1, 5, 9, tzinfo=UTC)
    assert (world.counters(), world.ids.peek()) == (counters, ids)


@pytest.mark.parametrize(
    ("kind", "checks"),
    [
        (Person, PERSON_FIELDS),
        (Activity, ACTIVITY_FIELDS),
        (SavedAttachment, ATTACHMENT_FIELDS),
    ],
)
def test_every_kept_field_is_checked(kind: type, checks: dict[str, Any]) -> None:
    """A field added to state.py is saved by snapshot; restore must know how to check it."""
    assert list(checks) == [f.name for f in dataclasses.fields(kind)]


def save_busy_state(path: Path) -> dict[str, Any]:
    """Save a busy emulator's state to `path`; its views."""
    store = StateStore(path)
    with busy_client() as client:
        world = world_of(client)
        store.save("default", scenario_hash(world.scenario), snapshot(world))
        expected = views(client)
    store.close()
    return expected


def test_damaged_state_in_the_file_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    save_busy_state(path)
    with sqlite3.connect(path) as db:
        (text,) = db.execute("SELECT state FROM namespaces").fetchone()
        state = json.loads(text)
        state["counters"]["send"] = "many"
        db.execute("UPDATE namespaces SET state = ?", (json.dumps(state),))
    db.close()
    store = StateStore(path)
    try:
        with pytest.raises(StateError) as error:
            create_app(load_file(TEST_SCENARIO), state=store)
    finally:
        store.close()
    message = one_line(error, path)
    assert "saved state is damaged" in message
    assert "counters.send" in message
    assert not list(tmp_path.glob("*.bak"))  # damaged is not another scenario's: no copy


def test_a_restore_counts_what_it_kept(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    save_busy_state(path)
    store = StateStore(path)
    world = World(load_file(TEST_SCENARIO), max_records=1)
    result = Persistence(store, world).restore()
    store.close()
    assert result, result.reason
    assert ": 1 message, 1 request, 1 saved attachment (" in result.reason
    assert "older records beyond --max-records left out" in result.reason
    assert (len(world.outbox), len(world.journal)) == (1, 1)


# --- one emulator per file; another scenario's state is kept -------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="no flock")
def test_a_state_file_is_used_by_one_store_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    first = StateStore(path)
    try:
        with pytest.raises(StateError) as error:
            StateStore(path)
        assert one_line(error, path) == f"{path} is in use by another emulator"
        link = tmp_path / "link.sqlite"  # another name for the same file
        link.symlink_to(path)
        with pytest.raises(StateError) as error:
            StateStore(link)
        assert "in use by another emulator" in one_line(error, link)
        assert first.load() is None  # the refused ones disturbed nothing
    finally:
        first.close()
    assert not list(tmp_path.glob("*.lock"))  # the lock goes with its holder
    second = StateStore(path)  # free again
    second.close()
    second.close()  # closing twice is harmless


def test_state_saved_for_another_scenario_is_copied_aside(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "state.sqlite"
    expected = save_busy_state(path)
    caplog.set_level(logging.INFO, logger="emulator")
    other = load_file(TEST_SCENARIO).model_copy(update={"name": "started by mistake"})
    with TestClient(create_app(other, state=StateStore(path))) as client:
        assert client.get("/_emulator/messages").json()["data"] == []  # fresh
        assert send(client, text_to(IN_WINDOW, "for the other scenario")).status_code == 200
    backups = list(tmp_path.glob("state.sqlite.*.bak"))
    assert len(backups) == 1
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1, warnings
    assert "another scenario" in warnings[0]
    assert str(backups[0]) in warnings[0]
    assert str(path) in warnings[0]

    # the file now holds the other scenario's state ...
    with TestClient(create_app(other, state=StateStore(path))) as client:
        texts = [m["message"]["text"] for m in client.get("/_emulator/messages").json()["data"]]
        assert texts == ["for the other scenario"]
    assert len(list(tmp_path.glob("*.bak"))) == 1  # same scenario: no new copy
    # ... and the copy, used as the state file with the first scenario, brings its state back
    with TestClient(create_app(load_file(TEST_SCENARIO), state=StateStore(backups[0]))) as after:
        assert views(after) == expected


def test_state_in_another_format_is_copied_aside(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    save_busy_state(path)
    with sqlite3.connect(path) as db:
        (text,) = db.execute("SELECT state FROM namespaces").fetchone()
        db.execute("UPDATE namespaces SET state = ?", (text.replace('"format": 1', '"format": 2'),))
    db.close()
    store = StateStore(path)
    result = Persistence(store, World(load_file(TEST_SCENARIO))).restore()
    store.close()
    assert not result
    assert "format 2" in result.reason
    assert result.backup is not None
    assert Path(result.backup).exists()
    assert Path(result.backup).name.startswith("state.sqlite.")


# --- what a save costs ------------------------------------------------------------------------


def test_saves_encode_the_pages_only_after_page_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reads, refusals and clock moves write their journal entry and the clock, not the pages
    again; uploads, profile changes, sends and resets (heard or not) do; the file always holds
    what the world holds."""
    encodings = []
    take_pages = saver_module.snapshot_pages

    def counting(world: World) -> dict[str, Any]:
        encodings.append(world)
        return take_pages(world)

    monkeypatch.setattr(saver_module, "snapshot_pages", counting)
    store = StateStore(tmp_path / "state.sqlite")
    with TestClient(create_app(load_file(TEST_SCENARIO))) as client:
        world = world_of(client)
        persistence = Persistence(store, world)

        def saved(pages_encoded: int) -> dict[str, Any]:
            save_now(persistence)
            assert len(encodings) == pages_encoded
            assert not persistence.changed()
            state = store.load("default")
            assert state is not None
            expected = snapshot(world)
            for key in ("pages", "outbox", "journal", "inbox", "counters", "clock"):
                assert state[key] == expected[key], key
            return state

        saved(1)
        assert_refused(client, send(client, text_to(NEVER_WROTE)), "outside_window")
        assert len(saved(1)["journal"]) == 1
        profile = client.get(f"/v21.0/{IN_WINDOW}", params={"access_token": "PAGE_TOKEN"})
        assert profile.status_code == 200, profile.text
        assert len(saved(1)["journal"]) == 2
        assert client.post("/_emulator/clock", json={"advance": "1h"}).status_code == 200
        assert saved(1)["clock"]["now"].startswith("2026-01-05T10:00:00")

        upload = client.post(
            UPLOAD,
            params={"access_token": "PAGE_TOKEN"},
            data={"message": json.dumps({"attachment": {"type": "image", "payload": {}}})},
            files={"filedata": ("shirt.png", PNG, "image/png")},
        )
        assert upload.status_code == 200, upload.text
        assert saved(2)["pages"][PAGE]["attachments"][0]["data"] == PNG
        greeting = {"greeting": [{"locale": "default", "text": "Hi"}]}
        assert client.post(PROFILE, params={"access_token": "PAGE_TOKEN"}, json=greeting).is_success
        assert saved(3)["pages"][PAGE]["messenger_profile"] == greeting
        reply = {"recipient": {"comment_id": COMMENT}, "message": {"text": "Thanks!"}}
        assert send(client, {**reply, "messaging_type": "RESPONSE"}).status_code == 200
        saved(4)
        wrote = client.post(
            f"/_emulator/pages/{PAGE}/users/{NEW_PSID}/messages", json={"text": "hi"}
        )
        assert wrote.status_code == 201
        assert NEW_PSID in {p["psid"] for p in saved(5)["pages"][PAGE]["people"]}
        client.post("/_emulator/reset")
        assert saved(6)["pages"][PAGE]["attachments"] == []
        world.listeners.remove(persistence._on_event)  # a reset no listener hears
        assert (
            client.post(
                UPLOAD,
                params={"access_token": "PAGE_TOKEN"},
                data={"message": json.dumps({"attachment": {"type": "image", "payload": {}}})},
                files={"filedata": ("shirt.png", PNG, "image/png")},
            ).status_code
            == 200
        )
        world.reset()
        assert saved(7)["pages"][PAGE]["attachments"] == []
    store.close()


def test_new_records_are_found_from_the_newest_back() -> None:
    """A save looks at the records added since the last one, not at all those kept."""
    touched = []

    class Guarded(list[dict[str, Any]]):
        def __iter__(self) -> Any:
            raise AssertionError("walked from the oldest")

        def __reversed__(self) -> Any:
            for item in list.__reversed__(self):
                touched.append(item)
                yield item

    core = snapshot_core(World(load_file(TEST_SCENARIO)))
    records = {
        "outbox": Guarded({"seq": n} for n in range(1, 1001)),
        "journal": Guarded({"id": n} for n in range(1, 1001)),
        "inbox": Guarded(),
    }
    encoded = encode(core, ("{}", {}), records, {"outbox": 995, "journal": 1000, "inbox": 0})
    assert [seq for seq, _ in encoded.records["outbox"]] == [996, 997, 998, 999, 1000]
    assert encoded.records["journal"] == encoded.records["inbox"] == []
    assert encoded.keep_from == {"outbox": 1, "journal": 1, "inbox": core["counters"]["inbox"]}
    assert len(touched) == 6 + 1  # the new ones and the first old one, in each
    assert not encoded.replace
    json.loads(encoded.text)


def test_the_scenario_hash_is_computed_once_per_scenario(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = load_file(TEST_SCENARIO)
    dumps = []
    dump = Scenario.model_dump_json

    def counting(self: Scenario, **options: Any) -> str:
        dumps.append(self)
        return dump(self, **options)

    monkeypatch.setattr(Scenario, "model_dump_json", counting)
    first = scenario_hash(scenario)
    assert scenario_hash(scenario) == first
    assert len(dumps) == 1
    webhook = {"webhook": {"url": "http://127.0.0.1:9/webhook"}}
    moved = load_file(TEST_SCENARIO).model_copy(update=webhook)
    assert scenario_hash(moved) == first  # the webhook is not part of it
    assert scenario_hash(scenario.model_copy(update={"name": "other"})) != first
    assert len(dumps) == 3


# --- the accessors persistence uses -----------------------------------------------------------


def test_counters_ids_and_clock_offset_are_read_without_being_taken() -> None:
    world = World(load_file(TEST_SCENARIO))
    world.person_writes(world.pages[PAGE], IN_WINDOW, "hi")
    assert world.counters() == world.counters() == {"send": 1, "request": 1, "inbox": 2, "order": 2}
    world.resume_counters({"send": 40})
    entry = world.record_send({})
    assert (entry["seq"], entry["order"]) == (40, 2)
    assert world.counters()["send"] == 41

    ids = IdFactory()
    assert ids.peek() == ids.peek() == 1
    assert ids.numeric_id().endswith("000001")
    ids.resume(50)
    ids.resume(7)  # never back
    assert ids.peek() == 50
    assert ids.numeric_id().endswith("000050")

    clock = Clock(None)
    assert clock.offset == timedelta(0)
    clock.restore_offset(timedelta(hours=25))
    assert clock.offset == timedelta(hours=25)
    with pytest.raises(ValueError, match="the clock stays between"):
        clock.restore_offset(timedelta(days=999_999_999))  # overflows, even
    assert clock.offset == timedelta(hours=25)
    frozen = Clock(datetime(2026, 1, 5, 9, tzinfo=UTC))
    frozen.restore_offset(timedelta(hours=2))
    assert frozen.now() == datetime(2026, 1, 5, 11, tzinfo=UTC)


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
