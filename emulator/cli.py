"""The command line: serve, check, schema, ready. Bad input is one line on stderr, never a
traceback."""

from __future__ import annotations

import argparse
import gc
import json
import logging
import math
import os
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from emulator import __version__

if TYPE_CHECKING:
    import socket

    from emulator.listeners import Listeners, SecureOptions
    from emulator.persist import StateStore
    from emulator.scenario.model import Scenario

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787
log = logging.getLogger("emulator")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        result: int = args.run(args)
    except KeyboardInterrupt:
        return 130
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="send-api-emulator",
        description="A local emulator of the Facebook Messenger Platform Send API.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command")

    serve = sub.add_parser("serve", help="serve the Graph surface and the control API")
    serve.add_argument("--scenario", help="scenario file (YAML or JSON); default: the bundled one")
    serve.add_argument("--host", help=f"interface to listen on (default {DEFAULT_HOST})")
    serve.add_argument("--port", help=f"port (default {DEFAULT_PORT}; 0 picks a free one)")
    serve.add_argument("--log-level", help="debug, info (default), warning, error")
    serve.add_argument(
        "--state",
        metavar="FILE",
        help="keep messages, journal, uploads and clock in this SQLite file across restarts",
    )
    serve.add_argument(
        "--max-records",
        help="sends, journal entries and webhook deliveries kept per namespace, newest first "
        "(default 10000; the oldest are dropped)",
    )
    secure = serve.add_argument_group(
        "HTTPS and the proxy",
        "for bots whose Graph URL cannot be changed (see docs/getting-started.md)",
    )
    secure.add_argument(
        "--https-port", help="also serve everything over HTTPS on this port (0 picks one)"
    )
    secure.add_argument(
        "--proxy-port",
        help="also be an HTTP proxy on this port: Graph's hosts answered here, others tunnelled",
    )
    secure.add_argument(
        "--proxy-graph-only",
        action="store_true",
        default=None,
        help="the proxy refuses (403) every host but Graph's, for hermetic CI",
    )
    _tls_dir_argument(secure)
    secure.add_argument(
        "--tls-name",
        action="append",
        metavar="NAME",
        help="another name for the certificate (repeatable), e.g. a sidecar's service name",
    )
    secure.add_argument("--tls-cert", metavar="FILE", help="serve this certificate instead")
    secure.add_argument("--tls-key", metavar="FILE", help="the private key of --tls-cert")
    serve.set_defaults(run=_serve)

    ca = sub.add_parser(
        "ca", help="print the path of the local certificate authority (made if missing)"
    )
    _tls_dir_argument(ca)
    ca.set_defaults(run=_ca)

    check = sub.add_parser("check", help="validate scenario files")
    check.add_argument("files", nargs="+", metavar="FILE")
    check.set_defaults(run=_check)

    schema = sub.add_parser("schema", help="print the JSON Schema of the scenario format")
    schema.set_defaults(run=_schema)

    ready = sub.add_parser("ready", help="exit 0 once an emulator answers its health check")
    ready.add_argument("--url", help="base URL (default http://127.0.0.1:$EMULATOR_PORT)")
    ready.add_argument("--wait", type=float, default=0.0, help="seconds to keep trying")
    ready.set_defaults(run=_ready)
    return parser


def _tls_dir_argument(parser: argparse._ActionsContainer) -> None:
    parser.add_argument(
        "--tls-dir",
        metavar="DIR",
        help="where the certificate authority is kept (default: a per-user data directory)",
    )


def _setting(flag: str | None, variable: str, default: str) -> str:
    """Flags win over EMULATOR_* variables, which win over defaults."""
    if flag is not None:
        return flag
    return os.environ.get(variable) or default


def _fail(message: str) -> int:
    print(f"send-api-emulator: {message}", file=sys.stderr)
    return 2


