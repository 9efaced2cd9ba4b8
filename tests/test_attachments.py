"""The Attachment Upload API (`POST /{page}/message_attachments`), upload-and-send on /messages,
the streaming multipart reader that refuses oversized files without reading them whole, and
the control API's view of saved attachments."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from conftest import IN_WINDOW, assert_refused, graph_error, send
from fbmessenger import MessengerClient
from fbmessenger.attachments import Image
from starlette.testclient import TestClient

from emulator.rules import limits
from emulator.wire import catalog
from emulator.wire.errors import GraphError
from emulator.wire.multipart import MultipartReader, parse_multipart, read_multipart

UPLOAD = "/v21.0/me/message_attachments"
TOKEN = {"access_token": "PAGE_TOKEN"}
OTHER_PAGE = "120000000000001"
OTHER_PSID = "2100000000000001"
IMAGE_URL = "https://example.com/shirt.png"
BOUNDARY = "emulator-test-boundary"
MP = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
# binary, with CR LF and a near-boundary inside, so a parser that splits on text would break
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4 + b"\r\n--" + BOUNDARY[:-1].encode()
MB25 = limits.ATTACHMENT_MAX_BYTES


def by_url(kind: str = "image", url: str = IMAGE_URL, **payload: Any) -> dict[str, Any]:
    return {"attachment": {"type": kind, "payload": {"url": url, "is_reusable": True, **payload}}}


def for_file(kind: str = "image", **payload: Any) -> dict[str, Any]:
    return {"attachment": {"type": kind, "payload": {"is_reusable": True, **payload}}}


# --- multipart bodies, written by hand so every byte (and every missing header) is chosen -----


def text_part(name: str, value: str | bytes) -> bytes:
    raw = value.encode() if isinstance(value, str) else value
    head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
    return head.encode() + raw + b"\r\n"


def file_head(name: str, filename: str, content_type: str | None) -> bytes:
    head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"'
    if content_type is not None:
        head += f"\r\nContent-Type: {content_type}"
    return (head + "\r\n\r\n").encode()


def file_part(
    data: bytes, *, name: str = "filedata", filename: str = "shirt.png", ctype: str | None = None
) -> bytes:
    return file_head(name, filename, "image/png" if ctype is None else ctype) + data + b"\r\n"


def bare_file_part(data: bytes) -> bytes:
    """A file part without a Content-Type header."""
    return file_head("filedata", "shirt.png", None) + data + b"\r\n"


CLOSE = f"--{BOUNDARY}--\r\n".encode()


def multipart(*parts: bytes) -> bytes:
    return b"".join(parts) + CLOSE


def upload_body(message: dict[str, Any] | None, *parts: bytes) -> bytes:
    fields = [text_part("message", json.dumps(message))] if message is not None else []
    return multipart(*fields, *parts)


def streamed_upload(size: int, *, chunk: int = 1 << 20, head: bytes = b"") -> Iterator[bytes]:
    """An upload of `size` zero bytes, yielded chunk by chunk: the test never holds the file
    (the in-process client joins the chunks once; a real client sends them as they come)."""
    yield (
        head
        + text_part("message", json.dumps(for_file()))
        + file_head("filedata", "big.bin", "application/octet-stream")
    )
    block = bytes(chunk)
    left = size
    while left:
        step = min(left, chunk)
        yield block if step == chunk else block[:step]
        left -= step
    yield b"\r\n" + CLOSE


def post_multipart(client: TestClient, body: bytes | Iterator[bytes], **kw: Any) -> httpx.Response:
    return client.post(kw.pop("path", UPLOAD), params=TOKEN, content=body, headers=MP, **kw)


def saved(client: TestClient | httpx.Client, attachment_id: str) -> dict[str, Any]:
    response = client.get(f"/_emulator/attachments/{attachment_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def assert_attachment_id(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"attachment_id"}, body
    attachment_id: str = body["attachment_id"]
    assert attachment_id.isascii(), attachment_id
    assert attachment_id.isdigit(), attachment_id
    assert 15 <= len(attachment_id) <= 16
    assert attachment_id[0] != "0"
    return attachment_id


# --- uploads that succeed ---------------------------------------------------------------------


@dataclass
class Accepted:
    id: str
    request: Callable[[TestClient], httpx.Response]
    type: str = "image"
    url: str | None = IMAGE_URL
    file: bytes | None = None
    content_type: str | None = None
    filename: str | None = None


def json_body(
    message: dict[str, Any], path: str = UPLOAD
) -> Callable[[TestClient], httpx.Response]:
    return lambda c: c.post(path, params=TOKEN, json={"message": message})


ACCEPTED = [
    Accepted("json body, token in query", json_body(by_url())),
    Accepted(
        "json body, token in body (the upload reference's sample)",
        lambda c: c.post(UPLOAD, json={"message": by_url(), "access_token": "PAGE_TOKEN"}),
    ),
    Accepted(
        "json body, bearer token",
        lambda c: c.post(
            UPLOAD, json={"message": by_url()}, headers={"authorization": "Bearer PAGE_TOKEN"}
        ),
    ),
    Accepted(
        "form fields, message as a JSON string",
        lambda c: c.post(
            UPLOAD, data={"message": json.dumps(by_url()), "access_token": "PAGE_TOKEN"}
        ),
    ),
    Accepted(
        "form fields, single-quoted message and string boolean",
        lambda c: c.post(
            UPLOAD,
            params=TOKEN,
            data={
                "message": "{'attachment':{'type':'image','payload':"
                f"{{'url':'{IMAGE_URL}','is_reusable':'true'}}}}}}"
            },
        ),
    ),
    Accepted(
        "form fields, bracket keys",
        lambda c: c.post(
            UPLOAD,
            params=TOKEN,
            data={
                "message[attachment][type]": "image",
                "message[attachment][payload][url]": IMAGE_URL,
                "message[attachment][payload][is_reusable]": "true",
            },
        ),
    ),
    Accepted(
        "page id in the path",
        json_body(by_url(), path="/v21.0/110000000000001/message_attachments"),
    ),
    Accepted("unversioned path", json_body(by_url(), path="/me/message_attachments")),
    Accepted(
        "audio by url",
        json_body(by_url("audio", "https://x.test/a.mp3")),
        "audio",
        "https://x.test/a.mp3",
    ),
    Accepted(
        "file by url",
        json_body(by_url("file", "https://x.test/a.pdf")),
        "file",
        "https://x.test/a.pdf",
    ),
    Accepted(
        "video by url",
        json_body(by_url("VIDEO", "http://x.test/a.mp4")),
        "video",
        "http://x.test/a.mp4",
    ),
    Accepted(
        "without is_reusable",
        json_body({"attachment": {"type": "image", "payload": {"url": IMAGE_URL}}}),
    ),
    Accepted(
        "multipart: message field and filedata part (the curl -F form)",
        lambda c: post_multipart(c, upload_body(for_file(), file_part(PNG))),
        url=None,
        file=PNG,
        content_type="image/png",
        filename="shirt.png",
    ),
    Accepted(
        "multipart: token as a field, payload without is_reusable",
        lambda c: c.post(
            UPLOAD,
            content=multipart(
                text_part("access_token", "PAGE_TOKEN"),
                text_part("message", '{"attachment":{"type":"file","payload":{}}}'),
                file_part(b"%PDF-1.4", filename="menu.pdf", ctype="application/pdf"),
            ),
            headers=MP,
        ),
        "file",
        url=None,
        file=b"%PDF-1.4",
        content_type="application/pdf",
        filename="menu.pdf",
    ),
    Accepted(
        "multipart: message in the query, file in the body",
        lambda c: c.post(
            UPLOAD,
            params={**TOKEN, "message": json.dumps(for_file("audio"))},
            content=multipart(file_part(b"ID3", filename="a.mp3", ctype="audio/mpeg")),
            headers=MP,
        ),
        "audio",
        url=None,
        file=b"ID3",
        content_type="audio/mpeg",
        filename="a.mp3",
    ),
    Accepted(
        "multipart: a non-ASCII file name",
        lambda c: post_multipart(c, upload_body(for_file(), file_part(PNG, filename="café.png"))),
        url=None,
        file=PNG,
        content_type="image/png",
        filename="café.png",
    ),
]


@pytest.mark.parametrize("case", ACCEPTED, ids=lambda case: case.id)
def test_upload_is_saved_and_answers_its_id(client: TestClient, case: Accepted) -> None:
    attachment_id = assert_attachment_id(case.request(client))
    meta = saved(client, attachment_id)
    assert meta == {
        "attachment_id": attachment_id,
        "page_id": "110000000000001",
        "type": case.type,
        "origin": "upload",
        "created": "2026-01-05T09:00:00.000Z",  # the scenario's frozen clock
        "url": case.url,
        "filename": case.filename,
        "content_type": case.content_type,
        "size": None if case.file is None else len(case.file),
        "has_data": case.file is not None,
    }
    data = client.get(f"/_emulator/attachments/{attachment_id}/data")
    if case.file is None:
        assert data.status_code == 404
        assert "saved from a URL" in data.json()["error"]["message"]
    else:
        assert data.status_code == 200
        assert data.content == case.file
        assert data.headers["content-type"] == case.content_type
    journal = client.get("/_emulator/requests").json()["data"][-1]
    assert journal["outcome"] == "accepted"
    assert journal["response"] == {"attachment_id": attachment_id}


# --- refusals ---------------------------------------------------------------------------------


@dataclass
class Refused:
    id: str
    request: Callable[[TestClient], httpx.Response]
    rule: str
    message: str | None = None  # the exact message, where the entry has placeholders


def upload(message: Any, token: str | None = "PAGE_TOKEN", **extra: Any) -> Callable[..., Any]:
    body = {"message": message, **extra} if message is not ... else extra
    params = {"access_token": token} if token else {}
    return lambda c: c.post(UPLOAD, params=params, json=body)


def mp(*parts: bytes, message: Any = None) -> Callable[[TestClient], httpx.Response]:
    return lambda c: post_multipart(c, upload_body(message or for_file(), *parts))


URL_MESSAGE = "(#100) message[attachment][payload][url] should represent a valid URL"
REFUSED = [
    Refused(
        "GET reads nothing",
        lambda c: c.get(UPLOAD, params=TOKEN),
        "upload_read_not_supported",
    ),
    Refused("DELETE", lambda c: c.delete(UPLOAD, params=TOKEN), "method_not_supported"),
    Refused("no token", upload(by_url(), token=None), "token_required_me"),
    Refused("no message", upload(..., url=IMAGE_URL), "upload_message_required"),
    Refused("top-level id", upload(by_url(), id="1"), "multiple_ids"),
    Refused("message empty", upload({}), "message_empty"),
    Refused("message not an object", upload("shirt.png"), "message_empty"),
    Refused(
        "message with text",
        upload({"text": "hi", **by_url()}),
        "invalid_keys",
        '(#100) Invalid keys "text" were found in param "message".',
    ),
    Refused(
        "message without attachment",
        upload({"attachment": {}}),
        "attachment_field_required",
        "(#100) The parameter message[attachment][type] is required",
    ),
    Refused(
        "attachment without type",
        upload({"attachment": {"payload": {"url": IMAGE_URL}}}),
        "attachment_field_required",
        "(#100) The parameter message[attachment][type] is required",
    ),
    Refused(
        "attachment without payload",
        upload({"attachment": {"type": "image"}}),
        "attachment_field_required",
        "(#100) The parameter message[attachment][payload] is required",
    ),
    Refused(
        "payload not an object",
        upload({"attachment": {"type": "image", "payload": IMAGE_URL}}),
        "attachment_field_required",
        "(#100) The parameter message[attachment][payload] is required",
    ),
    Refused(
        "template is not an upload",
        upload({"attachment": {"type": "template", "payload": {"template_type": "button"}}}),
        "upload_type_invalid",
        "(#100) Param message[attachment][type] must be one of {AUDIO, FILE, IMAGE, VIDEO} - "
        'got "template".',
    ),
    Refused(
        "unknown type",
        upload(by_url("gif")),
        "upload_type_invalid",
        "(#100) Param message[attachment][type] must be one of {AUDIO, FILE, IMAGE, VIDEO} - "
        'got "gif".',
    ),
    Refused(
        "attachment_id is not an upload source",
        upload(by_url(attachment_id="1234567890")),
        "invalid_keys",
        '(#100) Invalid keys "attachment_id" were found in param "message[attachment][payload]".',
    ),
    Refused(
        "is_reusable not a boolean",
        upload(by_url(is_reusable="maybe")),
        "field_not_boolean",
        "(#100) Param message[attachment][payload][is_reusable] must be a boolean",
    ),
    Refused("url not a URL", upload(by_url(url="shirt.png")), "field_url", URL_MESSAGE),
    Refused(
        "url with another scheme",
        upload(by_url(url="ftp://x.test/a.png")),
        "field_url",
        URL_MESSAGE,
    ),
    Refused("url empty", upload(by_url(url="")), "field_url", URL_MESSAGE),
    Refused("url not a string", upload(by_url(url=5)), "field_url", URL_MESSAGE),
    Refused("neither url nor filedata", upload(for_file()), "upload_source_required"),
    Refused(
        "neither url nor filedata (multipart, file under another name)",
        mp(file_part(PNG, name="file")),
        "upload_source_required",
    ),
    Refused(
        "url and filedata",
        mp(file_part(PNG), message=by_url()),
        "upload_source_both",
    ),
    Refused("empty file part", mp(file_part(b"")), "upload_failure"),
    Refused("file part without a Content-Type", mp(bare_file_part(PNG)), "upload_failure"),
    Refused("file part with an empty Content-Type", mp(file_part(PNG, ctype="")), "upload_failure"),
    Refused(
        "filedata as a text field", mp(text_part("filedata", "iVBORw0KGgo=")), "upload_failure"
    ),
    Refused(
        "filedata in a JSON body", upload(for_file(), filedata="iVBORw0KGgo="), "upload_failure"
    ),
    # the checks that follow the parameters, as on /messages
    Refused(
        "no pages_messaging",
        upload(by_url(), token="NO_PERMISSION_TOKEN"),
        "permission_pages_messaging",
    ),
    Refused("no MESSAGE task", upload(by_url(), token="NO_TASK_TOKEN"), "task_message"),
]


@pytest.mark.parametrize("case", REFUSED, ids=lambda case: case.id)
def test_upload_refusal(client: TestClient, case: Refused) -> None:
    error = assert_refused(client, case.request(client), case.rule)
    if case.message is not None:
        assert error["message"] == case.message
    assert client.get("/_emulator/attachments").json() == {"data": []}


def test_refusals_name_the_observed_upload_errors(client: TestClient) -> None:
    """The two answers Graph is seen giving for uploads, byte for byte."""
    failure = graph_error(mp(file_part(b""))(client))
    assert (failure["message"], failure["code"], failure["error_subcode"]) == (
        "(#100) Upload attachment failure.",
        100,
        2018047,
    )
    read = graph_error(client.get(UPLOAD, params=TOKEN))
    assert (
        read["message"]
        == "(#100) For field 'message_attachments': The parameter message is required"
    )


# --- the 25 MB limit --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "rule"), [(MB25, None), (MB25 + 1, "attachment_too_large")], ids=["25MB", "25MB+1"]
)
def test_size_limit_boundary(client: TestClient, size: int, rule: str | None) -> None:
    response = post_multipart(client, streamed_upload(size))
    if rule is None:
        attachment_id = assert_attachment_id(response)
        assert saved(client, attachment_id)["size"] == MB25
    else:
        error = assert_refused(client, response, rule)
        assert error["message"] == "(#100) Attachment size exceeds allowable limit"
        assert error["error_subcode"] == 2018109
        assert client.get("/_emulator/attachments").json() == {"data": []}


def test_oversized_upload_and_send_is_refused_too(client: TestClient) -> None:
    """/messages reads multipart the same way: a file over 25 MB is refused on the way in."""
    head = text_part("recipient", json.dumps({"id": IN_WINDOW})) + text_part(
        "messaging_type", "RESPONSE"
    )
    response = post_multipart(
        client, streamed_upload(MB25 + 1, head=head), path="/v21.0/me/messages"
    )
    assert_refused(client, response, "attachment_too_large")
    assert client.get("/_emulator/messages").json() == {"data": []}


def test_form_fields_of_a_multipart_body_are_bounded(client: TestClient) -> None:
    """Text fields stay in memory, so together they weigh at most what any body may (1 MiB)."""
    big = text_part("metadata", "x" * limits.MULTIPART_FIELDS_MAX_BYTES)
    response = post_multipart(client, upload_body(by_url(), big))
    assert_refused(client, response, "body_too_large")
    assert response.status_code == 413


# --- the streaming reader ---------------------------------------------------------------------


class Counting:
    """A body that goes on and on: `head`, then `fill` until `cap` bytes (far past any limit,
    so a reader that did not stop would end the stream instead of the test run); counts what
    was taken from it."""

    def __init__(
        self, head: bytes, fill: bytes = b"\0", chunk: int = 64 * 1024, cap: int = 4 * MB25
    ) -> None:
        self.head = head
        self.block = fill * (chunk // len(fill))
        self.cap = cap
        self.consumed = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self.consumed += len(self.head)
        yield self.head
        while self.consumed < self.cap:
            self.consumed += len(self.block)
            yield self.block


def read(stream: Counting, **limits_: int) -> GraphError:
    async def run() -> GraphError:
        with pytest.raises(GraphError) as raised:
            await read_multipart(stream.__aiter__(), MP["content-type"], "", **limits_)
        return raised.value

    return asyncio.run(run())


def test_reader_stops_consuming_right_after_a_file_passes_the_limit() -> None:
    head = text_part("message", json.dumps(for_file())) + file_head("filedata", "x", "a/b")
    stream = Counting(head)
    error = read(stream)
    assert error.spec is catalog.ATTACHMENT_TOO_LARGE
    assert stream.consumed <= len(head) + MB25 + len(stream.block)


def test_reader_stops_consuming_right_after_the_fields_pass_their_limit() -> None:
    stream = Counting(text_part("recipient", "{}") + text_part("message", "")[:-2], b"x")
    error = read(stream, fields_limit=100_000)
    assert error.spec is catalog.BODY_TOO_LARGE
    assert stream.consumed <= len(stream.head) + 100_000 + len(stream.block)


def test_reader_stops_consuming_right_after_the_body_passes_its_limit() -> None:
    """Many files, each within the attachment limit, still cannot outweigh the body limit."""
    part = file_part(bytes(40_000), filename="a.bin")
    stream = Counting(head=b"", fill=part, chunk=len(part))
    error = read(stream, body_limit=200_000)
    assert error.spec is catalog.BODY_TOO_LARGE
    assert stream.consumed <= 200_000 + len(part)


def test_reader_refuses_a_declared_length_over_the_limit_before_reading() -> None:
    stream = Counting(b"")

    async def run() -> None:
        await read_multipart(
            stream.__aiter__(), MP["content-type"], str(limits.MAX_MULTIPART_BYTES + 1)
        )

    with pytest.raises(GraphError) as raised:
        asyncio.run(run())
    assert raised.value.spec is catalog.BODY_TOO_LARGE
    assert stream.consumed == 0


def test_reader_result_does_not_depend_on_chunk_boundaries() -> None:
    big = bytes(range(256)) * 20  # past the (here 1 KiB) in-memory spool: goes through a file
    body = multipart(
        text_part("message", json.dumps(for_file())),
        text_part("note", "héllo"),
        file_part(PNG),
        file_part(big, name="extra", filename="big.bin", ctype="application/octet-stream"),
        text_part("", "nameless parts are kept out").replace(b' name=""', b""),
    )
    whole = parse_multipart(MP["content-type"], body)
    assert whole.error is None
    assert whole.fields == {"message": json.dumps(for_file()), "note": "héllo"}
    assert [(f.name, f.filename, f.content_type, f.data) for f in whole.files] == [
        ("filedata", "shirt.png", "image/png", PNG),
        ("extra", "big.bin", "application/octet-stream", big),
    ]
    for size in (1, 7, 4096):
        reader = MultipartReader(MP["content-type"], spool_bytes=1024)
        for start in range(0, len(body), size):
            reader.feed(body[start : start + size])
        assert reader.finish() == whole


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (multipart(text_part("m", "x")), "multipart/form-data", "without a boundary"),
        (multipart(text_part("m", "x"))[:-10], MP["content-type"], "before its closing boundary"),
        (multipart(text_part("m", b"\xff")), MP["content-type"], "not UTF-8"),
        (
            multipart(text_part("\xe9", "x")).replace(b"\xc3\xa9", b"\xe9"),
            MP["content-type"],
            "not UTF-8",
        ),
        (b"--other\r\n\r\n", MP["content-type"], "malformed"),
    ],
    ids=["no boundary", "truncated", "field not UTF-8", "name not UTF-8", "wrong boundary"],
)
def test_reader_ignores_a_body_it_cannot_read(body: bytes, content_type: str, reason: str) -> None:
    form = parse_multipart(content_type, body)
    assert form.fields == {}
    assert form.files == []
    assert form.error is not None
    assert reason in form.error


def test_a_body_that_cannot_be_read_is_ignored_with_a_note(client: TestClient) -> None:
    response = post_multipart(client, upload_body(by_url())[:-12])
    assert_refused(client, response, "upload_message_required")
    notes = client.get("/_emulator/requests").json()["data"][-1]["notes"]
    assert notes == ["body ignored: multipart body ends before its closing boundary"]


# --- using what was saved ---------------------------------------------------------------------


def image_by_id(attachment_id: str) -> dict[str, Any]:
    return {"attachment": {"type": "image", "payload": {"attachment_id": attachment_id}}}


def message_to(psid: str, message: dict[str, Any]) -> dict[str, Any]:
    return {"recipient": {"id": psid}, "messaging_type": "RESPONSE", "message": message}


@pytest.mark.parametrize("how", ["url", "file"])
def test_uploaded_id_is_usable_by_its_page_only(client: TestClient, how: str) -> None:
    if how == "url":
        response = client.post(UPLOAD, params=TOKEN, json={"message": by_url()})
    else:
        response = post_multipart(client, upload_body(for_file(), file_part(PNG)))
    attachment_id = assert_attachment_id(response)
    sent = send(client, message_to(IN_WINDOW, image_by_id(attachment_id)))
    assert sent.status_code == 200, sent.text
    assert client.get("/_emulator/messages").json()["data"][-1]["message"] == image_by_id(
        attachment_id
    )
    other = send(client, message_to(OTHER_PSID, image_by_id(attachment_id)), token="OTHER_TOKEN")
    error = assert_refused(client, other, "attachment_not_owned")
    assert error["error_subcode"] == 2018074


def test_upload_and_send_on_messages_keeps_the_file(client: TestClient) -> None:
    fields = [
        text_part("recipient", json.dumps({"id": IN_WINDOW})),
        text_part("messaging_type", "RESPONSE"),
    ]
    body = upload_body(for_file(), *fields, file_part(PNG))
    response = post_multipart(client, body, path="/v21.0/me/messages")
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["recipient_id"] == IN_WINDOW
    assert answer["message_id"].startswith("m_")
    attachment_id = answer["attachment_id"]
    meta = saved(client, attachment_id)
    assert (meta["origin"], meta["type"], meta["filename"], meta["size"]) == (
        "send",
        "image",
        "shirt.png",
        len(PNG),
    )
    assert client.get(f"/_emulator/attachments/{attachment_id}/data").content == PNG
    outbox = client.get("/_emulator/messages").json()["data"]
    assert outbox[-1]["attachment_id"] == attachment_id
    assert outbox[-1]["message"] == for_file()
    again = send(client, message_to(IN_WINDOW, image_by_id(attachment_id)))
    assert again.status_code == 200, again.text


def test_upload_and_send_without_is_reusable_saves_nothing(client: TestClient) -> None:
    message = {"attachment": {"type": "image", "payload": {}}}
    body = multipart(
        text_part("recipient", json.dumps({"id": IN_WINDOW})),
        text_part("messaging_type", "RESPONSE"),
        text_part("message", json.dumps(message)),
        file_part(PNG),
    )
    response = post_multipart(client, body, path="/v21.0/me/messages")
    assert response.status_code == 200, response.text
    assert "attachment_id" not in response.json()
    assert client.get("/_emulator/attachments").json() == {"data": []}


def test_upload_and_send_with_an_empty_file_is_refused(client: TestClient) -> None:
    body = upload_body(
        for_file(),
        text_part("recipient", json.dumps({"id": IN_WINDOW})),
        text_part("messaging_type", "RESPONSE"),
        file_part(b""),
    )
    response = post_multipart(client, body, path="/v21.0/me/messages")
    assert_refused(client, response, "upload_failure")
    assert client.get("/_emulator/messages").json() == {"data": []}


def test_journal_shows_the_file_without_its_bytes(client: TestClient) -> None:
    post_multipart(client, upload_body(for_file(), file_part(PNG)))
    entry = client.get("/_emulator/requests").json()["data"][-1]
    assert entry["path"] == UPLOAD
    assert entry["page_id"] == "110000000000001"
    assert entry["params"]["files"] == [
        {"name": "filedata", "filename": "shirt.png", "size": len(PNG)}
    ]
    assert entry["params"]["message"] == for_file()
    assert entry["params"]["access_token"] == "PAGE…"


# --- the control API --------------------------------------------------------------------------


def test_control_lists_fetches_and_reset_clears(client: TestClient) -> None:
    first = assert_attachment_id(client.post(UPLOAD, params=TOKEN, json={"message": by_url()}))
    second = assert_attachment_id(post_multipart(client, upload_body(for_file(), file_part(PNG))))
    other = assert_attachment_id(
        client.post(UPLOAD, params={"access_token": "OTHER_TOKEN"}, json={"message": by_url()})
    )
    listed = client.get("/_emulator/attachments").json()["data"]
    assert {entry["attachment_id"] for entry in listed} == {first, second, other}
    assert all("data" not in entry for entry in listed)
    mine = client.get("/_emulator/attachments", params={"page_id": "110000000000001"}).json()
    assert [entry["attachment_id"] for entry in mine["data"]] == [first, second]
    theirs = client.get("/_emulator/attachments", params={"page_id": OTHER_PAGE}).json()
    assert [entry["page_id"] for entry in theirs["data"]] == [OTHER_PAGE]
    assert saved(client, second)["has_data"] is True

    data = client.get(f"/_emulator/attachments/{second}/data")
    assert data.content == PNG
    assert data.headers["content-type"] == "image/png"
    assert data.headers["x-content-type-options"] == "nosniff"
    assert data.headers["content-disposition"] == "inline; filename*=UTF-8''shirt.png"

    for path in ("/_emulator/attachments/999", "/_emulator/attachments/999/data"):
        missing = client.get(path)
        assert missing.status_code == 404
        assert missing.json() == {"error": {"message": "no attachment '999'"}}
    url_only = client.get(f"/_emulator/attachments/{first}/data")
    assert url_only.status_code == 404
    assert url_only.json()["error"]["url"] == IMAGE_URL

    assert client.post("/_emulator/reset").status_code == 200
    assert client.get("/_emulator/attachments").json() == {"data": []}
    assert client.get(f"/_emulator/attachments/{second}").status_code == 404
    resent = send(client, message_to(IN_WINDOW, image_by_id(second)))
    assert_refused(client, resent, "attachment_not_owned")


def test_rules_report_the_attachment_limit(client: TestClient) -> None:
    assert client.get("/_emulator/rules").json()["limits"]["attachment_max_bytes"] == MB25


# --- over real HTTP ---------------------------------------------------------------------------


def test_live_multipart_upload_and_fetch(live: str) -> None:
    with httpx.Client(base_url=live, timeout=30) as http:
        response = http.post(
            UPLOAD,
            params=TOKEN,
            data={"message": json.dumps(for_file())},
            files={"filedata": ("shirt.png", PNG, "image/png")},
        )
        attachment_id = assert_attachment_id(response)
        assert saved(http, attachment_id)["filename"] == "shirt.png"
        data = http.get(f"/_emulator/attachments/{attachment_id}/data")
        assert data.content == PNG
        sent = http.post(
            "/v21.0/me/messages",
            params=TOKEN,
            json=message_to(IN_WINDOW, image_by_id(attachment_id)),
        )
        assert sent.status_code == 200, sent.text


def test_live_upload_by_url_with_fbmessenger(live: str) -> None:
    """The PyPI client's own upload call (JSON body, token in the query, "true" as a string)."""
    client = MessengerClient("PAGE_TOKEN", api_version=21.0)
    client.graph_url = f"{live}/v21.0"
    try:
        answer = client.upload_attachment(Image(url=IMAGE_URL, is_reusable=True))
    finally:
        client.session.close()
    assert set(answer) == {"attachment_id"}
    with httpx.Client(base_url=live, timeout=30) as http:
        assert saved(http, answer["attachment_id"])["url"] == IMAGE_URL


