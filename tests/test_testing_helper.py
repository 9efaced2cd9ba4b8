"""The test helper (emulator/testing/helper.py, records.py) as bots' tests use it: async
webhook handlers, what `.quick_replies` says of every kind of quick reply, and fault
latencies given as numbers."""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from conftest import IN_WINDOW, TEST_SCENARIO

from emulator.testing import SendApi, SendApiError, SentMessage, start

TOKEN = "PAGE_TOKEN"


@pytest.fixture(autouse=True)
def _no_sidecar(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SEND_API_EMULATOR_URL", raising=False)


@pytest.fixture(params=["inprocess", "server"])
def api(request: pytest.FixtureRequest) -> Iterator[SendApi]:
    with start(TEST_SCENARIO, request.param) as emulator:
        yield emulator


# --- deliver_to: plain and async handlers -------------------------------------------------------


class AsyncBot:
    """A bot whose webhook handler is async: it answers each text through an AsyncClient it
    opens on first use and keeps (bound to the loop it was opened on)."""

    def __init__(self, api: SendApi) -> None:
        self.api = api
        self.client: httpx.AsyncClient | None = None
        self.loops: set[int] = set()

    async def handle(self, body: dict[str, Any]) -> None:
        self.loops.add(id(asyncio.get_running_loop()))
        if self.client is None:
            self.client = httpx.AsyncClient(transport=self.api.async_transport)
        event = body["entry"][0]["messaging"][0]
        await asyncio.sleep(0)  # a real await: the helper must run the coroutine, not drop it
        await self.client.post(
            f"{self.api.graph_url()}/me/messages",
            params={"access_token": TOKEN},
            json={
                "recipient": {"id": event["sender"]["id"]},
                "messaging_type": "RESPONSE",
                "message": {"text": f"you said {event['message']['text']}"},
            },
        )


class CallableBot(AsyncBot):
    """An object whose `__call__` is async."""

    async def __call__(self, body: dict[str, Any]) -> None:
        await self.handle(body)


def plain(bot: AsyncBot) -> Callable[[dict[str, Any]], object]:
    """A plain function doing the same work synchronously (the emulator's own loop aside)."""

    def handle(body: dict[str, Any]) -> None:
        asyncio.run(bot.handle(body))

    return handle


def returns_a_coroutine(bot: AsyncBot) -> Callable[[dict[str, Any]], Awaitable[None]]:
    return lambda body: bot.handle(body)


HANDLERS: dict[str, Callable[[AsyncBot], Callable[[dict[str, Any]], object]]] = {
    "plain function": plain,
    "async def": lambda bot: bot.handle,
    "async __call__": lambda bot: CallableBot(bot.api),
    "returns a coroutine": returns_a_coroutine,
}


@pytest.mark.parametrize("kind", list(HANDLERS))
def test_deliver_to_awaits_async_handlers_before_the_action_returns(
    api: SendApi, kind: str
) -> None:
    bot = AsyncBot(api)
    handler = HANDLERS[kind](bot)
    api.deliver_to(handler)
    person = api.person(IN_WINDOW)
    person.says("one")
    api.assert_sent(to=IN_WINDOW, text="you said one")  # no waiting: it was awaited
    person.says("two")
    assert api.sent.texts == ["you said one", "you said two"]
    used = handler if isinstance(handler, CallableBot) else bot
    if kind != "plain function":  # one loop for every delivery: the bot's client still works
        assert len(used.loops) == 1
    if used.client is not None:
        asyncio.run(used.client.aclose())


def test_an_async_handler_is_awaited_from_an_async_test(api: SendApi) -> None:
    """The action is called from a running event loop (an async test): the handler still runs
    to completion before it returns."""
    got: list[str] = []

    async def handler(body: dict[str, Any]) -> None:
        await asyncio.sleep(0)
        got.append(body["entry"][0]["messaging"][0]["message"]["text"])

    api.deliver_to(handler)

    async def test_body() -> None:
        api.person(IN_WINDOW).says("from a loop")
        assert got == ["from a loop"]

    asyncio.run(test_body())


def test_an_async_handlers_failure_reaches_the_test(api: SendApi) -> None:
    async def handler(body: dict[str, Any]) -> None:
        await asyncio.sleep(0)
        raise LookupError("the bot broke")

    api.deliver_to(handler)
    with pytest.raises(LookupError, match="the bot broke"):
        api.person(IN_WINDOW).says("hi")


def test_the_handlers_loop_ends_with_the_emulator() -> None:
    before = {thread.ident for thread in threading.enumerate()}

    async def handler(body: dict[str, Any]) -> None:
        await asyncio.sleep(0)

    with start(TEST_SCENARIO) as api:
        api.deliver_to(handler)
        api.person(IN_WINDOW).says("hi")
    left = [t for t in threading.enumerate() if t.ident not in before and t.is_alive()]
    assert left == []


# --- .quick_replies -----------------------------------------------------------------------------

QUICK_REPLIES = [
    ({"content_type": "text", "title": "Yes", "payload": "YES"}, "Yes"),
    ({"content_type": "text", "payload": "RED", "image_url": "https://x.test/red.png"}, "RED"),
    ({"content_type": "text", "title": "Seven", "payload": 7}, "Seven"),
    ({"content_type": "text", "payload": 7, "image_url": "https://x.test/7.png"}, "7"),
    ({"content_type": "user_phone_number"}, "user_phone_number"),
    ({"content_type": "user_email"}, "user_email"),
]


@pytest.mark.parametrize(("reply", "label"), QUICK_REPLIES, ids=[q[1] for q in QUICK_REPLIES])
def test_quick_replies_name_each_reply(reply: dict[str, Any], label: str) -> None:
    sent = SentMessage({"message": {"text": "?", "quick_replies": [reply]}})
    assert sent.quick_replies == [label]


def test_quick_replies_of_a_real_send(api: SendApi) -> None:
    replies = [reply for reply, _ in QUICK_REPLIES]
    labels = [label for _, label in QUICK_REPLIES]
    answer = api.client.post(
        "/v21.0/me/messages",
        params={"access_token": TOKEN},
        json={
            "recipient": {"id": IN_WINDOW},
            "messaging_type": "RESPONSE",
            "message": {"text": "How can we reach you?", "quick_replies": replies},
        },
    )
    assert answer.status_code == 200, answer.text
    assert api.sent.last.quick_replies == labels
    assert "None" not in api.sent.last.describe()
    api.assert_sent(to=IN_WINDOW, quick_replies=labels)


# --- faults.add(latency=…) ----------------------------------------------------------------------

LATENCIES = [
    (0.25, "250ms"),
    (2, "2000ms"),
    (0, "0ms"),
    (30, "30000ms"),  # the bound, included
    (0.0004, "0ms"),  # to the millisecond
    (timedelta(milliseconds=1500), "1500ms"),
    ("250ms", "250ms"),  # the documented text forms, unchanged
    ("2s", "2s"),
    (" 0m20s ", "0m20s"),
]


@pytest.mark.parametrize(("latency", "stored"), LATENCIES, ids=[repr(x[0]) for x in LATENCIES])
def test_a_fault_latency_in_seconds_or_text(
    api: SendApi, latency: float | timedelta | str, stored: str
) -> None:
    fault = api.faults.add(latency=latency)
    assert fault["latency"] == stored
    assert [f["latency"] for f in api.faults] == [stored]


def test_a_number_of_seconds_delays_the_send(api: SendApi) -> None:
    api.faults.add(latency=0.01)
    answer = api.client.post(
        "/v21.0/me/messages",
        params={"access_token": TOKEN},
        json={
            "recipient": {"id": IN_WINDOW},
            "messaging_type": "RESPONSE",
            "message": {"text": "x"},
        },
    )
    assert answer.status_code == 200
    assert api.requests.last["fault"]["delay"] == 0.01


@pytest.mark.parametrize(
    ("latency", "error"),
    [
        (-0.25, ValueError),
        (30.001, ValueError),
        (math.nan, ValueError),
        (math.inf, ValueError),
        (timedelta(seconds=-1), ValueError),
        (True, TypeError),
        ([1], TypeError),
    ],
    ids=["negative", "over the bound", "nan", "inf", "negative timedelta", "bool", "list"],
)
def test_a_bad_latency_is_refused_before_anything_is_sent(
    api: SendApi, latency: Any, error: type[Exception]
) -> None:
    with pytest.raises(error, match="latency"):
        api.faults.add(latency=latency)
    assert list(api.faults) == []


def test_bad_latency_text_gets_the_servers_message(api: SendApi) -> None:
    with pytest.raises(SendApiError, match="not a latency: 'soon'"):
        api.faults.add(latency="soon")
