"""Graph's URL grammar: [/version]/node[/edge]. Anything longer is not routed."""

from __future__ import annotations

from dataclasses import dataclass

from emulator.rules import limits
from emulator.wire import catalog


@dataclass(frozen=True, slots=True)
class GraphPath:
    version: str  # as served: the path's version, or the latest for unversioned calls
    node: str | None
    edge: str | None
    versioned: bool = True  # the path named its version


# Paths a client calls repeat (`/v21.0/me/messages`): the split of recent ones is kept.
_SEEN: dict[str, GraphPath] = {}
_SEEN_MAX = 1024


def parse_path(path: str) -> GraphPath:
    """Split a Graph path. A malformed version (`v2.80`, `3.0`) is just a node, as in Graph,
    so the rest becomes `Unknown path components`."""
    seen = _SEEN.get(path)
    if seen is not None:
        return seen
    parsed = _parse(path)
    if len(_SEEN) >= _SEEN_MAX:
        _SEEN.clear()
    _SEEN[path] = parsed
    return parsed


def _parse(path: str) -> GraphPath:
    segments = [segment for segment in path.split("/") if segment]
    version = limits.LATEST_VERSION
    versioned = bool(segments) and segments[0] in limits.GRAPH_VERSIONS
    if versioned:
        version = segments.pop(0)
    if not segments:
        return GraphPath(version, None, None, versioned)
    if len(segments) > 2:
        raise catalog.UNKNOWN_PATH(path="path", rest="/" + "/".join(segments[1:]))
    return GraphPath(version, segments[0], segments[1] if len(segments) == 2 else None, versioned)
