"""multipart/form-data decoding, strict about UTF-8 in field values (Starlette's parser is not)."""

from __future__ import annotations

from dataclasses import dataclass, field

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header


class MultipartError(ValueError):
    """The body is not well-formed multipart/form-data with UTF-8 text fields."""


@dataclass(slots=True)
class FilePart:
    """An uploaded file part (e.g. `filedata`), kept whole: the body size is already bounded."""

    name: str
    filename: str
    content_type: str
    data: bytes


@dataclass(slots=True)
class _Part:
    headers: dict[str, str] = field(default_factory=dict)
    data: bytearray = field(default_factory=bytearray)


def parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, str], list[FilePart]]:
    """Split a multipart body into text fields (UTF-8, strict) and file parts."""
    _, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary:
        raise MultipartError("multipart body without a boundary")
    parts: list[_Part] = []
    header_field = bytearray()
    header_value = bytearray()

    def on_part_begin() -> None:
        parts.append(_Part())

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_field.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        name = header_field.decode("latin-1").strip().lower()
        parts[-1].headers[name] = header_value.decode("latin-1").strip()
        header_field.clear()
        header_value.clear()

    def on_part_data(data: bytes, start: int, end: int) -> None:
        parts[-1].data.extend(data[start:end])

    try:
        parser = MultipartParser(
            boundary,
            {
                "on_part_begin": on_part_begin,
                "on_header_field": on_header_field,
                "on_header_value": on_header_value,
                "on_header_end": on_header_end,
                "on_part_data": on_part_data,
            },
        )
        parser.write(body)
        parser.finalize()
    except FormParserError as exc:
        raise MultipartError(f"malformed multipart body: {exc}") from None

    fields: dict[str, str] = {}
    files: list[FilePart] = []
    for part in parts:
        _, disposition = parse_options_header(part.headers.get("content-disposition", ""))
        raw_name = disposition.get(b"name")
        if raw_name is None:
            continue
        try:
            name = raw_name.decode("utf-8")
            if b"filename" in disposition:
                files.append(
                    FilePart(
                        name,
                        disposition[b"filename"].decode("utf-8"),
                        part.headers.get("content-type", ""),
                        bytes(part.data),
                    )
                )
            else:
                fields[name] = part.data.decode("utf-8")
        except UnicodeDecodeError:
            raise MultipartError(f"part {raw_name!r} is not UTF-8") from None
    return fields, files
