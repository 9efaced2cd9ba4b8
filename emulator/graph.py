"""The Graph surface: every request outside /_emulator, answered as graph.facebook.com would.

One send is one linear pipeline (shared/design/architecture.md):
wire (path, body, parameters, token) -> auth -> rules -> policy -> state -> wire (respond).
Each step raises a catalog error; this module only sequences them, journals and logs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from emulator import logline, outcomes
from emulator.edges import EDGES, OBJECTS, EdgeCall
from emulator.edges.profile import user_profile
from emulator.entries import request_entry
from emulator.policy.auth import (
    authenticate,
    check_appsecret_proof,
    resolve_node,
)
from emulator.rules import limits
from emulator.scenario.times import format_instant
from emulator.state import World
from emulator.wire import catalog
from emulator.wire.batch import entry_answer, parse_batch
from emulator.wire.body import Disconnected, read_rest
from emulator.wire.errors import GraphError, RawReply
from emulator.wire.multipart import MultipartForm, read_multipart
from emulator.wire.params import GraphParams, collect
from emulator.wire.paths import parse_path
from emulator.wire.respond import (
    EXPLAIN_REQUEST_HEADER,
    failure,
    raw_reply,
    success,
    with_extra_headers,
)

EXPLAIN_REQUEST_HEADER_BYTES = EXPLAIN_REQUEST_HEADER.encode("latin-1")

log = logging.getLogger("emulator.graph")
FORM = "application/x-www-form-urlencoded"


WorldFor = Callable[[str | None], World]


class GraphEndpoint:
    """An ASGI endpoint taking every method, so no path or verb ever gets a non-Graph answer.

    `world` answers what comes before a token is known (a bad path, an oversized body);
    `world_for(token)` picks the namespace that serves the call (see namespaces.py), so one
    server can host several isolated emulators."""

    def __init__(self, world: World, world_for: WorldFor | None = None) -> None:
        self.world = world
        self.world_for = world_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one HTTP request, straight from ASGI (no Starlette Request or Response: this
        is the hot path, and each layer costs a share of what a bare endpoint costs)."""
        method: str = scope["method"]
        path: str = scope["path"]
        headers = _Headers(scope)
        # `started`: the journal's duration_ms counts from here; `scope`: for an edge that
        # answers with URLs of its own (paging's next), read only there
        call: dict[str, Any] = {
            "method": method,
            "path": path,
            "started": time.perf_counter(),
            "scope": scope,
        }
        version = limits.LATEST_VERSION
        world = self.world
        try:
            route = parse_path(path)
            version = route.version
            params = await _read_params(scope, receive, headers)
            call["params"] = params
            if self.world_for is not None:
                world = self.world_for(params.token)
            # the clock is read once the body is in: a control call may have moved it meanwhile
            now = world.clock.now()
            call["at"] = format_instant(now)
            payload = self._dispatch(
                world, method, route.node, route.edge, version, params, call, now
            )
            status = 200
            body, head = success(payload, version)
            self._journal(world, call, 200, payload, None)
        except GraphError as error:
            status = _status(world, error)
            body, head, shown = failure(error, version, headers.explain)
            self._journal(world, call, status, shown, error)
        except RawReply as raw:
            status = raw.status
            body, head = raw_reply(raw.body, raw.content_type)
            text = raw.body.decode("utf-8", "replace")
            self._journal(world, call, raw.status, text, None, raw.key)
        except Disconnected:  # the client left while sending: nobody to answer
            return
        except Exception:  # a bug: answer in Graph's shape, keep the traceback in our log
            log.exception("unexpected failure on %s %s", method, path)
            unknown = catalog.UNKNOWN_ERROR()
            status = unknown.spec.status
            body, head, shown = failure(unknown, version)
            self._journal(world, call, status, shown, unknown)
            await send({"type": "http.response.start", "status": status, "headers": head})
            await send({"type": "http.response.body", "body": body})
            return
        # per-call extras an edge asked for: response headers (rate-limit usage) and a delay
        # (an injected latency fault)
        extra: dict[str, str] | None = call.get("headers")
        if extra:
            head = with_extra_headers(head, extra)
        delay: float | None = call.get("delay")
        if delay:
            await asyncio.sleep(delay)
        await send({"type": "http.response.start", "status": status, "headers": head})
        await send({"type": "http.response.body", "body": body})

    def _dispatch(
        self,
        world: World,
        method: str,
        node: str | None,
        edge: str | None,
        version: str,
        params: GraphParams,
        call: dict[str, Any],
        now: datetime,
    ) -> Any:
        """Everything after the body is read; synchronous, so state changes are atomic."""
        if node is None:
            if method == "POST" and "batch" in params.values:
                return self._batch(world, params, version, now, call["started"])
            raise catalog.METHOD_NOT_SUPPORTED(path="path", method=method.lower())
        grant = authenticate(params.token, node, world.grants, now)
        app = world.scenario.app
        # Graph checks a proof whenever one is sent, and demands one when the app requires it.
        if app.require_appsecret_proof or "appsecret_proof" in params.values:
            check_appsecret_proof(
                grant.token,
                params.values.get("appsecret_proof"),
                app.secret,
                params.values.get("appsecret_time"),
            )
        # --- the User Profile API: GET /{psid} for a person of the token's page --------------
        own_page = world.pages[grant.page_id]
        if edge is None and method == "GET" and node in own_page.people:
            call["page_id"] = own_page.id
            call["recipient"] = node
            call["did"] = (outcomes.PROFILE,)
            at = call["at"]
            return user_profile(
                EdgeCall(world, method, version, params, grant, own_page, now, at, call), node
            )
        # --- objects of the page's: personas, conversations, messages ----------------------
        if OBJECTS and node != "me" and node != grant.page_id:
            at = call["at"]
            object_call = EdgeCall(world, method, version, params, grant, own_page, now, at, call)
            for answer_object in OBJECTS:
                answer = answer_object(object_call, node, edge)
                if answer is not None:
                    call["page_id"] = own_page.id
                    return answer
        # --- everything else acts for a page -----------------------------------------------
        page_id = resolve_node(node, grant, method)
        call["page_id"] = page_id
        page = world.pages[page_id]
        if edge is None:
            if method == "GET":
                call["did"] = (outcomes.PAGE,)
                return {"name": page.spec.name, "id": page.id}
            raise catalog.METHOD_NOT_SUPPORTED(path="path", method=method.lower())
        handler = EDGES.get(edge)
        if handler is None:
            raise catalog.UNKNOWN_PATH(path="path", rest=f"/{edge}")
        return handler(EdgeCall(world, method, version, params, grant, page, now, call["at"], call))

    def _batch(
        self, world: World, params: GraphParams, version: str, now: datetime, started: float
    ) -> list[dict[str, Any]]:
        """Each request of a batch is answered (and journaled) as if sent alone; the batch's
        token serves entries that carry none."""
        answers = []
        for entry in parse_batch(params.values["batch"]):
            sub = collect(entry.query, FORM, entry.body, None)
            if sub.token is None:
                sub.token = params.token
            call: dict[str, Any] = {
                "method": entry.method,
                "path": entry.path,
                "params": sub,
                "at": format_instant(now),
                "batch": True,
                "started": started,  # the batch's: its entries are answered together
                "served": version,  # the version that answers it (the log line says)
            }
            served = version
            entry_world = world
            try:
                if self.world_for is not None and sub.token is not params.token:
                    entry_world = self.world_for(sub.token)  # an entry's own token routes it
                route = parse_path(entry.path)
                served = route.version if route.versioned else version
                call["served"] = served
                if route.node is None:  # Graph does not run a batch inside a batch
                    raise catalog.BATCH_INVALID(path="batch.relative_url")
                body = self._dispatch(
                    entry_world, entry.method, route.node, route.edge, served, sub, call, now
                )
                self._journal(entry_world, call, 200, body, None)
                answers.append(entry_answer(200, body))
            except Exception as exc:  # each entry fails alone, as if sent alone
                error = exc if isinstance(exc, GraphError) else catalog.UNKNOWN_ERROR()
                if not isinstance(exc, GraphError):
                    log.exception("unexpected failure in a batch entry %s", entry.path)
                status = _status(entry_world, error)
                _, _, failed = failure(error, served)
                self._journal(entry_world, call, status, failed, error)
                answers.append(entry_answer(status, failed))
        return answers

    def _journal(
        self,
        world: World,
        call: dict[str, Any],
        status: int,
        body: Any,
        error: GraphError | None,
        raw_key: str | None = None,
    ) -> None:
        params: GraphParams | None = call.get("params")
        shown: dict[str, Any] = {}
        notes: list[str] = []
        if params is not None:
            shown = params.values  # ours alone by now: the outbox keeps only nested values
            notes = params.notes
            if error is not None and params.size > limits.JOURNAL_REFUSED_PARAMS_MAX:
                # a refused call of absurd size is not kept whole (max_records of them would be
                # gigabytes, and slow every full collection); its rule and path say what broke
                shown = {}
                notes = [*notes, f"parameters not kept: {params.size} bytes"]
            if params.token:
                shown["access_token"] = mask_token(params.token)
            if params.files:
                shown["files"] = [
                    {"name": f.name, "filename": f.filename, "size": len(f.data)}
                    for f in params.files
                ]
        entry = request_entry(
            call.get("at") or format_instant(world.clock.now()),
            call["method"],
            call["path"],
            call.get("page_id"),
            call.get("recipient"),
            shown,
            status,
            "accepted" if error is None and raw_key is None else "rejected",
            body,
            error.spec.key if error else raw_key,
            error.path if error else None,
            notes,
            call.get("batch", False),
            round((time.perf_counter() - call["started"]) * 1000, 3),
        )
        if "fault" in call:  # an injected fault decided (or delayed) this answer
            entry["fault"] = call["fault"]
        if "persona" in call:  # a send as a persona: who spoke
            entry["persona"] = call["persona"]
        world.record_request(entry)
        logline.request_line(
            call["method"],
            call["path"],
            call.get("page_id"),
            call.get("recipient"),
            status,
            outcomes.worded,  # on the log writer's thread: `call` is not changed after this
            (body, error, raw_key, call),
        )


