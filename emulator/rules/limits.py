"""Every documented limit, named once. Sources: shared/seeds/ and shared/reference/send-api.md."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

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

# the emulated clock stays in a range every date computation can handle
CLOCK_MIN = datetime(1970, 1, 1, tzinfo=UTC)
CLOCK_MAX = datetime(9000, 1, 1, tzinfo=UTC)
MAX_RELATIVE_TIME = timedelta(days=36500)  # scenario offsets like -3d: at most 100 years

# the control API and the explanations the emulator adds to Graph's answers
MAX_CONTROL_BODY_BYTES = 1024 * 1024
MAX_HEADER_TEXT = 512  # user text echoed in WWW-Authenticate / X-Emulator-* is cut here

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
