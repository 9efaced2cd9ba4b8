"""The control API under /_emulator: inspect, reset, move time, play the person, swap scenario.

JSON in and out. A rejected call answers 4xx with `{"error": {"message", ...}}` and changes
nothing: every input is validated before the first change.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from emulator import __version__, collector, handover
from emulator.control import (
    bodies,  # the body parsing run off the event loop
    page_settings,  # personas and subscribed apps, as set through Graph
    ui,  # a module too: the web UI's files and endpoints
)
from emulator.control import faults as fault_control  # a module: it uses ours too
from emulator.control import handover as handover_control  # likewise
from emulator.control.person import ActionError, parse_action
from emulator.edges.messenger_profile import INSTAGRAM_KEY
from emulator.rules import limits
from emulator.rules.ledger import field_rules
from emulator.scenario.model import Scenario, WebhookSpec
from emulator.scenario.times import format_instant, parse_duration, parse_instant
from emulator.state import PageState, Prepared, SavedAttachment, World, scenario_size
from emulator.webhooks.delivery import Webhooks
from emulator.wire import catalog
from emulator.wire.body import read_limited
from emulator.wire.ids import is_numeric_id

Endpoint = Callable[[Request], Coroutine[Any, Any, Response]]
ModelT = TypeVar("ModelT", bound=BaseModel)
T = TypeVar("T")


class ControlError(Exception):
    """A refused control call: status and what is wrong."""

    def __init__(self, status: int, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details


def page_of(world: World, page_id: str) -> PageState:
    """The scenario's page with this id; a 404 naming the pages there are otherwise."""
    page = world.pages.get(page_id)
    if page is None:
        raise ControlError(404, f"no page {page_id!r} in the scenario", pages=list(world.pages))
    return page


def error_response(status: int, message: str, **details: Any) -> JSONResponse:
    return JSONResponse({"error": {"message": message, **details}}, status)


def endpoint(handler: Callable[[Request], Coroutine[Any, Any, Any]]) -> Endpoint:
    """A control handler: its result as JSON, a ControlError as a 4xx JSON error."""

    async def wrapped(request: Request) -> Response:
        try:
            _bound_query(request)
            result = await handler(request)
        except ControlError as exc:
            return error_response(exc.status, exc.message, **exc.details)
        return result if isinstance(result, Response) else JSONResponse(result)

    return wrapped


def _bound_query(request: Request) -> None:
    """Refuse a query string of more fields than a Graph call may carry, counted before
    anything parses it (no control endpoint reads more than a few)."""
    query: bytes = request.scope.get("query_string", b"")
    if query.count(b"&") >= limits.MAX_PARAMS:
        raise ControlError(400, f"more than {limits.MAX_PARAMS} query parameters")


async def read_body(request: Request) -> bytes:
    limit = limits.MAX_CONTROL_BODY_BYTES
    declared = request.headers.get("content-length", "")
    body = await read_limited(request.stream(), declared, limit)
    if body is None:
        raise ControlError(413, f"body larger than {limit} bytes")
    return body


