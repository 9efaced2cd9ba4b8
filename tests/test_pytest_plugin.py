"""The pytest plugin (emulator/pytest_plugin.py) and its helper (emulator/testing): the
`send_api` fixture used directly here (the plugin is installed, so our own suite has it), and
whole pytest runs through `pytester`: the example bot's tests, the marker, isolation between
tests, failure messages, sidecar namespaces."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import IN_WINDOW, NEVER_WROTE, PAGE, ROOT, TEST_SCENARIO
from test_webhooks_delivery import Bot, wait_for

from emulator.pytest_plugin import _namespace
from emulator.testing import (
    ScenarioError,
    SendApi,
    SendApiError,
    SentList,
    SentMessage,
    start,
)

pytest_plugins = ["pytester"]

TOKEN = "PAGE_TOKEN"  # the test scenario's
DEFAULT_TOKEN = "ACME_PAGE_TOKEN"  # the bundled default scenario's
WINDOW_MESSAGE = "(#10) This message is sent outside of allowed window."
INI = "[pytest]\naddopts = -p no:cacheprovider\nfilterwarnings = error\n"


def send(api: SendApi, psid: str, text: str = "hello", token: str = TOKEN, **extra: Any) -> Any:
    body = {"recipient": {"id": psid}, "messaging_type": "RESPONSE", "message": {"text": text}}
    return api.client.post(
        "/v21.0/me/messages", params={"access_token": token}, json={**body, **extra}
    )


@pytest.fixture(autouse=True)
def _no_sidecar(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's $SEND_API_EMULATOR_URL must not turn these runs into sidecar runs."""
    monkeypatch.delenv("SEND_API_EMULATOR_URL", raising=False)


@pytest.fixture(params=["inprocess", "server", "sidecar"])
def api(request: pytest.FixtureRequest) -> Iterator[SendApi]:
    """The test scenario in each mode (the sidecar: a namespace of a server started here)."""
    if request.param != "sidecar":
        with start(TEST_SCENARIO, request.param) as emulator:
            yield emulator
        return
    with (
        start(mode="server") as server,
        start(TEST_SCENARIO, "sidecar", sidecar_url=server.url, namespace="t1") as emulator,
    ):
        yield emulator


# --- the helper, in every mode ------------------------------------------------------------------


def test_every_mode_gives_the_same_answers(api: SendApi) -> None:
    assert send(api, IN_WINDOW, "hi").status_code == 200
    refused = send(api, NEVER_WROTE)
    assert refused.status_code == 400
    assert refused.json()["error"]["message"].startswith(WINDOW_MESSAGE)
    assert refused.json()["error"]["error_subcode"] == 2018278

    assert api.sent.texts == ["hi"]
    assert api.sent.last.recipient_id == IN_WINDOW
    assert [entry["status"] for entry in api.requests] == [200, 400]
    assert api.rejected.last["rule"] == "outside_window"
    assert api.clock.now.isoformat() == "2026-01-05T09:00:00+00:00"
    assert api.clock.frozen is True
    assert api.clock.advance("25h").isoformat() == "2026-01-06T10:00:00+00:00"
    assert send(api, IN_WINDOW).status_code == 400  # her window closed
    api.reset()
    assert api.sent == []
    assert api.clock.now.isoformat() == "2026-01-05T09:00:00+00:00"


def test_urls_and_transports_reach_the_emulator(api: SendApi) -> None:
    assert api.graph_url() == f"{api.url}/v21.0"
    assert api.graph_url(None) == api.url
    with httpx.Client(transport=api.transport) as client:
        answer = client.post(
            f"{api.graph_url('v19.0')}/me/messages",
            params={"access_token": TOKEN},
            json={
                "recipient": {"id": IN_WINDOW},
                "messaging_type": "RESPONSE",
                "message": {"text": "a"},
            },
        )
    assert answer.status_code == 200, answer.text
    # the transport outlives a closed client
    assert send(api, IN_WINDOW, "b").status_code == 200

    async def post_async() -> int:
        async with httpx.AsyncClient(transport=api.async_transport) as client:
            response = await client.post(
                f"{api.url}/me/messages",
                params={"access_token": TOKEN},
                json={
                    "recipient": {"id": IN_WINDOW},
                    "messaging_type": "RESPONSE",
                    "message": {"text": "c"},
                },
            )
            return response.status_code

    assert asyncio.run(post_async()) == 200
    assert api.sent.texts == ["a", "b", "c"]
    assert api.sent.first["api_version"] == "v19.0"


