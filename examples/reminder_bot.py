"""A tiny Messenger reminder bot, written to be tested against the emulator
(see test_reminder_bot.py).

The person writes "remind me to stretch"; the bot asks when, with two quick replies ("In 1
hour", "Tomorrow"); a tap schedules the reminder. `send_due(now)`, called by a scheduler in
production, sends the reminders that are due. Messenger's 24-hour window decides whether it
can: within 24 hours of the person's last message a reminder goes out as an UPDATE; later, the
Send API refuses it (the tags that once allowed reminders are retired), so the bot keeps it
and tells the person as soon as they write again.

The bot takes its Graph base URL, page token and httpx.Client, so tests can hand it the
emulator's URL and transport. Its webhook endpoint (not shown) would verify the signature and
pass the parsed body to `handle_webhook`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

WINDOW = timedelta(hours=24)
WHEN = {"IN_1H": ("In 1 hour", timedelta(hours=1)), "TOMORROW": ("Tomorrow", timedelta(days=1))}
HELP = 'Hi! Tell me "remind me to …" and I will.'
ASK = re.compile(r"remind me to (?P<what>.+)", re.IGNORECASE)


class SendError(Exception):
    """The Send API refused a message: Graph's `code`, `subcode` and message."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error.get("message", "Send API error"))
        self.code = error.get("code")
        self.subcode = error.get("error_subcode")


@dataclass
class Reminder:
    psid: str
    what: str
    due: datetime


class ReminderBot:
    def __init__(self, graph_url: str, page_token: str, http: httpx.Client) -> None:
        self.send_url = f"{graph_url.rstrip('/')}/me/messages"  # graph_url carries the version
        self.page_token = page_token
        self.http = http
        self.asked: dict[str, str] = {}  # psid -> what they asked to be reminded of
        self.reminders: list[Reminder] = []
        self.last_heard: dict[str, datetime] = {}  # psid -> their last message (the window)
        self.missed: dict[str, list[str]] = {}  # psid -> reminders due outside the window

    # --- what the person does (one webhook body at a time) ---------------------------------------

    def handle_webhook(self, body: dict[str, Any]) -> None:
        for entry in body.get("entry", []):
            for event in entry.get("messaging", []):
                self.handle_event(event)

    def handle_event(self, event: dict[str, Any]) -> None:
        message = event.get("message")
        if not message or message.get("is_echo"):
            return
        psid = event["sender"]["id"]
        at = datetime.fromtimestamp(event["timestamp"] / 1000, UTC)
        self.last_heard[psid] = at
        for what in self.missed.pop(psid, []):
            self.send_text(psid, f"While you were away: {what}")
        tapped = (message.get("quick_reply") or {}).get("payload")
        if tapped in WHEN and psid in self.asked:
            label, delay = WHEN[tapped]
            what = self.asked.pop(psid)
            self.reminders.append(Reminder(psid, what, at + delay))
            self.send_text(psid, f"OK, I'll remind you to {what} {label.lower()}.")
            return
        asked = ASK.fullmatch(message.get("text", "").strip())
        if asked is None:
            self.send_text(psid, HELP)
            return
        self.asked[psid] = asked["what"].rstrip(".!")
        quick_replies = [
            {"content_type": "text", "title": label, "payload": payload}
            for payload, (label, _) in WHEN.items()
        ]
        self.send(
            psid,
            {
                "text": f"When should I remind you to {self.asked[psid]}?",
                "quick_replies": quick_replies,
            },
        )

    # --- the scheduler's side --------------------------------------------------------------------

    def send_due(self, now: datetime) -> int:
        """Send the reminders due at `now`; how many were sent."""
        sent = 0
        for reminder in [r for r in self.reminders if r.due <= now]:
            self.reminders.remove(reminder)
            heard = self.last_heard.get(reminder.psid)
            if heard is None or now - heard > WINDOW:  # the window is closed: wait for them
                self.missed.setdefault(reminder.psid, []).append(reminder.what)
                continue
            self.send_text(reminder.psid, f"Reminder: {reminder.what}", "UPDATE")
            sent += 1
        return sent

    # --- the Send API ----------------------------------------------------------------------------

    def send_text(
        self, psid: str, text: str, messaging_type: str = "RESPONSE", tag: str | None = None
    ) -> str:
        return self.send(psid, {"text": text}, messaging_type, tag)

    def send(
        self,
        psid: str,
        message: dict[str, Any],
        messaging_type: str = "RESPONSE",
        tag: str | None = None,
    ) -> str:
        """POST /me/messages; the message id, or SendError with Graph's error."""
        body: dict[str, Any] = {
            "recipient": {"id": psid},
            "messaging_type": messaging_type,
            "message": message,
        }
        if tag is not None:
            body["tag"] = tag
        response = self.http.post(
            self.send_url, params={"access_token": self.page_token}, json=body
        )
        answer = response.json()
        if response.status_code != 200:
            raise SendError(answer.get("error", {}))
        message_id: str = answer["message_id"]
        return message_id
