"""`serve --state FILE`: a real server keeps messages, journal, uploads, windows and clock in
SQLite across a restart; a damaged state file is one line on stderr, not a traceback."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
from conftest import NEVER_WROTE, PAGE, ROOT, TEST_SCENARIO, LiveServer, send, text_to


def test_a_restarted_server_finds_everything(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    first = LiveServer(TEST_SCENARIO, tmp_path / "first.log", "--state", str(state))
    try:
        with httpx.Client(base_url=first.url, timeout=10) as http:
            # the person writes (opens a window), the page answers, the clock moves on
            http.post(f"/_emulator/pages/{PAGE}/users/{NEVER_WROTE}/messages", json={"text": "hi"})
            sent = send(http, text_to(NEVER_WROTE, "kept across restarts"))
            assert sent.status_code == 200, sent.text
            upload = http.post(
                "/v21.0/me/message_attachments",
                params={"access_token": "PAGE_TOKEN"},
                data={"message": '{"attachment":{"type":"image","payload":{"is_reusable":true}}}'},
                files={"filedata": ("cat.png", b"\x89PNG-bytes", "image/png")},
            )
            assert upload.status_code == 200, upload.text
            attachment_id = upload.json()["attachment_id"]
            http.post("/_emulator/clock", json={"advance": "2h"})
            before = {
                "messages": http.get("/_emulator/messages").json()["data"],
                "journal": http.get("/_emulator/requests").json()["data"],
                "now": http.get("/_emulator/clock").json()["now"],
            }
    finally:
        first.stop()  # SIGTERM: the server saves as it shuts down
    assert "state: no saved state; starting fresh" in first.log()

    second = LiveServer(TEST_SCENARIO, tmp_path / "second.log", "--state", str(state))
    try:
        with httpx.Client(base_url=second.url, timeout=10) as http:
            assert http.get("/_emulator/messages").json()["data"] == before["messages"]
            assert http.get("/_emulator/requests").json()["data"] == before["journal"]
            assert http.get("/_emulator/clock").json()["now"] == before["now"]
            data = http.get(f"/_emulator/attachments/{attachment_id}/data")
            assert data.content == b"\x89PNG-bytes"
            # the person's window is still open (they wrote 2 h ago on the emulated clock)
            again = send(http, text_to(NEVER_WROTE, "after the restart"))
            assert again.status_code == 200, again.text
            # the saved attachment id is still usable
            reused = send(
                http,
                {
                    "recipient": {"id": NEVER_WROTE},
                    "messaging_type": "RESPONSE",
                    "message": {
                        "attachment": {"type": "image", "payload": {"attachment_id": attachment_id}}
                    },
                },
            )
            assert reused.status_code == 200, reused.text
            assert len(http.get("/_emulator/messages").json()["data"]) == 3
    finally:
        second.stop()
    assert "state: " in second.log()
    assert "starting fresh" not in second.log()


def test_without_state_nothing_survives_a_restart(tmp_path: Path) -> None:
    first = LiveServer(TEST_SCENARIO, tmp_path / "first.log")
    try:
        with httpx.Client(base_url=first.url, timeout=10) as http:
            http.post(f"/_emulator/pages/{PAGE}/users/{NEVER_WROTE}/messages", json={"text": "hi"})
    finally:
        first.stop()
    second = LiveServer(TEST_SCENARIO, tmp_path / "second.log")
    try:
        assert httpx.get(f"{second.url}/_emulator/requests").json()["data"] == []
    finally:
        second.stop()


def test_a_damaged_state_file_is_one_line(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    state.write_bytes(b"this is not a database" * 100)
    result = subprocess.run(
        [sys.executable, "-m", "emulator", "serve", "--port", "0", "--state", str(state)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=30,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert str(state) in result.stderr
    assert "Traceback" not in result.stderr


def serve(*args: str) -> subprocess.CompletedProcess[str]:
    """A server that should not start: its exit status and output."""
    return subprocess.run(
        [sys.executable, "-m", "emulator", "serve", "--port", "0", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=30,
    )


def test_a_second_server_on_the_same_state_file_is_refused(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    first = LiveServer(TEST_SCENARIO, tmp_path / "first.log", "--state", str(state))
    try:
        with httpx.Client(base_url=first.url, timeout=10) as http:
            assert send(http, text_to(NEVER_WROTE, "early")).status_code == 400
        second = serve("--scenario", str(TEST_SCENARIO), "--state", str(state))
        assert second.returncode == 2
        assert second.stderr == f"send-api-emulator: {state} is in use by another emulator\n"
        with httpx.Client(base_url=first.url, timeout=10) as http:  # the first serves on
            assert len(http.get("/_emulator/requests").json()["data"]) == 1
    finally:
        first.stop()
    # once the first has stopped, the file is free, and it holds all the first one did
    third = LiveServer(TEST_SCENARIO, tmp_path / "third.log", "--state", str(state))
    try:
        journal = httpx.get(f"{third.url}/_emulator/requests", timeout=10).json()["data"]
        assert [entry["params"]["message"]["text"] for entry in journal] == ["early"]
    finally:
        third.stop()


def test_damaged_saved_state_is_one_line_naming_the_file(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    first = LiveServer(TEST_SCENARIO, tmp_path / "first.log", "--state", str(state))
    try:
        with httpx.Client(base_url=first.url, timeout=10) as http:
            assert send(http, text_to(NEVER_WROTE)).status_code == 400
    finally:
        first.stop()
    with sqlite3.connect(state) as db:  # a journal entry numbered "1": a string, not a number
        (entry,) = db.execute("SELECT entry FROM records WHERE kind = 'journal'").fetchone()
        damaged = json.dumps({**json.loads(entry), "id": "1"})
        db.execute("UPDATE records SET entry = ? WHERE kind = 'journal'", (damaged,))
    db.close()
    result = serve("--scenario", str(TEST_SCENARIO), "--state", str(state))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"send-api-emulator: {state}: saved state is damaged (")
    assert "journal[0].id is str" in result.stderr
    assert "Traceback" not in result.stderr
