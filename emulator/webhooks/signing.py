"""Webhook bodies as the platform writes and signs them (reference §9.1).

The body is compact JSON with non-ASCII as lower-case `\\uXXXX` escapes and `/` as `\\/`;
`X-Hub-Signature-256` is `sha256=` + the hex HMAC-SHA256 of those exact bytes with the app
secret, and the legacy `X-Hub-Signature` is `sha1=` + HMAC-SHA1. A bot that verifies here
verifies in production.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from emulator.wire.respond import graph_json

SIGNATURE_256 = "X-Hub-Signature-256"
SIGNATURE_1 = "X-Hub-Signature"


def serialize(payload: Any) -> bytes:
    """The exact bytes the platform sends (and signs)."""
    return graph_json(payload)


def signature_headers(secret: str, body: bytes) -> dict[str, str]:
    key = secret.encode("utf-8")
    return {
        SIGNATURE_256: "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest(),
        SIGNATURE_1: "sha1=" + hmac.new(key, body, hashlib.sha1).hexdigest(),
    }


def verify(secret: str, body: bytes, header: str) -> bool:
    """What a bot does with X-Hub-Signature-256 (used by the tests and the example bot)."""
    expected = "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)
