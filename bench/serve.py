"""The servers bench/run.py compares with `send-api-emulator serve`, on the fastest stack uvicorn
offers (uvloop + httptools, named explicitly), one process, no access log, lifespan off:

- `--app bare`: a bare Starlette endpoint that parses the JSON body and answers a constant JSON;
- `--app emulator`: the emulator's own ASGI app (`emulator.app.create_app`), to separate the
  app's per-request cost from how the CLI sets up its listening socket.

The socket is bound as uvicorn binds one itself (protocol IPPROTO_TCP), so asyncio turns on
TCP_NODELAY for every accepted connection.

    python bench/serve.py --app bare --port 8788
"""

from __future__ import annotations

import argparse
import socket

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

# The same shape and size as the emulator's answer to a text send.
ANSWER = {
    "recipient_id": "2000000000000001",
    "message_id": "m_" + "A" * 86,
}


async def messages(request: Request) -> Response:
    await request.json()
    return JSONResponse(ANSWER)


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def bare_app() -> Starlette:
    return Starlette(
        routes=[
            Route("/v21.0/me/messages", messages, methods=["POST"]),
            Route("/_emulator/health", health, methods=["GET"]),
        ]
    )


def emulator_app(scenario: str) -> Starlette:
    from emulator.app import create_app
    from emulator.scenario.load import load_file

    return create_app(load_file(scenario))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", choices=("bare", "emulator"), default="bare")
    parser.add_argument("--scenario", help="scenario file, for --app emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    if args.app == "emulator" and not args.scenario:
        parser.error("--app emulator needs --scenario")
    app = bare_app() if args.app == "bare" else emulator_app(args.scenario)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.set_inheritable(True)
    # the fastest stack uvicorn offers, named explicitly: the honest baseline
    config = uvicorn.Config(
        app,
        log_config=None,
        log_level="warning",
        access_log=False,
        lifespan="off",
        loop="uvloop",
        http="httptools",
    )
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
