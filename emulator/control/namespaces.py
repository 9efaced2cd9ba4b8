"""The control API's namespaces: make, list and delete them, and reach each one's control API
(`/_emulator/namespaces/{name}/...`) and Graph surface (`.../graph/...`)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.types import Receive, Scope, Send

from emulator.control.routes import ControlError, endpoint, error_response, scenario_body
from emulator.namespaces import NamespaceError, Namespaces

GRAPH = "/graph"


def namespace_routes(namespaces: Namespaces) -> list[Route | Mount]:
    async def listing(request: Request) -> dict[str, Any]:
        return {"data": [namespace.describe() for namespace in namespaces.items.values()]}

    async def one(request: Request) -> Any:
        name = request.path_params["name"]
        try:
            if request.method == "PUT":
                namespaces.check_name(name)  # before the body is read
                scenario, prepared = await scenario_body(
                    request, lambda scenario: namespaces.prepare(name, scenario)
                )
                namespace, made = namespaces.put(name, scenario, prepared)
                shown = {**namespace.describe(), **_tokens(namespaces, name)}
                return JSONResponse(shown, 201 if made else 200)
            if request.method == "DELETE":
                await namespaces.delete(name)
                return {"deleted": name}
        except NamespaceError as exc:
            raise ControlError(exc.status, str(exc)) from None
        found = namespaces.items.get(name)
        if found is None:
            raise ControlError(404, f"no namespace {name!r}", namespaces=list(namespaces.items))
        return {**found.describe(), **_tokens(namespaces, name)}

    async def inside(scope: Scope, receive: Receive, send: Send) -> None:
        """Hand the call to the namespace's own control API or Graph surface."""
        name = scope["path_params"]["name"]
        namespace = namespaces.items.get(name)
        if namespace is None:
            response = error_response(
                404, f"no namespace {name!r}", namespaces=list(namespaces.items)
            )
            await response(scope, receive, send)
            return
        rest = _rest(scope)
        if rest == GRAPH or rest.startswith(GRAPH + "/"):
            graph_scope = {**scope, "path": rest[len(GRAPH) :] or "/", "root_path": ""}
            await namespace.graph(graph_scope, receive, send)
        else:
            await namespace.control(scope, receive, send)

    return [
        Route("/namespaces", endpoint(listing), methods=["GET"]),
        Route("/namespaces/{name}", endpoint(one), methods=["GET", "PUT", "DELETE"]),
        Mount("/namespaces/{name}", app=inside),
    ]


def _rest(scope: Scope) -> str:
    """The path below the mount point (Mount records the matched part in root_path)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if path.startswith(root) else path


def _tokens(namespaces: Namespaces, name: str) -> dict[str, list[str]]:
    """How root Graph calls with this namespace's tokens are routed: tokens another namespace
    shares route nowhere; tokens the default namespace has now come here."""
    return {
        "shared_tokens": namespaces.shared_tokens(name),
        "shadowed_tokens": namespaces.shadowed_tokens(name),
    }
