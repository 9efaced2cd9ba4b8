"""What an edge handler is given: the authenticated call, the page, the world, the time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from emulator.state import Grant, PageState, World
from emulator.wire.params import GraphParams


@dataclass(slots=True)
class EdgeCall:
    world: World
    method: str
    version: str  # as served, e.g. v21.0
    params: GraphParams
    grant: Grant
    page: PageState
    now: datetime
    now_iso: str
    journal: dict[str, Any]  # what the journal and log line should say (e.g. "recipient")


EdgeHandler = Callable[[EdgeCall], dict[str, Any]]
# A Graph object that is neither the page nor a person (a persona, a conversation, a message):
# given the call (its page: the token's), the node id and the edge after it (or None), the
# answer, or None when the id is not one of this handler's objects.
ObjectHandler = Callable[[EdgeCall, str, "str | None"], "dict[str, Any] | None"]
