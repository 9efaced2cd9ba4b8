"""The server's log writer: request lines and logging records, in order, off the request path,
none lost when it closes."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import make_client

from emulator import logline


def said(text: str) -> tuple[logline.Outcome, tuple[str]]:
    """An outcome worded as `text` (request_line's last two arguments)."""
    return str, (text,)


LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d (INFO|WARNING) ")


@pytest.fixture
def writer(monkeypatch: pytest.MonkeyPatch) -> Iterator[logline.LogWriter]:
    """A writer to a string, installed for request lines and one logger (not the root)."""
    made = logline.LogWriter(io.StringIO(), logging.INFO)
    monkeypatch.setattr(logline, "_writer", made)
    logger = logging.getLogger("emulator.test-logline")
    handler = logline._QueueHandler(made)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield made
    logger.removeHandler(handler)
    made.close()


def written(writer: logline.LogWriter) -> list[str]:
    writer.close()
    stream = writer.stream
    assert isinstance(stream, io.StringIO)
    return stream.getvalue().splitlines()


def test_request_lines_and_records_keep_their_order(writer: logline.LogWriter) -> None:
    logger = logging.getLogger("emulator.test-logline")
    logline.request_line("POST", "/v21.0/me/messages", "1", "2", 200, *said("sent m_1"))
    logger.warning("webhook %s failed", "delivery")
    logline.request_line("GET", "/v21.0/me", None, None, 400, *said("rejected #190 token_invalid"))
    lines = written(writer)
    assert len(lines) == 3
    assert all(LINE.match(line) for line in lines)
    assert lines[0].endswith(" INFO POST /v21.0/me/messages page=1 recipient=2 -> 200 sent m_1")
    assert lines[1].endswith(" WARNING webhook delivery failed")
    assert lines[2].endswith(
        " INFO GET /v21.0/me page=- recipient=- -> 400 rejected #190 token_invalid"
    )


def test_user_text_stays_on_one_bounded_line(writer: logline.LogWriter) -> None:
    logline.request_line("POST", "/v21.0/" + "x" * 300, "1", "a\nb", 400, *said("rejected"))
    (line,) = written(writer)
    assert "recipient=a\\nb " in line
    assert "x" * 190 + "..." in line
    assert "x" * 200 not in line


def test_lines_held_at_start_up_are_written_or_discarded(writer: logline.LogWriter) -> None:
    writer.hold()
    logline.request_line("POST", "/kept", None, None, 200, *said("sent"))
    writer.drain()  # held: nothing written yet
    stream = writer.stream
    assert isinstance(stream, io.StringIO)
    assert stream.getvalue() == ""
    writer.release()
    writer.hold()
    logline.request_line("POST", "/dropped", None, None, 200, *said("sent"))
    writer.discard()
    lines = written(writer)
    assert [line.split(" ")[3] for line in lines] == ["/kept"]


def test_closing_writes_what_is_held(writer: logline.LogWriter) -> None:
    writer.hold()
    logline.request_line("POST", "/last", None, None, 200, *said("sent"))
    assert [line.split(" ")[3] for line in written(writer)] == ["/last"]


def test_request_lines_follow_the_level(monkeypatch: pytest.MonkeyPatch) -> None:
    quiet = logline.LogWriter(io.StringIO(), logging.WARNING)
    monkeypatch.setattr(logline, "_writer", quiet)
    logline.request_line("POST", "/v21.0/me/messages", "1", "2", 200, *said("sent m_1"))
    assert written(quiet) == []


def test_without_a_writer_request_lines_go_through_logging(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(logline, "_writer", None)
    caplog.set_level(logging.INFO, logger=logline.LOGGER)
    logline.request_line("POST", "/v21.0/me/messages", "1", "2", 200, *said("sent m_1"))
    assert caplog.messages == ["POST /v21.0/me/messages page=1 recipient=2 -> 200 sent m_1"]


def test_a_line_that_cannot_be_worded_does_not_end_the_log(writer: logline.LogWriter) -> None:
    def broken() -> str:
        raise RuntimeError("a bug")

    logline.request_line("POST", "/a", None, None, 200, broken, ())
    logline.request_line("POST", "/b", None, None, 200, *said("sent"))
    first, second = written(writer)
    assert "could not be written" in first
    assert second.endswith(" INFO POST /b page=- recipient=- -> 200 sent")


def test_flush_writes_what_is_queued_at_once(
    writer: logline.LogWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a stopping server calls last (uvicorn ends the process right after): the writer
    thread, gathering lines for a second here, has not written them yet; flush has."""
    monkeypatch.setattr(logline, "FLUSH_SECONDS", 1.0)
    logline.request_line("POST", "/late", None, None, 200, *said("sent"))
    logline.flush()
    stream = writer.stream
    assert isinstance(stream, io.StringIO)
    assert stream.getvalue().endswith(" INFO POST /late page=- recipient=- -> 200 sent\n")


# --- what each kind of call's line says (the app's own lines, through logging) -------------

PSID = "2000000000000001"  # the test scenario's Ada: in the window, with a profile
TOKEN = {"access_token": "PAGE_TOKEN"}
SEND = {"recipient": {"id": PSID}, "messaging_type": "RESPONSE", "message": {"text": "hi"}}
ACTION = {"recipient": {"id": PSID}, "sender_action": "typing_on"}
FORM_SEND = f'recipient={{"id":"{PSID}"}}&messaging_type=RESPONSE&message={{"text":"b"}}'
ACTION_FORM = f'recipient={{"id":"{PSID}"}}&sender_action=mark_seen'
BATCH = [
    {"method": "POST", "relative_url": "me/messages", "body": FORM_SEND},
    {"method": "POST", "relative_url": "v25.0/me/messages", "body": ACTION_FORM},
    {"method": "GET", "relative_url": f"v19.0/{PSID}?fields=first_name"},
    {"method": "GET", "relative_url": f"v2.80/{PSID}"},  # not a version: the batch's serves
]
UPLOAD = {"attachment": {"type": "image", "payload": {"url": "https://x.test/a.png"}}}
MID = r"m_[A-Za-z0-9_-]{86}"

# (id, method, path, params, JSON body or form, the lines' ends as patterns)
CALLS: list[tuple[str, str, str, dict[str, str], Any, list[str]]] = [
    ("a send", "POST", "/v21.0/me/messages", TOKEN, SEND, [rf"-> 200 sent {MID}"]),
    (
        "a sender action",
        "POST",
        "/v21.0/me/messages",
        TOKEN,
        ACTION,
        ["-> 200 sender action typing_on"],
    ),
    (
        "a refused send",
        "POST",
        "/v21.0/me/messages",
        TOKEN,
        {**SEND, "recipient": {"id": "2000000000000003"}},
        ["-> 400 rejected #10/2018278 outside_window"],
    ),
    (
        "a profile read",
        "GET",
        f"/v21.0/{PSID}",
        TOKEN,
        None,
        ["-> 200 profile read first_name,last_name,profile_pic,id"],
    ),
    (
        "a profile read with fields",
        "GET",
        f"/v21.0/{PSID}",
        {**TOKEN, "fields": "locale,name"},
        None,
        ["-> 200 profile read locale,name,id"],
    ),
    (
        "a refused profile read",
        "GET",
        f"/v21.0/{PSID}",
        {**TOKEN, "fields": "email"},
        None,
        ["-> 400 rejected #100 profile_field_nonexisting"],
    ),
    ("the page", "GET", "/v21.0/me", TOKEN, None, ["-> 200 page read"]),
    (
        "a Messenger Profile change",
        "POST",
        "/v21.0/me/messenger_profile",
        TOKEN,
        {"get_started": {"payload": "GO"}, "greeting": [{"locale": "default", "text": "Hi"}]},
        ["-> 200 messenger profile set get_started,greeting"],
    ),
    (
        "a Messenger Profile read",
        "GET",
        "/v21.0/me/messenger_profile",
        {**TOKEN, "fields": "greeting"},
        None,
        ["-> 200 messenger profile read greeting"],
    ),
    (
        "a Messenger Profile deletion",
        "DELETE",
        "/v21.0/me/messenger_profile",
        TOKEN,
        {"fields": ["greeting"]},
        ["-> 200 messenger profile deleted greeting"],
    ),
    (
        "an upload",
        "POST",
        "/v21.0/me/message_attachments",
        TOKEN,
        {"message": UPLOAD},
        [r"-> 200 attachment saved \d+"],
    ),
    (
        "a batch: each entry with the version that served it, then the batch",
        "POST",
        "/v21.0/",
        {},
        {"batch": json.dumps(BATCH), **TOKEN},
        [
            rf"^POST /me/messages .* -> 200 sent {MID} \(batch entry, v21\.0\)",
            r"^POST /v25\.0/me/messages .* -> 200 sender action mark_seen \(batch entry, v25\.0\)",
            r"^GET /v19\.0/\d+ .* -> 200 profile read first_name,id \(batch entry, v19\.0\)",
            r"^GET /v2\.80/\d+ .* -> 404 rejected #803 unknown_alias \(batch entry, v21\.0\)",
            r"^POST /v21\.0/ page=- recipient=- -> 200 batch of 4",
        ],
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "params", "body", "ends"),
    [row[1:] for row in CALLS],
    ids=[row[0] for row in CALLS],
)
def test_each_kind_of_call_says_what_happened(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    method: str,
    path: str,
    params: dict[str, str],
    body: Any,
    ends: list[str],
) -> None:
    monkeypatch.setattr(logline, "_writer", None)
    with make_client() as client:
        caplog.set_level(logging.INFO, logger=logline.LOGGER)
        if path.endswith("messenger_profile") and method != "POST":  # something to read
            client.post(
                path, params=TOKEN, json={"greeting": [{"locale": "default", "text": "Hi"}]}
            )
        caplog.clear()
        if path == "/v21.0/":
            response = client.post(path, data=body)
        else:
            response = client.request(method, path, params=params, json=body)
        assert response.status_code in (200, 400), response.text
    lines = [r.getMessage() for r in caplog.records if r.name == logline.LOGGER]
    assert len(lines) == len(ends), lines
    for line, end in zip(lines, ends, strict=True):
        assert re.search(end + ("" if end.startswith("^") else "$"), line), line
