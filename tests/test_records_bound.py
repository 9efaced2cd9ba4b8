"""Memory stays bounded: the outbox, the journal and the webhook deliveries keep the newest
`max_records` entries, oldest dropped first (create_app(max_records=), serve --max-records)."""

from __future__ import annotations

from pathlib import Path

import httpx
from conftest import IN_WINDOW, TEST_SCENARIO, LiveServer, send, text_to
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.rules import limits
from emulator.scenario.load import load_file


def test_outbox_and_journal_keep_the_newest_entries() -> None:
    with TestClient(create_app(load_file(TEST_SCENARIO), max_records=5)) as client:
        ids = []
        for number in range(12):
            answer = send(client, text_to(IN_WINDOW, f"m{number}"))
            ids.append(answer.json()["message_id"])
        send(client, text_to(IN_WINDOW, ""))  # a rejected call is journaled too
        sent = client.get("/_emulator/messages").json()["data"]
        assert [entry["message_id"] for entry in sent] == ids[-5:]
        journal = client.get("/_emulator/requests").json()["data"]
        assert [entry["id"] for entry in journal] == [9, 10, 11, 12, 13]
        assert journal[-1]["outcome"] == "rejected"
        records = client.get("/_emulator/health").json()["records"]
        assert records == {
            "outbox": 5,
            "journal": 5,
            "max_records": 5,
            "outbox_dropped": 7,  # 12 sends, the newest 5 kept
            "journal_dropped": 8,  # 13 calls
        }
        # a reset empties them and keeps the bound
        client.post("/_emulator/reset")
        for number in range(7):
            send(client, text_to(IN_WINDOW, f"again{number}"))
        assert len(client.get("/_emulator/messages").json()["data"]) == 5


def test_the_default_bound_is_documented() -> None:
    assert limits.DEFAULT_MAX_RECORDS == 10_000
    # the command line's reference is in the documentation site
    page = (Path(__file__).parent.parent / "docs" / "getting-started.md").read_text()
    assert "--max-records" in page
    assert "10000" in page.replace(",", "").replace("_", "")


def test_serve_takes_the_bound_from_the_command_line(tmp_path: Path) -> None:
    server = LiveServer(TEST_SCENARIO, tmp_path / "log", "--max-records", "3")
    try:
        with httpx.Client(base_url=server.url, timeout=10) as http:
            for number in range(6):
                assert send(http, text_to(IN_WINDOW, f"m{number}")).status_code == 200
            texts = [e["message"]["text"] for e in http.get("/_emulator/messages").json()["data"]]
            assert texts == ["m3", "m4", "m5"]
            assert http.get("/_emulator/health").json()["records"]["max_records"] == 3
    finally:
        server.stop()
