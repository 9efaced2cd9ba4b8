"""The test helper (emulator/testing/helper.py, records.py) as bots' tests use it: async
webhook handlers."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from conftest import IN_WINDOW, TEST_SCENARIO

from emulator.testing import SendApi, start

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
