"""Every documented limit, named once. Sources: shared/seeds/ and shared/reference/send-api.md."""

from __future__ import annotations

from datetime import date, timedelta

# message content (SEED-DE: text "auf 2.000 Zeichen beschränkt"; metadata "weniger als 1.000")
TEXT_MAX = 2000
METADATA_LIMIT = 1000  # metadata must be shorter than this ("less than 1000 characters")
QUICK_REPLIES_MAX = 13
QUICK_REPLY_TITLE_MAX = 20
QUICK_REPLY_PAYLOAD_MAX = 1000

# enumerations (SEED-DE, SEED-ID; sender actions react/unreact from the Jan 2026 docs)
MESSAGING_TYPES = frozenset({"RESPONSE", "UPDATE", "MESSAGE_TAG"})
NOTIFICATION_TYPES = frozenset({"REGULAR", "SILENT_PUSH", "NO_PUSH"})
DEFAULT_NOTIFICATION_TYPE = "REGULAR"
SENDER_ACTIONS = frozenset({"typing_on", "typing_off", "mark_seen", "react", "unreact"})
TAGS = frozenset(
    {
        "ACCOUNT_UPDATE",
        "CONFIRMED_EVENT_UPDATE",
        "CUSTOMER_FEEDBACK",
        "HUMAN_AGENT",
        "POST_PURCHASE_UPDATE",
    }
)
EXTENDED_WINDOW_TAGS = frozenset({"HUMAN_AGENT", "CUSTOMER_FEEDBACK"})
INSTAGRAM_TAGS = frozenset({"HUMAN_AGENT"})
# "Effective April 27th, 2026, all API requests containing the Message Tags
# CONFIRMED_EVENT_UPDATE, ACCOUNT_UPDATE, and POST_PURCHASE_UPDATE will receive error code 100."
RETIRED_TAGS = frozenset({"CONFIRMED_EVENT_UPDATE", "ACCOUNT_UPDATE", "POST_PURCHASE_UPDATE"})
TAG_RETIREMENT_DATE = date(2026, 4, 27)
ATTACHMENT_TYPES = frozenset({"audio", "file", "image", "template", "video"})
QUICK_REPLY_CONTENT_TYPES = frozenset({"text", "user_phone_number", "user_email"})
RECIPIENT_IDENTIFIERS = ("id", "user_ref", "phone_number", "comment_id", "post_id")

# windows (SEED-DE: 24 hours; HUMAN_AGENT / CUSTOMER_FEEDBACK: seven days; private replies 7 d)
STANDARD_WINDOW = timedelta(hours=24)
EXTENDED_WINDOW = timedelta(days=7)
PRIVATE_REPLY_WINDOW = timedelta(days=7)

# permissions and tasks the policy reads (Meta's names)
PERMISSION_MESSAGING = "pages_messaging"
PERMISSION_PHONE_NUMBER = "pages_messaging_phone_number"
PERMISSION_HUMAN_AGENT = "human_agent"
TASK_MESSAGE = "MESSAGE"

# the wire: what one request may weigh and how deep its JSON may nest (emulator limits)
MAX_BODY_BYTES = 1024 * 1024
MAX_MULTIPART_BYTES = 26 * 1024 * 1024  # a 25 MB attachment plus its form fields
MAX_NESTING = 32

# API versions Graph routes (Messenger exists from v2.6); unversioned calls are served as LATEST
LATEST_VERSION = "v25.0"
GRAPH_VERSIONS = frozenset(
    [f"v2.{minor}" for minor in range(13)]
    + [f"v3.{minor}" for minor in range(4)]
    + [f"v{major}.0" for major in range(4, 27)]
)
