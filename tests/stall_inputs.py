"""The worst input of each surface, at most 1 MB each (issue 10: no request can stall the server).

One table for tests/test_no_stall.py (status, error format, nothing changed, a health probe
answered meanwhile) and bench/stalls.py (how long the answer and the probes took). Bodies are
built when first asked for and kept: several are a megabyte.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

MAX_INPUT = 1_000_000  # every body here stays at or below this
# uvicorn's HTTP parser (httptools) takes a request target of at most 64 KiB (beyond, it answers
# 400 itself, in plain text, before the app sees anything): queries stay below that
MAX_QUERY = 60_000

PAGE = "110000000000001"
PSID = "2000000000000001"
NAMESPACE = "stall-ns"
SCENARIO = "/_emulator/scenario"
NAMESPACE_PUT = f"/_emulator/namespaces/{NAMESPACE}"
PERSON = f"/_emulator/pages/{PAGE}/users/{PSID}/messages"
FAULTS = "/_emulator/faults"
WEBHOOKS = "/_emulator/webhooks"
CLOCK = "/_emulator/clock"
MESSAGES = "/_emulator/messages"
CONVERSATIONS = "/_emulator/conversations"
SEND = "/v21.0/me/messages"
UPLOAD = "/v21.0/me/message_attachments"
TOKEN = "access_token=PAGE_TOKEN"
YAML = "application/yaml"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
BOUNDARY = "stallboundary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
TINY_PARTS = "multipart/form-data; boundary=b"

Surface = Literal["control", "graph"]


@dataclass(frozen=True)
class Worst:
    """One request: where it goes, what it carries, and the status it must be answered with."""

    id: str
    method: str
    path: str
    content_type: str | None
    make_body: Callable[[], bytes]
    status: int = 400
    make_query: Callable[[], str] | None = None  # a query string too large to write inline
    xfail: str | None = None  # a known failure (strict xfail in test_no_stall.py): whose fix

    @property
    def surface(self) -> Surface:
        return "control" if self.path.startswith("/_emulator/") else "graph"

    def body(self) -> bytes:
        return _cached(self.make_body)

    def target(self) -> str:
        """The request target: path and query string."""
        query = _cached_query(self.make_query) if self.make_query else ""
        if self.surface == "graph":
            query = f"{TOKEN}&{query}" if query else TOKEN
        return f"{self.path}?{query}" if query else self.path

    def headers(self) -> dict[str, str]:
        return {"content-type": self.content_type} if self.content_type else {}


@functools.cache
def _cached(make: Callable[[], bytes]) -> bytes:
    body = make()
    assert len(body) <= MAX_INPUT, (make, len(body))
    return body


@functools.cache
def _cached_query(make: Callable[[], str]) -> str:
    query = make()
    assert len(query) <= MAX_QUERY, (make, len(query))
    return query


def fill(unit: str, around: tuple[str, str] = ("", ""), limit: int = MAX_INPUT) -> bytes:
    """`unit` repeated between a head and a tail, as many times as fit in `limit` bytes."""
    head, tail = around
    count = (limit - len(head) - len(tail)) // len(unit)
    return (head + unit * count + tail).encode()


def nest(opening: str, closing: str, middle: str = "", around: tuple[str, str] = ("", "")) -> bytes:
    """`opening` n times, `middle`, `closing` n times: as deep as fits in MAX_INPUT bytes."""
    head, tail = around
    depth = (MAX_INPUT - len(middle) - len(head) - len(tail)) // (len(opening) + len(closing))
    return (head + opening * depth + middle + closing * depth + tail).encode()


# --- YAML scenarios ----------------------------------------------------------------------------


def yaml_deep_flow_seq() -> bytes:
    return nest("[", "]")


def yaml_deep_flow_seq_40k() -> bytes:
    return b"[" * 20_000 + b"]" * 20_000  # the 40 KB body (44 s before the fix)


def yaml_deep_flow_map() -> bytes:
    return nest("{a: ", "}", "1")


def yaml_deep_block_seq() -> bytes:
    return fill("- ", ("", "x\n"))


def yaml_deep_block_map() -> bytes:
    lines, depth, size = [], 0, 0
    while size + 2 * depth + 3 <= MAX_INPUT:
        line = "  " * depth + "a:\n"
        lines.append(line)
        size += len(line)
        depth += 1
    return "".join(lines).encode()


def yaml_alias_bomb() -> bytes:
    """Billion laughs: nine levels of ten aliases, 90 aliases in all, 10^9 strings expanded."""
    lines = ["version: 1", "laughs:", "  a: &a [" + ", ".join(["lol"] * 10) + "]"]
    for level in range(1, 9):
        name, previous = chr(ord("a") + level), chr(ord("a") + level - 1)
        lines.append(f"  {name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    lines.append("name: *i")
    return ("\n".join(lines) + "\n").encode()


def yaml_base60_int() -> bytes:
    return fill(":59", ("version: 1", "\n"))  # YAML 1.1 sexagesimal: quadratic to build


def yaml_million_digit_int() -> bytes:
    return fill("1", ("version: ", "\n"))


def yaml_million_digit_float() -> bytes:
    return fill("1", ("version: 0.", "\n"))


def yaml_block_keys() -> bytes:
    lines = [f"k{index}: 1\n" for index in range(MAX_INPUT // 8)]
    return _fit("version: 1\n", lines)


def yaml_flow_keys() -> bytes:
    return _fit("{version: 1", [f", k{index}: 1" for index in range(MAX_INPUT // 8)], "}")


def yaml_long_sequence() -> bytes:
    return fill("1,", ("version: 1\nproducts: [", "1]\n"))


def _fit(head: str, items: list[str], tail: str = "") -> bytes:
    size, kept = len(head) + len(tail), []
    for item in items:
        if size + len(item) > MAX_INPUT:
            break
        kept.append(item)
        size += len(item)
    return (head + "".join(kept) + tail).encode()


# --- JSON bodies (scenarios and the other control calls) ---------------------------------------


def json_deep_array() -> bytes:
    return nest("[", "]")


def json_deep_in_object() -> bytes:
    return nest("[", "]", around=('{"text": ', "}"))


def json_deep_valid(key: str) -> Callable[[], bytes]:
    """A value nested 900 levels: under Python's recursion limit, so json.loads takes it."""

    def make() -> bytes:
        return f'{{"{key}": {"[" * 900}1{"]" * 900}}}'.encode()

    make.__name__ = f"json_deep_valid_{key}"
    return make


