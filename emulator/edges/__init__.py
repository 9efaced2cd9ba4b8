"""Graph edges the emulator serves, one module each: `EDGES` maps an edge name to its handler.

`graph.py` authenticates, resolves the page and hands an `EdgeCall` to the handler; a handler
checks the method, applies its rules and policy, changes state and returns the answer body.
`OBJECTS` answer ids that are neither the page nor a person (`GET /{persona-id}`), each asked
in turn until one knows the id.
"""

from __future__ import annotations

from emulator.edges.attachments import message_attachments
from emulator.edges.base import EdgeCall, EdgeHandler, ObjectHandler
from emulator.edges.conversations import conversation_object, conversations
from emulator.edges.handover import EDGES as HANDOVER_EDGES
from emulator.edges.messages import messages
from emulator.edges.messenger_profile import messenger_profile
from emulator.edges.personas import persona_object, personas
from emulator.edges.subscribed_apps import subscribed_apps

EDGES: dict[str, EdgeHandler] = {
    "messages": messages,
    "message_attachments": message_attachments,
    "messenger_profile": messenger_profile,
    "personas": personas,
    "subscribed_apps": subscribed_apps,
    "conversations": conversations,  # the Conversations API (read-only)
    **HANDOVER_EDGES,  # pass/take/request/release_thread_control, thread_owner, ...
}

OBJECTS: list[ObjectHandler] = [persona_object, conversation_object]

__all__ = ["EDGES", "OBJECTS", "EdgeCall", "EdgeHandler", "ObjectHandler"]
