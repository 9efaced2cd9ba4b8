"""The control API's faults and rate limits: list, add and clear injected faults; read usage.

    GET    /_emulator/faults          the faults, in order, with remaining/matched/applied
    POST   /_emulator/faults          add one (a scenario `faults` entry as JSON): 201 + it
    DELETE /_emulator/faults          clear them all
    DELETE /_emulator/faults/{id}     remove one
    GET    /_emulator/ratelimits      each page's usage of the rate limits (when enabled)

A reset brings back the scenario's faults (added ones are dropped) and empties the counters.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from emulator.control import routes as control  # module import: routes.py includes these
from emulator.scenario.model import FaultSpec
from emulator.state import World


def fault_routes(world: World) -> list[Route]:
    """The fault and rate-limit routes, bound to one world."""

    async def faults(request: Request) -> Any:
        if request.method == "POST":
            spec = await control.json_model(request, FaultSpec, "fault")
            try:
                fault = world.faults.add(spec)
            except ValueError as exc:
                raise control.ControlError(409, str(exc)) from None
            return JSONResponse(fault.view(), 201)
        if request.method == "DELETE":
            return {"deleted": world.faults.clear()}
        return {"data": world.faults.view()}

    async def fault(request: Request) -> dict[str, Any]:
        fault_id = request.path_params["fault_id"]
        removed = world.faults.remove(fault_id)
        if removed is None:
            raise control.ControlError(
                404, f"no fault {fault_id!r}", faults=[f["id"] for f in world.faults.view()]
            )
        return {"deleted": 1, "fault": removed.view()}

    async def ratelimits(request: Request) -> dict[str, Any]:
        if world.rates is None:
            return {"enabled": False}
        return world.rates.view(world.clock.now())

    return [
        Route("/faults", control.endpoint(faults), methods=["GET", "POST", "DELETE"]),
        Route("/faults/{fault_id}", control.endpoint(fault), methods=["DELETE"]),
        Route("/ratelimits", control.endpoint(ratelimits), methods=["GET"]),
    ]
