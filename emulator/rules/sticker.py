"""`message.sticker_id` (Meta's changelog of 1 June 2026, the Sticker API page): a sticker
from Meta's first-party catalog, sent as a message of its own. policy/dated.py refuses the
key before that date, as the Send API did not know it."""

from __future__ import annotations

from typing import Any

from emulator.wire import catalog
from emulator.wire.ids import is_numeric_id


def check_sticker(message: dict[str, Any]) -> None:
    """A numeric sticker id (the documented example is a JSON number), and no text or
    attachment beside it (inferred: a sticker is a message of its own)."""
    sticker = message["sticker_id"]
    text = str(sticker) if type(sticker) is int else sticker
    if type(text) is not str or not is_numeric_id(text):
        raise catalog.STICKER_ID_INVALID(path="message.sticker_id")
    if message.get("text") is not None or message.get("attachment") is not None:
        raise catalog.STICKER_WITH_CONTENT(path="message.sticker_id")
