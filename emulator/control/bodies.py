"""Control API bodies, read off the event loop.

Everything runs on one event loop, so a body that takes long to read would keep the server from
answering anything, health checks and the other tests sharing a sidecar included (issue 10).
Bodies are parsed (and validated) in worker threads, within the document bounds (see
emulator/scenario/bounds.py); a scenario at most `limits.SCENARIO_PARSERS_MAX` at a time, as one
can take a second. What the body changes is applied afterwards, on the loop, all at once.
"""

from __future__ import annotations

import asyncio
import json
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from pydantic import BaseModel

from emulator.rules import limits
from emulator.scenario.bounds import BoundError, check_document
from emulator.scenario.load import ScenarioError, load_text
from emulator.scenario.model import Scenario
from emulator.scenario.validation import InvalidError, format_path, path_and_message, validate
from emulator.wire import jsontext

T = TypeVar("T")
ModelT = TypeVar("ModelT", bound=BaseModel)

# one limiter per event loop (the pytest plugin and TestClient run loops of their own)
_SCENARIO_PARSERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter]
_SCENARIO_PARSERS = weakref.WeakKeyDictionary()


class BodyError(ValueError):
    """A body refused: what is wrong, and for a model each problem found."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems


async def in_worker(function: Callable[[], T]) -> T:
    """`function()` in a worker thread (anyio's pool), the loop serving meanwhile."""
    return await anyio.to_thread.run_sync(function)


async def in_scenario_worker(function: Callable[[], T]) -> T:
    """`function()` in a worker thread, at most SCENARIO_PARSERS_MAX of them at once."""
    loop = asyncio.get_running_loop()
    limiter = _SCENARIO_PARSERS.get(loop)
    if limiter is None:
        limiter = _SCENARIO_PARSERS[loop] = anyio.CapacityLimiter(limits.SCENARIO_PARSERS_MAX)
    return await anyio.to_thread.run_sync(function, limiter=limiter)


def json_object(raw: bytes) -> tuple[dict[str, Any], int]:
    """The body as a JSON object within the document bounds, and how many values it holds."""
    try:
        body = jsontext.loads(raw) if raw.strip() else {}
    except ValueError:
        raise BodyError("the body must be a JSON object in UTF-8") from None
    if not isinstance(body, dict):
        raise BodyError("the body must be a JSON object")
    try:
        values = check_document(body)
    except BoundError as exc:
        where = format_path(exc.path)
        raise BodyError(
            f"the body is out of bounds{' at ' + where if where else ''}: {exc}"
        ) from None
    return body, values


def json_model(raw: bytes, model: type[ModelT], what: str) -> ModelT:
    """The body as a JSON object, validated as `model`; BodyError(f"invalid {what}") lists
    the problems."""
    body, values = json_object(raw)
    try:
        return validate(model, body, values)
    except InvalidError as exc:
        raise BodyError(f"invalid {what}", exc.lines(path_and_message)) from None


def view(loaded: Scenario) -> bytes:
    """The JSON answer showing a scenario, rendered in the worker rather than on the loop (a
    megabyte of scenario takes 50 ms to dump and encode) as JSONResponse renders it."""
    shown = loaded.model_dump(mode="json", exclude_unset=True)
    text = json.dumps(shown, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.encode("utf-8")


def scenario(raw: bytes, as_json: bool) -> Scenario:
    """A scenario sent as the body: YAML, or JSON (`as_json`), validated."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BodyError("the scenario must be UTF-8 text") from None
    try:
        return load_text(text, "request body", as_json=as_json)
    except ScenarioError as exc:
        raise BodyError("invalid scenario", exc.problems) from None
