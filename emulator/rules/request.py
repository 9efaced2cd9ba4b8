"""The typed form of a Send API call, once its parameters have passed the documented rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emulator.rules.utility import UtilityCall


# Not frozen: a frozen dataclass sets each field through object.__setattr__, a cost paid on
# every send; nothing changes these once made.
@dataclass(slots=True)
class Recipient:
    """Who the call addresses: `kind` is one of id, user_ref, phone_number, comment_id, post_id."""

    kind: str
    value: str
    as_sent: dict[str, Any]


@dataclass(slots=True)
class SendRequest:
    """A valid Send API call. `message` is kept exactly as the client sent it (nulls dropped)."""

    recipient: Recipient
    messaging_type: str | None
    tag: str | None
    notification_type: str
    message: dict[str, Any] | None
    sender_action: str | None
    payload: dict[str, Any] | None = None
    persona_id: str | None = None
    reply_to: dict[str, Any] | None = None
    template_type: str | None = None
    is_reusable: bool = False
    attachment_ids: tuple[str, ...] = ()  # saved assets the message refers to
    product_ids: tuple[str, ...] = ()  # products a product template shows
    utility: UtilityCall | None = None  # the template a UTILITY message names

    @property
    def is_sender_action(self) -> bool:
        return self.sender_action is not None

    @property
    def attachment_type(self) -> str | None:
        """`message.attachment.type` lower-cased (image, audio, video, file, template...), or
        None for a send without an attachment (text, sender actions)."""
        attachment = (self.message or {}).get("attachment")
        if not isinstance(attachment, dict):
            return None
        return str(attachment.get("type", "")).lower()
