"""The documented top-level parameter rules of the Send API, in the order Graph applies them.

`parse_send` turns the collected parameters into a `SendRequest` or raises the first rule
broken, as a catalog error carrying the JSON path. Pure: no clock, no state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from emulator.rules import limits
from emulator.rules.fields import as_bool, got, is_url
from emulator.rules.request import Recipient, SendRequest
from emulator.rules.sticker import check_sticker
from emulator.rules.templates import check_media_payload, check_template
from emulator.rules.utility import parse_utility_message
from emulator.wire import catalog
from emulator.wire.errors import ErrorSpec
from emulator.wire.ids import is_activity_id, is_numeric_id

RECIPIENT_KEYS = frozenset({*limits.RECIPIENT_IDENTIFIERS, "name"})
MESSAGE_KEYS = frozenset({"text", "attachment", "quick_replies", "metadata", "sticker_id"})
ATTACHMENT_KEYS = frozenset({"type", "payload"})
QUICK_REPLY_KEYS = frozenset({"content_type", "title", "payload", "image_url"})
NAME_KEYS = frozenset({"first_name", "last_name"})
REPLY_TO_KEYS = frozenset({"mid"})
# UTILITY is accepted though Graph's enum error (observed in 2026) still lists only the three
_MESSAGING_TYPES_ACCEPTED = (*limits.MESSAGING_TYPES, limits.MESSAGING_TYPE_UTILITY)


def parse_send(
    values: Mapping[str, Any],
    *,
    missing_messaging_type: str = "reject",
    quick_reply_title: str = "reject",
    version: str = limits.LATEST_VERSION,
    has_file: bool = False,
    instagram: bool = False,
) -> SendRequest:
    """Apply the documented rules.

    The keywords choose between conflicting sources (scenario `behaviour:`):
    `missing_messaging_type` is `reject` (documented) or `response` (seen in production);
    `quick_reply_title` over 20 characters is `reject` (documented) or `truncate` (live).
    """
    if "id" in values:
        raise catalog.MULTIPLE_IDS(path="id")
    if "recipient" not in values:
        raise catalog.RECIPIENT_REQUIRED(path="recipient")
    recipient = parse_recipient(values["recipient"])

    message = values.get("message")
    sender_action = values.get("sender_action")
    if message is None and sender_action is None:
        raise catalog.MESSAGE_OR_STATE(path="message")
    if message is not None and sender_action is not None:
        raise catalog.MESSAGE_AND_STATE(path="sender_action")

    notification_type = values.get("notification_type")
    if notification_type is None:
        notification_type = limits.DEFAULT_NOTIFICATION_TYPE
    else:
        notification_type = _enum(
            notification_type,
            limits.NOTIFICATION_TYPES,
            catalog.NOTIFICATION_TYPE_INVALID,
            "notification_type",
        )
    messaging_type = values.get("messaging_type")
    if messaging_type is not None:
        messaging_type = _enum(
            messaging_type,
            limits.MESSAGING_TYPES if instagram else _MESSAGING_TYPES_ACCEPTED,
            catalog.MESSAGING_TYPE_INVALID,
            "messaging_type",
        )
    tag = values.get("tag")
    if tag is not None:
        tag = _parse_tag(tag, messaging_type, sender_action is not None)
    persona_id = values.get("persona_id")
    if persona_id is not None:
        persona_id = _persona_id(persona_id)

    if sender_action is not None:
        action = _sender_action(sender_action)
        payload = _reaction_payload(action, values.get("payload"))
        return SendRequest(
            recipient=recipient,
            messaging_type=messaging_type,
            tag=tag,
            notification_type=notification_type,
            message=None,
            sender_action=action,
            payload=payload,
            persona_id=persona_id,
        )

    if messaging_type is None:
        if missing_messaging_type != "response":
            raise catalog.MESSAGING_TYPE_MISSING(path="messaging_type")
        # a template message is a utility message (the documentation's own example of a
        # named-parameter send leaves messaging_type out)
        utility = isinstance(message, dict) and "template" in message and not instagram
        messaging_type = limits.MESSAGING_TYPE_UTILITY if utility else "RESPONSE"
    if messaging_type == "MESSAGE_TAG" and tag is None:
        raise catalog.TAG_REQUIRED(path="tag")
    if messaging_type == limits.MESSAGING_TYPE_UTILITY:
        sent, call = parse_utility_message(message)
        reply = values.get("reply_to")
        return SendRequest(
            recipient=recipient,
            messaging_type=messaging_type,
            tag=tag,
            notification_type=notification_type,
            message=sent,
            sender_action=None,
            persona_id=persona_id,
            reply_to=None if reply is None else _reply_to(reply),
            utility=call,
        )
    parsed = parse_message(
        message,
        truncate_titles=quick_reply_title == "truncate",
        version=version,
        has_file=has_file,
        instagram=instagram,
    )
    reply_to = values.get("reply_to")
    if reply_to is not None:
        reply_to = _reply_to(reply_to)
    content = parsed.content
    return SendRequest(
        recipient,
        messaging_type,
        tag,
        notification_type,
        parsed.message,
        None,
        None,
        persona_id,
        reply_to,
        content.template_type,
        content.is_reusable,
        content.attachment_ids,
        content.product_ids,
    )


def parse_recipient(value: Any) -> Recipient:
    """recipient: exactly one of id, user_ref, phone_number, comment_id, post_id."""
    if not isinstance(value, dict) or not value:  # undecodable strings count as empty
        raise catalog.RECIPIENT_EMPTY(path="recipient")
    if len(value) == 1 and "id" in value:  # the usual {"id": PSID}
        kind = "id"
    else:
        no_unknown_keys(value, RECIPIENT_KEYS, "recipient", "recipient")
        present = [key for key in limits.RECIPIENT_IDENTIFIERS if key in value]
        if len(present) != 1:
            raise catalog.RECIPIENT_ONE_ID(path="recipient")
        kind = present[0]
    raw = value[kind]
    if kind in ("id", "comment_id", "post_id"):
        text = str(raw) if isinstance(raw, int) and not isinstance(raw, bool) else raw
        valid = is_numeric_id if kind == "id" else is_activity_id
        if not isinstance(text, str) or not valid(text):
            raise catalog.RECIPIENT_ID_INVALID(path=f"recipient.{kind}", field=kind)
    else:
        text = raw
        if not isinstance(text, str) or not text.strip():
            raise catalog.RECIPIENT_STRING(path=f"recipient.{kind}", field=kind)
    if "name" in value:
        if kind != "phone_number":
            raise catalog.RECIPIENT_NAME_WITHOUT_PHONE(path="recipient.name")
        name = value["name"]
        if not isinstance(name, dict) or not all(isinstance(v, str) for v in name.values()):
            raise catalog.RECIPIENT_NAME_INVALID(path="recipient.name")
        no_unknown_keys(name, NAME_KEYS, "recipient[name]", "recipient.name")
    return Recipient(kind, text, value)


@dataclass(slots=True)
class _Content:
    """What the policy needs to know of an attachment."""

    template_type: str | None = None
    is_reusable: bool = False
    attachment_ids: tuple[str, ...] = ()
    product_ids: tuple[str, ...] = ()


_NO_CONTENT = _Content()  # a text message's: shared, never changed


class ParsedMessage(NamedTuple):
    """The message as sent, and what the policy needs to know of its content."""

    message: dict[str, Any]
    content: _Content


def parse_message(
    value: Any,
    *,
    truncate_titles: bool = False,
    version: str = limits.LATEST_VERSION,
    has_file: bool = False,
    instagram: bool = False,
) -> ParsedMessage:
    """message: text or attachment (not both), metadata, quick_replies."""
    if not isinstance(value, dict) or not value:  # undecodable strings count as empty
        raise catalog.MESSAGE_EMPTY(path="message")
    no_unknown_keys(value, MESSAGE_KEYS, "message", "message")
    text = value.get("text")
    attachment = value.get("attachment")
    if text is not None and not isinstance(text, str):
        raise catalog.TEXT_NOT_STRING(path="message.text")
    if text == "":
        text = None
    if text is None and attachment is None:
        if value.get("sticker_id") is None:
            raise catalog.MESSAGE_NO_CONTENT(path="message")
        check_sticker(value)  # a sticker alone (June 2026; dated in policy/dated.py)
    elif "sticker_id" in value and value["sticker_id"] is not None:
        check_sticker(value)
    if text is not None and attachment is not None:
        raise catalog.MESSAGE_TEXT_AND_ATTACHMENT(path="message")
    if text is not None and len(text) > limits.TEXT_MAX:
        raise catalog.TEXT_TOO_LONG(path="message.text")
    content = _NO_CONTENT
    if attachment is not None:
        content = _attachment(attachment, version, has_file, instagram)
    if "metadata" in value:
        metadata = value["metadata"]
        if not isinstance(metadata, str) or len(metadata) >= limits.METADATA_LIMIT:
            raise catalog.METADATA_INVALID(path="message.metadata")
    if "quick_replies" in value:
        _quick_replies(value["quick_replies"], truncate_titles)
    return ParsedMessage(value, content)


def attachment_envelope(
    attachment: Any, types: frozenset[str] | tuple[str, ...], type_error: ErrorSpec
) -> tuple[str, dict[str, Any]]:
    """message.attachment: an object with only `type` (one of `types`) and a `payload` object.
    Answers the type (lower case) and the payload."""
    if not isinstance(attachment, dict) or not attachment:
        raise catalog.ATTACHMENT_FIELD_REQUIRED(path="message.attachment.type", field="type")
    no_unknown_keys(attachment, ATTACHMENT_KEYS, "message[attachment]", "message.attachment")
    for field in ("type", "payload"):
        if field not in attachment:
            raise catalog.ATTACHMENT_FIELD_REQUIRED(path=f"message.attachment.{field}", field=field)
    kind = attachment["type"]
    if not isinstance(kind, str) or kind.lower() not in types:
        raise type_error(path="message.attachment.type", got=got(kind))
    payload = attachment["payload"]
    if not isinstance(payload, dict):
        raise catalog.ATTACHMENT_FIELD_REQUIRED(path="message.attachment.payload", field="payload")
    return kind.lower(), payload


def _attachment(attachment: Any, version: str, has_file: bool, instagram: bool) -> _Content:
    """The attachment: its envelope (type, payload), then the payload's own rules."""
    kind, payload = attachment_envelope(
        attachment, limits.ATTACHMENT_TYPES, catalog.ATTACHMENT_TYPE_INVALID
    )
    if kind == "template":
        template_type, product_ids = check_template(payload, version, instagram=instagram)
        saved = tuple(
            str(element["attachment_id"])
            for element in payload.get("elements", ())
            if template_type == "media" and element.get("attachment_id") is not None
        )
        return _Content(template_type, False, saved, product_ids)
    check_media_payload(payload, uploaded=has_file)
    if has_file and payload.get("url") is not None:
        raise catalog.UPLOAD_SOURCE_BOTH(path="message.attachment.payload.url")
    saved_id = payload.get("attachment_id")
    if saved_id is not None:  # already saved: is_reusable has nothing left to save
        return _Content(None, False, (str(saved_id),))
    return _Content(None, as_bool(payload.get("is_reusable", False)) is True)


