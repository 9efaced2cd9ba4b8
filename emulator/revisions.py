"""The person edits or unsends a message of their own (the `message_edits` reference; Instagram's
unsend, `message.is_deleted`). Checked before anything changes (`revise`), then applied to the
message's inbox entry (`apply_revision`): its text, `num_edit` and `is_deleted` are what the
Conversations API and the UI show from then on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from emulator.rules import limits


class RevisionError(ValueError):
    """The message cannot be edited or unsent; the message says why."""


def find_message(inbox: Sequence[dict[str, Any]], page_id: str, mid: str) -> dict[str, Any] | None:
    """The inbox entry of the message `mid` a person sent this page (newest first)."""
    return next(
        (
            event
            for event in reversed(inbox)
            if event["kind"] == "message" and event["mid"] == mid and event["page_id"] == page_id
        ),
        None,
    )


def revise(
    body: Any,
    kind: str,  # edit | unsend
    page_id: str,
    psid: str,
    inbox: Sequence[dict[str, Any]],
    outbox: Sequence[dict[str, Any]],
) -> dict[str, Any]:
    """The action for `{"edit": {"mid", "text"}}` or `{"unsend": {"mid"}}`, or RevisionError:
    only the person's own messages, not unsent, at most MESSAGE_EDITS_MAX edits, text only."""
    wanted = '{"mid": "<their message id>"' + (
        ', "text": "<the new text>"}' if kind == "edit" else "}"
    )
    if not isinstance(body, dict) or not isinstance(body.get("mid"), str) or not body["mid"]:
        raise RevisionError(f"{kind} needs {wanted}")
    allowed = {"mid", "text"} if kind == "edit" else {"mid"}
    if set(body) - allowed:
        raise RevisionError(f"{kind} takes only {wanted}")
    mid = body["mid"]
    message = find_message(inbox, page_id, mid)
    if message is None:
        if any(entry.get("message_id") == mid for entry in outbox):
            raise RevisionError(f"{mid} is the page's message: a person {kind}s only their own")
        raise RevisionError(f"no message {mid} from a person on this page")
    if message["psid"] != psid:
        raise RevisionError(f"{mid} is another person's message: a person {kind}s only their own")
    if message.get("is_deleted"):
        raise RevisionError(f"{mid} was unsent")
    if kind == "unsend":
        return {"kind": "unsend", "mid": mid, "opens_window": False}
    text = body.get("text")
    if not isinstance(text, str) or not text:
        raise RevisionError("edit needs the new text: a non-empty string")
    if not isinstance(message.get("text"), str):
        raise RevisionError(f"{mid} has no text to edit (only text is edited)")
    edits = int(message.get("num_edit", 0))
    if edits >= limits.MESSAGE_EDITS_MAX:
        raise RevisionError(f"{mid} was edited {edits} times: at most {limits.MESSAGE_EDITS_MAX}")
    # an edit is not a new message: it leaves the window as it is (inferred)
    return {"kind": "edit", "mid": mid, "text": text, "num_edit": edits + 1, "opens_window": False}


def apply_revision(inbox: Sequence[dict[str, Any]], event: dict[str, Any]) -> None:
    """The edited or unsent message's own entry takes the change (checked by `revise`)."""
    message = find_message(inbox, event["page_id"], event["mid"])
    if message is None:  # dropped by --max-records meanwhile: nothing left to change
        return
    if event["kind"] == "edit":
        message["text"] = event["text"]
        message["num_edit"] = event["num_edit"]
    else:
        message["is_deleted"] = True
