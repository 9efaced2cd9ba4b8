"""Interception (emulator/testing/interception, the plugin's intercept=): code that hard-codes
https://graph.facebook.com reaches the test's emulator through httpx (sync and async), requests
and aiohttp, in every mode, and calls to other hosts do not. Then the plugin's marker merging
and its one-line stop when the sidecar is down, through whole pytest runs."""

from __future__ import annotations

import asyncio
import http.server
import json
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import aiohttp
import httpcore
import httpx
import pytest
import requests
import respx
from requests.adapters import HTTPAdapter

from emulator.testing import GRAPH_HOSTS, SendApi, intercept, start

pytest_plugins = ["pytester"]

TOKEN = "ACME_PAGE_TOKEN"  # the bundled default scenario's
ADA = "2000000000000001"  # wrote an hour ago: inside her window
ALAN = "2000000000000003"  # never wrote: no window
GRAPH = "https://graph.facebook.com/v21.0/me/messages"
INI = "[pytest]\naddopts = -p no:cacheprovider\nfilterwarnings = error\n"


def text_to(psid: str, text: str) -> dict[str, Any]:
    return {"recipient": {"id": psid}, "messaging_type": "RESPONSE", "message": {"text": text}}


# --- the clients, as a bot uses them (no transport, no base URL: the real one) -----------------


class Reply(NamedTuple):
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def _httpx_reply(response: httpx.Response) -> Reply:
    headers = {name.lower(): value for name, value in response.headers.items()}
    return Reply(response.status_code, headers, response.content)


def via_httpx(method: str, url: str, **kwargs: Any) -> Reply:
    with httpx.Client() as client:
        return _httpx_reply(client.request(method, url, **kwargs))


def via_httpx_async(method: str, url: str, **kwargs: Any) -> Reply:
    async def call() -> Reply:
        async with httpx.AsyncClient() as client:
            return _httpx_reply(await client.request(method, url, **kwargs))

    return asyncio.run(call())


def via_requests(method: str, url: str, **kwargs: Any) -> Reply:
    response = requests.request(method, url, **kwargs)
    headers = {name.lower(): value for name, value in response.headers.items()}
    return Reply(response.status_code, headers, response.content)


def via_aiohttp(method: str, url: str, **kwargs: Any) -> Reply:
    timeout = kwargs.pop("timeout", None)
    if timeout is not None:
        kwargs["timeout"] = aiohttp.ClientTimeout(total=timeout)
    files = kwargs.pop("files", None)
    if files:  # requests' and httpx's files=, as aiohttp takes them
        form = aiohttp.FormData(kwargs.pop("data", {}))
        for field, (filename, content, content_type) in files.items():
            form.add_field(field, content, filename=filename, content_type=content_type)
        kwargs["data"] = form

    async def call() -> Reply:
        async with (
            aiohttp.ClientSession() as session,
            session.request(method, url, **kwargs) as response,
        ):
            headers = {name.lower(): value for name, value in response.headers.items()}
            return Reply(response.status, headers, await response.read())

    return asyncio.run(call())


Client = Callable[..., Reply]
CLIENTS = {
    "httpx": via_httpx,
    "httpx-async": via_httpx_async,
    "requests": via_requests,
    "aiohttp": via_aiohttp,
}


@pytest.fixture(params=list(CLIENTS))
def client(request: pytest.FixtureRequest) -> Client:
    return CLIENTS[request.param]


