"""Which webhook fields reach the bot: the one question every delivery asks.

Two levels, as on the platform: the app's webhook subscription (the scenario's
`webhook.fields`, or `PUT /_emulator/webhooks`) and the page's subscription of the app
(`POST /{page}/subscribed_apps`), which starts as the app's fields. An event is delivered
when both include its field.
"""

from __future__ import annotations

from emulator.rules import limits
from emulator.state import PageState, World


def is_subscribed(world: World, page_id: str, field: str) -> bool:
    """Whether events of `field` (e.g. "messages", "standby") for this page reach the bot."""
    spec = world.scenario.webhook
    if spec is None or field not in spec.fields:
        return False
    page = world.pages.get(page_id)
    if page is None:
        return False
    chosen = page.subscribed_fields
    if chosen is not None and field in limits.INSTAGRAM_ONLY_WEBHOOK_FIELDS:
        return bool(chosen)  # the Instagram object's fields: any page subscription lets them in
    return chosen is None or field in chosen


def page_fields(world: World, page: PageState) -> list[str]:
    """The fields the page has subscribed the app to (GET /{page}/subscribed_apps)."""
    if page.subscribed_fields is not None:
        return list(page.subscribed_fields)
    spec = world.scenario.webhook
    return list(spec.fields) if spec is not None else []
