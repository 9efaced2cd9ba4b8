"""What a conversation and a message answer in the Conversations API, field by field, and
the check of a `fields` selection against them (edges/conversations.py serves them)."""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

from emulator.edges.base import EdgeCall
from emulator.rules import limits
from emulator.threads import Message, Thread, graph_time, participant
from emulator.wire import catalog
from emulator.wire.expansion import Field
from emulator.wire.paging import envelope, graph_base, paginate

CONVERSATION_NODE = "UnifiedThread"  # the node type Graph's errors name (inferred)
MESSAGE_NODE = "Message"
CONVERSATION_DEFAULT = (Field("id"), Field("updated_time"))
MESSAGE_DEFAULT = (Field("id"), Field("created_time"))
_PARTICIPANT_KEYS = ("name", "email", "username", "id")
ATTACHMENT_KEYS = ("id", "mime_type", "name", "size", "image_data", "video_data", "file_url")
_MIME = {"image": "image/jpeg", "video": "video/mp4", "audio": "audio/mpeg"}


def conversation_view(call: EdgeCall, item: Thread, fields: tuple[Field, ...]) -> dict[str, Any]:
    """A conversation with the fields asked for, in their order, then `id`."""
    answer: dict[str, Any] = {}
    for field in fields:
        if field.name == "messages":
            answer["messages"] = _nested_messages(call, item, field)
        else:
            answer[field.name] = _pick(CONVERSATION_FIELDS[field.name](call, item), field)
    answer.setdefault("id", item.id)  # Graph answers a node's id with any selection
    return answer


def _nested_messages(call: EdgeCall, item: Thread, field: Field) -> dict[str, Any]:
    fields = field.children or MESSAGE_DEFAULT
    values = {} if field.limit is None else {"limit": str(max(field.limit, 1))}
    # the nested list's `next` is the conversation's messages edge with the nested fields
    nested = ",".join(child.name for child in field.children) if field.children else None
    chosen, paging = paginate(
        item.messages,
        lambda message: message.id,
        values,
        url=f"{base_url(call)}/{call.version}/{item.id}/messages",
        carry={"access_token": call.params.token, "fields": nested},
    )
    if field.limit == 0:
        chosen, paging = [], None
    return envelope([message_view(call, item, m, fields) for m in chosen], paging)


def message_view(
    call: EdgeCall, item: Thread, message: Message, fields: tuple[Field, ...]
) -> dict[str, Any]:
    """A message of the thread with the fields asked for (those with a value), then `id`."""
    page, person = call.page, participant(call.page, item.psid)
    own = participant(page, None)
    sender, recipient = (own, person) if message.from_page else (person, own)
    values: dict[str, Any] = {
        "id": message.id,
        "created_time": graph_time(message.created),
        "from": sender,
        "to": {"data": [recipient]},
        "message": message.text,
        "attachments": attachments(message) if message.attachments else None,
    }
    # a field without a value is left out, as Graph leaves it out
    answer = {f.name: _pick(values[f.name], f) for f in fields if values[f.name] is not None}
    answer.setdefault("id", message.id)
    return answer


def attachments(message: Message) -> dict[str, Any]:
    """A message's attachments as Graph lists them: `{"data": [{"id", "mime_type", "name",
    "image_data" | "video_data": {"url", "preview_url"} | "file_url"}]}` (inferred detail)."""
    data = []
    for index, (kind, url) in enumerate(message.attachments):
        name = _file_name(url) or kind
        digest = hashlib.sha256(f"{message.id}:{index}".encode()).digest()
        entry: dict[str, Any] = {
            "id": str(10**14 + int.from_bytes(digest[:8], "big") % (9 * 10**14)),
            "mime_type": mimetypes.guess_type(name)[0]
            or _MIME.get(kind, "application/octet-stream"),
            "name": name,
        }
        if url is not None:
            if kind in ("image", "video"):
                entry[f"{kind}_data"] = {"url": url, "preview_url": url}
            else:
                entry["file_url"] = url
        data.append(entry)
    return {"data": data}