def _serve(args: argparse.Namespace) -> int:
    host = _setting(args.host, "EMULATOR_HOST", DEFAULT_HOST)
    port_text = _setting(args.port, "EMULATOR_PORT", str(DEFAULT_PORT))
    scenario_path = _setting(args.scenario, "EMULATOR_SCENARIO", "")
    level = _setting(args.log_level, "EMULATOR_LOG_LEVEL", "info").upper()
    if not (port_text.isascii() and port_text.isdigit()) or int(port_text) > 65535:
        return _fail(f"--port must be a number from 0 to 65535, got {port_text!r}")
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        return _fail(f"--log-level must be debug, info, warning or error, got {level.lower()!r}")
    from emulator.rules import limits

    most = limits.MAX_RECORDS_CEILING
    records_text = _setting(
        args.max_records, "EMULATOR_MAX_RECORDS", str(limits.DEFAULT_MAX_RECORDS)
    )
    if not (records_text.isascii() and records_text.isdigit()) or not (
        1 <= int(records_text) <= most
    ):
        return _fail(f"--max-records must be a number from 1 to {most}, got {records_text!r}")
    secure = _secure_options(args)
    if isinstance(secure, str):
        return _fail(secure)
    if scenario_path:
        from emulator.scenario.load import ScenarioError, load_file

        try:
            scenario = load_file(scenario_path)
        except ScenarioError as exc:
            for problem in exc.problems:
                print(f"send-api-emulator: {problem}", file=sys.stderr)
            return 2
    else:  # the bundled default, as validated when it was bundled: no YAML, no validator
        from emulator.scenario.bundled import default_scenario

        scenario = default_scenario()
    state_path = _setting(args.state, "EMULATOR_STATE", "")
    store = None
    if state_path:  # sqlite3 and the state code are imported only when asked for
        from emulator.persist import StateError, StateStore

        try:  # held until the server stops: a second server on the file is refused
            store = StateStore(state_path)
        except StateError as exc:
            return _fail(str(exc))
    try:
        from emulator.serving import bind

        sock = bind(host, int(port_text))
        sock.set_inheritable(True)
    except OSError as exc:
        if store is not None:
            store.close()
        return _fail(f"cannot listen on {host}:{port_text}: {exc.strerror or exc}")

    listeners: Listeners | None = None
    if secure is not None:  # TLS (and `cryptography`) is loaded only when asked for
        from emulator.listeners import open_listeners
        from emulator.tls import TlsError

        try:
            listeners = open_listeners(host, secure)
        except (TlsError, OSError) as exc:
            sock.close()
            if store is not None:
                store.close()
            return _fail(str(exc))

    from emulator import logline

    try:
        return _run_server(
            scenario, scenario_path, sock, store, state_path, int(records_text), level, listeners
        )
    finally:
        logline.uninstall()  # every line written before the process ends


def _run_server(
    scenario: Scenario,
    scenario_path: str,
    sock: socket.socket,
    store: StateStore | None,
    state_path: str,
    max_records: int,
    level: str,
    listeners: Listeners | None = None,
) -> int:
    """Serve until stopped; the log (one line per request by default) is written off the
    request path, by logline's writer thread."""
    from emulator import logline
    from emulator.serving import EmulatorServer, config, stack

    writer = logline.install(sys.stderr, getattr(logging, level))
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per delivery is ours
    # What starting logs (a restored state) is held until the app is made: the first line
    # says where the server listens, and a server that cannot start says only why.
    writer.hold()
    loop, http = stack()
    bound_host, bound_port = sock.getsockname()[:2]
    shown_host = f"[{bound_host}]" if ":" in bound_host else bound_host
    pages = len(scenario.pages)
    # the first line: where it listens (port 0 picks one), and on which stack
    log.info(
        "send-api-emulator %s listening on http://%s:%d (scenario: %s, %d page%s, clock: %s%s; "
        "%s + %s)",
        __version__,
        shown_host,
        bound_port,
        scenario_path or "bundled default",
        pages,
        "" if pages == 1 else "s",
        "frozen" if scenario.clock.start else "real time",
        f", state: {state_path}" if state_path else "",
        loop,
        http,
    )
    for line in listeners.lines if listeners else ():
        log.info("%s", line)
    from emulator.app import create_app

    try:
        app = create_app(scenario, max_records=max_records, state=store)
    except ValueError as exc:  # persist.StateError: the state file holds damaged state
        writer.discard()
        sock.close()
        if listeners is not None:
            listeners.close()
        if store is not None:
            store.close()
        return _fail(str(exc))
    writer.release()
    # This process is ours alone: keep start-up objects and (every 1000 requests) the
    # emulator's records out of the garbage collector's scans. See World.freeze_every. (No
    # collection first: it took 15 ms of start-up, to free a few hundred KB of import garbage.)
    app.state.world.freeze_every = app.state.namespaces.freeze_every = 1000
    gc.freeze()
    EmulatorServer(config(app), listeners).run(sockets=[sock])
    return 0


