"""Collect a Graph call's parameters from query, form, multipart and JSON into one mapping.

Graph merges the query string and the body; object-valued parameters given as strings are
JSON (the seeds' own examples use a single-quoted form, `{'id':'PSID'}`, which Graph takes
too); PHP-style bracket keys (`recipient[id]=1`) assemble into objects; a JSON `null` means
"not set". A body in any other Content-Type is not read, as Graph does not read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from emulator.rules import limits
from emulator.wire import catalog, jsontext
from emulator.wire.multipart import FilePart, MultipartForm, parse_multipart

# Parameters whose value is an object; given as a string they are decoded.
OBJECT_PARAMS = frozenset({"recipient", "message", "payload", "reply_to"})
TOKEN_PARAM = "access_token"


@dataclass(slots=True)
class GraphParams:
    """What a Graph call carried: its parameters, its token, any uploaded files, and notes on
    what Graph could not read (an undecodable body is ignored, as Graph ignores it)."""

    values: dict[str, object]
    token: str | None
    files: list[FilePart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def collect(
    query: bytes,
    content_type: str,
    body: bytes,
    authorization: str | None,
    form: MultipartForm | None = None,
) -> GraphParams:
    """Merge query and body parameters (the body wins, but a JSON null in it means "not set")
    and find the access token: body, then query, then the Authorization header.

    A multipart body may come already parsed (`form`, read as it arrived); else `body` is
    parsed here."""
    notes: list[str] = []
    files: list[FilePart] = []
    try:
        from_query = _assemble(_parse_pairs(query))
    except ValueError:
        from_query = {}
        notes.append("query string is not UTF-8: ignored")
    from_body: dict[str, object] = {}
    media_type = content_type.split(";", 1)[0].strip().lower()
    if body or form is not None:
        try:
            if media_type == "application/json":
                from_body = _parse_json_object(body)
            elif media_type == "application/x-www-form-urlencoded":
                from_body = _assemble(_parse_pairs(body))
            elif media_type == "multipart/form-data":
                if form is None:
                    form = parse_multipart(content_type, body)
                if form.error is not None:
                    raise ValueError(form.error)
                from_body = _assemble(list(form.fields.items()))
                files = form.files
            else:
                notes.append(f"body in Content-Type {media_type or '(none)'!r}: not read")
        except ValueError as exc:
            notes.append(f"body ignored: {exc}")
    token = None
    values: dict[str, object] = {}
    for source in (from_query, from_body):
        for name in OBJECT_PARAMS.intersection(source):
            source[name] = decode_object(source[name])
        if _has_nulls(source):  # the copy is only made when there is something to drop
            source = _strip_nulls(source)
        candidate = source.pop(TOKEN_PARAM, None)
        if isinstance(candidate, str) and candidate:
            token = candidate
        values.update(source)
    return GraphParams(values, token or _bearer(authorization), files, notes)


def decode_object(value: object) -> object:
    """An object-valued parameter given as a string: JSON, or the seeds' single-quoted form.

    A string that is neither stays a string; the rules then treat it as Graph does.
    """
    if not isinstance(value, str) or not value.strip():
        return value
    text = value.strip()
    try:
        return _loads(text)
    except ValueError:
        pass
    try:
        return _loads(_single_quoted_to_json(text))
    except ValueError:
        return value


def _loads(text: str) -> object:
    """Decode an object parameter; absurd nesting is refused rather than ignored."""
    try:
        return jsontext.loads(text)
    except ValueError as exc:
        if "nested" in str(exc):
            raise catalog.MALFORMED_BODY() from None
        raise


def _parse_json_object(body: bytes) -> dict[str, object]:
    try:
        document = jsontext.loads(body)
    except UnicodeDecodeError:
        raise ValueError("JSON body is not UTF-8") from None
    except ValueError as exc:
        raise ValueError(f"malformed JSON ({exc})") from None
    if not isinstance(document, dict):
        raise ValueError(f"JSON body is a {type(document).__name__}, not an object")
    return document


def _parse_pairs(raw: bytes) -> list[tuple[str, str]]:
    try:
        return parse_qsl(
            raw.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict"
        )
    except UnicodeDecodeError:
        raise ValueError("form data is not UTF-8") from None


def _assemble(pairs: list[tuple[str, str]]) -> dict[str, object]:
    """Flat pairs into parameters; `a[b][0]=x` builds {"a": {"b": ["x"]}} as PHP clients send."""
    values: dict[str, object] = {}
    for key, value in pairs:
        if "[" not in key or not key.endswith("]"):
            values[key] = value
            continue
        head, _, rest = key.partition("[")
        path = [head, *rest[:-1].split("][")]
        if len(path) > limits.MAX_NESTING:
            raise catalog.MALFORMED_BODY(path=key)
        node = values
        for step in path[:-1]:
            child = node.get(step)
            if not isinstance(child, dict):
                child = {}
                node[step] = child
            node = child
        node[path[-1]] = value
    return {key: _listify(value) for key, value in values.items()}


def _listify(value: object) -> object:
    """Dicts keyed 0..n-1 (from `x[0]=…&x[1]=…`) are lists."""
    if not isinstance(value, dict):
        return value
    items = {key: _listify(child) for key, child in value.items()}
    if items and all(key.isascii() and key.isdigit() and len(key) < 10 for key in items):
        indexes = sorted(int(key) for key in items)
        if indexes == list(range(len(indexes))):
            return [items[str(index)] for index in indexes]
    return items


def _has_nulls(values: dict[str, object]) -> bool:
    """Whether any JSON null is present; refuses nesting deeper than MAX_NESTING (so nothing
    downstream, from the journal to webhooks, meets a structure it cannot walk)."""
    found = False
    stack: list[tuple[dict[str, object] | list[object], int]] = [(values, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > limits.MAX_NESTING:
            raise catalog.MALFORMED_BODY()
        for child in node.values() if isinstance(node, dict) else node:
            if child is None:
                found = True
            elif isinstance(child, dict | list):
                stack.append((child, depth + 1))
    return found


def _strip_nulls(value: dict[str, object]) -> dict[str, object]:
    """Drop keys whose value is JSON null: Graph treats them as unset. Depth is already bounded."""
    return {key: _strip(child) for key, child in value.items() if child is not None}


def _strip(value: object) -> object:
    if isinstance(value, dict):
        return _strip_nulls(value)
    if isinstance(value, list):
        return [_strip(item) for item in value]
    return value


def _bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, credentials = authorization.strip().partition(" ")
    if scheme.lower() in ("bearer", "oauth") and credentials.strip():
        return credentials.strip()
    return None


def _single_quoted_to_json(text: str) -> str:
    """Rewrite single-quoted strings as JSON strings: `{'id':'1'}` -> `{"id":"1"}`."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif char == "'":
            j = i + 1
            buf: list[str] = []
            while j < n and text[j] != "'":
                if text[j] == "\\" and j + 1 < n:
                    buf.append("'" if text[j + 1] == "'" else text[j : j + 2])
                    j += 2
                    continue
                buf.append('\\"' if text[j] == '"' else text[j])
                j += 1
            if j >= n:
                raise ValueError("unterminated string")
            out.append('"' + "".join(buf) + '"')
            i = j + 1
        else:
            out.append(char)
            i += 1
    return "".join(out)
