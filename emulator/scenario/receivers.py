"""The handover protocol's receivers of a page, checked across the scenario: one primary at
most, each app connected once, and each person's starting owner one of the page's apps."""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.rules import limits

if TYPE_CHECKING:  # model.py imports this module
    from emulator.scenario.model import PageSpec


def receiver_ids(app_id: str, page: PageSpec) -> dict[str, tuple[str, str]]:
    """The page's connected apps: app id -> (name, role); the scenario's own app first, then
    the Page Inbox (unless left out), then the scenario's `apps` (which may re-role either)."""
    handover = page.handover
    apps: dict[str, tuple[str, str]] = {app_id: ("", handover.role)}
    if handover.page_inbox:
        apps[limits.PAGE_INBOX_APP_ID] = (limits.PAGE_INBOX_NAME, "secondary")
    for app in handover.apps:
        apps[app.id] = (app.name or apps.get(app.id, ("", ""))[0], app.role)
    return apps


def receiver_problems(app_id: str, page: PageSpec, where: str) -> list[tuple[str, str]]:
    """(path, message) pairs for what a per-field check cannot see."""
    problems: list[tuple[str, str]] = []
    seen: set[str] = set()
    for index, app in enumerate(page.handover.apps):
        path = f"{where}.handover.apps[{index}].id"
        if app.id in seen:
            problems.append((path, f"app {app.id!r} is connected twice"))
        if app.id == app_id:
            problems.append((path, "the scenario's own app is set with handover.role"))
        seen.add(app.id)
    apps = receiver_ids(app_id, page)
    primaries = [ident for ident, (_, role) in apps.items() if role == "primary"]
    if len(primaries) > 1:
        problems.append(
            (f"{where}.handover", f"a page has one primary receiver, not {len(primaries)}")
        )
    for index, user in enumerate(page.users):
        if user.thread_owner is not None and user.thread_owner not in apps:
            problems.append(
                (
                    f"{where}.users[{index}].thread_owner",
                    f"app {user.thread_owner!r} is not connected to the page (apps: "
                    f"{', '.join(apps)})",
                )
            )
    return problems
