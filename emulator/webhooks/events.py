"""The webhook events the platform sends, in the documented envelope (reference §9.2):
`{"object": "page", "entry": [{"id", "time", "messaging": [event]}]}` with epoch-millisecond
times that strictly increase, also on a frozen clock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from emulator.webhooks.stickers import sticker_attachments


class Timestamps:
    """Millisecond event times on the emulated clock, strictly increasing."""

    def __init__(self) -> None:
        self._last = 0

    def next(self, now: datetime) -> int:
        millis = int(now.timestamp() * 1000)
        self._last = max(millis, self._last + 1)
        return self._last


def envelope(
    page_id: str,
    time: int,
    event: dict[str, Any],
    *,
    instagram: bool = False,
    channel: str = "messaging",  # "standby": a thread another app owns (handover protocol)
) -> dict[str, Any]:
    return {
        "object": "instagram" if instagram else "page",
        "entry": [{"id": page_id, "time": time, channel: [event]}],
    }


def _between(sender: str, recipient: str, time: int) -> dict[str, Any]:
    return {"sender": {"id": sender}, "recipient": {"id": recipient}, "timestamp": time}


def message(
    psid: str,
    page_id: str,
    time: int,
    mid: str,
    *,
    text: str | None = None,
    quick_reply_payload: str | None = None,
    attachments: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The person wrote (`messages`): text, a quick reply tap, or attachments."""
    body: dict[str, Any] = {"mid": mid}
    if text is not None:
        body["text"] = text
    if quick_reply_payload is not None:
        body["quick_reply"] = {"payload": quick_reply_payload}
    if attachments:
        body["attachments"] = attachments
    return {**_between(psid, page_id, time), "message": body}


def echo(
    page_id: str,
    psid: str,
    time: int,
    mid: str,
    app_id: str,
    sent: dict[str, Any],
) -> dict[str, Any]:
    """The page sent a message (`message_echoes`): the message as sent, marked as an echo."""
    body: dict[str, Any] = {"is_echo": True, "app_id": int(app_id)}
    if "metadata" in sent:
        body["metadata"] = sent["metadata"]
    body["mid"] = mid
    if "text" in sent:
        body["text"] = sent["text"]
    attachment = sent.get("attachment")
    if isinstance(attachment, dict):
        payload = attachment.get("payload") or {}
        if attachment.get("type") == "template":
            echoed: dict[str, Any] = {"type": "template", "payload": payload}
        elif payload.get("url"):
            echoed = {"type": attachment.get("type"), "payload": {"url": payload["url"]}}
        else:  # sent by attachment_id: echoes carry the id as a number
            echoed = {
                "type": attachment.get("type"),
                "payload": {"attachment_id": _number(payload.get("attachment_id"))},
            }
        body["attachments"] = [echoed]
    elif sent.get("sticker_id") is not None:  # June 2026 (webhooks/stickers.py)
        body["attachments"] = sticker_attachments(sent["sticker_id"], time)
    return {**_between(page_id, psid, time), "message": body}


def _number(value: Any) -> Any:
    return int(value) if isinstance(value, str) and value.isdigit() else value


def delivery(psid: str, page_id: str, time: int, mids: list[str], watermark: int) -> dict[str, Any]:
    """Messages reached the person's device (`message_deliveries`)."""
    return {**_between(psid, page_id, time), "delivery": {"mids": mids, "watermark": watermark}}


def read(psid: str, page_id: str, time: int, watermark: int) -> dict[str, Any]:
    """The person read everything up to the watermark (`message_reads`)."""
    return {**_between(psid, page_id, time), "read": {"watermark": watermark}}


def seen(psid: str, account_id: str, time: int, mid: str) -> dict[str, Any]:
    """The person read the page's message `mid`, on Instagram (`messaging_seen`)."""
    return {**_between(psid, account_id, time), "read": {"mid": mid}}


def edit(psid: str, page_id: str, time: int, mid: str, text: str, num_edit: int) -> dict[str, Any]:
    """The person edited a message of theirs (`message_edits`; num_edit an integer, as the
    reference's table types it, though its example prints a string)."""
    return {
        **_between(psid, page_id, time),
        "message_edit": {"mid": mid, "text": text, "num_edit": num_edit},
    }


def unsend(psid: str, page_id: str, time: int, mid: str) -> dict[str, Any]:
    """The person unsent a message of theirs, on Instagram (`messages`, `is_deleted: true`)."""
    return {**_between(psid, page_id, time), "message": {"mid": mid, "is_deleted": True}}


def on_account(event: dict[str, Any], page_id: str, account_id: str) -> dict[str, Any]:
    """The event with the page's side named by its Instagram account (Instagram webhooks name
    the professional account, not the page)."""
    swapped = dict(event)
    for side in ("sender", "recipient"):
        party = event.get(side)
        if isinstance(party, dict) and party.get("id") == page_id:
            swapped[side] = {**party, "id": account_id}
    return swapped


def postback(
    psid: str,
    page_id: str,
    time: int,
    mid: str,
    title: str,
    payload: str,
    referral: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The person tapped a postback button (`messaging_postbacks`); Get Started after arriving
    by a referral carries it (`postback.referral`)."""
    body: dict[str, Any] = {"mid": mid, "title": title, "payload": payload}
    if referral is not None:
        body["referral"] = referral
    return {**_between(psid, page_id, time), "postback": body}


def referral(psid: str, page_id: str, time: int, referral: dict[str, Any]) -> dict[str, Any]:
    """The person came to the thread by an m.me link, an ad or the chat plugin
    (`messaging_referrals`)."""
    return {**_between(psid, page_id, time), "referral": referral}


def optin(psid: str, page_id: str, time: int, body: dict[str, Any]) -> dict[str, Any]:
    """The person answered an opt-in request (`messaging_optins`): `optin` holds its type,
    payload and the token the page sends to (control/optin.py)."""
    return {**_between(psid, page_id, time), "optin": body}


def reaction(
    psid: str, page_id: str, time: int, mid: str, kind: str, emoji: str, action: str
) -> dict[str, Any]:
    """The person reacted to a message, or took the reaction back (`message_reactions`)."""
    return {
        **_between(psid, page_id, time),
        "reaction": {"reaction": kind, "emoji": emoji, "action": action, "mid": mid},
    }


def handover(psid: str, page_id: str, time: int, key: str, body: dict[str, Any]) -> dict[str, Any]:
    """Thread control changed (`messaging_handovers`): `pass_thread_control`,
    `take_thread_control` or `request_thread_control`, app ids as strings."""
    return {**_between(psid, page_id, time), key: body}


FIELD_OF_EVENT = {
    "message": "messages",
    "echo": "message_echoes",
    "delivery": "message_deliveries",
    "read": "message_reads",
    "postback": "messaging_postbacks",
    "reaction": "message_reactions",
    "referral": "messaging_referrals",
    "optin": "messaging_optins",
    "seen": "messaging_seen",
    "edit": "message_edits",
    "unsend": "messages",
}