def json_keys() -> bytes:
    return _fit('{"version": 1', [f', "k{index}": 1' for index in range(MAX_INPUT // 8)], "}")


def json_million_digit(key: str) -> Callable[[], bytes]:
    def make() -> bytes:
        return fill("1", (f'{{"{key}": ', "}"))

    make.__name__ = f"json_million_digit_{key}"
    return make


def json_long_string(key: str) -> Callable[[], bytes]:
    def make() -> bytes:
        return fill("\\u00e9", (f'{{"{key}": "', '"}'))

    make.__name__ = f"json_long_string_{key}"
    return make


# --- the Graph surface -------------------------------------------------------------------------

SEND_FIELDS = {
    "recipient": '{"id":"2000000000000001"}',
    "messaging_type": "RESPONSE",
    "message": '{"text":"hi"}',
}


def part(name: str, value: str) -> str:
    return f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'


def multipart_parts(fields: dict[str, str]) -> Callable[[], bytes]:
    """The given fields, then as many tiny parts as fit in 1 MB (about 16,000)."""

    def make() -> bytes:
        head = "".join(part(name, value) for name, value in fields.items())
        tail = f"--{BOUNDARY}--\r\n"
        count = (MAX_INPUT - len(head) - len(tail)) // len(part("x00000", ""))
        tiny = "".join(part(f"x{index:05}", "") for index in range(count))
        return (head + tiny + tail).encode()

    make.__name__ = f"multipart_parts_{len(fields)}"
    return make


def multipart_short_parts() -> bytes:
    """Named parts as short as multipart allows (boundary `b`, a one-letter name, no value):
    about 20,000 in 1 MB."""
    unit = '--b\r\nContent-Disposition: form-data; name="x"\r\n\r\n\r\n'
    return fill(unit, ("", "--b--\r\n"))


def multipart_bare_parts() -> bytes:
    """Parts with no headers at all (skipped: no name): about 110,000 in 1 MB."""
    return fill("--b\r\n\r\n\r\n", ("", "--b--\r\n"))


def multipart_long_header() -> bytes:
    head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="recipient"\r\nX-Long: '
    tail = f'\r\n\r\n{{"id":"{PSID}"}}\r\n--{BOUNDARY}--\r\n'
    return fill("a", (head, tail))


def form_short_params() -> bytes:
    return fill("a=1&")


def query_short_params() -> str:
    return fill("a&", limit=MAX_QUERY).decode()


def form_deep_json_field() -> bytes:
    return nest("[", "]", around=("recipient={}&message=", ""))


def form_deep_valid_json_field() -> bytes:
    return f"recipient={{}}&message={'[' * 900}1{']' * 900}".encode()


def query_deep_json_field() -> str:
    depth = (MAX_QUERY - len("recipient=%7B%7D&message=")) // 6
    return "recipient=%7B%7D&message=" + "%5B" * depth + "%5D" * depth


def form_single_quote_escapes() -> bytes:
    return fill("\\'", ("recipient={}&message={'a':'", "'}"))


def form_bracket_keys() -> bytes:
    return _fit("recipient[id]=1", [f"&message[k{index}]=1" for index in range(MAX_INPUT // 8)])


def json_body_keys() -> bytes:
    keys = [f', "k{index}": 1' for index in range(MAX_INPUT // 8)]
    return _fit('{"recipient": {"id": "1"}', keys, "}")


def json_body_truncated() -> bytes:
    """The same without its closing brace: malformed only at the very end."""
    return json_body_keys()[:-1]


# --- the table ---------------------------------------------------------------------------------


def empty() -> bytes:
    return b""


def _scenario_rows(path: str, prefix: str) -> list[Worst]:
    def row(name: str, make: Callable[[], bytes], content_type: str = YAML) -> Worst:
        return Worst(f"{prefix}-{name}", "PUT", path, content_type, make)

    return [
        row("yaml-deep-flow-seq-40k", yaml_deep_flow_seq_40k),
        row("yaml-deep-flow-seq", yaml_deep_flow_seq),
        row("yaml-deep-flow-map", yaml_deep_flow_map),
        row("yaml-deep-block-seq", yaml_deep_block_seq),
        row("yaml-deep-block-map", yaml_deep_block_map),
        row("yaml-alias-bomb", yaml_alias_bomb),
        row("yaml-base60-int", yaml_base60_int),
        row("yaml-million-digit-int", yaml_million_digit_int),
        row("yaml-million-digit-float", yaml_million_digit_float),
        row("yaml-1mb-block-keys", yaml_block_keys),
        row("yaml-1mb-flow-keys", yaml_flow_keys),
        row("yaml-1mb-sequence", yaml_long_sequence),
        row("json-deep-array", json_deep_array, JSON),
        row("json-deep-valid", json_deep_valid("name"), JSON),
        row("json-1mb-keys", json_keys, JSON),
        row("json-million-digit-int", json_million_digit("version"), JSON),
    ]


def _json_rows(name: str, path: str, key: str, method: str = "POST") -> list[Worst]:
    def row(kind: str, make: Callable[[], bytes]) -> Worst:
        return Worst(f"{name}-{kind}", method, path, JSON, make)

    return [
        row("deep-array", json_deep_array),
        row("deep-in-object", json_deep_in_object),
        row("deep-valid", json_deep_valid(key)),
        row("1mb-keys", json_keys),
        row("million-digit-int", json_million_digit(key)),
        row("1mb-string", json_long_string(key)),
    ]


WORST: list[Worst] = [
    *_scenario_rows(SCENARIO, "scenario"),
    *_scenario_rows(NAMESPACE_PUT, "namespace"),
    *_json_rows("person", PERSON, "text")[:-1],  # a person may write 1 MB of text
    *_json_rows("faults", FAULTS, "name"),
    *_json_rows("webhooks", WEBHOOKS, "url", method="PUT"),
    *_json_rows("clock", CLOCK, "advance"),
    Worst("messages-query-fields", "GET", MESSAGES, None, empty, make_query=query_short_params),
    Worst(
        "conversations-query-fields",
        "GET",
        CONVERSATIONS,
        None,
        empty,
        make_query=query_short_params,
    ),
    # the Graph surface: sends and uploads
    Worst("graph-multipart-16k-parts", "POST", SEND, MULTIPART, multipart_parts(SEND_FIELDS)),
    Worst("graph-multipart-20k-parts", "POST", SEND, TINY_PARTS, multipart_short_parts),
    Worst("graph-multipart-110k-bare-parts", "POST", SEND, TINY_PARTS, multipart_bare_parts),
    Worst("graph-multipart-long-header", "POST", SEND, MULTIPART, multipart_long_header),
    Worst("upload-multipart-20k-parts", "POST", UPLOAD, TINY_PARTS, multipart_short_parts),
    Worst("graph-json-1mb-keys", "POST", SEND, JSON, json_body_keys),
    Worst("graph-json-1mb-truncated", "POST", SEND, JSON, json_body_truncated),
    Worst("graph-json-deep", "POST", SEND, JSON, json_deep_array),
    # parameters in form and query fields: wire/params.py, the lead's
    Worst("graph-form-short-params", "POST", SEND, FORM, form_short_params),
    Worst(
        "graph-query-short-params",
        "POST",
        SEND,
        None,
        empty,
        make_query=query_short_params,
    ),
    Worst("graph-form-deep-json-field", "POST", SEND, FORM, form_deep_json_field),
    Worst("graph-form-deep-valid-json-field", "POST", SEND, FORM, form_deep_valid_json_field),
    Worst(
        "graph-query-deep-json-field",
        "POST",
        SEND,
        None,
        empty,
        make_query=query_deep_json_field,
    ),
    Worst("graph-form-single-quote-escapes", "POST", SEND, FORM, form_single_quote_escapes),
    Worst("graph-form-bracket-keys", "POST", SEND, FORM, form_bracket_keys),
]


def by_id() -> dict[str, Worst]:
    return {worst.id: worst for worst in WORST}


# --- valid scenarios of about 1 MB: the bounds must not refuse them ----------------------------


def legit_yaml() -> bytes:
    """A page with as many people as fit in 1 MB of YAML (about 9,000), in block style."""
    head = f'version: 1\nname: big\npages:\n  - id: "{PAGE}"\n    tokens: [{{token: BIG}}]\n'
    people = [
        f'      - psid: "{3000000000000000 + index}"\n        first_name: Person{index}\n'
        f'        last_name: Surname{index}\n        last_message: "-{index % 48}h"\n'
        for index in range(20_000)
    ]
    return _fit(head + "    users:\n", people)


def legit_json() -> bytes:
    """The same page as JSON, with about 12,000 people."""
    head = f'{{"version": 1, "name": "big", "pages": [{{"id": "{PAGE}", "tokens": '
    head += '[{"token": "BIG"}], "users": [{"psid": "3000000000000000"}'
    people = [
        f', {{"psid": "{3000000000000001 + index}", "first_name": "Person{index}", '
        f'"last_message": "-{index % 48}h"}}'
        for index in range(20_000)
    ]
    return _fit(head, people, "]}]}")


LEGIT: list[Worst] = [
    Worst("legit-yaml-1mb-scenario", "PUT", SCENARIO, YAML, legit_yaml, status=200),
    Worst("legit-json-1mb-scenario", "PUT", SCENARIO, JSON, legit_json, status=200),
]
