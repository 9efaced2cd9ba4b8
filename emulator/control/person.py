"""What the person does, as the control API takes it: write, tap a quick reply or a postback
button the bot sent, send an attachment, react, read, edit or unsend a message of their own.
Validated here, before any change.

A quick reply or a button is named by its payload or title (a string: the newest match), or by
both (`{"payload": ..., "title": ...}`: that exact one). As on Messenger, quick replies are
tappable only on the page's latest message to the person, and only until the person sends a
message or taps a postback button; postback buttons stay tappable."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from emulator.control.optin import OptInError, parse_optin
from emulator.control.referral import ReferralError, parse_referral
from emulator.revisions import RevisionError, revise
from emulator.rules.fields import is_url
from emulator.state import PageState

REACTIONS = ("smile", "angry", "sad", "wow", "love", "like", "dislike", "other")
ATTACHMENT_TYPES = ("audio", "file", "image", "video")


class ActionError(ValueError):
    """The action cannot be taken; the message says why."""


def parse_action(
    body: dict[str, Any],
    page: PageState,
    psid: str,
    outbox: Sequence[dict[str, Any]],
    inbox: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """The action as the world applies it: {"kind", ...}. `outbox` is what the page sent,
    `inbox` what people did (World.outbox and World.inbox), both oldest first."""
    if len(body) != 1:
        raise ActionError(
            "send exactly one of text, quick_reply, postback, attachment, reaction, unreact, read,"
            " referral, edit, unsend, optin"
        )
    key, value = next(iter(body.items()))
    if key == "text":
        if not isinstance(value, str) or not value:
            raise ActionError("text must be a non-empty string")
        return {"kind": "message", "text": value}
    if key == "quick_reply":
        reply = _find(value, _quick_replies(page, psid, outbox, inbox), "quick reply")
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
    if key == "referral":  # arrives by an m.me link, an ad or the chat plugin
        try:
            return parse_referral(value, page, psid, outbox)
        except ReferralError as exc:
            raise ActionError(str(exc)) from None
    if key == "optin":  # answers an opt-in request the page sent (issue 13)
        try:
            return parse_optin(value, page, psid, outbox, inbox)
        except OptInError as exc:
            raise ActionError(str(exc)) from None
    if key == "read":
        if value is not True:
            raise ActionError('read takes true: {"read": true}')
        if page.instagram:  # Instagram names the message read (messaging_seen's read.mid)
            latest = next(_sent_to(page, psid, outbox), None)
            if latest is None:
                raise ActionError("nothing to read: the page has sent this person no message")
            return {"kind": "read", "mid": latest["message_id"]}
        return {"kind": "read"}
    if key in ("edit", "unsend"):  # a message of the person's own (emulator/revisions.py)
        try:
            return revise(value, key, page.id, psid, inbox, outbox)
        except RevisionError as exc:
            raise ActionError(str(exc)) from None
    raise ActionError(f"unknown action {key!r}")


def _find(wanted: Any, candidates: Iterator[dict[str, Any]], what: str) -> dict[str, Any]:
    """The newest candidate whose payload or title is `wanted` (a string), or whose payload and
    title are those of `wanted` ({"payload", "title"})."""
    if isinstance(wanted, dict):
        payload, title = wanted.get("payload"), wanted.get("title")
        if set(wanted) != {"payload", "title"} or not (
            isinstance(payload, str) and isinstance(title, str)
        ):
            raise ActionError(
                f'{what}: give its payload or title, or {{"payload": "...", "title": "..."}}'
            )
        for candidate in candidates:
            if str(candidate.get("payload")) == payload and candidate.get("title") == title:
                return candidate
        shown = f"{title!r} with payload {payload!r}"
    else:
        if not isinstance(wanted, str) or not wanted:
            raise ActionError(f"{what}: give its payload or title")
        for candidate in candidates:
            if wanted in (str(candidate.get("payload")), candidate.get("title")):
                return candidate
        shown = repr(wanted)
    raise ActionError(f"no {what} {shown} in what the page sent this person")


def _sent_to(
    page: PageState, psid: str, outbox: Sequence[dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    """The page's messages to this person (outbox entries; no sender actions), newest first."""
    for entry in reversed(outbox):
        if entry["page_id"] == page.id and entry["recipient_id"] == psid and entry["message"]:
            yield entry


def _quick_replies(
    page: PageState,
    psid: str,
    outbox: Sequence[dict[str, Any]],
    inbox: Sequence[dict[str, Any]],
) -> Iterator[dict[str, Any]]:
    """The text quick replies of the page's latest message to this person. ActionError if the
    person has answered since: a message or a postback of theirs replaces them (Messenger
    shows them no more)."""
    latest = next(_sent_to(page, psid, outbox), None)
    if latest is None:
        return
    replies = [r for r in latest["message"].get("quick_replies") or () if isinstance(r, dict)]
    if replies and _answered_since(page, psid, inbox, latest.get("order", 0)):
        raise ActionError("those quick replies are gone: the person has already answered")
    yield from (r for r in replies if r.get("content_type") == "text")


def _answered_since(
    page: PageState, psid: str, inbox: Sequence[dict[str, Any]], order: int
) -> bool:
    """Whether the person sent the page a message or a postback after `order` (the inbox is
    oldest first: only the events newer than `order` are looked at)."""
    for event in reversed(inbox):
        if event.get("order", 0) <= order:
            return False
        if (
            event["page_id"] == page.id
            and event["psid"] == psid
            and event["kind"] in ("message", "postback")
        ):
            return True
    return False


def _postback_buttons(
    page: PageState, psid: str, outbox: Sequence[dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    for entry in _sent_to(page, psid, outbox):
        payload = (entry["message"].get("attachment") or {}).get("payload") or {}
        groups = [payload.get("buttons") or []]
        groups += [element.get("buttons") or [] for element in payload.get("elements") or []]
        for buttons in groups:
            yield from (b for b in buttons if str(b.get("type", "")).lower() == "postback")
