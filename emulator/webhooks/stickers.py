"""How webhooks carry a sticker (Meta's changelog of 1 June 2026): a `sticker` attachment with
its `sticker_id`, and, during the 90-day transition (until 30 August 2026), the older `image`
attachment beside it (its `payload.url` and `sticker_id`, as stickers always arrived). The
image URL is made up on the platform's CDN host (inferred)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from emulator.rules import limits


def sticker_attachments(sticker_id: Any, time: int) -> list[dict[str, Any]]:
    """The attachments of a sticker message at `time` (epoch milliseconds)."""
    number = int(sticker_id) if str(sticker_id).isdigit() else sticker_id
    sticker = {"type": "sticker", "payload": {"sticker_id": number}}
    day = datetime.fromtimestamp(time / 1000, UTC).date()
    if day >= limits.STICKER_IMAGE_ATTACHMENT_UNTIL:
        return [sticker]
    url = limits.STICKER_IMAGE_URL.format(sticker_id=number)
    return [{"type": "image", "payload": {"url": url, "sticker_id": number}}, sticker]
