"""The Conversations API, read-only: GET /{page}/conversations, GET /{conversation-id} and its
/messages edge, GET /{message-id}; from what the emulator recorded (emulator/threads.py).

`/{page}/conversations` takes `platform` (messenger | instagram; a page answers only for its
own platform, others get an empty list), `user_id` (one person's thread) and `fields` in
Graph's expansion syntax (`participants,messages.limit(2){message,from}`); without `fields`
a conversation is `id` and `updated_time`, a message `id` and `created_time` (Meta's
Conversations API page). Lists are newest first, in Graph's cursor paging.

Order: method, parameters, then the token (Meta's page: pages_messaging,
pages_read_engagement, pages_manage_metadata on Messenger; instagram_basic,
instagram_manage_messages, pages_manage_metadata on Instagram; the MESSAGING or MODERATE task).
An id that is not one of the token page's conversations or messages is Graph's 100/33.
"""

from __future__ import annotations

from typing import Any

from emulator import outcomes
from emulator.edges.base import EdgeCall
from emulator.edges.conversation_views import (
    CONVERSATION_DEFAULT,
    CONVERSATION_FIELDS,
    CONVERSATION_NODE,
    MESSAGE_DEFAULT,
    MESSAGE_FIELDS,
    MESSAGE_NODE,
    base_url,
    carry,
    checked,
    conversation_view,
    message_view,
)
from emulator.rules import limits
from emulator.threads import find_message, find_thread, threads
from emulator.wire import catalog
from emulator.wire.expansion import parse_fields
from emulator.wire.paging import envelope, paginate

PLATFORMS = limits.CONVERSATION_PLATFORMS
_READ_TASKS = frozenset({"MESSAGE", "MODERATE"})


def conversations(call: EdgeCall) -> dict[str, Any]:
    """GET /{page}/conversations."""
    if call.method != "GET":
        raise catalog.METHOD_NOT_SUPPORTED(path="path", method=call.method.lower())
    values = call.params.values
    platform = values.get("platform")
    if platform is not None and str(platform).lower() not in PLATFORMS:
        raise catalog.CONVERSATIONS_PLATFORM(path="platform", value=str(platform)[:100])
    fields = checked(parse_fields(values.get("fields")), CONVERSATION_FIELDS, CONVERSATION_NODE)
    check_read(call)
    wanted = "instagram" if call.page.instagram else "messenger"
    user_id = values.get("user_id")
    mine = str(platform or "messenger").lower() == wanted
    items = (
        threads(call.world, call.page, None if user_id is None else str(user_id)) if mine else []
    )
    chosen, paging = paginate(
        items,
        lambda item: item.id,
        values,
        url=f"{base_url(call)}/{call.version}/{call.page.id}/conversations",
        carry=carry(call, platform=platform, user_id=user_id),
    )
    call.journal["did"] = (outcomes.CONVERSATIONS, f"conversations listed {len(chosen)}")
    data = [conversation_view(call, item, fields or CONVERSATION_DEFAULT) for item in chosen]
    return envelope(data, paging)


def conversation_object(call: EdgeCall, node: str, edge: str | None) -> dict[str, Any] | None:
    """GET /{conversation-id}[/messages] and GET /{message-id}; None for ids of other kinds."""
    if node.startswith("t_"):
        return _thread_node(call, node, edge)
    if node.startswith("m_"):
        return _message_node(call, node, edge)
    return None


def _thread_node(call: EdgeCall, node: str, edge: str | None) -> dict[str, Any]:
    item = find_thread(call.world, call.page, node)
    if item is None or call.method != "GET":
        raise catalog.UNSUPPORTED_REQUEST(path="node", method=call.method.lower(), node=node)
    values = call.params.values
    if edge is None:
        fields = checked(parse_fields(values.get("fields")), CONVERSATION_FIELDS, CONVERSATION_NODE)
        check_read(call)
        call.journal["did"] = (outcomes.CONVERSATIONS, "conversation read")
        return conversation_view(call, item, fields or CONVERSATION_DEFAULT)
    if edge != "messages":
        raise catalog.NONEXISTING_FIELD(path="path", field=edge[:100], node_type=CONVERSATION_NODE)
    fields = checked(parse_fields(values.get("fields")), MESSAGE_FIELDS, MESSAGE_NODE)
    check_read(call)
    chosen, paging = paginate(
        item.messages,
        lambda message: message.id,
        values,
        url=f"{base_url(call)}/{call.version}/{item.id}/messages",
        carry=carry(call),
    )
    call.journal["did"] = (outcomes.CONVERSATIONS, f"messages listed {len(chosen)}")
    data = [message_view(call, item, m, fields or MESSAGE_DEFAULT) for m in chosen]
    return envelope(data, paging)


def _message_node(call: EdgeCall, node: str, edge: str | None) -> dict[str, Any]:
    found = find_message(call.world, call.page, node)
    if found is None or call.method != "GET":
        raise catalog.UNSUPPORTED_REQUEST(path="node", method=call.method.lower(), node=node)
    if edge is not None:
        raise catalog.NONEXISTING_FIELD(path="path", field=edge[:100], node_type=MESSAGE_NODE)
    fields = checked(parse_fields(call.params.values.get("fields")), MESSAGE_FIELDS, MESSAGE_NODE)
    check_read(call)
    call.journal["did"] = (outcomes.CONVERSATIONS, "message read")
    return message_view(call, found[0], found[1], fields or MESSAGE_DEFAULT)


def check_read(call: EdgeCall) -> None:
    """The token may read the page's conversations (Meta's Conversations API page)."""
    granted = call.grant.permissions
    if call.page.instagram:
        for permission in ("instagram_basic", "instagram_manage_messages"):
            if permission not in granted:
                raise catalog.CONVERSATIONS_PERMISSION(path="access_token", permission=permission)
    else:
        if limits.PERMISSION_MESSAGING not in granted:
            raise catalog.PERMISSION_MESSAGING(path="access_token")
        if "pages_read_engagement" not in granted:
            raise catalog.READ_ENGAGEMENT_PERMISSION(path="access_token")
    if "pages_manage_metadata" not in granted:
        raise catalog.CONVERSATIONS_PERMISSION(
            path="access_token", permission="pages_manage_metadata"
        )
    if not _READ_TASKS & call.grant.tasks:
        raise catalog.TASK_MESSAGE(path="access_token")
