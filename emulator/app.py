"""Build the emulator's ASGI app from a scenario. Routes fit on one screen."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route, Router

from emulator.control.routes import error_response
from emulator.control.routes import routes as control_routes
from emulator.graph import GraphEndpoint
from emulator.scenario.model import Scenario
from emulator.state import World
from emulator.webhooks.delivery import Webhooks

CONTROL_PREFIX = "/_emulator"


def create_app(scenario: Scenario) -> Starlette:
    """An emulator with its own state: as many as you like, in-process or on ports."""
    world = World(scenario)
    graph = GraphEndpoint(world)

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

    webhooks = Webhooks(world)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        webhooks.start()
        yield
        await webhooks.close()

    control = Router(control_routes(world), redirect_slashes=False)
    app = Starlette(
        routes=[Mount(CONTROL_PREFIX, app=control), Route("/{path:path}", graph)],
        exception_handlers={HTTPException: not_routed},
        lifespan=lifespan,
    )
    app.state.world = world
    app.state.webhooks = webhooks
    return app
