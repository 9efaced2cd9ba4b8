"""The person answers an opt-in request the page sent them (the control API's
`{"optin": "<payload or title>"}`, or `{"optin": true}` for the latest): a marketing-messages
request ("Get messages", until their shutdown on 10 February 2026: after it no request can be
sent) or a one-time notification request ("Notify me"). Validated here, before any change.

What the platform sends (Meta's marketing-messages and one-time-notification pages): a
`messaging_optins` event whose `optin` carries the request's `type` and `payload` and the token
the page then sends to (`notification_messages_token` with its frequency, timezone and expiry;
`one_time_notif_token`). Opting in does not open the standard messaging window.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from typing import Any

from emulator.rules import limits
from emulator.state import PageState


class OptInError(ValueError):
    """The opt-in cannot be played; the message says why."""


def parse_optin(
    value: Any,
    page: PageState,
    psid: str,
    outbox: Sequence[dict[str, Any]],
    inbox: Sequence[dict[str, Any]],
) -> dict[str, Any]:
    """The action World.person_acts applies: an `optin` event, and the token it stores
    (`optin_token`: token, request kind, lifetime; the expiry is set on the emulated clock)."""
    if value is not True and (not isinstance(value, str) or not value):
        raise OptInError("optin takes the request's payload or title, or true for the latest")
    found = next(
        (
            (entry, payload)
            for entry, payload in _requests(page, psid, outbox)
            if value is True or value in (str(payload.get("payload")), payload.get("title"))
        ),
        None,
    )
    if found is None:
        raise OptInError("no opt-in request matching that in what the page sent this person")
    entry, payload = found
    mid = entry["message_id"]
    if any(e.get("optin_request") == mid for e in inbox if e["page_id"] == page.id):
        raise OptInError("the person has already answered that opt-in request")
    kind = payload["template_type"].lower()
    token = _token(page.id, psid, mid)
    optin: dict[str, Any] = {"type": kind, "payload": str(payload["payload"])}
    if kind == "one_time_notif_req":
        optin["one_time_notif_token"] = token
        lifetime = limits.ONE_TIME_TOKEN_LIFETIME
    else:
        frequency = str(payload.get("notification_messages_frequency") or "daily").lower()
        lifetime = limits.NOTIFICATION_TOKEN_LIFETIME[frequency]
        optin.update(
            {
                "title": payload.get("title") or limits.NOTIFICATION_DEFAULT_TITLE,
                "notification_messages_token": token,
                "notification_messages_frequency": frequency.upper(),
                "notification_messages_timezone": payload.get(
                    "notification_messages_timezone", limits.NOTIFICATION_DEFAULT_TIMEZONE
                ),
                "token_expiry_timestamp": None,  # set by World.person_acts, on its clock
                "user_token_status": "NOT_REFRESHED",
            }
        )
    return {
        "kind": "optin",
        "optin": optin,
        "optin_request": mid,
        "optin_token": (token, kind, lifetime),
        "opens_window": False,  # "will not open the standard messaging window"
    }


def _requests(
    page: PageState, psid: str, outbox: Sequence[dict[str, Any]]
) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """The opt-in requests the page sent this person, newest first, with their payloads."""
    for entry in reversed(outbox):
        if entry["page_id"] != page.id or entry["recipient_id"] != psid:
            continue
        attachment = (entry.get("message") or {}).get("attachment")
        payload = attachment.get("payload") if isinstance(attachment, dict) else None
        if isinstance(payload, dict) and str(payload.get("template_type", "")).lower() in (
            limits.OPTIN_TEMPLATES
        ):
            yield entry, payload


def _token(page_id: str, psid: str, mid: str) -> str:
    """A token shaped as the platform's (a long number), the same for the same request."""
    digest = hashlib.sha256(f"{page_id}:{psid}:{mid}".encode()).digest()
    return str(int.from_bytes(digest[:8], "big") % 10**19).rjust(19, "1")