def test_the_person_acts_and_the_bot_gets_the_webhook(api: SendApi) -> None:
    bodies: list[dict[str, Any]] = []
    api.deliver_to(bodies.append)
    alan = api.person(NEVER_WROTE)

    said = alan.says("hi")
    assert said["kind"] == "message"
    assert str(said.mid).startswith("m_")
    assert said.webhook["object"] == "page"
    assert said.webhook["entry"][0]["id"] == PAGE
    assert said.event["sender"] == {"id": NEVER_WROTE}
    assert said.event["message"] == {"mid": said.mid, "text": "hi"}
    assert said.event["timestamp"] == 1767603600000  # 2026-01-05T09:00:00Z, the frozen clock
    assert send(api, NEVER_WROTE).status_code == 200  # his window is open now

    quick = {"content_type": "text", "title": "Yes", "payload": "YES"}
    send(api, NEVER_WROTE, "sure?", message={"text": "sure?", "quick_replies": [quick]})
    tapped = alan.taps_quick_reply("Yes")
    assert tapped.event["message"]["quick_reply"] == {"payload": "YES"}
    button = {"type": "postback", "title": "Help", "payload": "HELP"}
    template = {"template_type": "button", "text": "Pick", "buttons": [button]}
    send(api, NEVER_WROTE, message={"attachment": {"type": "template", "payload": template}})
    assert alan.taps_postback("HELP").event["postback"]["title"] == "Help"
    photo = alan.sends_attachment("image", "https://example.com/a.png")
    assert photo.event["message"]["attachments"][0]["payload"]["url"] == "https://example.com/a.png"
    reacted = alan.reacts(api.sent.last["message_id"], "like")
    assert reacted.event["reaction"]["action"] == "react"
    assert alan.unreacts(api.sent.last["message_id"]).event["reaction"]["action"] == "unreact"
    assert "read" in alan.reads().event

    assert len(bodies) == 7
    stamps = [body["entry"][0]["time"] for body in bodies]
    assert stamps == sorted(set(stamps))  # strictly increasing, on a frozen clock
    assert alan.sent.texts[0] == "hello"
    assert [m.kind for m in alan.sent] == ["text", "text", "template:button"]


def test_control_errors_raise_with_the_servers_message(api: SendApi) -> None:
    with pytest.raises(SendApiError, match="not a duration: 'soon'") as refused:
        api.clock.advance("soon")
    assert refused.value.status == 400
    with pytest.raises(SendApiError, match="no page '999'") as missing:
        api.person(IN_WINDOW, page_id="999").says("hi")
    assert missing.value.status == 404
    with pytest.raises(SendApiError, match="no quick reply 'Nope'"):
        api.person(IN_WINDOW).taps_quick_reply("Nope")
    with pytest.raises(ScenarioError, match=r"pages\[0\]\.id") as invalid:
        api.load({"version": 1, "pages": [{"id": "not a number"}]})
    assert invalid.value.problems
    assert send(api, IN_WINDOW).status_code == 200  # nothing changed


def test_load_replaces_the_scenario(api: SendApi) -> None:
    api.load(None)  # the bundled default
    assert send(api, IN_WINDOW, token=DEFAULT_TOKEN).status_code == 200
    api.load(ROOT / "scenarios" / "shop.yaml")
    assert api.sent == []
    scenario = api.control("GET", "/scenario")
    assert scenario["name"] != "default"


