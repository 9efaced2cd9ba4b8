"""multipart/form-data decoded as it arrives, strict about UTF-8 in field values.

The body is parsed chunk by chunk (python_multipart's `MultipartParser`): text fields are kept
in memory (at most `limits.MULTIPART_FIELDS_MAX_BYTES` together), file parts are spooled (to
disk beyond `limits.MULTIPART_SPOOL_BYTES`) and counted, so an upload over the attachment limit
is refused as soon as it passes it, without reading the rest of the body. So is a body of more
than `limits.MULTIPART_MAX_PARTS` parts (tens of thousands of tiny parts held the event loop for
a third of a second). A body that is not well-formed multipart with UTF-8 text fields is
ignored, as Graph ignores a body it cannot read.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from emulator.rules import limits
from emulator.wire import catalog


class MultipartError(ValueError):
    """The body is not well-formed multipart/form-data with UTF-8 text fields."""


@dataclass(slots=True)
class FilePart:
    """An uploaded file part (e.g. `filedata`), read whole once it is known to fit the limit."""

    name: str
    filename: str
    content_type: str
    data: bytes = field(repr=False)  # up to 25 MB: kept out of reprs and assertion messages


@dataclass(slots=True)
class MultipartForm:
    """A multipart body as read: its text fields and file parts, or why it cannot be read
    (`error`; then both are empty)."""

    fields: dict[str, str] = field(default_factory=dict)
    files: list[FilePart] = field(default_factory=list)
    error: str | None = None


class MultipartReader:
    """Feed a multipart body chunk by chunk, then `finish()` (or `close()` to give up).

    `feed` raises `catalog.ATTACHMENT_TOO_LARGE` as soon as a file part passes `file_limit`,
    `catalog.BODY_TOO_LARGE` as soon as the text fields together pass `fields_limit` and
    `catalog.TOO_MANY_PARAMS` as soon as there are more than `parts_limit` parts; anything
    malformed is remembered as `error` and the rest of the body is not parsed.
    """

    def __init__(
        self,
        content_type: str,
        *,
        fields_limit: int = limits.MULTIPART_FIELDS_MAX_BYTES,
        file_limit: int = limits.ATTACHMENT_MAX_BYTES,
        spool_bytes: int = limits.MULTIPART_SPOOL_BYTES,
        parts_limit: int = limits.MULTIPART_MAX_PARTS,
    ) -> None:
        self.fields_limit = fields_limit
        self.parts_limit = parts_limit
        self._parts = 0
        self.file_limit = file_limit
        self.spool_bytes = spool_bytes
        self.error: str | None = None
        self._fields: dict[str, str] = {}
        self._files: list[FilePart] = []
        self._fields_size = 0
        self._ended = False
        # the part being read
        self._headers: dict[bytes, bytes] = {}
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._name = ""
        self._filename: str | None = None
        self._skip = False
        self._text = bytearray()
        self._spool: tempfile.SpooledTemporaryFile[bytes] | None = None
        self._file_size = 0
        self._parser: MultipartParser | None = None
        _, options = parse_options_header(content_type)
        boundary = options.get(b"boundary")
        if not boundary:
            self.error = "multipart body without a boundary"
            return
        try:
            self._parser = MultipartParser(
                boundary,
                {
                    "on_part_begin": self._on_part_begin,
                    "on_header_field": self._on_header_field,
                    "on_header_value": self._on_header_value,
                    "on_header_end": self._on_header_end,
                    "on_headers_finished": self._on_headers_finished,
                    "on_part_data": self._on_part_data,
                    "on_part_end": self._on_part_end,
                    "on_end": self._on_end,
                },
            )
        except FormParserError as exc:
            self.error = f"malformed multipart body: {exc}"

    # --- feeding ---------------------------------------------------------------------------

    def feed(self, chunk: bytes) -> None:
        """Parse the next chunk of the body (nothing happens once the body is known bad)."""
        if self._parser is None:
            return
        try:
            self._parser.write(chunk)
        except FormParserError as exc:
            self._fail(f"malformed multipart body: {exc}")
        except MultipartError as exc:
            self._fail(str(exc))
        except BaseException:
            self.close()
            raise

    def finish(self) -> MultipartForm:
        """The fields and files, once the whole body was fed."""
        if self._parser is not None and not self._ended:
            self._fail("multipart body ends before its closing boundary")
        self.close()
        if self.error is not None:
            return MultipartForm(error=self.error)
        return MultipartForm(self._fields, self._files)

    def close(self) -> None:
        """Drop the part being read (and its spooled bytes)."""
        self._parser = None
        if self._spool is not None:
            self._spool.close()
            self._spool = None

    def _fail(self, reason: str) -> None:
        self.error = reason
        self._fields = {}
        self._files = []
        self.close()

    # --- parser callbacks -------------------------------------------------------------------

    def _on_part_begin(self) -> None:
        self._parts += 1  # every part costs parsing, even one skipped for having no name
        if self._parts > self.parts_limit:
            raise catalog.TOO_MANY_PARAMS(path="body", limit=self.parts_limit)
        self._headers = {}
        self._name = ""
        self._filename = None
        self._skip = False
        self._text = bytearray()
        self._file_size = 0

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        name = bytes(self._header_field).strip().lower()
        self._headers[name] = bytes(self._header_value).strip()
        self._header_field.clear()
        self._header_value.clear()

    def _on_headers_finished(self) -> None:
        _, disposition = parse_options_header(self._headers.get(b"content-disposition", b""))
        raw_name = disposition.get(b"name")
        if raw_name is None:
            self._skip = True  # not a form field: Graph has no name to file it under
            return
        try:
            self._name = raw_name.decode("utf-8")
            if b"filename" in disposition:
                self._filename = disposition[b"filename"].decode("utf-8")
            elif self._name == limits.UPLOAD_FILE_PART:
                self._filename = ""  # clients may send the file part without a filename
        except UnicodeDecodeError:
            raise MultipartError(f"part {raw_name!r} is not UTF-8") from None
        if self._filename is not None:
            # lives across callbacks; closed at the part's end or by close()
            self._spool = tempfile.SpooledTemporaryFile(max_size=self.spool_bytes)  # noqa: SIM115

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._skip:
            return
        size = end - start
        if self._spool is not None:
            self._file_size += size
            if self._file_size > self.file_limit:
                raise catalog.ATTACHMENT_TOO_LARGE(path=self._name)
            self._spool.write(memoryview(data)[start:end])
        else:
            self._fields_size += size
            if self._fields_size > self.fields_limit:
                raise catalog.BODY_TOO_LARGE(path="body", limit=self.fields_limit)
            self._text += memoryview(data)[start:end]

    def _on_part_end(self) -> None:
        if self._skip:
            return
        if self._spool is not None and self._filename is not None:
            self._spool.seek(0)
            data = self._spool.read()
            self._spool.close()
            self._spool = None
            content_type = self._headers.get(b"content-type", b"").decode("latin-1")
            self._files.append(FilePart(self._name, self._filename, content_type, data))
            return
        try:
            self._fields[self._name] = self._text.decode("utf-8")
        except UnicodeDecodeError:
            raise MultipartError(f"part {self._name!r} is not UTF-8") from None
        self._text = bytearray()

    def _on_end(self) -> None:
        self._ended = True


def parse_multipart(content_type: str, body: bytes) -> MultipartForm:
    """A multipart body already in memory."""
    if not body:
        return MultipartForm()
    reader = MultipartReader(content_type)
    reader.feed(body)
    return reader.finish()


async def read_multipart(
    stream: AsyncIterator[bytes],
    content_type: str,
    declared: str,
    *,
    body_limit: int = limits.MAX_MULTIPART_BYTES,
    fields_limit: int = limits.MULTIPART_FIELDS_MAX_BYTES,
    file_limit: int = limits.ATTACHMENT_MAX_BYTES,
) -> MultipartForm:
    """Read and parse a multipart body as its chunks arrive.

    Stops reading, and raises, as soon as the body passes `body_limit` (or declares a larger
    Content-Length): `catalog.BODY_TOO_LARGE`; as soon as a file part passes `file_limit`:
    `catalog.ATTACHMENT_TOO_LARGE`; as soon as it has more than `limits.MULTIPART_MAX_PARTS`
    parts: `catalog.TOO_MANY_PARAMS`. An empty body has no fields and no error.
    """
    if declared.isascii() and declared.isdigit() and int(declared) > body_limit:
        raise catalog.BODY_TOO_LARGE(path="body", limit=body_limit)
    reader = MultipartReader(content_type, fields_limit=fields_limit, file_limit=file_limit)
    size = 0
    try:
        async for chunk in stream:
            size += len(chunk)
            if size > body_limit:
                raise catalog.BODY_TOO_LARGE(path="body", limit=body_limit)
            reader.feed(chunk)
    except BaseException:
        reader.close()
        raise
    if size == 0:
        reader.close()
        return MultipartForm()
    return reader.finish()
