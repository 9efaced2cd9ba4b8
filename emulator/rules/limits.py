"""Every documented limit, named once. Sources: shared/seeds/ and shared/reference/send-api.md."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

# message content (SEED-DE: text "auf 2.000 Zeichen beschränkt"; metadata "weniger als 1.000")
TEXT_MAX = 2000
METADATA_LIMIT = 1000  # metadata must be shorter than this ("less than 1000 characters")
QUICK_REPLIES_MAX = 13
QUICK_REPLY_TITLE_MAX = 20
QUICK_REPLY_PAYLOAD_MAX = 1000

# templates and buttons (reference §5, §6; SEED-RCPT for the receipt)
GENERIC_ELEMENTS_MAX = 10
TEMPLATE_TITLE_MAX = 80  # generic element title and subtitle, coupon title and subtitle
BUTTON_TEMPLATE_TEXT_MAX = 640
BUTTONS_MAX = 3
BUTTON_TITLE_MAX = 20
POSTBACK_PAYLOAD_MAX = 1000
MEDIA_ELEMENTS_MAX = 1
RECEIPT_ELEMENTS_MAX = 100
PRODUCT_ELEMENTS_MAX = 10
PRODUCT_TEMPLATE_MIN_VERSION = (8, 0)
FEEDBACK_TITLE_MAX = 65
FEEDBACK_SUBTITLE_MAX = 80
FEEDBACK_BUTTON_TITLE_MAX = 20
FEEDBACK_SCREENS_MAX = 1
FEEDBACK_QUESTIONS_MAX = 1
FEEDBACK_QUESTION_ID_MAX = 80
FEEDBACK_QUESTION_TITLE_MIN = 5
FEEDBACK_QUESTION_TITLE_MAX = 85
FEEDBACK_PLACEHOLDER_MAX = 65
FEEDBACK_EXPIRES_DAYS = (1, 7)
TEMPLATE_BUTTON_TYPES = (
    "web_url",
    "postback",
    "phone_number",
    "account_link",
    "account_unlink",
    "game_play",
)
INSTAGRAM_BUTTON_TYPES = ("postback", "web_url")
WEBVIEW_HEIGHT_RATIOS = ("compact", "tall", "full")
WEBVIEW_SHARE_BUTTON = ("hide",)
MEDIA_TYPES = ("image", "video")
MEDIA_URL_HOSTS = ("facebook.com", "fb.com", "fb.me", "fbcdn.net")
FEEDBACK_QUESTION_TYPES = ("csat", "nps", "ces", "free_form")
FEEDBACK_SCORE_LABELS = ("neg_pos", "hard_easy", "dis_sat", "unlike_like", "poor_great", "none")
FEEDBACK_SCORE_OPTIONS = {
    "csat": ("one_to_five", "five_stars", "five_emojis"),
    "nps": ("zero_to_ten",),
    "ces": ("one_to_seven",),
}

# enumerations (SEED-DE, SEED-ID; sender actions react/unreact from the Jan 2026 docs).
# Each is declared once, in the order the API declares it: Graph's enum errors list the
# values in that order, not sorted (reference §15.1; the evidence per list is in the ledger).
# messaging_type: observed in 2026 as {RESPONSE, UPDATE, MESSAGE_TAG} (UTILITY is accepted
# beside them but not listed: see MESSAGING_TYPE_UTILITY)
MESSAGING_TYPES = ("RESPONSE", "UPDATE", "MESSAGE_TAG")
# notification_type: the order of the reference's table (REGULAR first, the default); inferred
NOTIFICATION_TYPES = ("REGULAR", "SILENT_PUSH", "NO_PUSH")
DEFAULT_NOTIFICATION_TYPE = "REGULAR"
# sender_action: {MARK_SEEN, TYPING_ON, TYPING_OFF} observed; react and unreact (2026) after
SENDER_ACTIONS = ("mark_seen", "typing_on", "typing_off", "react", "unreact")
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
# message[attachment][type]: as the reference lists it ("audio, file, image, template oder
# video"); that Graph's error keeps this order is inferred
ATTACHMENT_TYPES = ("audio", "file", "image", "template", "video")
QUICK_REPLY_CONTENT_TYPES = frozenset({"text", "user_phone_number", "user_email"})
IMAGE_ASPECT_RATIOS = ("horizontal", "square")  # the generic template's, as documented
CONVERSATION_PLATFORMS = ("messenger", "instagram")  # GET /{page}/conversations?platform=
RECIPIENT_IDENTIFIERS = (
    "id",
    "user_ref",
    "phone_number",
    "comment_id",
    "post_id",
    # a person's opt-in (marketing messages until their shutdown; one-time notification)
    "notification_messages_token",
    "one_time_notif_token",
)

# windows (SEED-DE: 24 hours; HUMAN_AGENT / CUSTOMER_FEEDBACK: seven days; private replies 7 d)
STANDARD_WINDOW = timedelta(hours=24)
EXTENDED_WINDOW = timedelta(days=7)
PRIVATE_REPLY_WINDOW = timedelta(days=7)
SAVED_ATTACHMENT_LIFETIME = timedelta(days=90)  # "Attachment ids expire after 90 days"

# permissions and tasks the policy reads (Meta's names)
PERMISSION_MESSAGING = "pages_messaging"
PERMISSION_PHONE_NUMBER = "pages_messaging_phone_number"
PERMISSION_HUMAN_AGENT = "human_agent"
TASK_MESSAGE = "MESSAGE"

# webhook delivery (the platform retries "immediately, then with decreasing frequency";
# the emulator keeps it short so tests see the outcome: 0.5, 1, 2, 4 s between 5 attempts)
WEBHOOK_TIMEOUT_SECONDS = 5.0
WEBHOOK_MAX_ATTEMPTS = 5
WEBHOOK_BACKOFF_SECONDS = 0.5
WEBHOOK_MAX_RESPONSE_BYTES = 64 * 1024  # what is read of a bot's answer (the challenge)
# the User-Agent of the platform's webhook requests (deliveries and the handshake), as bots
# log it; some bots and firewalls admit only this agent
WEBHOOK_USER_AGENT = "facebookexternalua"

# Graph batch requests
BATCH_MAX = 50

# the emulated clock stays in a range every date computation can handle
CLOCK_MIN = datetime(1970, 1, 1, tzinfo=UTC)
CLOCK_MAX = datetime(9000, 1, 1, tzinfo=UTC)
MAX_RELATIVE_TIME = timedelta(days=36500)  # scenario offsets like -3d: at most 100 years

# the control API and the explanations the emulator adds to Graph's answers
MAX_CONTROL_BODY_BYTES = 1024 * 1024
# Records kept per emulator (namespace): the outbox, the journal and the webhook deliveries
# each keep the newest this many, dropping the oldest (serve --max-records).
DEFAULT_MAX_RECORDS = 10_000
MAX_RECORDS_CEILING = 10_000_000
# Namespaces in one server (PUT /_emulator/namespaces/{name}): enough for every worker of a
# parallel test run, bounded so leaked ones cannot exhaust memory.
MAX_NAMESPACES = 256
NAMESPACE_NAME_MAX = 64
MAX_HEADER_TEXT = 512  # user text echoed in WWW-Authenticate / X-Emulator-* is cut here

# the wire: what one request may weigh and how deep its JSON may nest (emulator limits)
MAX_BODY_BYTES = 1024 * 1024
MAX_MULTIPART_BYTES = 26 * 1024 * 1024  # a 25 MB attachment plus its form fields
MAX_NESTING = 32
# Parameters one query string or form body may carry: a 100-item receipt in bracket form is
# about 700; 1 MB of `a=1&` pairs would hold the event loop for a quarter of a second.
MAX_PARAMS = 5000
# An object parameter in the seeds' single-quoted form (`{'id':'1'}`) is rewritten as JSON only
# up to this many characters (a 1 MB one full of escapes took 140 ms to rewrite); longer ones
# stay strings, as any other text that is not an object.
SINGLE_QUOTED_MAX = 64 * 1024

# API versions Graph routes (Messenger exists from v2.6); unversioned calls are served as LATEST
LATEST_VERSION = "v25.0"
GRAPH_VERSIONS = frozenset(
    [f"v2.{minor}" for minor in range(13)]
    + [f"v3.{minor}" for minor in range(4)]
    + [f"v{major}.0" for major in range(4, 27)]
)

# attachments and the Attachment Upload API (reference §4.1: every asset at most 25 MB)
ATTACHMENT_MAX_BYTES = 25 * 1024 * 1024
ATTACHMENT_UPLOAD_TYPES = tuple(kind for kind in ATTACHMENT_TYPES if kind != "template")
UPLOAD_FILE_PART = "filedata"  # the multipart file part carrying an upload
MULTIPART_FIELDS_MAX_BYTES = MAX_BODY_BYTES  # the text fields of a multipart body, together
MULTIPART_SPOOL_BYTES = 1024 * 1024  # a file part beyond this is spooled to disk while read

# the User Profile API (developers.facebook.com/docs/messenger-platform/identity/user-profile)
PROFILE_FIELDS = (
    "id",
    "name",
    "first_name",
    "last_name",
    "profile_pic",
    "locale",
    "timezone",
    "gender",
)
# A profile picture on the platform's CDN is answered with an expiry, as the platform signs one
# into its URLs (`ext=`: Unix seconds, `oe=`: the same in hex), so bots caching profiles until
# then stop refetching; this long ahead, the same URL until half of it has passed
PROFILE_PIC_HOSTS = ("fbsbx.com", "fbcdn.net")  # and their subdomains
PROFILE_PIC_LIFETIME = timedelta(days=3)
# answered when `fields` is absent (inferred: the fields every app may read, plus id)
PROFILE_DEFAULT_FIELDS = ("first_name", "last_name", "profile_pic", "id")

# the Messenger Profile API (developers.facebook.com/docs/messenger-platform/reference/
# messenger-profile-api and its property references)
MESSENGER_PROFILE_PROPERTIES = (
    "get_started",
    "persistent_menu",
    "whitelisted_domains",
    "greeting",
    "ice_breakers",
)
# The `fields` enum as Graph declares it, in its order: observed as {GET_STARTED,
# PERSISTENT_MENU, TARGET_AUDIENCE, WHITELISTED_DOMAINS, GREETING, ACCOUNT_LINKING_URL,
# PAYMENT_SETTINGS, HOME_URL} (a recorded answer); ice_breakers, added later, is put last
# (its place is inferred). The properties not emulated are accepted in `fields` and ignored.
MESSENGER_PROFILE_FIELDS = (
    "get_started",
    "persistent_menu",
    "target_audience",
    "whitelisted_domains",
    "greeting",
    "account_linking_url",
    "payment_settings",
    "home_url",
    "ice_breakers",
)
DEFAULT_LOCALE = "default"
GET_STARTED_PAYLOAD_MAX = 1000
GREETING_TEXT_MAX = 160
PERSISTENT_MENU_ITEMS_MAX = 20  # flat menus since v8.0: "up to 20 buttons in call_to_actions"
PERSISTENT_MENU_TITLE_MAX = 30  # menu item title: "30 character limit"
PERSISTENT_MENU_BUTTON_TYPES = ("postback", "web_url")
ICE_BREAKERS_MAX = 4  # "A maximum of 4 questions can be set"
WHITELISTED_DOMAINS_MAX = 50  # "Up to 50 domains allowed"

# rate limits (reference §10: D-RL-M, D-RL-G), opt-in per scenario (`rate_limits:`); the
# windows slide on the emulated clock
RATE_PER_SECOND = 300  # Send API calls per second per page: text, links, reactions, stickers
RATE_MEDIA_PER_SECOND = 10  # ... with audio or video attachments
RATE_DAILY_PER_ENGAGED_USER = 200  # rolling 24 h: 200 x the page's engaged users
RATE_SECOND_WINDOW = timedelta(seconds=1)
RATE_DAILY_WINDOW = timedelta(hours=24)
RATE_MEDIA_TYPES = frozenset({"audio", "video"})

# fault injection (scenario `faults:`, /_emulator/faults): emulator bounds
FAULTS_MAX = 100  # faults active at once
FAULT_LATENCY_MAX = timedelta(seconds=30)

# the web UI's live event stream (GET /_emulator/events, Server-Sent Events)
EVENTS_QUEUE_MAX = 1000  # events waiting per subscriber; beyond, it gets `overflow` and ends
EVENTS_PING_SECONDS = 15.0  # a `: ping` comment while nothing happens (proxies, dead clients)
EVENTS_SUBSCRIBERS_MAX = 100  # open streams per namespace; more are refused (503)

# --- untrusted documents: bounds checked before the expensive work (issue 10) ----------------
# A scenario (YAML or JSON; a file, the pytest plugin's, or a control API PUT) and every JSON
# body of the control API. The scenario format nests 5 levels and its mappings have at most
# 20 keys; a 1 MB scenario of 8,000 people holds about 75,000 values. So only hostile text
# meets these: a flow sequence nested 20,000 deep took 44 s to refuse, a billion laughs never
# ended, a 1 MB base-60 integer is quadratic to build.
DOCUMENT_MAX_DEPTH = MAX_NESTING  # nested collections
DOCUMENT_MAX_VALUES = 100_000  # values (collections and scalars), YAML aliases expanded
DOCUMENT_MAX_KEYS = 1000  # keys of one mapping
YAML_MAX_ALIASES = 100  # anchors are handy; alias bombs are not
DOCUMENT_NUMBER_MAX_CHARS = 100  # an int or float written longer (a million digits) is refused
# Validation in pieces: a long list is validated this many items at a time, so no single
# pydantic call holds the GIL (and the event loop's thread) for long.
VALIDATION_CHUNK = 2000
VALIDATION_PROBLEMS_MAX = 100  # problems listed in one answer; the rest are counted
PROBLEM_MAX_CHARS = 1000  # one problem line is cut here (a value shown in it can be 1 MB)
SCENARIO_PARSERS_MAX = 2  # scenario bodies parsed at once, each in a worker thread
# Parts of one multipart body, named or not, files or fields. A part costs ~25 us to parse
# (python_multipart reads part headers a byte at a time): 5000 held the loop 125 ms, 1000 take
# 25 ms; a 100-item receipt in bracket form is ~700 fields. PHP's max_input_vars defaults to
# 1000 too (php.net/manual/en/info.configuration.php#ini.max-input-vars).
MULTIPART_MAX_PARTS = 1000
# A world made for a scenario with this many people, refs, activities and tokens is made in a
# worker thread (a reset, a scenario or namespace PUT): 8,000 people take ~70 ms to make.
PREPARE_OFF_LOOP = 1000
# The journal keeps a refused call's parameters up to this size (query and body text): valid
# sends are far smaller, and --max-records refused calls of a megabyte each would be gigabytes.
JOURNAL_REFUSED_PARAMS_MAX = 64 * 1024

# --- HTTPS and the intercepting proxy (issue 11) ----------------------------------------------
# The hosts bots call: answered by the emulator itself over HTTPS and through the proxy.
GRAPH_HOSTS = ("graph.facebook.com", "graph.instagram.com")
TLS_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
TLS_LEAF_DAYS = 397  # a leaf certificate's life: under the 398 days browsers and Apple accept
PROXY_HEAD_MAX = 64 * 1024  # a request's line and headers, as the HTTP server's own bound
PROXY_BODY_MAX = 100 * 1024 * 1024  # a plain-HTTP request's body relayed through the proxy
PROXY_IDLE_SECONDS = 60.0  # a proxy connection with no request for this long is closed
PROXY_CONNECT_SECONDS = 10.0  # opening a tunnel to another host gives up after this
PROXY_FORWARD_SECONDS = 60.0  # a plain-HTTP request forwarded to another host

# --- the handover protocol (issue 12) ------------------------------------------------------------
# The Page Inbox's app id (reference §15.2; the docs' 14-digit print is a typo, §9.2) and name.
PAGE_INBOX_APP_ID = "263902037430900"
PAGE_INBOX_NAME = "Page Inbox"
HANDOVER_ROLES = ("primary", "secondary")

# --- referrals and the Conversations API (issue 12) -------------------------------------------
# An m.me link's `ref`: "up to 250 characters" (Meta's m.me links page).
REFERRAL_REF_MAX = 250
REFERRAL_URI_MAX = 2048  # a chat plugin's referer_uri and the ad context's URLs (ours: a bound)
FIELDS_TEXT_MAX = 4096  # a `fields` parameter longer than this is refused before it is parsed
FIELDS_DEPTH_MAX = 3  # nesting of `{...}` in `fields`: conversation{messages{from}} and no more
FIELDS_ENTRIES_MAX = 100  # names in one `fields`, all levels together
CONVERSATION_SNIPPET_MAX = 100  # a conversation's `snippet`: its newest message, cut (inferred)

# --- Graph's cursor paging (wire/paging.py) -----------------------------------------------------
PAGING_DEFAULT_LIMIT = 25  # Graph's default page size
PAGING_MAX_LIMIT = 100  # a larger `limit` is served as this (inferred; edges differ on Graph)
PAGING_CURSOR_MAX = 1024  # a longer `after`/`before` is not one of our cursors

# --- personas (issue 12; reference §15.3, Meta's personas page) ---------------------------------
PERSONA_NAME_MAX = 50  # "name at most 50 characters" (counted as code points)
PERSONA_ID_DIGITS = 15  # persona ids as the platform shows them (numeric strings)

# --- subscribed apps (issue 12; the Page reference's subscribed_apps edge, v25.0) ---------------
# The `subscribed_fields` enum in the order the API declares it (its errors list it so).
PAGE_WEBHOOK_FIELDS = (
    "feed", "mention", "name", "picture", "category", "description", "conversations",
    "feature_access_list", "inbox_labels", "standby", "message_mention", "messages",
    "message_reactions", "messaging_account_linking", "messaging_checkout_updates",
    "messaging_customer_information", "message_echoes", "message_edits", "message_deliveries",
    "message_context", "messaging_game_plays", "messaging_optins", "messaging_optouts",
    "messaging_payments", "messaging_postbacks", "messaging_pre_checkouts", "message_reads",
    "messaging_referrals", "messaging_handovers", "messaging_policy_enforcement",
    "marketing_message_delivery_failed", "marketing_message_echoes",
    "marketing_message_deliveries", "marketing_message_clicks", "marketing_message_reads",
    "messaging_appointments", "messaging_direct_sends", "messaging_fblogin_account_linking",
    "user_action", "messaging_feedback", "send_cart", "group_feed", "calls",
    "call_permission_reply", "call_settings_update", "response_feedback", "messaging_integrity",
    "business_integrity", "messaging_in_thread_lead_form_submit",
    "message_template_status_update", "founded", "company_overview", "mission", "products",
    "general_info", "leadgen", "leadgen_fat", "leadgen_update", "location", "hours", "parking",
    "public_transit", "page_about_story", "mcom_invoice_change", "invoice_access_invoice_change",
    "invoice_access_invoice_draft_change", "invoice_access_onboarding_status_active",
    "invoice_access_bank_slip_events", "local_delivery", "phone", "email", "website", "ratings",
    "attire", "payment_options", "culinary_team", "general_manager", "price_range", "awards",
    "hometown", "current_location", "bio", "affiliation", "birthday", "personal_info",
    "personal_interests", "members", "checkins", "page_upcoming_change",
    "page_change_proposal", "merchant_review", "product_review", "videos", "live_videos",
    "video_text_question_responses", "registration", "payment_request_update",
    "publisher_subscriptions", "invalid_topic_placeholder",
    "marketing_messages_subscriber_upload_status", "follow", "story_share",
    "comment_poll_response", "story_poll_response",
)  # fmt: skip
# Messenger's fields need pages_messaging to subscribe to; the Page's other fields need
# pages_manage_metadata (the (#200) refusals quoted by integrators).
MESSENGER_WEBHOOK_FIELDS = frozenset(
    name
    for name in PAGE_WEBHOOK_FIELDS
    if name.startswith(("message", "messaging_")) or name in ("standby", "inbox_labels")
)
PERMISSION_MANAGE_METADATA = "pages_manage_metadata"

# --- Instagram's own events, edits and unsends (issue 13, item 3) ------------------------------
# the message_edits reference (Messenger, Apr 2024): "The user cannot edit a message more than
# five times" (a client-side limit: the control API refuses a sixth edit)
MESSAGE_EDITS_MAX = 5
# the Instagram object's webhook fields that the Page's subscribed_apps cannot name: the page
# level passes them once the page subscribed the app to anything (Instagram's webhook guide:
# "subscribing to any page webhook field")
INSTAGRAM_ONLY_WEBHOOK_FIELDS = frozenset({"messaging_seen"})
# the Messenger Profile properties `platform=instagram` takes (the Instagram ice breakers and
# persistent menu guides); its persistent menu has no composer_input_disabled
INSTAGRAM_PROFILE_PROPERTIES = ("persistent_menu", "ice_breakers")
MESSENGER_PROFILE_PLATFORMS = ("messenger", "instagram")

# --- features dated by the emulated clock (shared/reference/send-api.md §15.5) ---------------
# Meta's marketing-messages page: "Marketing messages (aka recurring notifications) on
# Messenger will be deprecated on February 10, 2026": the notification_messages template, its
# opt-in and the notification_messages_token recipient are refused from this date on.
MARKETING_MESSAGES_SHUTDOWN = date(2026, 2, 10)
# Changelog of June 1, 2026: "send a sticker with the sticker_id field"; June 30, 2026: "Added
# the image grid template". Before, the Send API did not know them (refused as unknown).
STICKER_SEND_SINCE = date(2026, 6, 1)
IMAGE_GRID_SINCE = date(2026, 6, 30)

# opt-in requests (one-time notification page: "The title field is limited to 65 characters";
# the marketing-messages template's title shares that limit)
OPTIN_TITLE_MAX = 65
OPTIN_PAYLOAD_MAX = 1000  # as a postback payload (inferred)
NOTIFICATION_FREQUENCIES = ("daily", "weekly", "monthly")
NOTIFICATION_REOPTIN = ("enabled", "disabled")
NOTIFICATION_CTA_TEXTS = ("allow", "get", "get_updates", "opt_in", "sign_up")
# the token lives 6, 9 or 12 months by frequency (marketing-messages page); one-time: 1 year
NOTIFICATION_TOKEN_LIFETIME = {
    "daily": timedelta(days=182),
    "weekly": timedelta(days=273),
    "monthly": timedelta(days=365),
}
ONE_TIME_TOKEN_LIFETIME = timedelta(days=365)
OPTIN_TEMPLATES = ("notification_messages", "one_time_notif_req")
# recipient keys of a person who opted in: the template each answers
OPTIN_TOKEN_RECIPIENTS = {
    "notification_messages_token": "notification_messages",
    "one_time_notif_token": "one_time_notif_req",
}

# image grid template (Meta's image-grid page, June 30, 2026)
IMAGE_GRID_ELEMENTS_MAX = 1
IMAGE_GRID_IMAGES = (2, 6)
IMAGE_GRID_TITLE_MAX = 45
IMAGE_GRID_SUBTITLE_MAX = 80
IMAGE_GRID_BUTTON_TYPES = ("web_url", "postback")
NOTIFICATION_DEFAULT_TITLE = "Updates and promotions"  # the title the platform shows by default
NOTIFICATION_DEFAULT_TIMEZONE = "UTC"  # inferred: the page's timezone is not modelled

# --- utility messages (issue 13; Meta's "Send a utility message", Mar 13, 2026) ---------------
# `messaging_type: UTILITY` with `message.template {name, language: {code}, components}`; the
# page's templates are the scenario's (pages[].utility_templates). Sent inside or outside the
# 24-hour window: the successor of the retired tags (docs/graph.md, Utility messages).
MESSAGING_TYPE_UTILITY = "UTILITY"
PERMISSION_UTILITY_MESSAGING = "pages_utility_messaging"
UTILITY_CATEGORIES = ("UTILITY",)
UTILITY_COMPONENT_TYPES = ("header", "body", "buttons")  # as the documented sends write them
UTILITY_BUTTON_TYPES = ("POSTBACK", "URL")  # the two the documentation shows
UTILITY_BUTTONS_MAX = 3  # integrators' guides: "button actions (up to 3 buttons)" (inferred)
UTILITY_TEMPLATE_NAME_MAX = 512  # a template's name (WhatsApp's limit; inferred for Messenger)
UTILITY_DEFAULT_LANGUAGE = "en"  # the documentation's examples
# the changelog of June 1, 2026: webhooks (echoes too) carry a sticker as an `image` attachment
# and a `sticker` one "until August 30, 2026", then only as `sticker`
STICKER_IMAGE_ATTACHMENT_UNTIL = date(2026, 8, 30)
STICKER_IMAGE_URL = "https://scontent.xx.fbcdn.net/v/t39.1997-6/{sticker_id}_n.png"  # inferred
# airline templates (Meta's airline template references: not dated as retired by any source
# found, so accepted; §15.5). Auxiliary and secondary fields: at most 5 each; price_info: 4.
AIRLINE_FIELDS_MAX = 5
AIRLINE_PRICE_INFO_MAX = 4
AIRLINE_UPDATE_TYPES = ("delay", "gate_change", "cancellation")
AIRLINE_TRAVEL_CLASSES = ("economy", "business", "first_class")