def _file_name(url: str | None) -> str:
    """The last segment of a URL's path ("" when there is none)."""
    try:
        return unquote(urlsplit(url).path.rsplit("/", 1)[-1])[:255] if url else ""
    except ValueError:  # a URL the checks let through but urlsplit cannot read
        return ""


def _pick(value: Any, field: Field) -> Any:
    """A participant (or a list of them) cut down to the subfields asked for, if any."""
    if field.children is None:
        return value
    names = [child.name for child in field.children]
    if isinstance(value, dict) and "data" in value:
        return {"data": [{k: v for k, v in entry.items() if k in names} for entry in value["data"]]}
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k in names}
    return value


def _participants(call: EdgeCall, item: Thread) -> dict[str, Any]:
    return {"data": [participant(call.page, item.psid), participant(call.page, None)]}


def _senders(call: EdgeCall, item: Thread) -> dict[str, Any]:
    """Who wrote in the thread: the person (a thread with no recorded messages exists because
    they wrote), then the page if it did."""
    page_wrote = any(message.from_page for message in item.messages)
    person_wrote = not page_wrote or any(not m.from_page for m in item.messages)
    people = [participant(call.page, item.psid)] if person_wrote else []
    return {"data": people + ([participant(call.page, None)] if page_wrote else [])}


def _snippet(call: EdgeCall, item: Thread) -> str:
    return item.messages[0].text[: limits.CONVERSATION_SNIPPET_MAX] if item.messages else ""


def _can_reply(call: EdgeCall, item: Thread) -> bool:
    person = call.page.people.get(item.psid)
    return person is None or not person.blocked


CONVERSATION_FIELDS: dict[str, Callable[[EdgeCall, Thread], Any]] = {
    "id": lambda call, item: item.id,
    "updated_time": lambda call, item: graph_time(item.updated),
    "participants": _participants,
    "senders": _senders,
    "messages": lambda call, item: None,  # answered by _nested_messages
    "message_count": lambda call, item: len(item.messages),
    "snippet": _snippet,
    "can_reply": _can_reply,
}
MESSAGE_FIELDS = {
    name: None for name in ("id", "created_time", "from", "to", "message", "attachments")
}
# the subfields a field's `{…}` may name, and the node type an unknown one is refused on
_CHILDREN = {
    "participants": (_PARTICIPANT_KEYS, "User"),
    "senders": (_PARTICIPANT_KEYS, "User"),
    "from": (_PARTICIPANT_KEYS, "User"),
    "to": (_PARTICIPANT_KEYS, "User"),
    "attachments": (ATTACHMENT_KEYS, "MessageAttachment"),
}


def checked(fields: tuple[Field, ...], known: dict[str, Any], node_type: str) -> tuple[Field, ...]:
    """Every requested name exists on the node (and on a nested message, its fields)."""
    for field in fields:
        if field.name not in known:
            raise catalog.NONEXISTING_FIELD(path="fields", field=field.name, node_type=node_type)
        if field.children is None:
            continue
        if field.name == "messages":
            checked(field.children, MESSAGE_FIELDS, MESSAGE_NODE)
        elif field.name in _CHILDREN:
            keys, child_type = _CHILDREN[field.name]
            for child in field.children:
                if child.name not in keys:
                    raise catalog.NONEXISTING_FIELD(
                        path="fields", field=child.name, node_type=child_type
                    )
        else:
            raise catalog.NONEXISTING_FIELD(
                path="fields", field=field.children[0].name, node_type=node_type
            )
    return fields


def base_url(call: EdgeCall) -> str:
    """Where the request reached the emulator: `next`/`previous` lead back to it."""
    return graph_base(call.journal.get("scope"))


def carry(call: EdgeCall, **extra: Any) -> dict[str, Any]:
    """What `next`/`previous` carry over: the token, `fields` and the edge's own filters."""
    values = call.params.values
    carried = {"access_token": call.params.token, "fields": values.get("fields")}
    carried.update({name: value for name, value in extra.items() if value is not None})
    return carried
