"""The Graph error vocabulary: a declared error (ErrorSpec) and the exception that carries it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Confidence = Literal["D", "O", "I"]


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    """One error the emulator can return, declared once in the catalog.

    `message` may hold `{placeholders}` filled when raised. `source` says where the
    behaviour is documented or observed; `confidence` is D (documented), O (observed)
    or I (inferred), as in shared/reference/send-api.md.
    """

    key: str
    code: int
    message: str
    rule: str
    source: str
    confidence: Confidence
    subcode: int | None = None
    type: str = "OAuthException"
    status: int = 400
    is_transient: bool | None = None

    def __call__(self, path: str | None = None, **fields: object) -> GraphError:
        """Build the exception for this error; `path` is the JSON path that broke the rule."""
        return GraphError(self, self.message.format(**fields), path)


class GraphError(Exception):
    """A refusal in Graph's own words, raised by any pipeline step and rendered by the wire."""

    def __init__(self, spec: ErrorSpec, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.spec = spec
        self.message = message
        self.path = path


class RawReply(Exception):  # noqa: N818 (an answer, not an error)
    """An answer that is not Graph JSON (an injected edge failure: HTML with a 5xx status).

    `key` names what produced it, for the journal's `rule` field."""

    def __init__(self, status: int, body: bytes, content_type: str, key: str) -> None:
        super().__init__(f"{status} {content_type}")
        self.status = status
        self.body = body
        self.content_type = content_type
        self.key = key
