"""Namespaces: several isolated emulators in one server, one per test worker.

Each namespace is a whole emulator (world, webhook delivery, control API, Graph surface) built
from its own scenario. The server's own scenario is the namespace `default`. A Graph call at
the root is served by the namespace whose scenario has the call's token; tokens no other
namespace has fall back to `default`. Each namespace also has its own Graph URL,
`/_emulator/namespaces/{name}/graph`, for workers that load the same tokens.
"""

from __future__ import annotations

import gc
import re
from dataclasses import dataclass
from typing import Any

from starlette.routing import Router

from emulator.control.routes import routes as control_routes
from emulator.graph import GraphEndpoint
from emulator.rules import limits
from emulator.scenario.model import Scenario
from emulator.state import Prepared, World
from emulator.webhooks.delivery import Webhooks
from emulator.wire import catalog

DEFAULT = "default"
# not `.` or `..`: a name must survive URL normalisation
NAME = re.compile(rf"[A-Za-z0-9_][A-Za-z0-9_.-]{{0,{limits.NAMESPACE_NAME_MAX - 1}}}")


class NamespaceError(ValueError):
    """A namespace cannot be made or removed; `status` is the control API's answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(slots=True)
class Namespace:
    name: str
    world: World
    webhooks: Webhooks
    control: Router  # the control API, scoped to this namespace
    graph: GraphEndpoint  # the Graph surface, served by this namespace alone

    def describe(self) -> dict[str, Any]:
        base = f"/_emulator/namespaces/{self.name}"
        return {
            "name": self.name,
            "scenario": self.world.scenario.name,
            "pages": list(self.world.pages),
            "control_url": base,
            "graph_url": f"{base}/graph",
        }


class Namespaces:
    """Every namespace of one server, and which one serves a Graph call."""

    def __init__(self, scenario: Scenario, max_records: int = limits.DEFAULT_MAX_RECORDS) -> None:
        self.max_records = max_records
        self.freeze_every = 0  # see World.freeze_every; a server process sets it
        self.running = False  # webhooks of namespaces made later start at once
        self.items: dict[str, Namespace] = {}
        # token -> the names of the non-default namespaces having it (usually one)
        self._owners: dict[str, tuple[str, ...]] = {}
        self.default = self._make(DEFAULT, scenario)
        self.items[DEFAULT] = self.default

    def _make(self, name: str, scenario: Scenario) -> Namespace:
        world = World(scenario, max_records=self.max_records)
        world.freeze_every = self.freeze_every
        webhooks = Webhooks(world)
        control = Router(control_routes(world, webhooks, name), redirect_slashes=False)
        namespace = Namespace(name, world, webhooks, control, GraphEndpoint(world))
        # a scenario PUT (or reset) may change the tokens: route by the new ones
        world.listeners.append(lambda kind, _: self._index() if kind == "reset" else None)
        return namespace

    def world_for(self, token: str | None) -> World:
        """The world serving a Graph call at the root with this token."""
        owners = self._owners.get(token) if token is not None and self._owners else None
        if owners is None:
            return self.default.world
        if len(owners) > 1:
            raise catalog.AMBIGUOUS_NAMESPACE_TOKEN(path="access_token", names=", ".join(owners))
        return self.items[owners[0]].world

    def _index(self) -> None:
        owners: dict[str, list[str]] = {}
        for name, namespace in self.items.items():
            if name != DEFAULT:
                for token in namespace.world.grants:
                    owners.setdefault(token, []).append(name)
        self._owners = {token: tuple(names) for token, names in owners.items()}

    def shared_tokens(self, name: str) -> list[str]:
        """Tokens of this namespace that another namespace also has: not routable at the root."""
        return sorted(t for t, names in self._owners.items() if name in names and len(names) > 1)

    def shadowed_tokens(self, name: str) -> list[str]:
        """Tokens of this namespace that the default namespace also has: root calls with them
        now reach this namespace, not `default`."""
        if name == DEFAULT:
            return []
        return sorted(t for t in self.items[name].world.grants if t in self.default.world.grants)

    def check_name(self, name: str) -> None:
        if not NAME.fullmatch(name):
            raise NamespaceError(
                400,
                f"a namespace name is 1 to {limits.NAMESPACE_NAME_MAX} letters, digits, "
                f"'_', '.' or '-', not starting with '.' or '-', got {name!r}",
            )

    def prepare(self, name: str, scenario: Scenario) -> Namespace | Prepared:
        """What `put` needs, made in a worker thread: the existing namespace's new state, or a
        new namespace (not yet reachable)."""
        existing = self.items.get(name)
        if existing is not None:
            return existing.world.prepare(scenario)
        return self._make(name, scenario)

    def put(
        self, name: str, scenario: Scenario, prepared: Namespace | Prepared | None = None
    ) -> tuple[Namespace, bool]:
        """Make the namespace, or replace its scenario (and reset it); True if made.
        `prepared`: what `prepare(name, scenario)` made meanwhile, off the loop."""
        self.check_name(name)
        existing = self.items.get(name)
        if existing is not None:
            state = prepared if isinstance(prepared, Prepared) else None
            existing.world.load(scenario, state)  # emits reset: the token index follows
            return existing, False
        if len(self.items) - 1 >= limits.MAX_NAMESPACES:  # the default one is not counted
            raise NamespaceError(
                409, f"too many namespaces (at most {limits.MAX_NAMESPACES}): delete unused ones"
            )
        made = prepared if isinstance(prepared, Namespace) else None
        namespace = made if made is not None and made.world.scenario is scenario else None
        namespace = namespace or self._make(name, scenario)
        self.items[name] = namespace
        if self.freeze_every:  # a server process: its world is long-lived (see World)
            gc.freeze()
        self._index()
        if self.running:
            namespace.webhooks.start()
        return namespace, True

    async def delete(self, name: str) -> None:
        if name == DEFAULT:
            raise NamespaceError(400, "the default namespace stays; reset it instead")
        namespace = self.items.pop(name, None)
        if namespace is None:
            raise NamespaceError(404, f"no namespace {name!r}")
        self._index()
        # its listeners let go: the UI's event streams get a reset and end (control/events.py)
        namespace.world.emit("closed", {})
        await namespace.webhooks.close()

    def start(self) -> None:
        self.running = True
        for namespace in self.items.values():
            namespace.webhooks.start()

    async def close(self) -> None:
        self.running = False
        for namespace in list(self.items.values()):
            await namespace.webhooks.close()
