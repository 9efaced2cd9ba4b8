"""May this page message this person now, this way? Windows, tags, blocks, private replies.

Pure: the page state, the grant and `now` are passed in; nothing is changed here. The order
follows the reference's §7.6: recipient resolution, permissions, thread ownership (handover
protocol), then window and tag (tag retirement, Instagram's one tag, the Human Agent
permission, the feedback template, the 24-hour and 7-day windows), then the person's own state
(blocked).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from emulator.policy.auth import check_messaging_permissions
from emulator.policy.dated import check_dated
from emulator.policy.utility import check_utility
from emulator.rules import limits
from emulator.rules.request import SendRequest
from emulator.scenario.times import parse_instant
from emulator.state import Activity, Grant, OptIn, PageState
from emulator.wire import catalog


@dataclass(frozen=True, slots=True)
class Target:
    """Whom an allowed send reaches: the PSID to answer with (None for user_ref/phone), and
    the comment or post a private reply uses up."""

    recipient_id: str | None
    activity: Activity | None = None
    once: OptIn | None = None  # a one-time notification token the message uses up


def check_send(
    request: SendRequest,
    page: PageState,
    grant: Grant,
    now: datetime,
    *,
    tag_retirement: date = limits.TAG_RETIREMENT_DATE,
    unknown_psid: str = "no_matching_user",
) -> Target:
    """The target of an allowed send, or the refusal the real API gives."""
    recipient = request.recipient
    kind = recipient.kind
    blocked = False
    window_from: datetime | None = None
    windowed = True  # private replies and phone-number sends have their own allowance

    if kind in ("comment_id", "post_id"):
        activity = page.activities.get(recipient.value)
        if activity is None or activity.kind != kind:
            raise catalog.PRIVATE_REPLY_UNKNOWN(path=f"recipient.{kind}", field=kind)
        check_messaging_permissions(grant, kind)
        if activity.replied:
            raise catalog.PRIVATE_REPLY_DONE(path=f"recipient.{kind}")
        if now - activity.created > limits.PRIVATE_REPLY_WINDOW:
            raise catalog.PRIVATE_REPLY_EXPIRED(path=f"recipient.{kind}")
        target = Target(activity.author_psid, activity)
        windowed = False
    elif kind == "phone_number":
        check_messaging_permissions(grant, kind)
        target = Target(None)
        windowed = False
    elif kind == "user_ref":
        if recipient.value not in page.user_refs:
            raise catalog.NO_MATCHING_USER(path="recipient.user_ref")
        check_messaging_permissions(grant, kind)
        # The checkbox plugin opt-in opens a standard window from when it was created.
        window_from = page.user_refs[recipient.value]
        target = Target(None)
    elif kind in limits.OPTIN_TOKEN_RECIPIENTS:
        check_dated(request, now)  # marketing messages' tokens end on their shutdown date
        optin = _opted_in(page, kind, recipient.value, now)
        check_messaging_permissions(grant, kind)
        if page.owners.get(optin.psid, page.primary) != page.own_app:  # as for a PSID
            raise catalog.THREAD_OWNED_BY_ANOTHER_APP(path=f"recipient.{kind}")
        blocked = page.people[optin.psid].blocked
        # a one-time token is used up by the message it carries (edges/messages.py)
        target = Target(optin.psid, once=optin if optin.kind == "one_time_notif_req" else None)
        windowed = False  # the token is the permission to message outside the window
    else:
        person = page.people.get(recipient.value)
        if person is None:
            unknown = catalog.CANNOT_SEND_TO_ID if unknown_psid == "cannot_send_to_id" else None
            raise (unknown or catalog.NO_MATCHING_USER)(path="recipient.id")
        check_messaging_permissions(grant, kind)
        # the handover protocol: only the thread's owner sends (one lookup: emulator/handover)
        if page.owners.get(person.psid, page.primary) != page.own_app:
            raise catalog.THREAD_OWNED_BY_ANOTHER_APP(path="recipient.id")
        window_from = person.last_message
        blocked = person.blocked
        target = Target(person.psid)

    if request.utility is not None:  # pages_utility_messaging, the page's template, its fit
        check_utility(request.utility, page.spec.utility_templates, grant)
        windowed = False  # inside or outside the window (docs/graph.md, Utility messages)
    if request.persona_id is not None and request.persona_id not in page.personas:
        raise catalog.PERSONA_UNKNOWN(path="persona_id")  # (sender actions too)
    for attachment_id in request.attachment_ids:
        saved = page.attachments.get(attachment_id)
        if saved is None or now - parse_instant(saved.created) > limits.SAVED_ATTACHMENT_LIFETIME:
            raise catalog.ATTACHMENT_NOT_OWNED(path="message.attachment.payload.attachment_id")
    for product_id in request.product_ids:
        if product_id not in page.spec.products:
            raise catalog.PRODUCT_ID_INVALID(path="message.attachment.payload.elements")
    message = request.message
    if request.template_type is not None or (message is not None and "sticker_id" in message):
        check_dated(request, now)  # added and retired features, by the emulated date
    if request.template_type in limits.OPTIN_TEMPLATES:
        _check_optin_request(page, window_from, now)
    if request.tag is not None:
        _check_tag(request, page, grant, now, tag_retirement)
    if windowed:
        _check_window(request, page, window_from, now)
    if request.reply_to is not None and (
        window_from is None or now - window_from > limits.STANDARD_WINDOW
    ):  # "the Page must have received a user message within the last 24 hours"
        raise (catalog.OUTSIDE_WINDOW_INSTAGRAM if page.instagram else catalog.OUTSIDE_WINDOW)(
            path="reply_to"
        )
    if blocked:
        raise catalog.PERSON_UNAVAILABLE(path="recipient.id")
    return target


def _opted_in(page: PageState, kind: str, token: str, now: datetime) -> OptIn:
    """The person behind an opt-in token: issued by this page for this kind of request, not
    expired, a one-time token not used yet (otherwise no matching user, as a user_ref)."""
    optin = page.optins.get(token)
    path = f"recipient.{kind}"
    if (
        optin is None
        or optin.kind != limits.OPTIN_TOKEN_RECIPIENTS[kind]
        or optin.used
        or now > optin.expires
        or optin.psid not in page.people
    ):
        raise catalog.NO_MATCHING_USER(path=path)
    return optin


def _check_optin_request(page: PageState, last_message: datetime | None, now: datetime) -> None:
    """Opt-in requests go within the standard window (the marketing-messages page)."""
    if last_message is None or now - last_message > limits.STANDARD_WINDOW:
        raise catalog.OPTIN_REQUEST_OUTSIDE_WINDOW(path="message.attachment.payload")


def _check_tag(
    request: SendRequest, page: PageState, grant: Grant, now: datetime, retirement: date
) -> None:
    """What a tag itself allows, whatever the window."""
    tag = request.tag
    if tag is None:
        return
    if page.instagram and tag not in limits.INSTAGRAM_TAGS:
        raise catalog.INSTAGRAM_TAG(path="tag")
    if tag in limits.RETIRED_TAGS and now.date() >= retirement:
        raise catalog.TAG_RETIRED(path="tag")
    if tag == "HUMAN_AGENT" and limits.PERMISSION_HUMAN_AGENT not in grant.permissions:
        raise catalog.HUMAN_AGENT_PERMISSION(path="tag")
    if tag == "CUSTOMER_FEEDBACK" and (request.template_type or "").lower() != "customer_feedback":
        raise catalog.CUSTOMER_FEEDBACK_TEMPLATE(path="message.attachment.payload.template_type")


def _check_window(
    request: SendRequest, page: PageState, last_message: datetime | None, now: datetime
) -> None:
    """RESPONSE, UPDATE and sender actions need 24 h; HUMAN_AGENT and CUSTOMER_FEEDBACK 7 days;
    the other tags none."""
    outside = catalog.OUTSIDE_WINDOW_INSTAGRAM if page.instagram else catalog.OUTSIDE_WINDOW
    elapsed = None if last_message is None else now - last_message
    tag = request.tag
    if tag is None:
        if elapsed is None or elapsed > limits.STANDARD_WINDOW:
            where = "sender_action" if request.is_sender_action else "messaging_type"
            raise outside(path=where)
    elif tag in limits.EXTENDED_WINDOW_TAGS and (
        elapsed is None or elapsed > limits.EXTENDED_WINDOW
    ):
        raise outside(path="tag")
