"""Tokens and permissions: which page a call acts for, and whether it may. Pure, `now` given."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from emulator.rules import limits
from emulator.state import Grant
from emulator.wire import catalog
from emulator.wire.ids import is_numeric_id

# Graph words token expiry in Menlo Park time: "Wednesday, 14-Feb-18 18:00:00 PST".
_PACIFIC = ZoneInfo("America/Los_Angeles")


def authenticate(token: str | None, node: str, grants: Mapping[str, Grant], now: datetime) -> Grant:
    """The token's grant, or the error Graph gives for a missing, unknown or expired token."""
    if token is None:
        raise (catalog.TOKEN_REQUIRED_ME if node == "me" else catalog.TOKEN_REQUIRED)(
            path="access_token"
        )
    grant = grants.get(token)
    if grant is None:
        raise catalog.TOKEN_INVALID(path="access_token")
    if grant.expires is not None and grant.expires <= now:
        raise catalog.TOKEN_EXPIRED(
            path="access_token", expired=_pacific(grant.expires), now=_pacific(now)
        )
    return grant


def resolve_node(node: str, grant: Grant, method: str) -> str:
    """`me` is the token's page; a page id must be that page; anything else is refused."""
    if node == "me" or node == grant.page_id:
        return grant.page_id
    if not is_numeric_id(node):
        raise catalog.UNKNOWN_ALIAS(path="node", node=node)
    raise catalog.UNSUPPORTED_REQUEST(path="node", method=method.lower(), node=node)


def check_appsecret_proof(
    token: str, proof: object, app_secret: str, appsecret_time: object = None
) -> None:
    """appsecret_proof = hex(HMAC-SHA256(app secret, token)), or of `token|time` with a time."""
    if proof is None or proof == "":
        raise catalog.APPSECRET_PROOF_MISSING(path="appsecret_proof")
    message = token if appsecret_time is None else f"{token}|{appsecret_time}"
    expected = hmac.new(app_secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    given = proof.lower().encode("utf-8") if isinstance(proof, str) else b""
    if not hmac.compare_digest(given, expected.encode("ascii")):
        raise catalog.APPSECRET_PROOF_INVALID(path="appsecret_proof")


def check_messaging_permissions(grant: Grant, recipient_kind: str) -> None:
    """pages_messaging and the MESSAGE task; phone-number sends need their own permission."""
    if limits.PERMISSION_MESSAGING not in grant.permissions:
        raise catalog.PERMISSION_MESSAGING(path="access_token")
    if limits.TASK_MESSAGE not in grant.tasks:
        raise catalog.TASK_MESSAGE(path="access_token")
    if recipient_kind == "phone_number" and limits.PERMISSION_PHONE_NUMBER not in grant.permissions:
        raise catalog.PERMISSION_PHONE(path="recipient.phone_number")


def _pacific(instant: datetime) -> str:
    return instant.astimezone(_PACIFIC).strftime("%A, %d-%b-%y %H:%M:%S %Z")
