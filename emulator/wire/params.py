"""Collect a Graph call's parameters from query, form, multipart and JSON into one mapping.

Graph merges the query string and the body; object-valued parameters given as strings are
JSON (the seeds' own examples use a single-quoted form, `{'id':'PSID'}`, which Graph takes
too); PHP-style bracket keys (`recipient[id]=1`) assemble into objects; a JSON `null` means
"not set". A body in any other Content-Type is not read, as Graph does not read it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from emulator.rules import limits
from emulator.wire import catalog, jsontext
from emulator.wire.multipart import FilePart, MultipartForm, parse_multipart

# Parameters whose value is an object; given as a string they are decoded.
OBJECT_PARAMS = ("recipient", "message", "payload", "reply_to")
TOKEN_PARAM = "access_token"


@dataclass(slots=True)
class GraphParams:
    """What a Graph call carried: its parameters, its token, any uploaded files, and notes on
    what Graph could not read (an undecodable body is ignored, as Graph ignores it)."""

    values: dict[str, object]
    token: str | None
    files: list[FilePart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    size: int = 0  # bytes of text parameters (query and body, not files)


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
    from_query: dict[str, object] = {}
    if query:
        try:
            from_query = _assemble(_parse_pairs(query, "query"))
        except ValueError:
            notes.append("query string is not UTF-8: ignored")
    from_body: dict[str, object] = {}
    body_nulls = False  # JSON nulls in a JSON body (other bodies carry only strings)
    if body or form is not None:
        media_type = _media_type(content_type)
        try:
            if media_type == "application/json":
                from_body, body_nulls = _parse_json_object(body)
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
    values: dict[str, object] | None = None
    for source, nulls in ((from_query, False), (from_body, body_nulls)):
        if not source:
            continue
        for name in OBJECT_PARAMS:
            value = source.get(name)
            if type(value) is str:
                source[name], decoded_nulls = _decode_object(value)
                nulls = nulls or decoded_nulls
        if nulls:  # the copy is only made when there is something to drop
            source = _strip_nulls(source)
        candidate = source.pop(TOKEN_PARAM, None)
        if isinstance(candidate, str) and candidate:
            token = candidate
        if not values:
            values = source  # ours: the query's or the body's own mapping, not copied
        else:
            values.update(source)
    size = len(query) + (len(body) if form is None else sum(map(len, form.fields.values())))
    return GraphParams(
        {} if values is None else values, token or _bearer(authorization), files, notes, size
    )


# Content-Type header -> media type: clients send the same few, so each is split once.
_MEDIA_TYPES: dict[str, str] = {}


def _media_type(content_type: str) -> str:
    media_type = _MEDIA_TYPES.get(content_type)
    if media_type is None:
        media_type = content_type.split(";", 1)[0].strip().lower()
        if len(_MEDIA_TYPES) < 64:
            _MEDIA_TYPES[content_type] = media_type
    return media_type


def decode_object(value: object) -> object:
    """An object-valued parameter given as a string: JSON, or the seeds' single-quoted form.

    A string that is neither stays a string; the rules then treat it as Graph does.
    """
    if not isinstance(value, str):
        return value
    return _decode_object(value)[0]


def _decode_object(value: str) -> tuple[object, bool]:
    """decode_object for a string, and whether what it decoded holds JSON nulls. It sits one
    level below the parameters, so it may nest one level less."""
    text = value.strip()
    if not text:
        return value, False
    try:
        return _loads(text)
    except ValueError:
        pass
    if len(text) > limits.SINGLE_QUOTED_MAX:  # the seeds' form is for short hand-written calls
        return value, False
    try:
        return _loads(_single_quoted_to_json(text))
    except ValueError:
        return value, False


def _loads(text: str) -> tuple[object, bool]:
    """Decode an object parameter; absurd nesting is refused rather than ignored."""
    try:
        return jsontext.loads_checked(text, limits.MAX_NESTING - 1)
    except ValueError as exc:  # TooDeepError, or deeper than the decoder goes
        if "nested" in str(exc):
            raise catalog.MALFORMED_BODY() from None
        raise


def _parse_json_object(body: bytes) -> tuple[dict[str, object], bool]:
    """The JSON body's object, and whether it holds JSON nulls."""
    try:
        document, nulls = jsontext.loads_checked(body, limits.MAX_NESTING)
    except jsontext.TooDeepError as exc:
        if exc.root is not dict:  # not an object, however deep: ignored as any other
            raise ValueError(f"JSON body is a {exc.root.__name__}, not an object") from None
        raise catalog.MALFORMED_BODY() from None
    except UnicodeDecodeError:
        raise ValueError("JSON body is not UTF-8") from None
    except ValueError as exc:
        raise ValueError(f"malformed JSON ({exc})") from None
    if not isinstance(document, dict):
        raise ValueError(f"JSON body is a {type(document).__name__}, not an object")
    return document, nulls


def _parse_pairs(raw: bytes, where: str = "body") -> list[tuple[str, str]]:
    """`a=1&b=2` as pairs, as parse_qsl reads them; at most MAX_PARAMS of them, counted
    before anything is decoded."""
    if b"&" not in raw and b"%" not in raw and b"+" not in raw:  # one plain pair (a token)
        try:
            name, _, value = raw.decode("utf-8").partition("=")
        except UnicodeDecodeError:
            raise ValueError("form data is not UTF-8") from None
        return [(name, value)] if raw else []
    if raw.count(b"&") >= limits.MAX_PARAMS:
        raise catalog.TOO_MANY_PARAMS(path=where, limit=limits.MAX_PARAMS)
    try:
        text = raw.decode("utf-8")
        if "%" in text or "+" in text:
            return parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise ValueError("form data is not UTF-8") from None
    # nothing escaped (the usual `access_token=...`): split as parse_qsl would
    return [(name, value) for name, _, value in (p.partition("=") for p in text.split("&") if p)]


def _assemble(pairs: list[tuple[str, str]]) -> dict[str, object]:
    """Flat pairs into parameters; `a[b][0]=x` builds {"a": {"b": ["x"]}} as PHP clients send."""
    values: dict[str, object] = {}
    nested = False
    for key, value in pairs:
        if "[" not in key or not key.endswith("]"):
            values[key] = value
            continue
        nested = True
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
    if not nested:  # flat strings: nothing to turn into lists
        return values
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


# A double-quoted JSON string (to the end of the text if unterminated) or a single-quoted
# one; possessive repeats, so a text full of quotes or escapes is read in one linear pass.
_QUOTED = re.compile(r""""(?:[^"\\]++|\\[\s\S])*+(?:"|\\?\Z)|'((?:[^'\\]++|\\[\s\S])*+)'""")


def _single_quoted_to_json(text: str) -> str:
    """Rewrite single-quoted strings as JSON strings: `{'id':'1'}` -> `{"id":"1"}`. Inside
    one, `\\'` is a quote and a bare `"` is escaped; other escapes are kept as written."""
    if "'" not in text:
        return text
    return _QUOTED.sub(_as_json_string, text)


def _as_json_string(match: re.Match[str]) -> str:
    inner = match.group(1)
    if inner is None:  # a double-quoted string: as it is
        return match.group(0)
    if "\\" not in inner and '"' not in inner:
        return '"' + inner + '"'
    # Escapes come in pairs, read left to right: splitting at each escaped backslash first leaves
    # pieces where every backslash escapes the character after it.
    pieces = []
    for piece in inner.split("\\\\"):
        parts = [part.replace('"', '\\"').replace("\\'", "'") for part in piece.split('\\"')]
        pieces.append('\\"'.join(parts))
    return '"' + "\\\\".join(pieces) + '"'
