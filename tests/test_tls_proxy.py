"""HTTPS and the intercepting proxy (issue 11): unmodified bots, real clients, real sockets.

A real `serve --https-port 0 --proxy-port 0` process; TLS checked against the local authority
for Graph's names; a `requests` bot and a Node bot with a fixed https:// Graph URL reach the
emulator through the proxy; other hosts are tunnelled or forwarded (a local echo server and a
local HTTP server stand in for them), or refused with --proxy-graph-only.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import trustme
from conftest import ROOT, LiveServer, run_cli

DEFAULT_SCENARIO = ROOT / "emulator" / "scenario" / "default.yaml"
TOKEN = "ACME_PAGE_TOKEN"
PSID = "2000000000000001"
NODE = shutil.which("node")


@dataclass
class Served:
    url: str  # plain HTTP
    https_port: int
    proxy_port: int
    ca: Path
    server: LiveServer

    @property
    def proxy(self) -> str:
        return f"http://127.0.0.1:{self.proxy_port}"

    def outbox_texts(self) -> list[str]:
        sent = httpx.get(f"{self.url}/_emulator/messages", timeout=5).json()["data"]
        return [entry["message"].get("text") for entry in sent if entry.get("message")]


def start(tmp: Path, *extra: str) -> Served:
    server = LiveServer(
        DEFAULT_SCENARIO,
        tmp / "emulator.log",
        *("--https-port", "0", "--proxy-port", "0", "--tls-dir", str(tmp / "tls"), *extra),
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        log = server.log()
        https = re.search(r"HTTPS on https://127\.0\.0\.1:(\d+)", log)
        proxy = re.search(r"proxy on http://127\.0\.0\.1:(\d+)", log)
        if https and proxy:
            return Served(
                server.url, int(https.group(1)), int(proxy.group(1)), tmp / "tls" / "ca.pem", server
            )
        time.sleep(0.02)
    server.stop()
    raise AssertionError(f"no HTTPS or proxy line in the log:\n{server.log()}")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    instance = start(tmp_path_factory.mktemp("tls"), "--tls-name", "emulator.test")
    yield instance
    instance.server.stop()


@pytest.fixture(scope="module")
def graph_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    instance = start(tmp_path_factory.mktemp("tls-graph-only"), "--proxy-graph-only")
    yield instance
    instance.server.stop()


@pytest.fixture(autouse=True)
def _reset(request: pytest.FixtureRequest) -> None:
    for name in ("served", "graph_only"):
        if name in request.fixturenames:
            url = request.getfixturevalue(name).url
            httpx.post(f"{url}/_emulator/reset", timeout=5).raise_for_status()


# --- the authority -------------------------------------------------------------------------


def test_ca_prints_the_authority_path_alone_and_reuses_it(tmp_path: Path) -> None:
    first = run_cli("ca", "--tls-dir", str(tmp_path / "a"))
    assert first.returncode == 0, first.stderr
    assert first.stdout == f"{tmp_path / 'a' / 'ca.pem'}\n"  # one line, nothing else
    pem = Path(first.stdout.strip()).read_bytes()
    assert pem.startswith(b"-----BEGIN CERTIFICATE-----")
    assert (tmp_path / "a" / "ca-key.pem").stat().st_mode & 0o077 == 0  # the key: owner only
    again = run_cli("ca", env={"EMULATOR_TLS_DIR": str(tmp_path / "a")})
    assert again.stdout == first.stdout
    assert Path(again.stdout.strip()).read_bytes() == pem  # kept, not made again


def test_ca_in_an_unusable_directory_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = run_cli("ca", "--tls-dir", str(blocker / "tls"))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("send-api-emulator: TLS directory")


# --- HTTPS -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["graph.facebook.com", "graph.instagram.com", "localhost", "127.0.0.1", "emulator.test"],
)
def test_the_certificate_is_verified_for_each_name(served: Served, name: str) -> None:
    context = ssl.create_default_context(cafile=str(served.ca))
    with (
        socket.create_connection(("127.0.0.1", served.https_port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname=name) as tls,
    ):
        assert tls.version() in ("TLSv1.2", "TLSv1.3")


def test_a_name_the_certificate_does_not_hold_fails_verification(served: Served) -> None:
    context = ssl.create_default_context(cafile=str(served.ca))
    with (
        socket.create_connection(("127.0.0.1", served.https_port), timeout=5) as raw,
        pytest.raises(ssl.SSLCertVerificationError),
    ):
        context.wrap_socket(raw, server_hostname="example.com")


def test_https_serves_the_graph_surface_and_the_control_api(served: Served) -> None:
    base = f"https://localhost:{served.https_port}"
    with httpx.Client(verify=ssl.create_default_context(cafile=str(served.ca))) as client:
        assert client.get(f"{base}/_emulator/health").status_code == 200
        answer = client.post(
            f"{base}/v21.0/me/messages",
            params={"access_token": TOKEN},
            json={
                "recipient": {"id": PSID},
                "messaging_type": "RESPONSE",
                "message": {"text": "tls"},
            },
        )
    assert answer.status_code == 200, answer.text
    assert answer.json()["recipient_id"] == PSID
    assert served.outbox_texts() == ["tls"]  # the same world as plain HTTP


# --- the proxy: unmodified bots ------------------------------------------------------------

REQUESTS_BOT = textwrap.dedent(
    """
    import json, sys
    import requests

    # Graph's URL written into the code, as pymessenger and Ampalibe do
    answer = requests.post(
        "https://graph.facebook.com/v21.0/me/messages",
        params={"access_token": sys.argv[1]},
        json={"recipient": {"id": sys.argv[2]}, "messaging_type": "RESPONSE",
              "message": {"text": sys.argv[3]}},
        timeout=10,
    )
    profile = requests.get(
        f"http://graph.facebook.com/v21.0/{sys.argv[2]}",
        params={"access_token": sys.argv[1], "fields": "first_name"},
        timeout=10,
    )
    print(json.dumps([answer.status_code, answer.json(), profile.status_code, profile.json()]))
    """
)


def test_a_requests_bot_with_graphs_url_in_its_code_reaches_the_emulator(
    served: Served, tmp_path: Path
) -> None:
    bot = tmp_path / "bot.py"
    bot.write_text(REQUESTS_BOT)
    env = {
        **os.environ,
        "HTTPS_PROXY": served.proxy,
        "HTTP_PROXY": served.proxy,
        "REQUESTS_CA_BUNDLE": str(served.ca),
        "NO_PROXY": "",
    }
    result = subprocess.run(
        [sys.executable, str(bot), TOKEN, PSID, "via proxy"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    status, body, profile_status, profile = json.loads(result.stdout)
    assert status == 200
    assert body["recipient_id"] == PSID
    assert profile_status == 200
    assert profile["first_name"]
    assert served.outbox_texts() == ["via proxy"]
    assert "proxy: CONNECT graph.facebook.com:443 -> the emulator" in served.server.log()


@pytest.mark.skipif(NODE is None, reason="node is not on PATH")
def test_a_node_bot_with_a_fixed_https_url_reaches_the_emulator(served: Served) -> None:
    assert NODE is not None
    result = subprocess.run(
        [NODE, str(ROOT / "examples" / "node" / "https_bot.mjs"), PSID, "from node"],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "HTTPS_PROXY": served.proxy,
            "NODE_EXTRA_CA_CERTS": str(served.ca),
            "PAGE_TOKEN": TOKEN,
        },
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["body"]["recipient_id"] == PSID
    assert served.outbox_texts() == ["from node"]


def test_without_the_authority_a_bot_refuses_the_certificate(served: Served) -> None:
    # the interception is only as trusted as the user made it: nothing is trusted silently
    with (
        httpx.Client(proxy=served.proxy, verify=True, timeout=5) as client,
        pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"),
    ):
        client.get("https://graph.facebook.com/v21.0/me")


# --- the proxy: other hosts -----------------------------------------------------------


@contextlib.contextmanager
def echo_server() -> Iterator[int]:
    """A TCP server on 127.0.0.1 that sends back what it gets."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = listener.accept()
                with conn:
                    while data := conn.recv(65536):
                        conn.sendall(data)

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


