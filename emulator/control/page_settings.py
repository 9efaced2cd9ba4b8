"""What a page has set through Graph that a test may want to see: its personas and which
webhook fields it has subscribed the app to. Read-only: the Graph edges change them.

`GET /pages/{page_id}/personas`: `{"page_id", "personas": [{"name", "profile_picture_url",
"id"}]}`, oldest first. `GET /pages/{page_id}/subscribed_apps`: `{"page_id",
"subscribed_fields"}` (the page's, as GET /{page}/subscribed_apps lists them),
`"webhook_fields"` (the app's: the scenario's webhook.fields) and `"delivered"` (the fields
both include: what reaches the bot).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from emulator.control import routes as control  # module import: routes.py includes these
from emulator.state import PageState, World
from emulator.webhooks.subscriptions import is_subscribed, page_fields


def page_settings_routes(world: World) -> list[Route]:
    """The routes, bound to one world (one namespace)."""

    def _page(request: Request) -> PageState:
        return control.page_of(world, request.path_params["page_id"])

    async def personas(request: Request) -> dict[str, Any]:
        page = _page(request)
        return {"page_id": page.id, "personas": [dict(p) for p in page.personas.values()]}

    async def subscribed_apps(request: Request) -> dict[str, Any]:
        page = _page(request)
        spec = world.scenario.webhook
        app_fields = list(spec.fields) if spec is not None else []
        fields = page_fields(world, page)
        return {
            "page_id": page.id,
            "subscribed_fields": fields,
            "webhook_fields": app_fields,
            "delivered": [name for name in fields if is_subscribed(world, page.id, name)],
        }

    return [
        Route("/pages/{page_id}/personas", control.endpoint(personas), methods=["GET"]),
        Route(
            "/pages/{page_id}/subscribed_apps",
            control.endpoint(subscribed_apps),
            methods=["GET"],
        ),
    ]
