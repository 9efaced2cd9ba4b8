"""Build the emulator's ASGI app from a scenario. Routes fit on one screen."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from emulator.control.routes import error_response
from emulator.control.routes import routes as control_routes
from emulator.graph import GraphEndpoint
from emulator.scenario.model import Scenario
from emulator.state import World


async def _control_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        return error_response(405, f"{request.method} is not allowed on {request.url.path}")
    return error_response(exc.status_code, f"no control endpoint {request.url.path}")


def create_app(scenario: Scenario) -> Starlette:
    """An emulator with its own state: as many as you like, in-process or on ports."""
    world = World(scenario)
    app = Starlette(
        routes=[
            Mount("/_emulator", routes=control_routes(world)),
            Route("/{path:path}", GraphEndpoint(world)),
        ],
        exception_handlers={HTTPException: _control_http_error},
    )
    app.state.world = world
    return app