async def json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object, read in a worker thread within the document bounds."""
    raw = await read_body(request)
    try:
        body, _ = await bodies.in_worker(lambda: bodies.json_object(raw))
    except bodies.BodyError as exc:
        raise _refused(exc) from None
    return body


async def json_model(request: Request, model: type[ModelT], what: str) -> ModelT:
    """The body as a JSON object validated as `model`, in a worker thread; 400 with the
    problems (`invalid {what}`) if it is not one."""
    raw = await read_body(request)
    try:
        return await bodies.in_worker(lambda: bodies.json_model(raw, model, what))
    except bodies.BodyError as exc:
        raise _refused(exc) from None


async def scenario_body(request: Request, then: Callable[[Scenario], T]) -> tuple[Scenario, T]:
    """A scenario sent as the body (YAML, or JSON when the content type says so), validated,
    and `then(scenario)` (what a large one makes: the world's state, the answer), all in a
    worker thread: the loop keeps serving while a large one is read."""
    raw = await read_body(request)
    as_json = "json" in request.headers.get("content-type", "")

    def work() -> tuple[Scenario, T]:
        with collector.paused():  # what a large scenario makes would set off full collections
            loaded = bodies.scenario(raw, as_json)
            return loaded, then(loaded)

    try:
        return await bodies.in_scenario_worker(work)
    except bodies.BodyError as exc:
        raise _refused(exc) from None


def _refused(exc: bodies.BodyError) -> ControlError:
    if exc.problems is None:
        return ControlError(400, exc.message)
    return ControlError(400, exc.message, problems=exc.problems)


def routes(world: World, hooks: Webhooks, namespace: str = "default") -> list[Route]:
    """The control routes, bound to one world (one namespace) and its webhook delivery."""

    async def health(request: Request) -> dict[str, Any]:
        return {
            "status": "ok",
            "version": __version__,
            "namespace": namespace,
            "scenario": world.scenario.name,
            "pages": list(world.pages),
            "now": format_instant(world.clock.now()),
            "records": {
                "outbox": len(world.outbox),
                "journal": len(world.journal),
                "max_records": world.max_records,
                # how many older ones --max-records dropped (records are numbered from 1)
                "outbox_dropped": _dropped(world.outbox, "seq"),
                "journal_dropped": _dropped(world.journal, "id"),
            },
        }

    async def messages(request: Request) -> dict[str, Any]:
        page_id = request.query_params.get("page_id")
        recipient_id = request.query_params.get("recipient_id")
        data = [
            entry
            for entry in world.outbox
            if (page_id is None or entry["page_id"] == page_id)
            and (recipient_id is None or entry["recipient_id"] == recipient_id)
        ]
        return {"data": data}

    async def requests_(request: Request) -> dict[str, Any]:
        outcome = request.query_params.get("outcome")
        if outcome not in (None, "accepted", "rejected"):
            raise ControlError(400, "outcome must be accepted or rejected", got=outcome)
        data = [e for e in world.journal if outcome is None or e["outcome"] == outcome]
        return {"data": data}

    async def attachments(request: Request) -> dict[str, Any]:
        page_id = request.query_params.get("page_id")
        saved = [
            attachment
            for page in world.pages.values()
            if page_id is None or page.id == page_id
            for attachment in page.attachments.values()
        ]
        saved.sort(key=lambda attachment: attachment.created)  # stable: per page, oldest first
        return {"data": [attachment.metadata() for attachment in saved]}

    def _saved(request: Request) -> SavedAttachment:
        attachment_id = request.path_params["attachment_id"]
        for page in world.pages.values():
            found = page.attachments.get(attachment_id)
            if found is not None:
                return found
        raise ControlError(404, f"no attachment {attachment_id!r}")

    async def attachment(request: Request) -> dict[str, Any]:
        return _saved(request).metadata()

    async def attachment_data(request: Request) -> Response:
        """The uploaded bytes, as they came. They are anyone's (a bot's upload) and this origin
        hosts the UI: a CSP sandbox keeps any script in them from running here, and only
        images, audio and video are shown inline (the rest is downloaded)."""
        saved = _saved(request)
        if saved.data is None:
            raise ControlError(
                404, f"attachment {saved.id!r} was saved from a URL: no bytes", url=saved.url
            )
        content_type = saved.content_type or ""
        if not (content_type.isprintable() and content_type.strip()):
            content_type = "application/octet-stream"
        kind, slash, _ = content_type.split(";", 1)[0].strip().lower().partition("/")
        inline = bool(slash) and kind in ("image", "audio", "video")
        disposition = "inline" if inline else "attachment"
        if saved.filename:
            disposition += "; filename*=UTF-8''" + quote(saved.filename, safe="")
        headers = {
            "content-type": content_type,
            "x-content-type-options": "nosniff",
            "content-security-policy": "sandbox",
            "content-disposition": disposition,
        }
        return Response(saved.data, headers=headers)

    async def reset(request: Request) -> dict[str, Any]:
        scenario = world.scenario
        if scenario_size(scenario) < limits.PREPARE_OFF_LOOP:
            world.reset()  # small: made at once (a worker thread would cost more)
        else:  # a large one's people are made in a worker; the reset happens on the loop

            def prepare() -> Prepared:
                with collector.paused():
                    return world.prepare(scenario)

            prepared = await bodies.in_worker(prepare)
            world.reset(prepared if world.scenario is scenario else None)
        return {"status": "reset", "now": format_instant(world.clock.now())}

    async def clock(request: Request) -> dict[str, Any]:
        if request.method == "POST":
            body = await json_object(request)
            unknown = set(body) - {"advance", "set"}
            if unknown or len(body) != 1:
                raise ControlError(
                    400, 'send exactly one of {"advance": "25h"} or {"set": "<ISO 8601>"}'
                )
            key, value = next(iter(body.items()))
            if not isinstance(value, str):
                raise ControlError(400, f"{key} must be a string", got=value)
            try:
                if key == "advance":
                    world.clock.advance(parse_duration(value))
                else:
                    world.clock.set(parse_instant(value))
            except ValueError as exc:
                raise ControlError(400, str(exc)) from None
        shown = {"now": format_instant(world.clock.now()), "frozen": world.clock.frozen}
        if request.method == "POST":
            world.emit("clock", shown)  # the UI's live view follows the clock
        return shown

    async def person_writes(request: Request) -> JSONResponse:
        page = page_of(world, request.path_params["page_id"])
        psid = request.path_params["psid"]
        if not is_numeric_id(psid):
            raise ControlError(400, f"a PSID is numeric, got {psid!r}")
        body = await json_object(request)
        try:
            action = parse_action(body, page, psid, world.outbox, world.inbox)
        except ActionError as exc:
            raise ControlError(400, str(exc)) from None
        event = world.person_acts(page, psid, action)
        status = 201 if event["added"] else 200
        if not handover.owns(page, psid):  # another app's thread: its webhooks are standby
            return JSONResponse({**event, "standby": True}, status)
        return JSONResponse(event, status)

    async def messenger_profile(request: Request) -> dict[str, Any]:
        page = page_of(world, request.path_params["page_id"])
        profile = dict(page.messenger_profile)
        instagram = profile.pop(INSTAGRAM_KEY, None)  # set with platform=instagram
        shown = {"page_id": page.id, "messenger_profile": profile}
        if page.instagram or instagram is not None:  # Instagram's own properties
            shown["instagram_profile"] = instagram or {}
        return shown

    async def webhooks(request: Request) -> dict[str, Any]:
        if request.method == "POST" and request.url.path.endswith("/verify"):
            await hooks.verify()
        elif request.method in ("PUT", "DELETE"):
            spec = None
            if request.method == "PUT":
                spec = await json_model(request, WebhookSpec, "webhook")
            world.scenario = world.scenario.model_copy(update={"webhook": spec})
            if spec is not None:
                await hooks.verify()
        view: dict[str, Any] = hooks.view()
        return view

    async def scenario(request: Request) -> Any:
        if request.method == "PUT":
            loaded, (prepared, shown) = await scenario_body(
                request, lambda scenario: (world.prepare(scenario), bodies.view(scenario))
            )
            world.load(loaded, prepared)  # on the loop, at once: the view is of this very one
            return Response(shown, media_type="application/json")
        return world.scenario.model_dump(mode="json", exclude_unset=True)

    async def rules(request: Request) -> dict[str, Any]:
        return rules_view()

    return [
        Route("/health", endpoint(health), methods=["GET"]),
        Route("/messages", endpoint(messages), methods=["GET"]),
        Route("/requests", endpoint(requests_), methods=["GET"]),
        Route("/attachments", endpoint(attachments), methods=["GET"]),
        Route("/attachments/{attachment_id}", endpoint(attachment), methods=["GET"]),
        Route("/attachments/{attachment_id}/data", endpoint(attachment_data), methods=["GET"]),
        Route("/reset", endpoint(reset), methods=["POST"]),
        Route("/clock", endpoint(clock), methods=["GET", "POST"]),
        Route("/pages/{page_id}/users/{psid}/messages", endpoint(person_writes), methods=["POST"]),
        Route("/pages/{page_id}/messenger_profile", endpoint(messenger_profile), methods=["GET"]),
        Route("/webhooks", endpoint(webhooks), methods=["GET", "PUT", "DELETE"]),
        Route("/webhooks/verify", endpoint(webhooks), methods=["POST"]),
        Route("/scenario", endpoint(scenario), methods=["GET", "PUT"]),
        Route("/rules", endpoint(rules), methods=["GET"]),
        *fault_control.fault_routes(world),
        *handover_control.handover_routes(world),  # /pages/{page_id}/threads...
        *page_settings.page_settings_routes(world),  # .../personas, .../subscribed_apps
        *ui.ui_routes(world, namespace),
    ]


def _dropped(records: Sequence[dict[str, Any]], number: str) -> int:
    """How many older records --max-records has dropped (records are numbered from 1)."""
    return int(records[0][number]) - 1 if records else 0


def rules_view() -> dict[str, Any]:
    """What GET /_emulator/rules serves: the rule ledger, the limits and the enums (also
    rendered into the documentation site by docs/hooks.py)."""
    return {
        "data": [
            {
                "rule": spec.key,
                "description": spec.rule,
                "code": spec.code,
                "error_subcode": spec.subcode,
                "type": spec.type,
                "status": spec.status,
                "message": spec.message,
                "source": spec.source,
                "confidence": spec.confidence,
            }
            for spec in catalog.ALL
        ],
        "fields": field_rules(),
        "limits": {
            "text_max": limits.TEXT_MAX,
            "metadata_limit": limits.METADATA_LIMIT,
            "quick_replies_max": limits.QUICK_REPLIES_MAX,
            "max_body_bytes": limits.MAX_BODY_BYTES,
            "max_multipart_bytes": limits.MAX_MULTIPART_BYTES,
            "attachment_max_bytes": limits.ATTACHMENT_MAX_BYTES,
            "persona_name_max": limits.PERSONA_NAME_MAX,
            "paging_default_limit": limits.PAGING_DEFAULT_LIMIT,
            "paging_max_limit": limits.PAGING_MAX_LIMIT,
            "referral_ref_max": limits.REFERRAL_REF_MAX,
            "fields_text_max": limits.FIELDS_TEXT_MAX,
            "fields_depth_max": limits.FIELDS_DEPTH_MAX,
            "fields_entries_max": limits.FIELDS_ENTRIES_MAX,
            "message_edits_max": limits.MESSAGE_EDITS_MAX,  # the person's edits of a message
            "utility_buttons_max": limits.UTILITY_BUTTONS_MAX,
            # features by date (issue 13): the emulated clock's era decides
            "marketing_messages_shutdown": limits.MARKETING_MESSAGES_SHUTDOWN.isoformat(),
            "sticker_send_since": limits.STICKER_SEND_SINCE.isoformat(),
            "image_grid_since": limits.IMAGE_GRID_SINCE.isoformat(),
            "sticker_image_attachment_until": (limits.STICKER_IMAGE_ATTACHMENT_UNTIL.isoformat()),
            "optin_title_max": limits.OPTIN_TITLE_MAX,
            "image_grid_images": list(limits.IMAGE_GRID_IMAGES),
        },
        # every enum as the API declares it: its errors list the values in this order
        "enums": {
            "messaging_type": list(limits.MESSAGING_TYPES),
            "notification_type": list(limits.NOTIFICATION_TYPES),
            "sender_action": [value.upper() for value in limits.SENDER_ACTIONS],
            "message[attachment][type]": [kind.upper() for kind in limits.ATTACHMENT_TYPES],
            "messenger_profile fields": [f.upper() for f in limits.MESSENGER_PROFILE_FIELDS],
            "subscribed_fields": list(limits.PAGE_WEBHOOK_FIELDS),
            "conversations platform": [p.upper() for p in limits.CONVERSATION_PLATFORMS],
        },
    }