def test_failure_messages_show_what_was_sent_and_refused(api: SendApi) -> None:
    send(api, IN_WINDOW, "Hello Ada")
    send(api, NEVER_WROTE, "Hello Alan")
    send(api, IN_WINDOW, "Tagged", messaging_type="MESSAGE_TAG", tag="HUMAN_AGENT")

    with pytest.raises(AssertionError) as failed:
        api.assert_sent(to=IN_WINDOW, text="Goodbye")
    message = str(failed.value)
    assert message.startswith(
        "expected a message to 2000000000000001 with text 'Goodbye', but 1 message(s) were sent."
    )
    assert "  #1 to 2000000000000001 [RESPONSE] text 'Hello Ada'" in message
    assert "Rejected requests (2):" in message
    assert (
        "  #1 POST /v21.0/me/messages to 2000000000000003 -> 400 '(#10) This message is sent"
        in message
    )
    assert "(rule outside_window, at messaging_type)" in message
    assert "human_agent" in message  # the token lacks the permission: that rule is named

    with pytest.raises(AssertionError, match=r"expected nothing sent, but 1 message\(s\)"):
        api.assert_nothing_sent()
    api.assert_nothing_sent(to=NEVER_WROTE)
    with pytest.raises(AssertionError, match="no messages sent"):
        _ = api.sent.to(NEVER_WROTE).last


def test_assert_sent_matches_fields_and_answers_the_message(api: SendApi) -> None:
    quick = [{"content_type": "text", "title": "Yes", "payload": "Y"}]
    send(api, IN_WINDOW, "Sure?", message={"text": "Sure?", "quick_replies": quick})
    send(api, IN_WINDOW, "Later", messaging_type="UPDATE", notification_type="SILENT_PUSH")

    found = api.assert_sent(to=IN_WINDOW, text=re.compile("^Sur"), quick_replies=["Yes"])
    assert isinstance(found, SentMessage)
    assert found.text == "Sure?"
    assert api.assert_sent(messaging_type="UPDATE", kind="text").text == "Later"
    assert api.assert_sent(notification_type="SILENT_PUSH", page_id=PAGE).text == "Later"
    with pytest.raises(AssertionError, match="with messaging_type='MESSAGE_TAG'"):
        api.assert_sent(messaging_type="MESSAGE_TAG")
    assert api.wait_until_sent(to=IN_WINDOW, text="Later", timeout=0).text == "Later"
    with pytest.raises(AssertionError, match="after waiting 0 s, expected a message to"):
        api.wait_until_sent(to=NEVER_WROTE, timeout=0)


def test_scenario_webhooks_are_delivered(api: SendApi) -> None:
    """The emulator's own delivery runs in every mode (in-process: on its event loop thread)."""
    bot = Bot()
    try:
        scenario = (
            TEST_SCENARIO.read_text() + f"webhook:\n  url: {bot.url}\n  verify_token: verify-me\n"
        )
        api.load(scenario)
        api.person(IN_WINDOW).says("hi")
        wait_for(lambda: api.webhooks.last["status"] == "delivered", "the delivery")
        assert bot.events()[0]["message"]["text"] == "hi"
    finally:
        bot.stop()


# --- records ------------------------------------------------------------------------------------


def test_sent_list_reads_like_a_call_list() -> None:
    sent = SentList(
        [
            SentMessage(recipient_id="1", page_id="p", message={"text": "a"}),
            SentMessage(recipient_id="2", page_id="p", message={"text": "b"}, sender_action=None),
            SentMessage(recipient_id="1", page_id="q", sender_action="typing_on", message=None),
        ]
    )
    assert sent.last.kind == "sender_action:typing_on"
    assert sent.first.text == "a"
    assert sent.to("1").texts == ["a", None]
    assert sent.to("1", page_id="q").last.kind == "sender_action:typing_on"
    assert isinstance(sent[1:], SentList)
    with pytest.raises(AssertionError, match="no messages sent"):
        _ = SentList().last