def _status(world: World, error: GraphError) -> int:
    """The HTTP status: the catalog's, or 403 for code 10/200 permission errors when the
    scenario says so (sources disagree, reference §13 item 11); an injected fault keeps its
    own status."""
    if error.spec.code in (10, 200) and catalog.BY_KEY.get(error.spec.key) is error.spec:
        return world.scenario.behaviour.permission_error_status
    return error.spec.status


def mask_token(token: str) -> str:
    """Enough of a token to recognise it in the journal, not enough to reuse it."""
    masked = _MASKED.get(token)
    if masked is None:
        masked = token[:4] + "…" if len(token) > 8 else "…"
        if len(_MASKED) < 4096:  # a scenario's tokens repeat; arbitrary ones are not kept
            _MASKED[token] = masked
    return masked


_MASKED: dict[str, str] = {}


class _Headers:
    """The few request headers the Graph surface reads, found in one pass."""

    __slots__ = ("authorization", "content_length", "content_type", "explain")

    def __init__(self, scope: Scope) -> None:
        self.content_type = ""
        self.content_length = ""
        self.authorization: str | None = None
        self.explain = False
        for name, raw_value in scope["headers"]:  # names are lower case in ASGI
            if name == b"content-type":
                self.content_type = raw_value.decode("latin-1")
            elif name == b"content-length":
                self.content_length = raw_value.decode("latin-1")
            elif name == b"authorization":
                self.authorization = raw_value.decode("latin-1")
            elif name == EXPLAIN_REQUEST_HEADER_BYTES:
                self.explain = True