@pytest.fixture(autouse=True)
def _no_sidecar(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SEND_API_EMULATOR_URL", raising=False)


@pytest.fixture
def sidecar() -> Iterator[SendApi]:
    """A running server whose namespaces the sidecar mode uses."""
    with start(mode="server") as server:
        yield server


@pytest.fixture(params=["inprocess", "server", "sidecar"])
def api(request: pytest.FixtureRequest) -> Iterator[SendApi]:
    if request.param != "sidecar":
        with start(mode=request.param) as emulator:
            yield emulator
        return
    server: SendApi = request.getfixturevalue("sidecar")
    with start(mode="sidecar", sidecar_url=server.url, namespace="intercepted") as emulator:
        yield emulator


@pytest.fixture
def inprocess() -> Iterator[SendApi]:
    with start() as emulator:
        yield emulator


class Elsewhere(NamedTuple):
    url: str
    calls: list[tuple[str, str, bytes]]


@pytest.fixture
def elsewhere() -> Iterator[Elsewhere]:
    """A tiny HTTP server on 127.0.0.1: another host, which interception must leave alone."""
    calls: list[tuple[str, str, bytes]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            calls.append((self.command, self.path, self.rfile.read(length)))
            body = b"from elsewhere"
            self.send_response(200)
            self.send_header("content-type", "text/plain")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            self._answer()

        def do_POST(self) -> None:
            self._answer()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Elsewhere(f"http://127.0.0.1:{server.server_address[1]}", calls)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# --- every client, every mode -------------------------------------------------------------------


def test_a_hard_coded_graph_call_reaches_the_tests_emulator(api: SendApi, client: Client) -> None:
    with intercept(api):
        sent = client("POST", GRAPH, params={"access_token": TOKEN}, json=text_to(ADA, "hi & bye"))
        refused = client("POST", GRAPH, params={"access_token": TOKEN}, json=text_to(ALAN, "x"))

    assert sent.status == 200, sent.body
    assert sent.json()["recipient_id"] == ADA
    assert sent.json()["message_id"] == api.sent.last["message_id"]
    assert sent.headers["content-type"] == "application/json; charset=UTF-8"
    assert sent.headers["facebook-api-version"] == "v21.0"
    assert api.sent.texts == ["hi & bye"]
    # a refusal comes back as Graph sends it: status, body, headers
    assert refused.status == 400
    error = refused.json()["error"]
    assert (error["code"], error["error_subcode"]) == (10, 2018278)
    assert refused.headers["x-fb-request-id"] == error["fbtrace_id"]
    assert api.rejected.last["rule"] == "outside_window"


def test_a_sidecars_call_lands_in_the_tests_namespace(sidecar: SendApi, client: Client) -> None:
    with start(mode="sidecar", sidecar_url=sidecar.url, namespace="mine") as mine:
        with intercept(mine):
            reply = client("POST", GRAPH, params={"access_token": TOKEN}, json=text_to(ADA, "ns"))
        assert reply.status == 200, reply.body
        assert mine.sent.texts == ["ns"]
    assert sidecar.sent == []  # not the server's default namespace


def test_form_fields_and_the_bearer_header_are_forwarded(
    inprocess: SendApi, client: Client
) -> None:
    fields = {
        "recipient": json.dumps({"id": ADA}),
        "messaging_type": "RESPONSE",
        "message": json.dumps({"text": "as a form"}),
    }
    with intercept(inprocess):
        reply = client("POST", GRAPH, data={**fields, "access_token": TOKEN})
        bearer = client(
            "POST", GRAPH, json=text_to(ADA, "bearer"), headers={"Authorization": f"Bearer {TOKEN}"}
        )
    assert reply.status == 200, reply.body
    assert bearer.status == 200, bearer.body
    assert inprocess.sent.texts == ["as a form", "bearer"]


def test_a_file_upload_arrives_whole(inprocess: SendApi, client: Client) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    message = {"attachment": {"type": "image", "payload": {"is_reusable": True}}}
    with intercept(inprocess):
        reply = client(
            "POST",
            "https://graph.facebook.com/v21.0/me/message_attachments",
            params={"access_token": TOKEN},
            data={"message": json.dumps(message)},
            files={"filedata": ("shoe.png", png, "image/png")},
        )
    assert reply.status == 200, reply.body
    [saved] = inprocess.control("GET", "/attachments")["data"]
    assert saved["attachment_id"] == reply.json()["attachment_id"]
    assert (saved["filename"], saved["content_type"], saved["size"]) == (
        "shoe.png",
        "image/png",
        len(png),
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://graph.instagram.com/v21.0/me/messages",
        "http://graph.facebook.com/me/messages",
        "https://graph.facebook.com:443/v19.0/110000000000001/messages",
    ],
    ids=["instagram", "plain-http", "port-and-page-id"],
)
def test_instagrams_host_plain_http_and_any_path(
    inprocess: SendApi, client: Client, url: str
) -> None:
    with intercept(inprocess):
        reply = client("POST", url, params={"access_token": TOKEN}, json=text_to(ADA, url))
    assert reply.status == 200, reply.body
    assert inprocess.sent.texts == [url]


def test_any_method_gets_graphs_answer(inprocess: SendApi, client: Client) -> None:
    with intercept(inprocess):
        page = client("GET", "https://graph.facebook.com/v21.0/me", params={"access_token": TOKEN})
        other = client("DELETE", GRAPH, params={"access_token": TOKEN})
    assert page.status == 200, page.body
    assert page.json() == {"name": "Acme Shoes", "id": "110000000000001"}
    assert other.status == 400
    assert other.json()["error"]["message"].startswith("Unsupported delete request.")
    assert [entry["method"] for entry in inprocess.requests] == ["GET", "DELETE"]


def test_other_hosts_are_not_intercepted(
    inprocess: SendApi, client: Client, elsewhere: Elsewhere
) -> None:
    with intercept(inprocess):
        got = client("GET", f"{elsewhere.url}/status?x=1")
        posted = client("POST", f"{elsewhere.url}/hook", json={"a": 1})
    assert (got.status, got.body) == (200, b"from elsewhere")
    assert posted.status == 200
    assert [(method, path) for method, path, _ in elsewhere.calls] == [
        ("GET", "/status?x=1"),
        ("POST", "/hook"),
    ]
    assert json.loads(elsewhere.calls[1][2]) == {"a": 1}
    assert inprocess.requests == []


def test_a_client_timeout_is_the_clients_own_error(client: Client) -> None:
    """A latency fault longer than the client's timeout (server mode: a real wait) raises what
    that library raises on a timeout."""
    expected = {
        via_httpx: httpx.TimeoutException,
        via_httpx_async: httpx.TimeoutException,
        via_requests: requests.exceptions.Timeout,
        via_aiohttp: asyncio.TimeoutError,
    }[client]
    with start(mode="server") as server, intercept(server):
        server.faults.add(latency="2s")
        with pytest.raises(expected):
            client(
                "POST",
                GRAPH,
                params={"access_token": TOKEN},
                json=text_to(ADA, "late"),
                timeout=0.2,
            )


# --- the interception itself --------------------------------------------------------------------


def _patched() -> tuple[object, ...]:
    return (
        HTTPAdapter.send,
        aiohttp.ClientSession._request,
        httpcore.ConnectionPool.handle_request,
        httpcore.AsyncConnectionPool.handle_async_request,
    )


def test_starting_patches_and_stopping_restores_every_library(inprocess: SendApi) -> None:
    before = _patched()
    interception = intercept(inprocess)
    assert "stopped" in repr(interception)
    with interception:
        assert interception.libraries == ("httpx", "requests", "aiohttp")
        assert all(now is not then for now, then in zip(_patched(), before, strict=True))
        assert interception.hosts == GRAPH_HOSTS
    assert _patched() == before
    assert interception.libraries == ()
    with interception:  # and again
        assert via_requests("POST", GRAPH, params={"access_token": TOKEN}).status == 400
    assert _patched() == before


def test_only_one_interception_at_a_time() -> None:
    with start() as first, start() as second, intercept(first):
        with pytest.raises(RuntimeError, match="another interception is active"):
            intercept(second).start()
        reply = via_requests("POST", GRAPH, params={"access_token": TOKEN}, json=text_to(ADA, "1"))
        assert reply.status == 200
        assert (first.sent.texts, second.sent.texts) == (["1"], [])


def test_chosen_hosts_only(inprocess: SendApi, elsewhere: Elsewhere) -> None:
    with intercept(inprocess, hosts=["graph-video.facebook.com"]):
        reply = via_httpx(
            "POST",
            "https://graph-video.facebook.com/v21.0/me/messages",
            params={"access_token": TOKEN},
            json=text_to(ADA, "video host"),
        )
        via_httpx("GET", elsewhere.url)
    assert reply.status == 200
    assert inprocess.sent.texts == ["video host"]
    assert len(elsewhere.calls) == 1


@pytest.mark.parametrize("mode", ["inprocess", "server"])
def test_the_tests_own_respx_mocks_keep_answering_other_hosts(mode: str) -> None:
    with start(mode=mode) as api, intercept(api), respx.mock() as mock:
        mock.get("https://api.example.com/intent").respond(json={"intent": "greet"})
        assert via_httpx("GET", "https://api.example.com/intent").json() == {"intent": "greet"}
        reply = via_httpx("POST", GRAPH, params={"access_token": TOKEN}, json=text_to(ADA, "r"))
        assert reply.status == 200
        assert api.sent.texts == ["r"]  # the helper's own calls, in server mode too


def test_aiohttp_without_aioresponses_says_what_to_install(
    inprocess: SendApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "aioresponses", None)  # as if not installed
    before = _patched()
    with pytest.raises(ImportError, match=r"pip install 'send-api-emulator\[aiohttp\]'"):
        intercept(inprocess).start()
    assert _patched() == before  # nothing left half-patched


# --- through the plugin -------------------------------------------------------------------------


BOT = """
import requests

def reply(psid, text):
    # hard-coded, as many bots do
    return requests.post(
        "https://graph.facebook.com/v21.0/me/messages",
        params={"access_token": "ACME_PAGE_TOKEN"},
        json={"recipient": {"id": psid}, "messaging_type": "RESPONSE", "message": {"text": text}},
        timeout=10,
    )
"""


@pytest.fixture
def tester(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(INI)
    pytester.makepyfile(bot=BOT)
    return pytester


def test_the_marker_tests_an_unchanged_bot_in_each_mode(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        """
        import pytest
        import bot

        @pytest.mark.send_api(intercept=True)
        @pytest.mark.parametrize("mode", ["inprocess", "server"])
        def test_replies(send_api, mode):
            assert bot.reply("2000000000000001", "hello").status_code == 200
            refused = bot.reply("2000000000000003", "hello")
            assert refused.status_code == 400
            assert refused.json()["error"]["error_subcode"] == 2018278
            send_api.assert_sent(to="2000000000000001", text="hello")

        @pytest.mark.send_api(intercept=True, mode="server")
        def test_without_asking_for_the_fixture(request):
            assert bot.reply("2000000000000001", "hi").json()["recipient_id"] == "2000000000000001"
            assert request.getfixturevalue("send_api").sent.texts == ["hi"]
        """
    )
    tester.runpytest().assert_outcomes(passed=3)


def test_the_ini_option_and_the_marker_that_overrides_it(tester: pytest.Pytester) -> None:
    tester.makeini(INI + "send_api_intercept = true\n")
    tester.makepyfile(
        """
        import pytest
        import bot
        from requests.adapters import HTTPAdapter

        UNPATCHED = HTTPAdapter.send  # at collection, before any fixture

        def test_on(send_api):
            assert bot.reply("2000000000000001", "on").status_code == 200
            assert send_api.sent.texts == ["on"]

        def test_not_without_the_fixture():
            assert HTTPAdapter.send is UNPATCHED

        @pytest.mark.send_api(intercept=False)
        def test_off(send_api):
            assert HTTPAdapter.send is UNPATCHED
        """
    )
    tester.runpytest().assert_outcomes(passed=3)


def test_a_bad_intercept_value_or_a_missing_aioresponses_is_one_line(
    tester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    tester.makepyfile(
        """
        import pytest

        @pytest.mark.send_api(intercept="yes")
        def test_value(send_api):
            pass

        @pytest.mark.send_api(intercept=True)
        def test_aiohttp(send_api):
            pass
        """
    )
    monkeypatch.setitem(sys.modules, "aioresponses", None)  # aiohttp stays installed
    result = tester.runpytest()
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "*send_api: intercept must be True or False, got 'yes'",
            "*send_api: intercept=True: aiohttp is installed but aioresponses is not, so aiohttp "
            "calls to Graph cannot be intercepted: pip install 'send-api-emulator[[]aiohttp[]]'",
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_markers_merge_closest_first(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        """
        import pytest
        from requests.adapters import HTTPAdapter

        UNPATCHED = HTTPAdapter.send
        pytestmark = pytest.mark.send_api(scenario={"version": 1, "pages": [{"id": "42"}]})

        def pages(send_api):
            return send_api.control("GET", "/health")["pages"]

        def test_the_modules(send_api):
            assert pages(send_api) == ["42"] and send_api.mode == "inprocess"

        @pytest.mark.send_api(mode="server")
        def test_the_modules_scenario_and_its_own_mode(send_api):
            assert pages(send_api) == ["42"] and send_api.mode == "server"

        @pytest.mark.send_api(scenario={"version": 1, "pages": [{"id": "43"}]})
        def test_its_own_scenario(send_api):
            assert pages(send_api) == ["43"]

        @pytest.mark.send_api(None)
        def test_back_to_the_default_scenario(send_api):
            assert pages(send_api) == ["110000000000001"]

        @pytest.mark.send_api(mode="server", intercept=True)
        class TestClass:
            def test_from_module_and_class(self, send_api):
                assert pages(send_api) == ["42"] and send_api.mode == "server"
                assert HTTPAdapter.send is not UNPATCHED

            @pytest.mark.send_api(intercept=False, mode="inprocess")
            def test_the_function_wins(self, send_api):
                assert pages(send_api) == ["42"] and send_api.mode == "inprocess"
                assert HTTPAdapter.send is UNPATCHED
        """
    )
    tester.runpytest().assert_outcomes(passed=6)


# --- a sidecar that is down ---------------------------------------------------------------------


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


SIDECAR_TESTS = """
import pytest

@pytest.mark.parametrize("case", range(5))
def test_uses_it(send_api, case):
    pass
"""
DOWN = "send_api: no send-api-emulator answers at http://127.0.0.1:{port} (ConnectError: *)*"


@pytest.mark.parametrize("given_by", ["option", "environment"])
def test_a_sidecar_that_is_down_ends_the_run_once(
    tester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, closed_port: int, given_by: str
) -> None:
    tester.makepyfile(SIDECAR_TESTS)
    url = f"http://127.0.0.1:{closed_port}"
    if given_by == "option":
        result = tester.runpytest(f"--send-api-url={url}")
    else:
        monkeypatch.setenv("SEND_API_EMULATOR_URL", url)
        result = tester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {DOWN.format(port=closed_port)}"])
    output = result.stdout.str() + result.stderr.str()
    assert output.count("no send-api-emulator answers") == 1, output
    result.assert_outcomes()  # no test ran


def test_a_sidecar_that_is_down_ends_an_xdist_run_once(
    tester: pytest.Pytester, closed_port: int
) -> None:
    tester.makepyfile(SIDECAR_TESTS)
    result = tester.runpytest_subprocess(
        "-n", "2", f"--send-api-url=http://127.0.0.1:{closed_port}"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {DOWN.format(port=closed_port)}"])
    output = result.stdout.str() + result.stderr.str()
    assert output.count("no send-api-emulator answers") == 1, output
    assert "INTERNALERROR" not in output


def test_a_down_sidecar_does_not_stop_tests_that_do_not_use_it(
    tester: pytest.Pytester, closed_port: int
) -> None:
    tester.makepyfile("def test_plain():\n    pass\n")
    result = tester.runpytest(f"--send-api-url=http://127.0.0.1:{closed_port}")
    result.assert_outcomes(passed=1)


def test_a_sidecar_that_answers_is_used(tester: pytest.Pytester, sidecar: SendApi) -> None:
    tester.makepyfile(SIDECAR_TESTS)
    tester.runpytest(f"--send-api-url={sidecar.url}").assert_outcomes(passed=5)
