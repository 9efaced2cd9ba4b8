"""The cyclic garbage collector, paused while large documents are read.

A scenario of a megabyte makes hundreds of thousands of objects; while they are made, they set
off full collections, each holding the GIL (so the event loop's thread too) for up to 130 ms.
They are garbage by reference counting anyway, or kept (a world), which a server process
freezes out of later collections (World.freeze_every).
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_pauses = 0  # blocks running (in several threads) with the collector paused
_pauses_lock = threading.Lock()
_collector_was_enabled = False


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """The collector off while the block runs (in any number of threads at once: it comes
    back on when the last one ends, if it was on before the first)."""
    global _pauses, _collector_was_enabled
    with _pauses_lock:
        if _pauses == 0:
            _collector_was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pauses_lock:
            _pauses -= 1
            if _pauses == 0 and _collector_was_enabled:
                gc.enable()
