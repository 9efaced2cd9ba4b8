"""Hundreds of sends at once over real HTTP: every accepted one is answered, kept and journaled
exactly once, with a message id of its own; no rejected one leaks into the outbox."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx
from conftest import BLOCKED, IN_WINDOW, LONG_AGO, text_to

SEND = "/v21.0/me/messages"
ACCEPTED = 300
REJECTED_ROUNDS = 25  # 4 kinds of refusal each round
TOKEN = {"access_token": "PAGE_TOKEN"}


@dataclass(frozen=True)
class Call:
    marker: str  # message.metadata, unique per call
    body: dict[str, Any]
    query: dict[str, str]
    code: int | None  # the expected Graph error code; None: accepted


def marked(psid: str, marker: str, **message: Any) -> dict[str, Any]:
    body = text_to(psid, f"text of {marker}")
    body["message"].update(metadata=marker, **message)
    return body


def plan() -> list[Call]:
    """Accepted and rejected sends interleaved, so both kinds are in flight together."""
    calls: list[Call] = []
    for i in range(ACCEPTED):
        marker = f"accepted-{i}"
        calls.append(Call(marker, marked(IN_WINDOW, marker), TOKEN, None))
        if i >= REJECTED_ROUNDS:
            continue
        refusals = [
            (f"rejected-window-{i}", LONG_AGO, TOKEN, 10, {}),
            (f"rejected-blocked-{i}", BLOCKED, TOKEN, 551, {}),
            (f"rejected-token-{i}", IN_WINDOW, {"access_token": "NOT_A_TOKEN"}, 190, {}),
            (f"rejected-keys-{i}", IN_WINDOW, TOKEN, 100, {"x": 1}),
        ]
        for marker, psid, query, code, extra in refusals:
            calls.append(Call(marker, marked(psid, marker, **extra), query, code))
    return calls


async def fire(base_url: str, calls: list[Call]) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as client:
        return await asyncio.gather(
            *(client.post(SEND, params=call.query, json=call.body) for call in calls)
        )


def test_concurrent_sends_are_all_answered_recorded_and_journaled(live: str) -> None:
    calls = plan()
    responses = asyncio.run(fire(live, calls))
    assert len(responses) == len(calls)

    sent: dict[str, str] = {}  # message_id -> marker
    for call, response in zip(calls, responses, strict=True):
        assert response.status_code != 500, response.text
        answer = response.json()
        if call.code is None:
            assert response.status_code == 200, (call.marker, answer)
            assert answer["recipient_id"] == IN_WINDOW
            assert answer["message_id"] not in sent, "message id reused"
            sent[answer["message_id"]] = call.marker
        else:
            assert response.status_code in (400, 403), (call.marker, answer)
            assert answer["error"]["code"] == call.code, (call.marker, answer)
    assert len(sent) == ACCEPTED

    outbox = httpx.get(f"{live}/_emulator/messages", timeout=30).json()["data"]
    assert len(outbox) == ACCEPTED
    recorded = {entry["message_id"]: entry["message"]["metadata"] for entry in outbox}
    assert recorded == sent
    assert all(entry["recipient_id"] == IN_WINDOW for entry in outbox)
    assert not [m for m in recorded.values() if m.startswith("rejected-")]

    journal = httpx.get(f"{live}/_emulator/requests", timeout=30).json()["data"]
    assert len(journal) == len(calls)
    accepted = [entry for entry in journal if entry["outcome"] == "accepted"]
    rejected = [entry for entry in journal if entry["outcome"] == "rejected"]
    assert len(accepted) == ACCEPTED
    assert len(rejected) == 4 * REJECTED_ROUNDS
    assert {entry["response"]["message_id"] for entry in accepted} == set(sent)
    journaled_markers = sorted(entry["params"]["message"]["metadata"] for entry in rejected)
    assert journaled_markers == sorted(c.marker for c in calls if c.code is not None)


def test_concurrent_sender_actions_and_messages_to_one_person(live: str) -> None:
    """Typing indicators racing messages to the same person: all accepted, in the outbox once."""
    calls = []
    for i in range(100):
        calls.append(Call(f"m-{i}", marked(IN_WINDOW, f"m-{i}"), TOKEN, None))
        action = {"recipient": {"id": IN_WINDOW}, "sender_action": "typing_on"}
        calls.append(Call(f"a-{i}", action, TOKEN, None))
    responses = asyncio.run(fire(live, calls))
    assert [r.status_code for r in responses] == [200] * len(calls)
    actions = [r.json() for call, r in zip(calls, responses, strict=True) if call.marker[0] == "a"]
    assert all(answer == {"recipient_id": IN_WINDOW} for answer in actions)
    outbox = httpx.get(f"{live}/_emulator/messages", timeout=30).json()["data"]
    assert sum(entry["sender_action"] == "typing_on" for entry in outbox) == 100
    texts = [entry["message"]["metadata"] for entry in outbox if entry["message"]]
    assert sorted(texts) == sorted(f"m-{i}" for i in range(100))
