"""May this page message this person now, this way? Windows, tags, blocks, private replies.

Pure: the page state, the grant and `now` are passed in; nothing is changed here. The order
follows the reference's §7.6: tag retirement, recipient resolution, permissions, window and
tag, then the person's own state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from emulator.policy.auth import check_messaging_permissions
from emulator.rules import limits
from emulator.rules.request import SendRequest
from emulator.state import Activity, Grant, PageState, Person
from emulator.wire import catalog


@dataclass(frozen=True, slots=True)
class Target:
    """Whom an allowed send reaches: the PSID to answer with (None for user_ref/phone)."""

    recipient_id: str | None
    person: Person | None = None
    activity: Activity | None = None


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
    tag = request.tag
    if tag is not None:
        if page.instagram and tag not in limits.INSTAGRAM_TAGS:
            raise catalog.INSTAGRAM_TAG(path="tag")
        if tag in limits.RETIRED_TAGS and now.date() >= tag_retirement:
            raise catalog.TAG_RETIRED(path="tag")

    recipient = request.recipient
    if recipient.kind in ("comment_id", "post_id"):
        activity = page.activities.get(recipient.value)
        if activity is None or activity.kind != recipient.kind:
            raise catalog.PRIVATE_REPLY_UNKNOWN(
                path=f"recipient.{recipient.kind}", field=recipient.kind
            )
        check_messaging_permissions(grant, recipient.kind)
        if activity.replied:
            raise catalog.PRIVATE_REPLY_DONE(path=f"recipient.{recipient.kind}")
        if now - activity.created > limits.PRIVATE_REPLY_WINDOW:
            raise catalog.PRIVATE_REPLY_EXPIRED(path=f"recipient.{recipient.kind}")
        return Target(activity.author_psid, activity=activity)

    if recipient.kind == "phone_number":
        check_messaging_permissions(grant, recipient.kind)
        return Target(None)

    if recipient.kind == "user_ref":
        created = page.user_refs.get(recipient.value, False)
        if created is False:
            raise catalog.NO_MATCHING_USER(path="recipient.user_ref")
        check_messaging_permissions(grant, recipient.kind)
        # The checkbox plugin opt-in opens a standard window from when it was created.
        _check_window(request, page, grant, created if isinstance(created, datetime) else None, now)
        return Target(None)

    person = page.people.get(recipient.value)
    if person is None:
        unknown = catalog.CANNOT_SEND_TO_ID if unknown_psid == "cannot_send_to_id" else None
        raise (unknown or catalog.NO_MATCHING_USER)(path="recipient.id")
    check_messaging_permissions(grant, recipient.kind)
    _check_window(request, page, grant, person.last_message, now)
    if person.blocked:
        raise catalog.PERSON_UNAVAILABLE(path="recipient.id")
    return Target(person.psid, person=person)


def _check_window(
    request: SendRequest,
    page: PageState,
    grant: Grant,
    last_message: datetime | None,
    now: datetime,
) -> None:
    """RESPONSE, UPDATE and sender actions need 24 h; HUMAN_AGENT and CUSTOMER_FEEDBACK 7 days."""
    outside = catalog.OUTSIDE_WINDOW_INSTAGRAM if page.instagram else catalog.OUTSIDE_WINDOW
    elapsed = None if last_message is None else now - last_message
    tag = request.tag if request.messaging_type == "MESSAGE_TAG" else None
    if tag is None:
        if elapsed is None or elapsed > limits.STANDARD_WINDOW:
            raise outside(
                path="messaging_type" if not request.is_sender_action else "sender_action"
            )
        return
    if tag == "HUMAN_AGENT" and limits.PERMISSION_HUMAN_AGENT not in grant.permissions:
        raise catalog.HUMAN_AGENT_PERMISSION(path="tag")
    if tag == "CUSTOMER_FEEDBACK" and request.template_type != "customer_feedback":
        raise catalog.CUSTOMER_FEEDBACK_TEMPLATE(path="message.attachment.payload.template_type")
    if tag in limits.EXTENDED_WINDOW_TAGS and (elapsed is None or elapsed > limits.EXTENDED_WINDOW):
        raise outside(path="tag")