def _quick_replies(replies: Any, truncate_titles: bool) -> None:
    if not isinstance(replies, list):
        raise catalog.QUICK_REPLIES_NOT_ARRAY(path="message.quick_replies")
    if not replies:
        raise catalog.QUICK_REPLIES_TOO_FEW(path="message.quick_replies")
    if len(replies) > limits.QUICK_REPLIES_MAX:
        raise catalog.QUICK_REPLIES_TOO_MANY(path="message.quick_replies")
    for index, reply in enumerate(replies):
        path = f"message.quick_replies[{index}]"
        if not isinstance(reply, dict):
            raise catalog.QUICK_REPLY_NOT_OBJECT(path=path, index=index)
        no_unknown_keys(reply, QUICK_REPLY_KEYS, f"message[quick_replies][{index}]", path)
        content_type = reply.get("content_type")
        if content_type is None:
            raise catalog.QUICK_REPLY_CONTENT_TYPE_REQUIRED(
                path=f"{path}.content_type", index=index
            )
        if isinstance(content_type, str) and content_type.lower() == "location":
            raise catalog.QUICK_REPLY_LOCATION(path=f"{path}.content_type")
        if not isinstance(content_type, str) or (
            content_type.lower() not in limits.QUICK_REPLY_CONTENT_TYPES
        ):
            raise catalog.QUICK_REPLY_CONTENT_TYPE_INVALID(path=f"{path}.content_type", index=index)
        for field in ("title", "image_url"):
            if field in reply and not isinstance(reply[field], str):
                raise catalog.QUICK_REPLY_FIELD_NOT_STRING(
                    path=f"{path}.{field}", index=index, field=field
                )
        if reply.get("image_url") and not is_url(reply["image_url"]):
            raise catalog.FIELD_URL(
                path=f"{path}.image_url", param=f"message[quick_replies][{index}][image_url]"
            )
        payload = reply.get("payload")
        if payload is not None and (
            isinstance(payload, bool) or not isinstance(payload, str | int | float)
        ):
            raise catalog.QUICK_REPLY_FIELD_NOT_STRING(
                path=f"{path}.payload", index=index, field="payload"
            )
        if content_type.lower() != "text":
            continue
        title = reply.get("title", "")
        has_image = bool(reply.get("image_url"))
        if not title and not has_image:
            raise catalog.QUICK_REPLY_TITLE_REQUIRED(path=f"{path}.title")
        if payload is None or (payload == "" and not has_image):
            raise catalog.QUICK_REPLY_PAYLOAD_REQUIRED(path=f"{path}.payload")
        if len(title) > limits.QUICK_REPLY_TITLE_MAX and not truncate_titles:
            raise catalog.QUICK_REPLY_FIELD_TOO_LONG(
                path=f"{path}.title", index=index, field="title", limit=limits.QUICK_REPLY_TITLE_MAX
            )
        if len(str(payload)) > limits.QUICK_REPLY_PAYLOAD_MAX:
            raise catalog.QUICK_REPLY_FIELD_TOO_LONG(
                path=f"{path}.payload",
                index=index,
                field="payload",
                limit=limits.QUICK_REPLY_PAYLOAD_MAX,
            )


