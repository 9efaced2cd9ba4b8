"""Identifiers shaped like the real ones (reference §8.2): message ids, trace ids, debug ids."""

from __future__ import annotations

import binascii
import itertools
import os
import random
import re
import threading

# Ids need to look random and never repeat, not to be secret: a generator seeded once from the
# OS costs no system call per id.
_random = random.Random(os.urandom(32))


_ACTIVITY_ID = re.compile(r"[0-9]{1,32}(_[0-9]{1,32})?")


def is_numeric_id(text: str) -> bool:
    """A Graph id: 1 to 32 ASCII digits (str.isdigit alone would take '²' or Arabic-Indic
    digits: isascii first)."""
    return len(text) <= 32 and text.isascii() and text.isdigit()


def is_activity_id(text: str) -> bool:
    """A comment or post id: `<page id>_<number>` or a plain id."""
    return _ACTIVITY_ID.fullmatch(text) is not None


class IdFactory:
    """Makes ids: message ids from a seeded generator, numeric ids ending in a counter."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def _next(self) -> int:
        with self._lock:
            return next(self._counter)

    def peek(self) -> int:
        """The number the next numeric id ends in, not taken."""
        with self._lock:
            number = next(self._counter)
            self._counter = itertools.count(number)
            return number

    def resume(self, number: int) -> None:
        """Go on from `number` (a saved `peek()`), never back to numbers already given."""
        with self._lock:
            self._counter = itertools.count(max(number, next(self._counter)))

    def message_id(self) -> str:
        """`m_` + 86 base64url characters, as current Send API message ids (over 512
        pseudo-random bits: a collision is not a practical possibility)."""
        try:
            return _message_ids.pop()
        except IndexError:
            _message_ids.extend(_draw_message_ids())
            return _message_ids.pop()

    def numeric_id(self, digits: int = 16) -> str:
        """A decimal id (attachment ids, synthetic PSIDs): never starts with 0."""
        serial = str(self._next()).rjust(6, "0")
        head = str(_random.getrandbits(64))[: digits - len(serial) - 1]
        return "1" + head.rjust(digits - len(serial) - 1, "0") + serial


# A response's trace ids: the body's fbtrace_id, and the three headers carrying them
# (x-fb-request-id: the fbtrace_id, 23 chars starting A; x-fb-trace-id: 11 chars; x-fb-debug:
# 88 chars, base64 as the real header is), ready to send.
Trace = tuple[str, tuple[tuple[bytes, bytes], ...]]


def trace_ids() -> Trace:
    """A response's trace ids, never given before."""
    try:
        return _trace_ids.pop()
    except IndexError:
        _trace_ids.extend(_draw_trace_ids())
        return _trace_ids.pop()


# Ids are drawn and encoded a batch at a time (one random draw and one base64 pass for many),
# and taken one by one: list.pop is atomic, so threads sharing the pool never share an id.
BATCH = 256
_MESSAGE_ID_BYTES = 66  # 88 base64 characters, no padding: batches split evenly
_TRACE_BYTES = 99  # 132 base64 characters: fbtrace (22), trace (11), unused (11), debug (88)
_message_ids: list[str] = []
_trace_ids: list[Trace] = []


def _draw_message_ids() -> list[str]:
    raw = binascii.b2a_base64(_random.randbytes(_MESSAGE_ID_BYTES * BATCH), newline=False)
    text = raw.replace(b"+", b"-").replace(b"/", b"_").decode("ascii")
    return ["m_" + text[start : start + 86] for start in range(0, len(text), 88)]


def _draw_trace_ids() -> list[Trace]:
    raw = binascii.b2a_base64(_random.randbytes(_TRACE_BYTES * BATCH), newline=False)
    safe = raw.replace(b"+", b"-").replace(b"/", b"_")
    drawn: list[Trace] = []
    for at in range(0, len(raw), 132):
        fbtrace = b"A" + safe[at : at + 22]
        headers = (
            (b"x-fb-request-id", fbtrace),
            (b"x-fb-trace-id", safe[at + 22 : at + 33]),
            (b"x-fb-debug", raw[at + 44 : at + 132]),
        )
        drawn.append((fbtrace.decode("ascii"), headers))
    return drawn
