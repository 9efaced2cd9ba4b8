"""How the emulator is served by uvicorn, for the command line and the pytest plugin alike: the
listening socket, the server's settings, and a server whose shutdown ends open event streams.

uvicorn waits for open responses before it stops, and an event stream (the web UI's) never
finishes by itself; ending the streams first lets SIGTERM or a test's stop take effect at once.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import socket
from typing import TYPE_CHECKING, Any

import uvicorn
from starlette.types import ASGIApp

from emulator.onewrite import protocol_class

if TYPE_CHECKING:
    from emulator.listeners import Listeners
    from emulator.proxy import Proxy


def bind(host: str, port: int, backlog: int = 2048) -> socket.socket:
    """A listening socket, connect-ready before anyone announces its address."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted connections only when
    # the listening socket says TCP, and without it every answer waits ~40 ms for delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    return sock


def stack() -> tuple[str, str]:
    """The event loop and HTTP parser to serve with: uvloop and httptools, which `pip install`
    brings where they have wheels, else asyncio and h11 (uvicorn's own fallbacks)."""
    loop = "uvloop" if importlib.util.find_spec("uvloop") is not None else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") is not None else "h11"
    return loop, http


def config(app: ASGIApp, **extra: Any) -> uvicorn.Config:
    """uvicorn's settings: the fastest stack installed, our own log lines only, and the app's
    lifespan (webhooks, state). No `server: uvicorn` header (Graph's answers carry no Server
    header) and no proxy-header middleware (nothing reads the client's address): a layer
    less on every request. The protocol writes each answer in one call (see onewrite.py)."""
    loop, http = stack()
    settings: dict[str, Any] = {
        "loop": loop,
        "http": protocol_class(http) or http,
        "proxy_headers": False,
        "server_header": False,
        **extra,
    }
    return uvicorn.Config(
        app, log_config=None, log_level="warning", access_log=False, lifespan="on", **settings
    )


class EmulatorServer(uvicorn.Server):
    """uvicorn's server, plus the HTTPS listeners and the proxy of `listeners`, all on the one
    event loop and app: one world, whichever door a call comes in by."""

    def __init__(self, config: uvicorn.Config, listeners: Listeners | None = None) -> None:
        super().__init__(config)
        self.listeners = listeners
        self.proxy: Proxy | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if not self.started or self.listeners is None:
            return
        loop = asyncio.get_running_loop()
        # the same protocol uvicorn serves its own sockets with, over TLS
        protocol = functools.partial(
            self.config.http_protocol_class,  # type: ignore[call-arg]
            config=self.config,
            server_state=self.server_state,
            app_state=self.lifespan.state,
        )
        for sock, context in self.listeners.tls:
            self.servers.append(
                await loop.create_server(
                    protocol, sock=sock, ssl=context, backlog=self.config.backlog
                )
            )
        if self.listeners.proxy is not None and self.listeners.tls_address is not None:
            from emulator.proxy import Proxy

            self.proxy = Proxy(
                self.config.app,  # type: ignore[arg-type]
                self.listeners.tls_address,
                graph_only=self.listeners.graph_only,
            )
            self.servers.append(await self.proxy.start(self.listeners.proxy))

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        from emulator import logline
        from emulator.control.events import end_all_streams

        end_all_streams()
        if self.proxy is not None:  # tunnels never end by themselves
            await self.proxy.close()
        await super().shutdown(sockets)
        logline.flush()  # every line out before uvicorn re-raises SIGTERM to end the process
