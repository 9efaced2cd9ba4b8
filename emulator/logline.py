"""The server's log, written off the request path: one line per Graph call costs an append.

`serve` logs one line per request by default (users read the sidecar's log), and formatting and
writing it through `logging` took about a third of a text send. Here a request appends a tuple
to a queue; a writer thread formats what has gathered and writes it in one call every few
milliseconds. Every other log record (webhooks, state, uvicorn) goes through the same queue, so
lines keep their order. `close()` (at the end of `serve`, and at exit) writes what is left.

Without a writer (the pytest plugin, tests, embedding), request lines go through `logging`.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import IO, Any

FORMAT = "%(asctime)s %(levelname)s %(message)s"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"
FLUSH_SECONDS = 0.005  # how long lines gather before one write
LOGGER = "emulator.graph"

# How a call ended, worded when its line is written: a function and its arguments.
Outcome = Callable[..., str]
# A request line as queued: (time, method, path, page, recipient, status, outcome, arguments)
RequestLine = tuple[float, str, str, str | None, str | None, int, Outcome, tuple[Any, ...]]

_writer: LogWriter | None = None
_log = logging.getLogger(LOGGER)


def request_line(
    method: str,
    path: str,
    page: str | None,
    recipient: str | None,
    status: int,
    outcome: Outcome,
    arguments: tuple[Any, ...],
) -> None:
    """Log `METHOD PATH page=… recipient=… -> STATUS OUTCOME` at INFO, if enabled, where
    OUTCOME is `outcome(*arguments)`: the line is worded later, on the writer's thread (what
    it shows must not change meanwhile)."""
    writer = _writer
    if writer is not None:
        if writer.requests_enabled:
            line = (time.time(), method, path, page, recipient, status, outcome, arguments)
            writer.queue.append(line)
            if not writer.pending:
                writer.wake()
        return
    if _log.isEnabledFor(logging.INFO):
        shown = outcome(*arguments)
        _log.info("%s", format_request(method, path, page, recipient, status, shown))


def format_request(
    method: str, path: str, page: str | None, recipient: str | None, status: int, outcome: str
) -> str:
    return (
        f"{method} {loggable(path)} page={page or '-'} recipient={loggable(recipient or '-')} "
        f"-> {status} {outcome}"
    )


def loggable(text: str) -> str:
    """User text in a log line: one line, bounded, control characters escaped."""
    text = text if len(text) <= 200 else text[:197] + "..."
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


class LogWriter:
    """The queue and the thread writing it. One per process, made by `install`."""

    def __init__(self, stream: IO[str], level: int) -> None:
        self.stream = stream
        self.requests_enabled = level <= logging.INFO
        self.queue: deque[RequestLine | logging.LogRecord] = deque()
        self.pending = False  # the writer was woken and has not drained yet
        self._formatter = logging.Formatter(FORMAT, DATE_FORMAT)
        self._wakeup = threading.Event()
        self._closing = False
        self._lock = threading.Lock()  # one drain at a time (the thread, or close())
        self._held = False
        self._second = -1
        self._stamp = ""
        self._thread = threading.Thread(target=self._run, name="emulator-log", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self.pending = True
        self._wakeup.set()

    def _run(self) -> None:
        while not self._closing:
            self._wakeup.wait()
            if self._closing:
                break
            time.sleep(FLUSH_SECONDS)  # let a burst gather: one write for all of it
            self._wakeup.clear()
            self.pending = False
            self.drain()

    def hold(self) -> None:
        """Queue lines without writing them, until `release` (or `discard`)."""
        self._held = True

    def release(self) -> None:
        """Write what was held, now."""
        self._held = False
        self.drain()

    def discard(self) -> None:
        """Forget what is held (start-up lines of a server that will not start after all)."""
        self.queue.clear()
        self._held = False

    def drain(self) -> None:
        """Format and write everything queued so far, in order, in one write."""
        if self._held:
            return
        with self._lock:
            queue = self.queue
            lines = []
            while queue:
                item = queue.popleft()
                if type(item) is tuple:
                    try:
                        lines.append(self._request(item))
                    except Exception:  # a bug wording one line must not end the log
                        lines.append(f"(a request line could not be written: {item[1:6]!r})")
                else:
                    assert isinstance(item, logging.LogRecord)
                    lines.append(self._formatter.format(item))
            if lines:
                try:
                    self.stream.write("\n".join(lines) + "\n")
                    self.stream.flush()
                except (OSError, ValueError):  # a closed or broken stream loses the log only
                    pass

    def _request(self, item: RequestLine) -> str:
        at, method, path, page, recipient, status, outcome, arguments = item
        second = int(at)
        if second != self._second:
            self._second = second
            self._stamp = time.strftime(DATE_FORMAT, time.localtime(second))
        line = format_request(method, path, page, recipient, status, outcome(*arguments))
        return f"{self._stamp} INFO {line}"

    def close(self) -> None:
        """Stop the thread and write what is left (held lines too)."""
        self._held = False
        self._closing = True
        self._wakeup.set()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=2)
        self.drain()


class _QueueHandler(logging.Handler):
    """Every logging record goes through the writer's queue, in order with request lines."""

    def __init__(self, writer: LogWriter) -> None:
        super().__init__()
        self.writer = writer

    def emit(self, record: logging.LogRecord) -> None:
        # the message is made now: its arguments may change before the writer gets to it
        record.msg = record.getMessage()
        record.args = None
        self.writer.queue.append(record)
        if not self.writer.pending:
            self.writer.wake()

    def handle(self, record: logging.LogRecord) -> bool:
        # no lock: appending to a deque is atomic, and formatting happens on the writer
        if self.filter(record):
            self.emit(record)
        return True


def install(stream: IO[str], level: int) -> LogWriter:
    """Route the root logger (and request lines) through one writer thread to `stream`."""
    global _writer
    writer = LogWriter(stream, level)
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(_QueueHandler(writer))
    root.setLevel(level)
    _writer = writer
    atexit.register(uninstall)
    return writer


def flush() -> None:
    """Write what is queued now. A server stopping on SIGTERM calls this last: uvicorn then
    raises the signal again, which ends the process before `finally` blocks or atexit run."""
    writer = _writer
    if writer is not None:
        writer.drain()


def uninstall() -> None:
    """Write what is left and go back to plain `logging` for request lines."""
    global _writer
    writer, _writer = _writer, None
    if writer is not None:
        writer.close()