def test_the_plugin_loads_the_helper_lazily() -> None:
    """pytest starts as fast with the plugin installed: emulator.testing comes with the fixture."""
    from emulator import pytest_plugin, testing

    assert pytest_plugin.SIDECAR_URL_VARIABLE == testing.SIDECAR_URL_VARIABLE
    probe = (
        "import sys, emulator.pytest_plugin; "
        "print(sorted(m for m in sys.modules if m.startswith('emulator')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert loaded.strip() == "['emulator', 'emulator.pytest_plugin']"


def test_namespace_names_are_unique_and_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw3")
    first = _namespace("tests/test_a.py::test_one")
    assert re.fullmatch(r"gw3-[0-9a-f]{6}-[0-9a-f]{12}", first), first
    assert first != _namespace("tests/test_a.py::test_two")
    monkeypatch.delenv("PYTEST_XDIST_WORKER")
    assert _namespace("x").startswith("main-")


# --- whole pytest runs --------------------------------------------------------------------------


@pytest.fixture
def tester(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(INI)
    return pytester


def copy_example(pytester: pytest.Pytester) -> None:
    for name in ("reminder_bot.py", "test_reminder_bot.py"):
        (pytester.path / name).write_text((ROOT / "examples" / name).read_text())


def test_the_example_bots_tests_pass(tester: pytest.Pytester) -> None:
    copy_example(tester)
    result = tester.runpytest()
    result.assert_outcomes(passed=6)


@pytest.mark.parametrize("given_by", ["option", "environment"])
def test_the_example_bots_tests_pass_on_a_sidecar(
    tester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, given_by: str
) -> None:
    copy_example(tester)
    tester.makepyfile(
        test_mode="""
        def test_mode(send_api):
            assert send_api.mode == "sidecar"
            assert "/_emulator/namespaces/" in send_api.url
        """
    )
    with start(mode="server") as sidecar:
        if given_by == "option":
            result = tester.runpytest(f"--send-api-url={sidecar.url}")
        else:
            monkeypatch.setenv("SEND_API_EMULATOR_URL", sidecar.url)
            result = tester.runpytest()
        result.assert_outcomes(passed=7)
        names = [n["name"] for n in sidecar.control("GET", "/namespaces")["data"]]
    assert names == ["default"]  # each test's namespace was deleted


def test_the_mode_option_and_the_marker(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        """
        import pytest

        def test_default(send_api):
            assert send_api.mode == "inprocess"
            assert send_api.url == "http://send-api.test"

        @pytest.mark.send_api(mode="server")
        def test_marked(send_api):
            assert send_api.mode == "server"
            assert send_api.url.startswith("http://127.0.0.1:")
        """
    )
    tester.runpytest().assert_outcomes(passed=2)
    result = tester.runpytest("--send-api-mode=server", "-k", "default")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*assert 'server' == 'inprocess'*"])


def test_each_test_gets_a_fresh_emulator(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        """
        import pytest

        ADA = "2000000000000001"
        SEND = {"recipient": {"id": ADA}, "messaging_type": "RESPONSE", "message": {"text": "x"}}

        @pytest.mark.parametrize("mode", ["inprocess", "server"])
        @pytest.mark.parametrize("turn", [1, 2])
        def test_isolated(send_api, mode, turn):
            assert send_api.sent == [] and send_api.requests == []
            assert send_api.faults.__class__.__name__ == "Faults"
            answer = send_api.client.post(
                "/v21.0/me/messages", params={"access_token": "ACME_PAGE_TOKEN"}, json=SEND
            )
            assert answer.status_code == 200
            send_api.clock.advance("30d")
            send_api.load({"version": 1, "pages": [{"id": "1"}]})
        """
    )
    tester.runpytest().assert_outcomes(passed=4)


@pytest.mark.parametrize(
    ("scenario", "files"),
    [
        ('"scenario.yaml"', {"scenario.yaml": "PAGE"}),
        ('"data/scenario.json"', {"data/scenario.json": "JSON"}),
        ("{'version': 1, 'pages': [{'id': '42'}]}", {}),
        ('"version: 1\\npages: [{id: \\"42\\"}]\\n"', {}),
        ('\'{"version": 1, "pages": [{"id": "42"}]}\'', {}),
    ],
    ids=["path", "json-path", "dict", "yaml-text", "json-text"],
)
def test_the_marker_takes_a_path_a_dict_or_text(
    tester: pytest.Pytester, scenario: str, files: dict[str, str]
) -> None:
    for name, kind in files.items():
        path = tester.path / name
        path.parent.mkdir(exist_ok=True)
        document = {"version": 1, "pages": [{"id": "42"}]}
        path.write_text(
            json.dumps(document) if kind == "JSON" else "version: 1\npages: [{id: '42'}]\n"
        )
    tester.makepyfile(
        f"""
        import pytest

        @pytest.mark.send_api(scenario={scenario})
        def test_page(send_api):
            assert send_api.control("GET", "/health")["pages"] == ["42"]

        @pytest.mark.send_api({scenario}, mode="server")
        def test_page_positional(send_api):
            assert send_api.control("GET", "/health")["pages"] == ["42"]
        """
    )
    tester.runpytest().assert_outcomes(passed=2)


def test_a_bad_scenario_or_mode_is_a_clear_setup_error(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        """
        import pytest

        @pytest.mark.send_api(scenario={"version": 1, "pages": [{"id": "x"}]})
        def test_invalid(send_api):
            pass

        @pytest.mark.send_api(scenario="missing.yaml")
        def test_missing(send_api):
            pass

        @pytest.mark.send_api(mode="cloud")
        def test_mode(send_api):
            pass

        @pytest.mark.send_api(scenari="typo.yaml")
        def test_keyword(send_api):
            pass
        """
    )
    result = tester.runpytest()
    result.assert_outcomes(errors=4)
    result.stdout.fnmatch_lines(
        [
            "*send_api: invalid scenario",
            "scenario mapping: pages[[]0[]].id: must be a numeric id string, got 'x'",
            "*send_api: invalid scenario",
            "missing.yaml: cannot read: No such file or directory",
            "*send_api: mode must be inprocess or server (or a sidecar URL), got 'cloud'",
            "*send_api marker: send_api() got an unexpected keyword argument 'scenari'",
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_a_failed_expectation_shows_what_was_sent(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        """
        def test_expectation(send_api):
            send_api.client.post(
                "/v21.0/me/messages",
                params={"access_token": "ACME_PAGE_TOKEN"},
                json={"recipient": {"id": "2000000000000001"}, "messaging_type": "RESPONSE",
                      "message": {"text": "Hello!"}},
            )
            send_api.assert_sent(to="2000000000000001", text="Goodbye!")
        """
    )
    result = tester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E*AssertionError: expected a message to 2000000000000001 with text 'Goodbye!', *",
            "E*Sent (1):",
            "E*#1 to 2000000000000001 [[]RESPONSE[]] text 'Hello!'",
            "E*Rejected requests: none",
        ]
    )


def test_four_xdist_workers_share_one_sidecar_without_leaking(
    tester: pytest.Pytester, live: str
) -> None:
    """pytest-xdist workers on one running server (`serve`, as in a CI service container):
    each test works in a namespace of its own, all at once, and sees only its own data."""
    tester.makepyfile(
        test_parallel="""
        import os
        import pytest

        ADA = "2000000000000001"

        @pytest.mark.parametrize("case", range(16))
        def test_isolated(send_api, case):
            worker = os.environ["PYTEST_XDIST_WORKER"]
            assert send_api.url.split("/_emulator/namespaces/")[1].startswith(worker)
            ada = send_api.person(ADA)
            for turn in range(5):
                ada.says(f"{case}-{turn}")
                answer = send_api.client.post(
                    "/v21.0/me/messages",
                    params={"access_token": "ACME_PAGE_TOKEN"},
                    json={"recipient": {"id": ADA}, "messaging_type": "RESPONSE",
                          "message": {"text": f"case {case} turn {turn}"}},
                )
                assert answer.status_code == 200, answer.text
            send_api.clock.advance(f"{case + 1}h")
            assert send_api.sent.texts == [f"case {case} turn {t}" for t in range(5)]
            assert len(send_api.requests) == 5  # no other test's calls
            if case % 2:
                send_api.reset()
                assert send_api.sent == []
        """
    )
    result = tester.runpytest_subprocess("-n", "4", f"--send-api-url={live}")
    result.assert_outcomes(passed=16)
    assert "4/4 workers" in result.stdout.str()
    names = [item["name"] for item in httpx.get(f"{live}/_emulator/namespaces").json()["data"]]
    assert names == ["default"]  # every namespace was deleted
    assert httpx.get(f"{live}/_emulator/messages").json()["data"] == []  # nothing leaked here