def _parse_tag(value: Any, messaging_type: str | None, is_action: bool) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value.upper() not in limits.TAGS:
        raise catalog.TAG_INVALID(path="tag")
    if is_action:  # a sender action is not a tagged message: a valid tag beside it is moot
        return None
    if messaging_type != "MESSAGE_TAG":
        raise catalog.TAG_WITHOUT_MESSAGE_TAG(path="messaging_type")
    return value.upper()


def _sender_action(value: Any) -> str:
    if not isinstance(value, str) or value.lower() not in limits.SENDER_ACTIONS:
        raise catalog.SENDER_ACTION_INVALID(path="sender_action", got=got(value))
    return value.lower()


def _reaction_payload(action: str, payload: Any) -> dict[str, Any] | None:
    if action not in ("react", "unreact"):
        return None
    needed = ("message_id", "reaction") if action == "react" else ("message_id",)
    for field in needed:
        if (
            not isinstance(payload, dict)
            or not isinstance(payload.get(field), str)
            or not (payload[field])
        ):
            raise catalog.REACTION_PAYLOAD(path=f"payload.{field}", field=field)
    assert isinstance(payload, dict)
    return payload


def _enum(value: Any, allowed: tuple[str, ...], error: Any, path: str) -> str:
    """Graph enums match case-insensitively and are echoed upper-case in errors."""
    if not isinstance(value, str) or value.upper() not in allowed:
        raise error(path=path, got=got(value))
    return value.upper()


def _persona_id(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not is_numeric_id(text):
        raise catalog.PERSONA_ID_INVALID(path="persona_id")
    return text


def _reply_to(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise catalog.PARAM_NOT_JSON(path="reply_to", name="reply_to")
    no_unknown_keys(value, REPLY_TO_KEYS, "reply_to", "reply_to")
    mid = value.get("mid")
    if not isinstance(mid, str) or not mid:
        raise catalog.REPLY_TO_INVALID(path="reply_to.mid")
    return value


def no_unknown_keys(value: dict[str, Any], allowed: frozenset[str], param: str, path: str) -> None:
    """`(#100) Invalid keys "x, y" were found in param "…".` for keys outside `allowed`."""
    if allowed.issuperset(value):
        return
    unknown = [key for key in value if key not in allowed]
    if unknown:
        raise catalog.INVALID_KEYS(
            path=f"{path}.{unknown[0]}", keys=", ".join(unknown), param=param
        )
