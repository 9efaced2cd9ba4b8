"""The listeners `serve` opens besides its plain HTTP port: HTTPS (`--https-port`) and the
intercepting proxy (`--proxy-port`), with the TLS context they need.

All are bound before the server starts, so port 0 can be announced as the port it picked, and
a port in use is one clear line, not a traceback. Nothing here is imported by a plain `serve`.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass, field
from pathlib import Path

from emulator import tls
from emulator.serving import bind


@dataclass(frozen=True)
class SecureOptions:
    """What the command line asked for (flags, else EMULATOR_* variables)."""

    https_port: int | None
    proxy_port: int | None
    graph_only: bool
    tls_dir: Path
    names: tuple[str, ...] = ()
    cert_file: str = ""
    key_file: str = ""


@dataclass
class Listeners:
    """Bound sockets and what to serve on them."""

    tls: list[tuple[socket.socket, ssl.SSLContext]] = field(default_factory=list)
    tls_address: tuple[str, int] | None = None  # where graph tunnels are joined
    proxy: socket.socket | None = None
    graph_only: bool = False
    lines: list[str] = field(default_factory=list)  # what the log says about them

    def close(self) -> None:
        for sock, _ in self.tls:
            sock.close()
        if self.proxy is not None:
            self.proxy.close()


def open_listeners(host: str, options: SecureOptions) -> Listeners:
    """Make the TLS context and bind every extra listener; TlsError or OSError (with the
    sockets bound so far closed) if one cannot be had."""
    listeners = Listeners(graph_only=options.graph_only)
    names = tls.server_names(options.names)
    if options.cert_file or options.key_file:
        ca_path = None
        context = tls.server_context(None, names, options.cert_file, options.key_file)
        trust = f"certificate: {options.cert_file}"
    else:
        ca, ca_path = tls.authority(options.tls_dir)
        context = tls.server_context(ca, names)
        trust = f"certificate for {', '.join(names)}; authority: {ca_path}"
    try:
        if options.https_port is not None:
            sock = _bound(host, options.https_port, "--https-port")
            listeners.tls.append((sock, context))
            address = _address(sock)
            listeners.tls_address = _loopback(address)
            listeners.lines.append(f"HTTPS on https://{_shown(address)} ({trust})")
        if options.proxy_port is not None:
            if listeners.tls_address is None:  # the proxy's own, for its graph tunnels
                sock = _bound("127.0.0.1", 0, "the proxy's HTTPS")
                listeners.tls.append((sock, context))
                listeners.tls_address = _address(sock)
            listeners.proxy = _bound(host, options.proxy_port, "--proxy-port")
            others = "refused (--proxy-graph-only)" if options.graph_only else "tunnelled"
            trusted = f"; trust {ca_path}" if ca_path else ""
            listeners.lines.append(
                f"proxy on http://{_shown(_address(listeners.proxy))} (graph.facebook.com and "
                f"graph.instagram.com answered here, other hosts {others}{trusted})"
            )
    except OSError:
        listeners.close()
        raise
    return listeners


def _bound(host: str, port: int, what: str) -> socket.socket:
    try:
        sock = bind(host, port)
    except OSError as exc:
        raise OSError(f"{what}: cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def _address(sock: socket.socket) -> tuple[str, int]:
    host, port = sock.getsockname()[:2]
    return str(host), int(port)


def _loopback(address: tuple[str, int]) -> tuple[str, int]:
    """Where this process reaches a listener bound to `address` (a wildcard: loopback)."""
    host, port = address
    if host == "0.0.0.0":
        return "127.0.0.1", port
    if host == "::":
        return "::1", port
    return host, port


def _shown(address: tuple[str, int]) -> str:
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
