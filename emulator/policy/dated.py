"""Features the platform added or retired on a date, answered by the emulated clock: the
scenario's `clock.start` picks the era (a 2025 scenario sends marketing messages; a late-2026
one sends stickers and image grids). Pure: `now` is passed in.

The dates are in rules/limits.py, the errors in wire/catalog.py (shared/reference/
send-api.md §15.5). The one-time notification has no documented retirement: never refused here.
"""

from __future__ import annotations

from datetime import datetime

from emulator.rules import limits
from emulator.rules.request import SendRequest
from emulator.wire import catalog

TEMPLATE_PATH = "message.attachment.payload.template_type"


def check_dated(request: SendRequest, now: datetime) -> None:
    """Refuse what did not exist yet, or no longer exists, at `now`."""
    day = now.date()
    retired = day >= limits.MARKETING_MESSAGES_SHUTDOWN
    if retired and request.recipient.kind == "notification_messages_token":
        raise catalog.NOTIFICATION_TOKEN_RETIRED(path="recipient.notification_messages_token")
    kind = request.template_type
    if kind == "notification_messages" and retired:
        raise catalog.NOTIFICATION_MESSAGES_RETIRED(path=TEMPLATE_PATH)
    if kind == "image_grid" and day < limits.IMAGE_GRID_SINCE:
        raise catalog.IMAGE_GRID_NOT_YET(path=TEMPLATE_PATH)
    message = request.message
    if message is not None and day < limits.STICKER_SEND_SINCE and "sticker_id" in message:
        raise catalog.STICKER_NOT_YET(path="message.sticker_id")