def test_live_oversized_chunked_upload_is_refused_and_the_server_keeps_serving(live: str) -> None:
    with httpx.Client(base_url=live, timeout=60) as http:
        response = http.post(
            UPLOAD, params=TOKEN, content=streamed_upload(MB25 + 5 * 1024 * 1024), headers=MP
        )
        assert response.request.headers.get("transfer-encoding") == "chunked"
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert (error["code"], error["error_subcode"]) == (100, 2018109)
        assert error["message"] == "(#100) Attachment size exceeds allowable limit"
        assert http.get("/_emulator/attachments").json() == {"data": []}
        again = http.post(UPLOAD, params=TOKEN, json={"message": by_url()})
        assert_attachment_id(again)


def test_filedata_part_without_a_filename_is_the_file(client: TestClient) -> None:
    """Some clients (requests with (None, data, type)) send the file part without a filename."""
    boundary = "b0undary"
    message = '{"attachment":{"type":"image","payload":{"is_reusable":true}}}'
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="message"\r\n\r\n{message}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="filedata"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + b"\x89PNG\r\n\x1a\n\xff\xfe"
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = client.post(
        "/v21.0/me/message_attachments",
        params={"access_token": "PAGE_TOKEN"},
        content=body,
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 200, response.text
    saved = client.get(f"/_emulator/attachments/{response.json()['attachment_id']}").json()
    assert saved["size"] == 10


# (attachment type, the upload's Content-Type, served inline): the bytes are anyone's, the
# origin is the UI's; what a browser would render as a page is downloaded, and runs nothing
SERVED = [
    ("image", "image/png", True),
    ("image", "IMAGE/PNG; x=y", True),
    ("image", "image/svg+xml", True),  # a script in it stays inert: sandboxed
    ("audio", "audio/mpeg", True),
    ("video", "video/mp4", True),
    ("file", "text/html", False),
    ("file", "text/html; charset=utf-8", False),
    ("file", "application/xhtml+xml", False),
    ("file", "application/pdf", False),
    ("file", "text/plain", False),
    ("file", "image", False),  # not a media type
    ("file", "imagex/png", False),
]


@pytest.mark.parametrize(("kind", "content_type", "inline"), SERVED)
def test_uploaded_bytes_are_served_sandboxed(
    client: TestClient, kind: str, content_type: str, inline: bool
) -> None:
    page = b"<!doctype html><script>parent.fetch('/_emulator/reset', {method: 'POST'})</script>"
    body = upload_body(for_file(kind), file_part(page, filename="x.html", ctype=content_type))
    attachment_id = assert_attachment_id(post_multipart(client, body))
    data = client.get(f"/_emulator/attachments/{attachment_id}/data")
    assert data.status_code == 200
    assert data.content == page
    assert data.headers["content-type"] == content_type
    assert data.headers["content-security-policy"] == "sandbox"
    assert data.headers["x-content-type-options"] == "nosniff"
    how = "inline" if inline else "attachment"
    assert data.headers["content-disposition"] == f"{how}; filename*=UTF-8''x.html"
