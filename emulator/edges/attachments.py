"""POST /{page}/message_attachments: the Attachment Upload API.

An asset is saved for the page from a URL (JSON or form body) or from an uploaded `filedata`
file part (multipart), and the answer is its id: `{"attachment_id": "…"}`, usable in later
sends from that page only. The file checks here also serve upload-and-send on /messages.
Order as for sends (reference §7.6): method, parameters, the file, then permissions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulator import outcomes
from emulator.edges.base import EdgeCall
from emulator.policy.auth import check_messaging_permissions
from emulator.rules import limits
from emulator.rules.fields import Field, Where, as_bool, check_object
from emulator.rules.send import attachment_envelope, no_unknown_keys
from emulator.state import SavedAttachment
from emulator.wire import catalog
from emulator.wire.multipart import FilePart
from emulator.wire.params import GraphParams

MESSAGE_KEYS = frozenset({"attachment"})
ATTACHMENT_KEYS = frozenset({"type", "payload"})
UPLOAD_PAYLOAD = Field(
    "payload",
    "obj",
    fields=(Field("url", "url"), Field("is_reusable", "bool")),
    source="https://developers.facebook.com/docs/messenger-platform/reference/"
    "attachment-upload-api",
)


@dataclass(frozen=True, slots=True)
class Upload:
    """A valid upload: the asset's type and its source, a URL or a file."""

    type: str  # audio | file | image | video
    url: str | None
    file: FilePart | None
    is_reusable: bool


def message_attachments(call: EdgeCall) -> dict[str, Any]:
    if call.method == "GET":
        raise catalog.UPLOAD_READ_NOT_SUPPORTED(path="path")
    if call.method != "POST":
        raise catalog.METHOD_NOT_SUPPORTED(path="path", method=call.method.lower())
    upload = parse_upload(call.params)
    check_messaging_permissions(call.grant, "id")
    saved = save_attachment(call, upload.type, upload.url, upload.file, origin="upload")
    call.journal["did"] = (outcomes.UPLOAD,)
    return {"attachment_id": saved.id}


def parse_upload(params: GraphParams) -> Upload:
    """message = {attachment: {type, payload: {url?, is_reusable?}}}, plus a url or a file."""
    values = params.values
    if "id" in values:
        raise catalog.MULTIPLE_IDS(path="id")
    if "message" not in values:
        raise catalog.UPLOAD_MESSAGE_REQUIRED(path="message")
    message = values["message"]
    if not isinstance(message, dict) or not message:  # undecodable strings count as empty
        raise catalog.MESSAGE_EMPTY(path="message")
    no_unknown_keys(message, MESSAGE_KEYS, "message", "message")
    kind, payload = attachment_envelope(
        message.get("attachment"), limits.ATTACHMENT_UPLOAD_TYPES, catalog.UPLOAD_TYPE_INVALID
    )
    # only url and is_reusable; url an http(s) URL, is_reusable a boolean
    check_object(
        payload,
        UPLOAD_PAYLOAD,
        Where.root("message[attachment][payload]", "message.attachment.payload"),
    )
    is_reusable = as_bool(payload.get("is_reusable", False)) is True
    has_file = limits.UPLOAD_FILE_PART in values or any(
        part.name == limits.UPLOAD_FILE_PART for part in params.files
    )
    if "url" not in payload:
        if not has_file:
            raise catalog.UPLOAD_SOURCE_REQUIRED(path="message.attachment.payload.url")
        file = uploaded_file(params, text_counts=True)
        return Upload(kind.lower(), None, file, is_reusable)
    if has_file:
        raise catalog.UPLOAD_SOURCE_BOTH(path=limits.UPLOAD_FILE_PART)
    return Upload(kind.lower(), str(payload["url"]), None, is_reusable)


def uploaded_file(params: GraphParams, *, text_counts: bool = False) -> FilePart | None:
    """The `filedata` file part, if any, checked: it holds bytes and has a Content-Type
    (else 2018047, as Graph answers an empty part), and at most 25 MB (2018109; a streamed
    body is refused on the way in already). With `text_counts`, a `filedata` text field (no
    file in it) is an upload that failed too."""
    where = limits.UPLOAD_FILE_PART
    for part in params.files:
        if part.name == where:
            if not part.data or not part.content_type.strip():
                raise catalog.UPLOAD_FAILURE(path=where)
            if len(part.data) > limits.ATTACHMENT_MAX_BYTES:
                raise catalog.ATTACHMENT_TOO_LARGE(path=where)
            return part
    if text_counts and where in params.values:
        raise catalog.UPLOAD_FAILURE(path=where)
    return None


def save_attachment(
    call: EdgeCall,
    kind: str,
    url: str | None,
    file: FilePart | None,
    *,
    origin: str,
    digits: int = 16,
) -> SavedAttachment:
    """Keep the asset on the call's page and return it (its id is private to that page)."""
    saved = SavedAttachment(
        id=call.world.ids.numeric_id(digits),
        page_id=call.page.id,
        type=kind,
        created=call.now_iso,
        url=url,
        origin=origin,
    )
    if file is not None:
        saved.filename = file.filename
        saved.content_type = file.content_type
        saved.size = len(file.data)
        saved.data = file.data
    call.page.attachments[saved.id] = saved
    return saved