def _port(text: str, flag: str) -> int | str:
    """A port number, or what is wrong with it."""
    if not (text.isascii() and text.isdigit()) or int(text) > 65535:
        return f"{flag} must be a number from 0 to 65535, got {text!r}"
    return int(text)


def _secure_options(args: argparse.Namespace) -> SecureOptions | str | None:
    """HTTPS and proxy settings from flags and EMULATOR_* variables, what is wrong with them,
    or None when neither is asked for (then nothing of TLS is imported)."""
    ports: list[int | None] = []
    for flag, variable in (
        ("--https-port", "EMULATOR_HTTPS_PORT"),
        ("--proxy-port", "EMULATOR_PROXY_PORT"),
    ):
        text = _setting(getattr(args, flag[2:].replace("-", "_")), variable, "")
        port = _port(text, flag) if text else None
        if isinstance(port, str):
            return port
        ports.append(port)
    if ports == [None, None]:
        return None
    graph_only = args.proxy_graph_only
    if graph_only is None:
        graph_only = os.environ.get("EMULATOR_PROXY_GRAPH_ONLY", "").lower() in _TRUE
    names = args.tls_name
    if names is None:
        names = os.environ.get("EMULATOR_TLS_NAMES", "").replace(",", " ").split()
    from emulator.listeners import SecureOptions
    from emulator.tls import tls_dir

    return SecureOptions(
        https_port=ports[0],
        proxy_port=ports[1],
        graph_only=graph_only,
        tls_dir=tls_dir(args.tls_dir),
        names=tuple(names),
        cert_file=_setting(args.tls_cert, "EMULATOR_TLS_CERT", ""),
        key_file=_setting(args.tls_key, "EMULATOR_TLS_KEY", ""),
    )


_TRUE = ("1", "true", "yes", "on")


def _ca(args: argparse.Namespace) -> int:
    """Print the authority's certificate path, one line, so `VAR=$(send-api-emulator ca)`."""
    from emulator.tls import TlsError, authority, tls_dir

    try:
        _, path = authority(tls_dir(args.tls_dir))
    except TlsError as exc:
        return _fail(str(exc))
    print(path)
    return 0


def _check(args: argparse.Namespace) -> int:
    from emulator.scenario.load import ScenarioError, load_file

    failed = False
    for path in args.files:
        try:
            load_file(path)
        except ScenarioError as exc:
            failed = True
            for problem in exc.problems:
                print(problem, file=sys.stderr)
        else:
            print(f"{path}: ok")
    return 1 if failed else 0


def _schema(args: argparse.Namespace) -> int:
    from emulator.scenario.model import Scenario

    schema = Scenario.model_json_schema()
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "send-api-emulator scenario",
        **schema,
    }
    print(json.dumps(schema, indent=2))
    return 0


def _ready(args: argparse.Namespace) -> int:
    import urllib.error
    import urllib.request
    from urllib.parse import urlsplit

    port = os.environ.get("EMULATOR_PORT") or str(DEFAULT_PORT)
    # an empty --url (an unset variable in `--url "$EMULATOR_URL"`) means the default
    base = (args.url or f"http://127.0.0.1:{port}").rstrip("/")
    try:
        parts = urlsplit(base)
        usable = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # an invalid port or IPv6 literal
        usable = False
    if not usable:
        return _fail(f"--url must be an http:// or https:// URL with a host, got {args.url!r}")
    url = f"{base}/_emulator/health"
    wait = args.wait if math.isfinite(args.wait) else 0.0
    deadline = time.monotonic() + max(wait, 0.0)
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    print(f"{base}: ready")
                    return 0
        except (urllib.error.URLError, OSError, ValueError):
            pass
        if time.monotonic() >= deadline:
            print(f"send-api-emulator: {base} is not ready", file=sys.stderr)
            return 1
        time.sleep(0.1)
