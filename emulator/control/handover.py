"""The handover protocol from the other apps' side, and who owns each thread.

`GET /pages/{page_id}/threads`: the page's receivers and each person's thread owner;
`GET /pages/{page_id}/threads/{psid}`: one thread. `POST .../threads/{psid}/pass`
(`{"app_id", "target_app_id", "metadata"}`), `.../take`, `.../request`, `.../release`
(`{"app_id", "metadata"}`): a connected app acts, as the Graph edges let the scenario's app
act; `app_id` defaults to the Page Inbox (take: to the primary receiver), `target_app_id` to
the scenario's app. The same rules apply; a refusal is a 400 with Graph's message and rule.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from emulator import handover
from emulator.control import routes as control  # module import: routes.py includes these
from emulator.control.conversations import thread_owner_view
from emulator.rules import limits
from emulator.state import PageState, World
from emulator.wire.errors import GraphError
from emulator.wire.ids import is_numeric_id

ACTIONS = ("pass", "take", "request", "release")


def handover_routes(world: World) -> list[Route]:
    """The thread routes, bound to one world (one namespace)."""

    def _page(request: Request) -> PageState:
        return control.page_of(world, request.path_params["page_id"])

    def _thread(page: PageState, psid: str) -> dict[str, Any]:
        return {"page_id": page.id, "psid": psid, "thread_owner": thread_owner_view(page, psid)}

    async def threads(request: Request) -> dict[str, Any]:
        page = _page(request)
        return {
            "page_id": page.id,
            "receivers": [
                {
                    "app_id": app_id,
                    "name": name or None,
                    "role": role,
                    "own_app": app_id == page.own_app,
                }
                for app_id, (name, role) in page.receivers.items()
            ],
            "data": [_thread(page, psid) for psid in page.people],
        }

    async def thread(request: Request) -> dict[str, Any]:
        page = _page(request)
        psid = request.path_params["psid"]
        if psid not in page.people:
            raise control.ControlError(404, f"no person {psid!r} on page {page.id!r}")
        return _thread(page, psid)

    async def act(request: Request) -> dict[str, Any]:
        page = _page(request)
        psid = request.path_params["psid"]
        action = request.path_params["action"]
        if action not in ACTIONS:
            raise control.ControlError(404, f"no action {action!r}: one of {', '.join(ACTIONS)}")
        if not is_numeric_id(psid):
            raise control.ControlError(400, f"a PSID is numeric, got {psid!r}")
        body = await control.json_object(request)
        unknown = sorted(set(body) - {"app_id", "target_app_id", "metadata"})
        if unknown:
            raise control.ControlError(400, f"unknown keys: {', '.join(unknown)}")
        default = page.primary if action == "take" else limits.PAGE_INBOX_APP_ID
        app_id = _app(body, "app_id", default)
        if app_id not in page.receivers:
            raise control.ControlError(
                400, f"app {app_id!r} is not connected to the page", apps=list(page.receivers)
            )
        metadata = body.get("metadata")
        if metadata is not None and not isinstance(metadata, str):
            raise control.ControlError(400, "metadata is a string")
        try:
            if action == "pass":
                target = _app(body, "target_app_id", page.own_app)
                handover.pass_thread(world, page, psid, app_id, target, metadata)
            elif action == "take":
                handover.take_thread(world, page, psid, app_id, metadata)
            elif action == "request":
                handover.request_thread(world, page, psid, app_id, metadata)
            else:
                handover.release_thread(world, page, psid, app_id, metadata)
        except GraphError as exc:  # the rule Graph would apply to that app
            raise control.ControlError(400, exc.message, rule=exc.spec.key) from None
        return _thread(page, psid)

    return [
        Route("/pages/{page_id}/threads", control.endpoint(threads), methods=["GET"]),
        Route("/pages/{page_id}/threads/{psid}", control.endpoint(thread), methods=["GET"]),
        Route("/pages/{page_id}/threads/{psid}/{action}", control.endpoint(act), methods=["POST"]),
    ]


def _app(body: dict[str, Any], key: str, default: str | None) -> str:
    value = body.get(key, default)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not is_numeric_id(value):
        raise control.ControlError(400, f"{key} is a numeric app id, got {value!r}")
    return value