@contextlib.contextmanager
def http_server() -> Iterator[tuple[int, list[str]]]:
    """A local HTTP server answering `elsewhere PATH`; the paths it got are listed."""
    got: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            got.append(self.path)
            body = f"elsewhere {self.path}".encode()
            self.send_response(200)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], got
    finally:
        server.shutdown()
        server.server_close()


def connect_through(proxy_port: int, target: str) -> tuple[bytes, socket.socket]:
    """Send CONNECT target; the proxy's answer head and the socket."""
    sock = socket.create_connection(("127.0.0.1", proxy_port), timeout=5)
    sock.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        if not chunk:
            break
        head += chunk
    return head, sock


def test_a_connect_to_another_host_is_tunnelled_unchanged(served: Served) -> None:
    with echo_server() as port:
        head, sock = connect_through(served.proxy_port, f"127.0.0.1:{port}")
        with sock:
            assert head.startswith(b"HTTP/1.1 200 ")
            sock.sendall(b"any bytes \x00\xff at all")
            assert sock.recv(100) == b"any bytes \x00\xff at all"


def test_plain_http_to_another_host_is_forwarded(served: Served) -> None:
    with http_server() as (port, got), httpx.Client(proxy=served.proxy, timeout=5) as client:
        answer = client.get(f"http://127.0.0.1:{port}/page?x=1")
    assert answer.status_code == 200
    assert answer.text == "elsewhere /page?x=1"
    assert got == ["/page?x=1"]


