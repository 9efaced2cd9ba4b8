"""The web UI at `{base}/ui`: its static files, and the endpoints it reads beside the rest of
the control API (conversations, the live event stream).

    GET {base}/ui, {base}/ui/    index.html
    GET {base}/ui/{asset}        a file of emulator/ui/static/ (shipped in the wheel)

No build step: the files are served as they are, with `cache-control: no-cache` (a browser
revalidates, so an upgraded emulator never runs a stale script). Only plain names under the
static directory are served, of the known types; anything else is a JSON 404.
"""

from __future__ import annotations

import re
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import emulator.ui

# module imports: routes.py includes these routes, and each of these modules uses it
from emulator.control import conversations, events
from emulator.control import routes as control
from emulator.state import World

STATIC = Path(emulator.ui.__file__).parent / "static"
INDEX = "index.html"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".webp": "image/webp",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
}
# a path segment: no empty, hidden or dot-dot segment, no backslash, colon or control character
SEGMENT = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}")
# The UI runs its own files only: no inline script or style, no plugin, no framing. Message
# images and media may come from anywhere (what the bot sent); fetches stay on this origin.
CSP = "; ".join(
    (
        "default-src 'self'",
        "img-src 'self' data: http: https:",
        "media-src 'self' http: https:",
        "style-src 'self'",
        "script-src 'self'",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)
HEADERS = {
    "cache-control": "no-cache",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "content-security-policy": CSP,
}


def ui_routes(world: World, namespace: str) -> list[Route]:
    """The UI's routes for one world (one namespace): its files, conversations and events."""

    async def page(request: Request) -> Response:
        asset = request.path_params.get("asset") or INDEX
        path = find_asset(STATIC, asset)
        if path is None:
            raise control.ControlError(404, f"no UI file {asset!r}")
        return Response(
            path.read_bytes(), headers={"content-type": CONTENT_TYPES[path.suffix], **HEADERS}
        )

    hub = events.EventHub(world)
    return [
        Route("/ui", control.endpoint(page), methods=["GET"]),
        Route("/ui/{asset:path}", control.endpoint(page), methods=["GET"]),
        *conversations.conversation_routes(world, namespace),
        Route("/events", events.EventStream(hub), methods=["GET"]),
    ]


def find_asset(root: Path, asset: str) -> Path | None:
    """The file `asset` names under `root`, or None: plain segments only, of a known type, and
    still under `root` once links are resolved."""
    parts = asset.split("/")
    if len(parts) > 8 or not all(SEGMENT.fullmatch(part) for part in parts):
        return None
    try:
        base = root.resolve(strict=True)
        path = base.joinpath(*parts).resolve(strict=True)
    except (OSError, RuntimeError):  # missing, or a link loop
        return None
    if not path.is_relative_to(base) or not path.is_file() or path.suffix not in CONTENT_TYPES:
        return None
    return path
