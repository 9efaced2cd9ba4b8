"""No request can stall the server (issue 10).

Each surface's worst input (tests/stall_inputs.py, at most 1 MB each) is sent to a real
`send-api-emulator serve` over HTTP. It must be refused in the surface's own format (the control
API's `{"error": {"message"}}`, Graph's envelope everywhere else), change nothing, and while it
is being read the server must keep answering health probes. The timeouts here only detect a
hang; how long each answer and probe takes is measured by bench/stalls.py, on the same rows.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import TEST_SCENARIO, TRIGGERED_RULES, LiveServer
from stall_inputs import LEGIT, NAMESPACE, WORST, Worst

from emulator.rules.limits import VALIDATION_PROBLEMS_MAX

HANG = 5.0  # a health probe (or a state read) not answered in this long: the server hangs
REQUEST_HANG = 30.0  # the worst request itself
VALID_NAMESPACE = "version: 1\nname: stall-ns\npages:\n  - id: '1'\n    tokens: [{token: NS}]\n"

# what a refusal must leave as it was, per surface (a refused Graph call is journaled, so the
# journal and the conversation views, which show refused sends, are not compared there)
CONTROL_STATE = (
    "/_emulator/health",
    "/_emulator/scenario",
    "/_emulator/messages",
    "/_emulator/clock",
    "/_emulator/faults",
    "/_emulator/webhooks",
    "/_emulator/namespaces",
    f"/_emulator/namespaces/{NAMESPACE}",
    "/_emulator/conversations",
    "/_emulator/requests",
)
GRAPH_STATE = (
    "/_emulator/scenario",
    "/_emulator/messages",
    "/_emulator/clock",
    "/_emulator/faults",
    "/_emulator/namespaces",
    "/_emulator/attachments",
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of its own: a row that did stall it would not hold up the other tests. A
    namespace exists, so namespace rows try to replace one, not only to make one."""
    live = LiveServer(TEST_SCENARIO, tmp_path_factory.mktemp("stall") / "emulator.log")
    try:
        put = httpx.put(f"{live.url}/_emulator/namespaces/{NAMESPACE}", content=VALID_NAMESPACE)
        assert put.status_code == 201, put.text
        yield live.url
        journal = httpx.get(f"{live.url}/_emulator/requests", timeout=30).json()["data"]
        TRIGGERED_RULES.update(entry["rule"] for entry in journal if entry["rule"])
    finally:
        live.stop()


def state(http: httpx.Client, paths: tuple[str, ...]) -> dict[str, Any]:
    answers = {path: http.get(path) for path in paths}
    assert all(answer.status_code == 200 for answer in answers.values()), answers
    return {path: answer.json() for path, answer in answers.items()}


def send_while_probing(url: str, worst: Worst) -> tuple[httpx.Response, int]:
    """Send `worst` from a thread; probe /_emulator/health until it is answered. Returns the
    answer and how many probes were answered meanwhile (each within HANG, or this fails)."""
    answer: list[httpx.Response | BaseException] = []

    def request() -> None:
        try:
            with httpx.Client(base_url=url, timeout=REQUEST_HANG) as client:
                answer.append(
                    client.request(
                        worst.method, worst.target(), content=worst.body(), headers=worst.headers()
                    )
                )
        except BaseException as exc:  # shown by the main thread
            answer.append(exc)

    worst.body(), worst.target()  # built before the request starts: some take a while
    sender = threading.Thread(target=request, daemon=True)  # a hung one must not block exit
    probes = 0
    with httpx.Client(base_url=url, timeout=HANG) as probe:
        sender.start()
        while sender.is_alive():
            try:
                health = probe.get("/_emulator/health")
            except httpx.TimeoutException:
                pytest.fail(f"no answer to a health probe within {HANG} s while {worst.id} ran")
            assert health.status_code == 200, health.text
            probes += 1
            time.sleep(0.005)
    sender.join(REQUEST_HANG)
    (result,) = answer
    if isinstance(result, BaseException):
        raise result
    return result, probes


def assert_refused_in_format(response: httpx.Response, worst: Worst) -> dict[str, Any]:
    assert response.status_code == worst.status, response.text[:500]
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    assert isinstance(error.get("message"), str), error
    assert error["message"], error
    if worst.surface == "graph":
        for key, kind in (("type", str), ("code", int), ("fbtrace_id", str)):
            assert isinstance(error.get(key), kind), (key, error)
    elif "problems" in error:
        problems = error["problems"]
        assert problems, error
        assert all(isinstance(line, str) for line in problems), problems
        assert len(problems) <= VALIDATION_PROBLEMS_MAX + 1, len(problems)  # "... and N more"
    return error


def rows() -> list[Any]:
    return [
        pytest.param(worst, id=worst.id, marks=[pytest.mark.xfail(strict=True, reason=worst.xfail)])
        if worst.xfail
        else pytest.param(worst, id=worst.id)
        for worst in WORST
    ]


@pytest.mark.parametrize("worst", rows())
def test_worst_input_is_refused_while_the_server_keeps_answering(server: str, worst: Worst) -> None:
    paths = CONTROL_STATE if worst.surface == "control" else GRAPH_STATE
    with httpx.Client(base_url=server, timeout=HANG) as http:
        before = state(http, paths)
        response, _ = send_while_probing(server, worst)
        assert_refused_in_format(response, worst)
        after = state(http, paths)
    assert after == before


@pytest.mark.parametrize("valid", LEGIT, ids=lambda worst: worst.id)
def test_a_scenario_of_a_megabyte_is_taken_while_the_server_keeps_answering(
    server: str, valid: Worst
) -> None:
    """The bounds refuse hostile text only: a page of ~10,000 people fits them."""
    target = Worst(
        valid.id, "PUT", "/_emulator/namespaces/big", valid.content_type, valid.make_body
    )
    response, _ = send_while_probing(server, target)
    try:
        assert response.status_code in (200, 201), response.text[:2000]
        assert response.json()["scenario"] == "big"
        with httpx.Client(base_url=server, timeout=HANG) as http:
            listing = http.get("/_emulator/namespaces/big/conversations").json()
        assert len(listing["pages"][0]["people"]) > 8000
        # again on the namespace made (its world's new state made off the loop), then a reset
        # (a large world is made again off the loop too)
        for method, path, make_body in (
            ("PUT", "/_emulator/namespaces/big", valid.make_body),
            ("POST", "/_emulator/namespaces/big/reset", bytes),
        ):
            again = Worst(valid.id, method, path, valid.content_type, make_body)
            response, _ = send_while_probing(server, again)
            assert response.status_code == 200, response.text[:2000]
        with httpx.Client(base_url=server, timeout=HANG) as http:
            listing = http.get("/_emulator/namespaces/big/conversations").json()
        assert len(listing["pages"][0]["people"]) > 8000
    finally:
        httpx.delete(f"{server}/_emulator/namespaces/big", timeout=HANG)


def test_the_put_answer_rendered_off_the_loop_is_the_get_answer() -> None:
    """PUT /_emulator/scenario renders its answer in the worker thread: byte for byte what a
    GET (JSONResponse, on the loop) renders."""
    from conftest import make_client

    with make_client() as client:
        put = client.put("/_emulator/scenario", content=TEST_SCENARIO.read_bytes())
        get = client.get("/_emulator/scenario")
    assert put.status_code == get.status_code == 200
    assert put.headers["content-type"] == get.headers["content-type"]
    assert put.content == get.content
