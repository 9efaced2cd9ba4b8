"""The person arrives by a referral: an m.me link with `ref`, a click-to-Messenger ad, or the
chat plugin. Validated here, before any change (the control API's `{"referral": {...}}`).

What the platform sends (Meta's `messaging_referrals` and `messaging_postbacks` references):
a person already in a thread with the page gets a `messaging_referrals` event
(`messaging[].referral`); a new one gets it on the Get Started postback (`postback.referral`,
`title: "Get Started"`, the page's get_started payload) once they tap it. A page without a
Get Started button: the emulator sends the new person's referral as `messaging_referrals`
too, opening the window as for a person in a thread (inferred).

Which ones open the 24-hour window (Meta's list of the user actions that open the standard
messaging window): an m.me link into an existing conversation does, so does a chat started
through the web plugin and a Get Started tap (a call to action); a click on an ad does not,
until the person then writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from emulator.rules import limits
from emulator.rules.fields import is_url
from emulator.state import PageState

# source -> whether a referral of a person already in a thread opens the window
OPENS_WINDOW: dict[str, bool] = {
    "SHORTLINK": True,  # "clicks an m.me link into an existing conversation"
    "ADS": False,  # only "clicks a Click-to-Messenger ad and then sends a message"
    "CUSTOMER_CHAT_PLUGIN": True,  # "starts a conversation via a web plug-in"
}
REFERRAL_TYPE = "OPEN_THREAD"  # the one documented `type`
GET_STARTED_TITLE = "Get Started"
ADS_CONTEXT_KEYS = ("ad_title", "photo_url", "video_url", "post_id", "product_id", "flow_id")
_KEYS = {"source", "ref", "ad_id", "ads_context_data", "referer_uri"}


class ReferralError(ValueError):
    """The referral cannot be played; the message says why."""


def parse_referral(
    value: Any, page: PageState, psid: str, outbox: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    """The action World.person_acts applies: a Get Started `postback` carrying the referral
    (a new person, the page has a Get Started button: the tap opens the window), or a
    `referral` event (opening the window as OPENS_WINDOW says)."""
    referral = referral_object(value)
    if not in_thread(page, psid, outbox):
        payload = (page.messenger_profile.get("get_started") or {}).get("payload")
        if isinstance(payload, str):
            return {
                "kind": "postback",
                "title": GET_STARTED_TITLE,
                "payload": payload,
                "referral": referral,
            }
    return {
        "kind": "referral",
        "referral": referral,
        "opens_window": OPENS_WINDOW[referral["source"]],
    }


def referral_object(value: Any) -> dict[str, Any]:
    """The `referral` object as the platform writes it, keys in the documented order."""
    if not isinstance(value, dict):
        raise ReferralError('referral takes an object: {"source": "SHORTLINK", "ref": "..."}')
    unknown = sorted(set(value) - _KEYS)
    if unknown:
        raise ReferralError(f"referral: unknown key(s) {', '.join(map(repr, unknown[:5]))}")
    source = value.get("source", "SHORTLINK")
    if source not in OPENS_WINDOW:
        raise ReferralError(f"referral source must be one of {', '.join(OPENS_WINDOW)}")
    out: dict[str, Any] = {}
    ref = value.get("ref")
    if ref is not None:
        if not isinstance(ref, str) or not ref or len(ref) > limits.REFERRAL_REF_MAX:
            raise ReferralError(
                f"referral ref must be a string of 1 to {limits.REFERRAL_REF_MAX} characters"
            )
        out["ref"] = ref
    elif source == "SHORTLINK":
        raise ReferralError("an m.me link referral (SHORTLINK) needs a ref")
    if source == "ADS":
        ad_id = value.get("ad_id")
        if not isinstance(ad_id, str) or not ad_id.isdigit() or len(ad_id) > 32:
            raise ReferralError("an ad referral (ADS) needs ad_id, a numeric id string")
        out["ad_id"] = ad_id
    elif "ad_id" in value or "ads_context_data" in value:
        raise ReferralError("ad_id and ads_context_data come with source ADS only")
    out["source"] = source
    out["type"] = REFERRAL_TYPE
    if source == "ADS" and value.get("ads_context_data") is not None:
        out["ads_context_data"] = _ads_context(value["ads_context_data"])
    if source == "CUSTOMER_CHAT_PLUGIN":
        uri = value.get("referer_uri")
        if not isinstance(uri, str) or not is_url(uri) or len(uri) > limits.REFERRAL_URI_MAX:
            raise ReferralError("a chat plugin referral needs referer_uri, the page's http(s) URL")
        out["referer_uri"] = uri
    elif "referer_uri" in value:
        raise ReferralError("referer_uri comes with source CUSTOMER_CHAT_PLUGIN only")
    return out


def _ads_context(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ReferralError("ads_context_data takes an object")
    unknown = sorted(set(value) - set(ADS_CONTEXT_KEYS))
    if unknown:
        raise ReferralError(
            f"ads_context_data keys are {', '.join(ADS_CONTEXT_KEYS)}; got {unknown[0]!r}"
        )
    out: dict[str, str] = {}
    for key in ADS_CONTEXT_KEYS:  # the documented order
        item = value.get(key)
        if item is None:
            continue
        if not isinstance(item, str) or len(item) > limits.REFERRAL_URI_MAX:
            raise ReferralError(f"ads_context_data.{key} must be a string")
        out[key] = item
    return out


def in_thread(page: PageState, psid: str, outbox: Sequence[dict[str, Any]]) -> bool:
    """Whether the person already has a thread with the page: they wrote, or the page sent
    them a message (the outbox, newest first, is looked at only for people who never wrote)."""
    person = page.people.get(psid)
    if person is None:
        return False
    if person.last_message is not None:
        return True
    return any(
        entry["page_id"] == page.id and entry["recipient_id"] == psid and entry["message"]
        for entry in reversed(outbox)
    )
