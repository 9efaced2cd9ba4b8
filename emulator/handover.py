"""The handover protocol's state changes: who owns a person's thread on a page.

Pass, take, request and release, by the scenario's own app (the Graph edges) or by another
connected app (the control API plays it). Each checks who may do it, changes the owner, and
tells listeners ("handover") what happened, with the `messaging_handovers` event the
scenario's app receives, if any: pass (and release) to the app that gets the thread, take to
the app that loses it, request to the owner (reference §15.2, the messaging_handovers
reference).
"""

from __future__ import annotations

from typing import Any

from emulator.scenario.times import format_instant
from emulator.state import PageState, World
from emulator.wire import catalog


def owner(page: PageState, psid: str) -> str | None:
    """The app owning the thread now (None: idle)."""
    return page.owners.get(psid, page.primary)


def owns(page: PageState, psid: str) -> bool:
    """Whether the scenario's own app owns the thread: the one lookup a send makes."""
    return page.owners.get(psid, page.primary) == page.own_app


def pass_thread(
    world: World, page: PageState, psid: str, by: str, target: str, metadata: str | None
) -> None:
    """`by` passes the thread to `target`, a connected app."""
    current = _known(page, psid)
    if target not in page.receivers:
        raise catalog.HANDOVER_NOT_RECEIVER(path="target_app_id")
    if current != by and not (current is None and by == page.primary):
        raise catalog.THREAD_NOT_OWNED(path="recipient.id", action="pass")
    _change(world, page, psid, "pass_thread_control", by, current, target, metadata)


def take_thread(world: World, page: PageState, psid: str, by: str, metadata: str | None) -> None:
    """The primary receiver takes the thread from whoever owns it."""
    current = _known(page, psid)
    if by != page.primary:
        raise catalog.TAKE_NOT_PRIMARY(path="access_token")
    _change(world, page, psid, "take_thread_control", by, current, by, metadata)


def release_thread(world: World, page: PageState, psid: str, by: str, metadata: str | None) -> None:
    """The owner gives the thread back to the primary receiver (the primary: to idle)."""
    current = _known(page, psid)
    if current != by:
        raise catalog.THREAD_NOT_OWNED(path="recipient.id", action="release")
    target = None if by == page.primary else page.primary
    _change(world, page, psid, "release_thread_control", by, current, target, metadata)


def request_thread(world: World, page: PageState, psid: str, by: str, metadata: str | None) -> None:
    """`by` asks the owner for the thread; nothing changes until the owner passes it."""
    current = _known(page, psid)
    if current == by:
        raise catalog.REQUEST_OWN_THREAD(path="recipient.id")
    notice = None
    if current == page.own_app or (current is None and page.primary == page.own_app):
        notice = (
            "request_thread_control",
            _with_metadata({"requested_owner_app_id": by}, metadata),
        )
    _tell(world, page, psid, "request_thread_control", by, current, current, metadata, notice)


def _known(page: PageState, psid: str) -> str | None:
    if psid not in page.people:
        raise catalog.NO_MATCHING_USER(path="recipient.id")
    return owner(page, psid)


def _change(
    world: World,
    page: PageState,
    psid: str,
    action: str,
    by: str,
    previous: str | None,
    new: str | None,
    metadata: str | None,
) -> None:
    if new == page.primary:
        page.owners.pop(psid, None)
    else:
        page.owners[psid] = new
    own = page.own_app
    notice: tuple[str, dict[str, Any]] | None = None
    if previous != new and by != own:
        if new == own:  # passed (or released) to the scenario's app
            notice = ("pass_thread_control", _moved(previous, new, metadata))
        elif previous == own and action == "take_thread_control":
            notice = ("take_thread_control", _moved(previous, new, metadata))
    _tell(world, page, psid, action, by, previous, new, metadata, notice)


def _moved(previous: str | None, new: str | None, metadata: str | None) -> dict[str, Any]:
    return _with_metadata({"previous_owner_app_id": previous, "new_owner_app_id": new}, metadata)


def _with_metadata(body: dict[str, Any], metadata: str | None) -> dict[str, Any]:
    if metadata is not None:
        body["metadata"] = metadata
    return body


def _tell(
    world: World,
    page: PageState,
    psid: str,
    action: str,
    by: str,
    previous: str | None,
    new: str | None,
    metadata: str | None,
    notice: tuple[str, dict[str, Any]] | None,
) -> None:
    world.emit(
        "handover",
        {
            "page_id": page.id,
            "psid": psid,
            "action": action,
            "app_id": by,
            "previous_owner_app_id": previous,
            "new_owner_app_id": new,
            "metadata": metadata,
            "timestamp": format_instant(world.clock.now()),
            # the messaging_handovers event the scenario's app receives: (key, body) or None
            "notice": notice,
        },
    )
