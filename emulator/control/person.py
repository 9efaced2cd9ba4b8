"""What the person does, as the control API takes it: write, tap a quick reply or a postback
button the bot sent, send an attachment, react, read. Validated here, before any change."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from emulator.rules.fields import is_url
from emulator.state import PageState

REACTIONS = ("smile", "angry", "sad", "wow", "love", "like", "dislike", "other")
ATTACHMENT_TYPES = ("audio", "file", "image", "video")


class ActionError(ValueError):
    """The action cannot be taken; the message says why."""


def parse_action(
    body: dict[str, Any], page: PageState, psid: str, outbox: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    """The action as the world applies it: {"kind", ...}."""
    if len(body) != 1:
        raise ActionError(
            "send exactly one of text, quick_reply, postback, attachment, reaction, unreact, read"
        )
    key, value = next(iter(body.items()))
    if key == "text":
        if not isinstance(value, str) or not value:
            raise ActionError("text must be a non-empty string")
        return {"kind": "message", "text": value}
    if key == "quick_reply":
        reply = _find(value, _quick_replies(page, psid, outbox), "quick reply")
        return {
            "kind": "message",
            "text": reply.get("title", ""),
            "quick_reply": str(reply["payload"]),
        }
    if key == "postback":
        button = _find(value, _postback_buttons(page, psid, outbox), "postback button")
        return {"kind": "postback", "title": button["title"], "payload": button["payload"]}
    if key == "attachment":
        if not isinstance(value, dict) or value.get("type") not in ATTACHMENT_TYPES:
            raise ActionError(f"attachment needs a type among {', '.join(ATTACHMENT_TYPES)}")
        if not is_url(value.get("url")):
            raise ActionError("attachment needs an http(s) url")
        return {
            "kind": "message",
            "attachments": [{"type": value["type"], "payload": {"url": value["url"]}}],
        }
    if key in ("reaction", "unreact"):
        if not isinstance(value, dict) or not isinstance(value.get("mid"), str):
            raise ActionError(f'{key} needs {{"mid": "<a message id>"}}')
        reaction = value.get("reaction", "love")
        if reaction not in REACTIONS:
            raise ActionError(f"reaction must be one of {', '.join(REACTIONS)}")
        emoji = value.get("emoji", "\u2764\ufe0f")
        if not isinstance(emoji, str):
            raise ActionError("emoji must be a string")
        action = "react" if key == "reaction" else "unreact"
        return {
            "kind": "reaction",
            "mid": value["mid"],
            "reaction": reaction,
            "emoji": emoji,
            "action": action,
        }
    if key == "read":
        if value is not True:
            raise ActionError('read takes true: {"read": true}')
        return {"kind": "read"}
    raise ActionError(f"unknown action {key!r}")


def _find(wanted: Any, candidates: Iterator[dict[str, Any]], what: str) -> dict[str, Any]:
    """The newest candidate whose payload or title is `wanted`."""
    if not isinstance(wanted, str) or not wanted:
        raise ActionError(f"{what}: give its payload or title")
    for candidate in candidates:
        if wanted in (str(candidate.get("payload")), candidate.get("title")):
            return candidate
    raise ActionError(f"no {what} {wanted!r} in what the page sent this person")


def _sent_to(
    page: PageState, psid: str, outbox: Sequence[dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    for entry in reversed(outbox):
        if entry["page_id"] == page.id and entry["recipient_id"] == psid and entry["message"]:
            yield entry["message"]


def _quick_replies(
    page: PageState, psid: str, outbox: Sequence[dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    for message in _sent_to(page, psid, outbox):
        yield from (r for r in message.get("quick_replies", ()) if r.get("content_type") == "text")
        return  # quick replies only work on the page's latest message


def _postback_buttons(
    page: PageState, psid: str, outbox: Sequence[dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    for message in _sent_to(page, psid, outbox):
        payload = (message.get("attachment") or {}).get("payload") or {}
        groups = [payload.get("buttons") or []]
        groups += [element.get("buttons") or [] for element in payload.get("elements") or []]
        for buttons in groups:
            yield from (b for b in buttons if str(b.get("type", "")).lower() == "postback")
