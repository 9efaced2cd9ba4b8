"""How a Graph call ended, in the words of its log line (`METHOD PATH … -> STATUS OUTCOME`).

Worded on the log writer's thread (logline.py), from what the call left: its answer body, the
error that refused it, and `call["did"]`, a tag an edge sets when the body alone does not say
what happened (a sender action, a profile read, a Messenger Profile change). A batch's entries
add which version served them.
"""

from __future__ import annotations

from typing import Any

from emulator.wire.errors import GraphError

# call["did"] tags: (kind, *details)
PROFILE = "profile"  # GET /{psid}: the fields answered
PAGE = "page"  # GET /me
SENDER_ACTION = "sender_action"  # (kind, action)
MESSENGER_PROFILE = "messenger_profile"  # (kind, method, property names)
UPLOAD = "upload"  # the Attachment Upload API
PERSONA = "persona"  # (kind, "created" | "listed" | "read" | "deleted", id or count)
SUBSCRIBED_APPS = "subscribed_apps"  # (kind, method, field names)
HANDOVER = "handover"  # (kind, words): "thread passed to <app id>", "thread taken", ...
CONVERSATIONS = "conversations"  # (kind, words): "conversations listed 3", "message read", ...
_VERBS = {"POST": "set", "GET": "read", "DELETE": "deleted"}


def worded(body: Any, error: GraphError | None, raw_key: str | None, call: dict[str, Any]) -> str:
    """`sent m_…`, `sender action typing_on`, `profile read first_name,id`, `rejected #10/…
    outside_window`, …; a batch entry's ends with `(batch entry, v21.0)`."""
    text = _ended(body, error, raw_key, call.get("did"))
    if "persona" in call:  # a send as a persona says who spoke
        text += f" as {call['persona']}"
    if call.get("batch"):
        text += f" (batch entry, {call.get('served')})"
    return text


def _ended(
    body: Any, error: GraphError | None, raw_key: str | None, did: tuple[Any, ...] | None
) -> str:
    if raw_key is not None:
        return f"failed {raw_key}"
    if error is not None:
        spec = error.spec
        code = f"#{spec.code}/{spec.subcode}" if spec.subcode else f"#{spec.code}"
        return f"rejected {code} {spec.key}"
    if isinstance(body, list):
        return f"batch of {len(body)}"
    if did is not None:
        return _did(did, body)
    if isinstance(body, dict) and body.get("message_id"):
        return f"sent {body['message_id']}"
    return "answered"


def _did(did: tuple[Any, ...], body: Any) -> str:
    kind = did[0]
    if kind == SENDER_ACTION:
        return f"sender action {did[1]}"
    if kind == PROFILE:
        return ("profile read " + ",".join(body)) if isinstance(body, dict) else "profile read"
    if kind == PAGE:
        return "page read"
    if kind == MESSENGER_PROFILE:
        verb = _VERBS.get(did[1], did[1].lower())
        return f"messenger profile {verb} {','.join(did[2])}".rstrip()
    if kind == HANDOVER:
        return str(did[1])
    if kind == UPLOAD:
        return f"attachment saved {body.get('attachment_id')}"
    if kind == CONVERSATIONS:
        return str(did[1])
    if kind == PERSONA:
        return f"persona {did[1]} {did[2]}"
    if kind == SUBSCRIBED_APPS:
        verb = _VERBS.get(did[1], did[1].lower())
        return f"subscribed apps {verb} {','.join(did[2])}".rstrip()
    return "answered"