def test_graph_only_refuses_other_hosts_and_says_why(graph_only: Served) -> None:
    with echo_server() as port:
        head, sock = connect_through(graph_only.proxy_port, f"127.0.0.1:{port}")
        with sock:
            rest = sock.recv(4096)
    assert head.startswith(b"HTTP/1.1 403 Forbidden")
    assert b"--proxy-graph-only" in rest
    assert b"graph.facebook.com" in rest
    with http_server() as (http_port, got), httpx.Client(proxy=graph_only.proxy) as client:
        answer = client.get(f"http://127.0.0.1:{http_port}/")
    assert answer.status_code == 403
    assert "--proxy-graph-only" in answer.text
    assert got == []  # never reached


def test_graph_only_still_answers_graph(graph_only: Served) -> None:
    context = ssl.create_default_context(cafile=str(graph_only.ca))
    with httpx.Client(proxy=graph_only.proxy, verify=context, timeout=5) as client:
        answer = client.get("https://graph.instagram.com/v21.0/me", params={"access_token": TOKEN})
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"CONNECT graph.facebook.com HTTP/1.1\r\nHost: x\r\n\r\n", b"400"),  # no port
        (b"GET ftp://example.com/ HTTP/1.1\r\nHost: x\r\n\r\n", b"400"),
        (b"NOT HTTP AT ALL\r\n\r\n", b"400"),
        (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-Long: " + b"a" * 200_000 + b"\r\n\r\n", b"431"),
    ],
)
def test_bad_proxy_requests_get_a_clear_answer(
    served: Served, request_bytes: bytes, status: bytes
) -> None:
    with socket.create_connection(("127.0.0.1", served.proxy_port), timeout=5) as sock:
        with contextlib.suppress(OSError):  # it may answer before reading all of a huge head
            sock.sendall(request_bytes)
        answer = sock.recv(4096)
    assert answer.split(b" ")[1] == status, answer
    assert httpx.get(f"{served.url}/_emulator/health", timeout=5).status_code == 200


# --- the user's own certificate, and bad settings ----------------------------------------------


def test_the_users_own_certificate_is_served(tmp_path: Path) -> None:
    ca = trustme.CA()
    leaf = ca.issue_cert("bot.internal")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    key.write_bytes(leaf.private_key_pem.bytes())
    server = LiveServer(
        DEFAULT_SCENARIO,
        tmp_path / "emulator.log",
        *("--https-port", "0", "--tls-cert", str(cert), "--tls-key", str(key)),
    )
    try:
        port = int(re.search(r"HTTPS on https://127\.0\.0\.1:(\d+)", server.log()).group(1))  # type: ignore[union-attr]
        context = ssl.create_default_context()
        ca.configure_trust(context)
        with (
            socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
            context.wrap_socket(raw, server_hostname="bot.internal"),
        ):
            pass
    finally:
        server.stop()
    assert not (tmp_path / "tls").exists()


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--https-port", "https"), "--https-port must be a number"),
        (("--proxy-port", "70000"), "--proxy-port must be a number"),
        (("--https-port", "0", "--tls-cert", "x.pem"), "--tls-cert and --tls-key go together"),
        (("--https-port", "0", "--tls-cert", "no.pem", "--tls-key", "no.pem"), "cannot use no.pem"),
        (("--https-port", "0", "--tls-name", "not a name!"), "is not a host name"),
    ],
)
def test_bad_tls_settings_are_one_line(tmp_path: Path, args: tuple[str, ...], said: str) -> None:
    result = run_cli("serve", "--port", "0", "--tls-dir", str(tmp_path), *args, timeout=60)
    assert result.returncode == 2
    assert said in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr


def test_a_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = run_cli(
            "serve", "--port", "0", "--tls-dir", str(tmp_path), "--proxy-port", str(port)
        )
    assert result.returncode == 2
    assert "--proxy-port: cannot listen on" in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr


def test_the_standard_library_bot_of_the_compose_recipe_reaches_the_emulator(
    served: Served,
) -> None:
    # examples/unmodified_bot.py, as examples/docker-compose.unmodified-bot.yml runs it
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "unmodified_bot.py"), PSID, "stdlib"],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "HTTPS_PROXY": served.proxy,
            "SSL_CERT_FILE": str(served.ca),
            "PAGE_TOKEN": TOKEN,
            "NO_PROXY": "",
        },
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("200 ")
    assert served.outbox_texts() == ["stdlib"]
