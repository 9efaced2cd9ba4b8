"""The opt-in request templates: marketing messages (`notification_messages`, retired on
10 February 2026: policy/dated.py refuses it from then) and the one-time notification
(`one_time_notif_req`). The person's answer is played by control/optin.py.

Sources: Meta's marketing-messages page (the template's fields; "the title ... 65
characters" as the one-time notification's) and one-time-notification page ("You are only
allowed to customize the title and payload"; title limited to 65 characters).
"""

from __future__ import annotations

from emulator.rules import limits
from emulator.rules.fields import Field

TEMPLATE_TYPE = Field("template_type", required=True)
D_MARKETING = "https://developers.facebook.com/docs/messenger-platform/marketing-messages"
D_ONE_TIME = (
    "https://developers.facebook.com/docs/messenger-platform/send-messages/one-time-notification/"
)

NOTIFICATION_MESSAGES = Field(
    "notification_messages",
    "obj",
    fields=(
        TEMPLATE_TYPE,
        # absent: "Updates and promotions", the platform's default title
        Field("title", max_len=limits.OPTIN_TITLE_MAX),
        Field("image_url", "url"),
        Field("payload", required=True, max_len=limits.OPTIN_PAYLOAD_MAX),
        Field("notification_messages_frequency", "enum", choices=limits.NOTIFICATION_FREQUENCIES),
        Field("notification_messages_reoptin", "enum", choices=limits.NOTIFICATION_REOPTIN),
        Field("notification_messages_timezone"),
        Field("notification_messages_cta_text", "enum", choices=limits.NOTIFICATION_CTA_TEXTS),
    ),
    source=D_MARKETING,
)

ONE_TIME_NOTIF_REQ = Field(
    "one_time_notif_req",
    "obj",
    fields=(
        TEMPLATE_TYPE,
        Field("title", required=True, max_len=limits.OPTIN_TITLE_MAX),
        Field("payload", required=True, max_len=limits.OPTIN_PAYLOAD_MAX),
    ),
    source=D_ONE_TIME,
)
