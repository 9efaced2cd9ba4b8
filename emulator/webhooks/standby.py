"""The handover protocol's `standby` channel: the person's events in a thread another app owns
reach the scenario's app in `entry[].standby[]` (field `standby`) instead of `messaging[]`
(the standby reference: messages, reads and deliveries; postbacks without their payload,
which only the app that sent the button gets)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the test helper imports this module: it stays free of the world's
    from emulator.state import PageState

# the fields of a conversation's events; reactions and echoes follow messages (inferred)
CONVERSATION_FIELDS = frozenset(
    (
        "messages",
        "messaging_postbacks",
        "message_reads",
        "message_deliveries",
        "message_echoes",
        "message_reactions",
        "message_edits",  # edits and Instagram's reads follow messages (inferred)
        "messaging_seen",
    )
)
STANDBY = "standby"


def on_standby(page: PageState, psid: str, field: str) -> bool:
    """Whether this event goes to the standby channel: another app owns the thread."""
    # as emulator.handover.owns: the one lookup
    return field in CONVERSATION_FIELDS and page.owners.get(psid, page.primary) != page.own_app


def standby_event(event: dict[str, Any]) -> dict[str, Any]:
    """The event as the standby channel carries it: a postback loses its payload."""
    postback = event.get("postback")
    if isinstance(postback, dict) and "payload" in postback:
        event = {**event, "postback": {k: v for k, v in postback.items() if k != "payload"}}
    return event
