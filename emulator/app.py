"""Build the emulator's ASGI app from a scenario. Routes fit on one screen."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route, Router

from emulator.control.namespaces import namespace_routes
from emulator.control.routes import error_response
from emulator.graph import GraphEndpoint
from emulator.namespaces import Namespaces
from emulator.rules import limits
from emulator.scenario.model import Scenario

CONTROL_PREFIX = "/_emulator"


def create_app(scenario: Scenario, max_records: int = limits.DEFAULT_MAX_RECORDS) -> Starlette:
    """An emulator with its own state: as many as you like, in-process or on ports.

    The scenario is the `default` namespace; more are made through the control API."""
    namespaces = Namespaces(scenario, max_records)
    default = namespaces.default
    # at the root, the call's token picks the namespace
    graph = GraphEndpoint(default.world, namespaces.world_for)

    async def not_routed(request: Request, exc: Exception) -> Response:
        """Control API misses answer in JSON; anything else that no route took (a request
        target like `*` or `http://host/path`) is Graph's to answer."""
        assert isinstance(exc, HTTPException)
        path = request.scope["path"]
        if not path.startswith(CONTROL_PREFIX + "/"):
            return await graph.handle(request)
        if exc.status_code == 405:
            return error_response(405, f"{request.method} is not allowed on {path}")
        return error_response(exc.status_code, f"no control endpoint {path}")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        namespaces.start()
        yield
        await namespaces.close()

    control = Router(
        [*namespace_routes(namespaces), *default.control.routes], redirect_slashes=False
    )
    app = Starlette(
        routes=[Mount(CONTROL_PREFIX, app=control), Route("/{path:path}", graph)],
        exception_handlers={HTTPException: not_routed},
        lifespan=lifespan,
    )
    app.state.namespaces = namespaces
    app.state.world = default.world
    app.state.webhooks = default.webhooks
    return app
