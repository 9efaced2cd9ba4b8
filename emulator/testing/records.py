"""What the emulator recorded, as test code reads it: sent messages and journal entries, in
lists that read like `unittest.mock` call lists (`.last`, filters), and one-line descriptions
for assertion messages."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, SupportsIndex, TypeVar, overload

T = TypeVar("T", bound=dict[str, Any])
MAX_SHOWN = 20  # records listed in an assertion message; the newest are kept
TEXT_SHOWN = 60  # characters of a text shown in a one-line description


class Records(list[T]):
    """A snapshot of records, oldest first. Slicing keeps the type."""

    what = "records"

    @property
    def last(self) -> T:
        """The newest record; AssertionError (saying there is none) when the list is empty."""
        __tracebackhide__ = True  # pytest shows the caller's line, not ours
        if not self:
            raise AssertionError(f"no {self.what} (expected at least one)")
        return self[-1]

    @property
    def first(self) -> T:
        """The oldest record; AssertionError when the list is empty."""
        __tracebackhide__ = True
        if not self:
            raise AssertionError(f"no {self.what} (expected at least one)")
        return self[0]

    @overload
    def __getitem__(self, index: SupportsIndex) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> Records[T]: ...
    def __getitem__(self, index: SupportsIndex | slice) -> T | Records[T]:
        if isinstance(index, slice):
            return type(self)(super().__getitem__(index))
        return super().__getitem__(index)


class SentMessage(dict[str, Any]):
    """One accepted send (GET /_emulator/messages), as a dict, with shortcuts for the usual
    questions: who, what kind, which text."""

    @property
    def recipient_id(self) -> str | None:
        value = self.get("recipient_id")
        return None if value is None else str(value)

    @property
    def message(self) -> dict[str, Any]:
        """The `message` object as the client sent it ({} for a sender action)."""
        message = self.get("message")
        return message if isinstance(message, dict) else {}

    @property
    def text(self) -> str | None:
        """`message.text`, the text of a button template or a utility message's filled body;
        None for other content."""
        text = self.message.get("text")
        if text is None:
            text = self._payload().get("text")
        utility = self.get("utility")
        if text is None and isinstance(utility, dict):
            text = utility.get("body")
        return text if isinstance(text, str) else None

    @property
    def quick_replies(self) -> list[str]:
        """The titles of the quick replies (the payloads of those without a title), and the
        content type of those asking for the person's phone number or email
        (`user_phone_number`, `user_email`), which have neither."""
        replies = self.message.get("quick_replies") or []
        return [_quick_reply_label(r) for r in replies if isinstance(r, dict)]

    @property
    def template_type(self) -> str | None:
        value = self._payload().get("template_type")
        return value if isinstance(value, str) else None

    @property
    def kind(self) -> str:
        """`text`, `template:<type>`, `<attachment type>`, `utility:<template name>` or
        `sender_action:<action>`."""
        if self.get("sender_action"):
            return f"sender_action:{self['sender_action']}"
        template = self.message.get("template")
        if isinstance(template, dict):  # a utility message (messaging_type UTILITY)
            return f"utility:{template.get('name')}"
        attachment = self.message.get("attachment")
        if isinstance(attachment, dict):
            if attachment.get("type") == "template":
                return f"template:{self.template_type}"
            return str(attachment.get("type"))
        return "text" if "text" in self.message else "message"

    def _payload(self) -> dict[str, Any]:
        attachment = self.message.get("attachment")
        payload = attachment.get("payload") if isinstance(attachment, dict) else None
        return payload if isinstance(payload, dict) else {}

    def describe(self) -> str:
        """One line: recipient, messaging type (and tag), kind, text, quick replies."""
        how = str(self.get("messaging_type") or "-")
        if self.get("tag"):
            how += f" {self['tag']}"
        line = f"to {self.recipient_id or self.get('recipient')} [{how}] {self.kind}"
        if self.text is not None:
            line += f" {_short(self.text)}"
        if self.quick_replies:
            line += f" quick replies {self.quick_replies}"
        return line


class SentList(Records[SentMessage]):
    """The accepted sends, oldest first: `.last`, `.to(psid)`, `.texts`."""

    what = "messages sent"

    def to(self, psid: str, page_id: str | None = None) -> SentList:
        """Those sent to this person (and page)."""
        return SentList(
            m
            for m in self
            if m.recipient_id == str(psid) and (page_id is None or m.get("page_id") == page_id)
        )

    @property
    def texts(self) -> list[str | None]:
        return [m.text for m in self]


class Journal(Records[dict[str, Any]]):
    """Journal entries of Graph calls (GET /_emulator/requests), oldest first."""

    what = "requests"


def describe_request(entry: dict[str, Any]) -> str:
    """One line for a journal entry: call, recipient, status, error message, rule, JSON path."""
    line = f"{entry.get('method')} {entry.get('path')}"
    if entry.get("recipient"):
        line += f" to {entry['recipient']}"
    line += f" -> {entry.get('status')}"
    response = entry.get("response")
    error = response.get("error") if isinstance(response, dict) else None
    if isinstance(error, dict) and error.get("message"):
        line += f" {_short(str(error['message']), 120)}"
    details = [f"rule {entry['rule']}"] if entry.get("rule") else []
    if entry.get("json_path"):
        details.append(f"at {entry['json_path']}")
    if details:
        line += f" ({', '.join(details)})"
    return line


def listing(title: str, lines: Iterable[str]) -> str:
    """`title (n):` and the lines numbered, the newest MAX_SHOWN of them."""
    shown = list(lines)
    if not shown:
        return f"{title}: none"
    skipped = max(0, len(shown) - MAX_SHOWN)
    body = [f"  #{n} {line}" for n, line in enumerate(shown, 1)][skipped:]
    if skipped:
        body.insert(0, f"  ... {skipped} older not shown")
    return "\n".join([f"{title} ({len(shown)}):", *body])


def _quick_reply_label(reply: dict[str, Any]) -> str:
    kind = reply.get("content_type")
    if kind is not None and str(kind).lower() != "text":
        return str(kind)
    for key in ("title", "payload"):
        if reply.get(key) is not None:
            return str(reply[key])
    return "text"


def _short(text: str, limit: int = TEXT_SHOWN) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")
