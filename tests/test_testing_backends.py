"""The transports of emulator/testing/backends.py: a client's timeout bounds a slow answer
in-process as it does over a socket (httpx.ReadTimeout), from any thread or event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import httpx
import pytest
from conftest import IN_WINDOW, TEST_SCENARIO

from emulator.testing import EventLoopThread, SendApi, start

TOKEN = "PAGE_TOKEN"
BODY = {"recipient": {"id": IN_WINDOW}, "messaging_type": "RESPONSE", "message": {"text": "hi"}}
SLOW = "30s"  # far beyond any timeout below: a call that waits for it fails the test run
QUICK = "10ms"


@pytest.fixture(autouse=True)
def _no_sidecar(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SEND_API_EMULATOR_URL", raising=False)


@pytest.fixture(scope="module")
def shared_loop() -> Iterator[EventLoopThread]:
    loop = EventLoopThread()
    yield loop
    loop.close()


def sync_call(api: SendApi, timeout: float | None) -> httpx.Response:
    with httpx.Client(transport=api.transport, timeout=timeout) as client:
        return client.post(
            f"{api.graph_url()}/me/messages", params={"access_token": TOKEN}, json=BODY
        )


async def _async_call(api: SendApi, timeout: float | None) -> httpx.Response:
    async with httpx.AsyncClient(transport=api.async_transport, timeout=timeout) as client:
        return await client.post(
            f"{api.graph_url()}/me/messages", params={"access_token": TOKEN}, json=BODY
        )


def async_call(api: SendApi, timeout: float | None) -> httpx.Response:
    """From an event loop of the test's own."""
    return asyncio.run(_async_call(api, timeout))


def async_call_on_the_emulators_loop(
    loop: EventLoopThread,
) -> Callable[[SendApi, float | None], httpx.Response]:
    """From the emulator's own event loop (a bot answering webhooks there)."""
    return lambda api, timeout: loop.run(_async_call(api, timeout))


CALLS = ["sync", "async", "async on the emulator's loop"]


def caller(name: str, loop: EventLoopThread) -> Callable[[SendApi, float | None], httpx.Response]:
    return {
        "sync": sync_call,
        "async": async_call,
        "async on the emulator's loop": async_call_on_the_emulators_loop(loop),
    }[name]


# a server's emulator has no event loop in the test process: two ways to call it
MODES_AND_CALLS = [("inprocess", call) for call in CALLS] + [("server", c) for c in CALLS[:2]]


@pytest.mark.parametrize(("mode", "call"), MODES_AND_CALLS)
@pytest.mark.parametrize(
    ("latency", "timeout", "raises"),
    [
        (SLOW, 0.05, True),  # the fault outlasts the client's patience
        (QUICK, 30.0, False),  # the answer comes first
        (QUICK, None, False),  # no timeout: wait as long as it takes
    ],
    ids=["longer than the timeout", "shorter", "no timeout"],
)
def test_a_latency_fault_meets_the_clients_timeout(
    shared_loop: EventLoopThread,
    mode: str,
    call: str,
    latency: str,
    timeout: float | None,
    raises: bool,
) -> None:
    with start(TEST_SCENARIO, mode, loop=shared_loop if mode == "inprocess" else None) as api:
        api.faults.add(latency=latency)
        send = caller(call, shared_loop)
        if raises:
            with pytest.raises(httpx.ReadTimeout) as raised:
                send(api, timeout)
            assert raised.value.request.url.path == "/v21.0/me/messages"
        else:
            assert send(api, timeout).status_code == 200
        # the emulator is still there for the next call
        api.faults.clear()
        assert send(api, 30.0).status_code == 200


def test_a_timed_out_call_is_no_longer_answered_in_process(
    shared_loop: EventLoopThread,
) -> None:
    """The exchange left behind is cancelled, as a server's is when its client goes: nothing
    keeps running for it on the emulator's loop."""

    async def tasks_left(baseline: int) -> int:
        current = asyncio.current_task()
        count = -1
        for _ in range(100):  # loop passes, not time: a cancelled task unwinds in a few
            count = sum(1 for task in asyncio.all_tasks() if task is not current)
            if count <= baseline:
                break
            await asyncio.sleep(0)
        return count

    with start(TEST_SCENARIO, loop=shared_loop) as api:
        before = shared_loop.run(tasks_left(10**6))
        api.faults.add(latency=SLOW)
        with pytest.raises(httpx.ReadTimeout):
            sync_call(api, 0.05)
        with pytest.raises(httpx.ReadTimeout):
            async_call(api, 0.05)
        assert shared_loop.run(tasks_left(before)) == before