async def _read_params(scope: Scope, receive: Receive, headers: _Headers) -> GraphParams:
    """Read the body within the size limit (without reading past it), then collect params.

    A multipart/form-data body is parsed as it arrives, so an oversized file part is refused
    as soon as it passes the attachment limit; other bodies are read whole, then parsed."""
    content_type = headers.content_type
    multipart = content_type[:10].lower() == "multipart/"
    form: MultipartForm | None = None
    body = b""
    if multipart and content_type.split(";", 1)[0].strip().lower() == "multipart/form-data":
        form = await read_multipart(_chunks(receive), content_type, headers.content_length)
    else:  # the usual body comes in one message: read here, without a call more
        limit = limits.MAX_MULTIPART_BYTES if multipart else limits.MAX_BODY_BYTES
        declared = headers.content_length
        if declared and declared.isascii() and declared.isdigit() and int(declared) > limit:
            raise catalog.BODY_TOO_LARGE(path="body", limit=limit)
        message = await receive()
        if message["type"] != "http.request":
            raise Disconnected()
        body = message.get("body", b"")
        if message.get("more_body", False):
            read = await read_rest(receive, body, limit)
            if read is None:
                raise catalog.BODY_TOO_LARGE(path="body", limit=limit)
            body = read
        elif len(body) > limit:
            raise catalog.BODY_TOO_LARGE(path="body", limit=limit)
    return collect(scope["query_string"], content_type, body, headers.authorization, form)


async def _chunks(receive: Receive) -> AsyncIterator[bytes]:
    """The body as it arrives."""
    while True:
        message: Message = await receive()
        if message["type"] != "http.request":
            raise Disconnected()
        yield message.get("body", b"")
        if not message.get("more_body", False):
            return
