"""Webhook bodies and signatures as the platform makes them (reference §9.1, §9.2)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from emulator.webhooks import events
from emulator.webhooks.signing import (
    SIGNATURE_1,
    SIGNATURE_256,
    serialize,
    signature_headers,
    verify,
)


def test_body_escapes_non_ascii_and_slashes_like_the_platform() -> None:
    body = serialize({"text": "äöå https://x.test/a", "emoji": "😀"})
    assert body == (
        b'{"text":"\\u00e4\\u00f6\\u00e5 https:\\/\\/x.test\\/a","emoji":"\\ud83d\\ude00"}'
    )


def test_signatures_are_hmacs_of_the_exact_bytes() -> None:
    body = serialize({"object": "page", "entry": []})
    headers = signature_headers("dev-app-secret", body)
    assert headers[SIGNATURE_256] == (
        "sha256=" + hmac.new(b"dev-app-secret", body, hashlib.sha256).hexdigest()
    )
    assert (
        headers[SIGNATURE_1]
        == "sha1=" + hmac.new(b"dev-app-secret", body, hashlib.sha1).hexdigest()
    )
    # a fixed vector, so a change in serialisation or keying shows up
    assert headers[SIGNATURE_256] == (
        "sha256=1c121702932cb548ad3f738fa1187592111e2509d0ea9c1c2100c462181f97c7"
    )


@pytest.mark.parametrize(
    ("secret", "tamper", "valid"),
    [("dev-app-secret", False, True), ("other", False, False), ("dev-app-secret", True, False)],
    ids=["right secret", "wrong secret", "body changed"],
)
def test_a_bot_verifying_the_signature(secret: str, tamper: bool, valid: bool) -> None:
    body = serialize({"text": "hi"})
    header = signature_headers("dev-app-secret", body)[SIGNATURE_256]
    received = body.replace(b"hi", b"ho") if tamper else body
    assert verify(secret, received, header) is valid


def test_event_times_strictly_increase_on_a_frozen_clock() -> None:
    stamps = events.Timestamps()
    frozen = datetime(2026, 1, 5, 9, tzinfo=UTC)
    times = [stamps.next(frozen) for _ in range(3)]
    assert times == [1767603600000, 1767603600001, 1767603600002]


def test_envelopes_and_events_have_the_documented_shape() -> None:
    event = events.message("2000000000000001", "110000000000001", 1, "m_1", text="hi")
    wrapped = events.envelope("110000000000001", 1, event)
    assert wrapped == {
        "object": "page",
        "entry": [
            {
                "id": "110000000000001",
                "time": 1,
                "messaging": [
                    {
                        "sender": {"id": "2000000000000001"},
                        "recipient": {"id": "110000000000001"},
                        "timestamp": 1,
                        "message": {"mid": "m_1", "text": "hi"},
                    }
                ],
            }
        ],
    }
    echo = events.echo(
        "110000000000001",
        "2000000000000001",
        2,
        "m_2",
        "100000000000001",
        {"text": "yo", "metadata": "x"},
    )
    assert echo["message"] == {
        "is_echo": True,
        "app_id": 100000000000001,
        "text": "yo",
        "metadata": "x",
        "mid": "m_2",
    }
    assert echo["sender"] == {"id": "110000000000001"}
    tap = events.message("1", "2", 3, "m_3", text="Yes", quick_reply_payload="YES")
    assert tap["message"]["quick_reply"] == {"payload": "YES"}
    assert events.read("1", "2", 4, 3)["read"] == {"watermark": 3}
    assert events.delivery("1", "2", 5, ["m_2"], 4)["delivery"] == {"mids": ["m_2"], "watermark": 4}
    assert events.postback("1", "2", 6, "m_6", "Buy", "BUY")["postback"] == {
        "mid": "m_6",
        "title": "Buy",
        "payload": "BUY",
    }
    assert (
        events.reaction("1", "2", 7, "m_2", "love", "\u2764", "react")["reaction"]["action"]
        == "react"
    )
    assert events.envelope("2", 1, tap, instagram=True)["object"] == "instagram"
