"""Build the emulator's ASGI app from a scenario. Routes fit on one screen."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Router
from starlette.types import Receive, Scope, Send

from emulator.control.namespaces import namespace_routes
from emulator.control.routes import error_response
from emulator.graph import GraphEndpoint
from emulator.namespaces import Namespaces
from emulator.rules import limits
from emulator.scenario.model import Scenario

if TYPE_CHECKING:  # sqlite3 is imported only when a state file is used
    from emulator.persist import StateStore

CONTROL_PREFIX = "/_emulator"
CONTROL_ROOT = CONTROL_PREFIX + "/"
log = logging.getLogger("emulator")


class EmulatorApp(Starlette):
    """Starlette serves the control API and the UI; every other HTTP request is Graph's and
    goes straight to the Graph endpoint, below Starlette's routing and middleware (the hot
    path: those layers cost as much as the emulator's own work on a text send)."""

    graph: GraphEndpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(CONTROL_ROOT):
            await self.graph(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


def create_app(
    scenario: Scenario,
    max_records: int = limits.DEFAULT_MAX_RECORDS,
    state: StateStore | None = None,
) -> EmulatorApp:
    """An emulator with its own state: as many as you like, in-process or on ports.

    The scenario is the `default` namespace; more are made through the control API. With a
    `state` store, the default namespace is restored from it (StateError if it is damaged)
    and saved to it while serving."""
    namespaces = Namespaces(scenario, max_records)
    default = namespaces.default
    persistence = None
    if state is not None:
        from emulator.persist import Persistence

        persistence = Persistence(state, default.world)
        restored = persistence.restore()  # StateError (naming the file) if it is damaged
        if restored:
            log.info("state: %s", restored.reason)
        else:  # a state saved for another scenario was copied aside: say where, loudly
            level = logging.WARNING if restored.backup else logging.INFO
            log.log(level, "state: %s; starting fresh", restored.reason)
    # at the root, the call's token picks the namespace
    graph = GraphEndpoint(default.world, namespaces.world_for)

    async def not_routed(request: Request, exc: Exception) -> Response:
        """Control API misses answer in JSON (Graph's requests never reach Starlette)."""
        assert isinstance(exc, HTTPException)
        path = request.scope["path"]
        if exc.status_code == 405:
            return error_response(405, f"{request.method} is not allowed on {path}")
        return error_response(exc.status_code, f"no control endpoint {path}")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        namespaces.start()
        if persistence is not None:
            persistence.start()
        yield
        await namespaces.close()
        if persistence is not None:
            await persistence.stop()
            persistence.store.close()

    control = Router(
        [*namespace_routes(namespaces), *default.control.routes], redirect_slashes=False
    )
    app = EmulatorApp(
        routes=[Mount(CONTROL_PREFIX, app=control)],
        exception_handlers={HTTPException: not_routed},
        lifespan=lifespan,
    )
    app.graph = graph
    app.state.namespaces = namespaces
    app.state.world = default.world
    app.state.webhooks = default.webhooks
    return app
