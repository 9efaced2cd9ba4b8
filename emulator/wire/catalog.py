"""Every error the emulator returns, declared once: code, subcode, type, status, message, source.

Pipeline steps raise these by name (`raise catalog.NO_MATCHING_USER(path="recipient.id")`).
The catalog doubles as the rule ledger: `ALL` lists every entry with the rule it enforces.
Messages are byte-exact copies of what the real API sends where the reference has them
(confidence O or D); entries marked I are inferred from Graph's patterns and listed as
deviations in docs/deviations.md.
"""

from __future__ import annotations

from emulator.rules import limits
from emulator.wire.errors import ErrorSpec

REF = "shared/reference/send-api.md"
SEED_DE = "shared/seeds/000_1c883098b0e463b5.txt"
SEED_ID = "shared/seeds/001_eef547602f17357f.txt"
SEED_RCPT = "shared/seeds/002_13ac4b8f9cdb2d47.txt"
D_SEND = "https://developers.facebook.com/docs/messenger-platform/reference/send-api"
D_ERR = "https://developers.facebook.com/docs/messenger-platform/error-codes"
D_PR = (
    "https://developers.facebook.com/documentation/business-messaging/"
    "messenger-platform/discovery/private-replies"
)
D_SEC = "https://developers.facebook.com/docs/graph-api/guides/secure-requests"
D_QR = "https://developers.facebook.com/docs/messenger-platform/send-messages/quick-replies"
D_SA = "https://developers.facebook.com/docs/messenger-platform/send-messages/sender-actions"

GRAPH_METHOD = "GraphMethodException"


def _one_of(values: tuple[str, ...]) -> str:
    """An enum's values as Graph's errors list them: upper case, in the declared order (never
    sorted: reference §15.1). Braces doubled for the message template."""
    return "{{" + ", ".join(value.upper() for value in values) + "}}"


# the modern enum error's tail (reference §15.1): ` - got "VALUE".`
ENUM_GOT = ' - got "{got}".'
ENUM_EVIDENCE = f"{REF} §15.1 (Graph lists an enum in its declared order, not sorted)"
WINDOW_MESSAGE = (
    "(#10) This message is sent outside of allowed window. Learn more about the new policy "
    "here: https://developers.facebook.com/docs/messenger-platform/policy-overview"
)

# --- request surface: path, body ------------------------------------------------------

UNKNOWN_PATH = ErrorSpec(
    "unknown_path",
    2500,
    "Unknown path components: {rest}",
    "the path is version/node/edge; anything else (a malformed version, extra segments) "
    "is not routed",
    f"{REF} §1.1 (laravel-notification-channels/facebook#53, arsduo/koala#611)",
    "O",
)
UNKNOWN_ALIAS = ErrorSpec(
    "unknown_alias",
    803,
    "(#803) Some of the aliases you requested do not exist: {node}",
    "a node that is neither a numeric id nor `me` is an alias that does not exist",
    f"{REF} §7.3 (803 not_found); mobolic/facebook-sdk#315",
    "O",
    status=404,
)
UNSUPPORTED_REQUEST = ErrorSpec(
    "unsupported_request",
    100,
    "Unsupported {method} request. Object with ID '{node}' does not exist, cannot be loaded "
    "due to missing permissions, or does not support this operation. Please read the Graph "
    "API documentation at https://developers.facebook.com/docs/graph-api",
    "the node must be a page the token may act for, and support this method on this edge",
    f"{REF} §7.4, §7.5 (100/33)",
    "O",
    subcode=33,
    type=GRAPH_METHOD,
)
READ_NOT_SUPPORTED = ErrorSpec(
    "read_not_supported",
    100,
    "(#100) For field 'messages': The parameter user_id is required",
    "the messages edge cannot be read (Lesen: not on this endpoint)",
    f"{SEED_DE}; {REF} §1.1 (the observed GET answer, Charca/bootbot#61)",
    "O",
)
METHOD_NOT_SUPPORTED = ErrorSpec(
    "method_not_supported",
    100,
    "Unsupported {method} request.",
    "the messages edge cannot be updated or deleted (Aktualisieren/Löschen: not on this "
    "endpoint); other methods are not Graph's",
    f"{SEED_DE}; maiha/facebook.cr#3 (an edge refusing a method)",
    "O",
    type=GRAPH_METHOD,
)
BODY_TOO_LARGE = ErrorSpec(
    "body_too_large",
    100,
    "(#100) The request body is larger than the {limit} bytes this endpoint accepts",
    f"a request body may not exceed {limits.MAX_BODY_BYTES} bytes "
    f"({limits.MAX_MULTIPART_BYTES} for multipart uploads)",
    f"{REF} §4.1 (25 MB attachment limit); emulator limit, real string unknown",
    "I",
    status=413,
)
TOO_MANY_PARAMS = ErrorSpec(
    "too_many_params",
    100,
    "(#100) Too many parameters: at most {limit} are accepted",
    f"a query string or form body carries at most {limits.MAX_PARAMS} parameters (a "
    f"multipart body at most {limits.MULTIPART_MAX_PARTS} parts)",
    "emulator limit (bounds the work one request can cause), real string unknown",
    "I",
)
PERSONA_ID_INVALID = ErrorSpec(
    "persona_id_invalid",
    100,
    '(#100) Param persona_id must be a valid ID string (e.g., "123")',
    "persona_id is the numeric id of a persona",
    "https://developers.facebook.com/documentation/business-messaging/messenger-platform/"
    "send-messages/personas; ID-string pattern of recipient[id]",
    "I",
)
REPLY_TO_INVALID = ErrorSpec(
    "reply_to_invalid",
    100,
    "(#100) Param reply_to[mid] must be a non-empty UTF-8 encoded string",
    'reply_to is {"mid": "<message id>"}',
    f"{D_SEND} (reply_to); string pattern of O-SENDAS",
    "I",
)
MALFORMED_BODY = ErrorSpec(
    "malformed_body",
    100,
    "(#100) Invalid parameter",
    f"parameters nest at most {limits.MAX_NESTING} levels; a multipart body needs a boundary",
    f"{REF} §7.4 (100 generic `Invalid parameter`)",
    "I",
)
PARAM_NOT_JSON = ErrorSpec(
    "param_not_json",
    100,
    "(#100) param {name} must be a JSON object.",
    "object-valued parameters given as strings must hold a JSON object (or the "
    "single-quoted form of the seeds)",
    f"{REF} §1.2; string pattern inferred",
    "I",
)
MULTIPLE_IDS = ErrorSpec(
    "multiple_ids",
    100,
    "(#100) Specifying multiple ids with a post method is not supported",
    "a top-level `id` parameter is not allowed on a POST",
    f"{REF} §1.2 (davidchua/pymessenger#1)",
    "O",
)

# --- tokens and permissions -------------------------------------------------------------

TOKEN_REQUIRED_ME = ErrorSpec(
    "token_required_me",
    2500,
    "An active access token must be used to query information about the current user.",
    "a request to /me needs an access token (query, body or Authorization header)",
    f"{REF} §1.3 (fbsamples/messenger-platform-samples#125)",
    "O",
)
TOKEN_REQUIRED = ErrorSpec(
    "token_required",
    104,
    "An access token is required to request this resource.",
    "a request to a page id needs an access token",
    f"{REF} §1.3",
    "O",
)
TOKEN_INVALID = ErrorSpec(
    "token_invalid",
    190,
    "Invalid OAuth access token - Cannot parse access token",
    "the access token must be one the scenario knows",
    f"{REF} §7.4, §7.5 (emes30/facebook_messenger#2)",
    "O",
)
TOKEN_EXPIRED = ErrorSpec(
    "token_expired",
    190,
    "Error validating access token: Session has expired on {expired}. The current time is {now}.",
    "the access token must not have expired on the emulated clock",
    f"{REF} §7.4 (190/463)",
    "O",
    subcode=463,
)
APPSECRET_PROOF_MISSING = ErrorSpec(
    "appsecret_proof_missing",
    100,
    "API calls from the server require an appsecret_proof argument",
    "when the app requires it, every call carries appsecret_proof = "
    "hex(HMAC-SHA256(app secret, access token))",
    f"{D_SEC}; {REF} §1.4 (adamwathan/eloquent-oauth-l5#46)",
    "O",
    type=GRAPH_METHOD,
)
APPSECRET_PROOF_INVALID = ErrorSpec(
    "appsecret_proof_invalid",
    100,
    "Invalid appsecret_proof provided in the API argument",
    "appsecret_proof, whenever sent, equals hex(HMAC-SHA256(app secret, access token))",
    f"{D_SEC}; {REF} §1.4 (facebookarchive/php-graph-sdk#26)",
    "O",
    type=GRAPH_METHOD,
)
PERMISSION_MESSAGING = ErrorSpec(
    "permission_pages_messaging",
    230,
    "(#230) Requires pages_messaging permission to manage the object",
    "the token needs the pages_messaging permission",
    f"{SEED_DE} (Voraussetzungen); {REF} §3.3 (jellyfangs/messenger-bot-tutorial#46)",
    "O",
    status=403,
)
PERMISSION_PHONE = ErrorSpec(
    "permission_phone_number",
    230,
    "(#230) Requires pages_messaging_phone_number permission to manage the object",
    "sends to recipient.phone_number need the pages_messaging_phone_number permission",
    f"{SEED_RCPT}; {REF} §2.2 (home-assistant/core#26132)",
    "O",
    status=403,
)
TASK_MESSAGE = ErrorSpec(
    "task_message",
    200,
    "(#200) User does not have sufficient administrative permission for this action on this page",
    "the token must belong to someone who can perform the MESSAGE task on the page",
    f"{SEED_DE} (MESSAGE-Aufgabe); observed Graph string for an insufficient page role",
    "I",
)
HUMAN_AGENT_PERMISSION = ErrorSpec(
    "human_agent_permission",
    100,
    '(#100) Cannot tag messages with "HUMAN_AGENT" without prior approval.',
    "the HUMAN_AGENT tag needs the Human Agent permission (human_agent) from App Review",
    f"{SEED_DE} (Human Agent-Berechtigung ... App Review); integrations' tests quoting the "
    f"live 2026 refusal (100/2018276); an open question in {REF} §14 q1",
    "O",
    subcode=2018276,
)

# --- top-level parameters -------------------------------------------------------------

RECIPIENT_REQUIRED = ErrorSpec(
    "recipient_required",
    100,
    "(#100) The parameter recipient is required",
    "recipient is required",
    f"{SEED_DE}; {REF} §7.5 (Kong/unirest-nodejs#95)",
    "O",
)
RECIPIENT_EMPTY = ErrorSpec(
    "recipient_empty",
    100,
    "(#100) param recipient must be non-empty",
    "recipient must be a non-empty object",
    f"{REF} §7.5 (laravel-notification-channels/facebook#25)",
    "O",
)
RECIPIENT_ONE_ID = ErrorSpec(
    "recipient_one_identifier",
    100,
    "(#100) Param recipient must have exactly one of id, user_ref, phone_number, "
    "comment_id, post_id",
    "recipient holds exactly one of id, user_ref, phone_number, comment_id, post_id",
    f"{SEED_DE}, {SEED_RCPT} (one of id, phone_number, user_ref); {REF} §14 q5",
    "I",
)
RECIPIENT_ID_INVALID = ErrorSpec(
    "recipient_id_invalid",
    100,
    '(#100) Param recipient[{field}] must be a valid ID string (e.g., "123")',
    "recipient.id (and comment_id, post_id) must be numeric ID strings",
    f"{REF} §7.5 (botpress/v12#270, home-assistant/core#26132)",
    "O",
)
RECIPIENT_STRING = ErrorSpec(
    "recipient_string",
    100,
    "(#100) Param recipient[{field}] must be a non-empty UTF-8 encoded string",
    "recipient.user_ref and recipient.phone_number are non-empty strings",
    f"{REF} §7.5 (pattern of O-SENDAS strings)",
    "I",
)
RECIPIENT_NAME_WITHOUT_PHONE = ErrorSpec(
    "recipient_name_without_phone",
    100,
    "(#100) Param recipient[name] can only be used with recipient[phone_number]",
    "recipient.name is only used together with recipient.phone_number",
    f"{SEED_RCPT} (recipient.name: nur wenn phone_number festgelegt ist)",
    "I",
)
RECIPIENT_NAME_INVALID = ErrorSpec(
    "recipient_name_invalid",
    100,
    '(#100) Param recipient[name] must be an object like {{"first_name":"John", '
    '"last_name":"Doe"}}',
    "recipient.name is an object with first_name and last_name strings",
    f"{SEED_RCPT}",
    "I",
)
INVALID_KEYS = ErrorSpec(
    "invalid_keys",
    100,
    '(#100) Invalid keys "{keys}" were found in param "{param}".',
    "objects carry only their documented keys",
    f"{REF} §2.4 (remixz/messenger-bot#38, jgorset/facebook-messenger#107)",
    "O",
)
MESSAGE_OR_STATE = ErrorSpec(
    "message_or_state_required",
    100,
    "(#100) Must send either message or state",
    "a request carries message or sender_action",
    f"{SEED_DE}; {REF} §2.5 (O-SENDAS, miki2826/botly#36)",
    "O",
    subcode=2018015,
)
MESSAGE_AND_STATE = ErrorSpec(
    "message_and_state",
    100,
    "(#100) Cannot send both message and state at the same time.",
    "sender_action is never sent together with message (only with recipient)",
    f"{SEED_DE} (Kann nur mit dem recipient-Parameter gesendet werden); {D_ERR} 2018014",
    "D",
    subcode=2018014,
)
MESSAGING_TYPE_MISSING = ErrorSpec(
    "messaging_type_required",
    100,
    "(#100) param messaging_type must be one of {{RESPONSE, UPDATE, MESSAGE_TAG}}",
    "messaging_type is required for messages (scenario behaviour.missing_messaging_type "
    "can make it default to RESPONSE instead)",
    f"{SEED_DE} (Erforderlich), {SEED_ID} (Diwajibkan); {REF} §2.3, §13.1",
    "O",
)
MESSAGING_TYPE_INVALID = ErrorSpec(
    "messaging_type_invalid",
    100,
    "(#100) Param messaging_type must be one of " + _one_of(limits.MESSAGING_TYPES) + ENUM_GOT,
    "messaging_type is one of RESPONSE, UPDATE, MESSAGE_TAG (and UTILITY, see utility_*); the "
    "error lists the three in the API's order",
    f"{SEED_DE}, {SEED_ID}; {ENUM_EVIDENCE}: {{RESPONSE, UPDATE, MESSAGE_TAG}} observed in 2026",
    "O",
)
NOTIFICATION_TYPE_INVALID = ErrorSpec(
    "notification_type_invalid",
    100,
    "(#100) Param notification_type must be one of "
    + _one_of(limits.NOTIFICATION_TYPES)
    + ENUM_GOT,
    "notification_type is one of REGULAR (default), SILENT_PUSH, NO_PUSH",
    f"{SEED_DE}, {SEED_ID}; {ENUM_EVIDENCE}; the order is the documentation's (inferred)",
    "I",
)
SENDER_ACTION_INVALID = ErrorSpec(
    "sender_action_invalid",
    100,
    "(#100) Param sender_action must be one of " + _one_of(limits.SENDER_ACTIONS) + ENUM_GOT,
    "sender_action is one of mark_seen, typing_on, typing_off, react, unreact",
    f"{SEED_DE}; {D_SA}; {REF} §2.5 (O-FIX16: {{MARK_SEEN, TYPING_ON, TYPING_OFF}}), "
    f"{ENUM_EVIDENCE}; REACT, UNREACT placed after them (inferred)",
    "O",
)
REACTION_PAYLOAD = ErrorSpec(
    "reaction_payload",
    100,
    "(#100) The parameter payload[{field}] is required",
    "react needs payload.message_id and payload.reaction; unreact needs payload.message_id",
    f"{D_SA}; {REF} §2.5",
    "I",
)
TAG_INVALID = ErrorSpec(
    "tag_invalid",
    100,
    "(#100) Invalid tag.",
    "tag is one of ACCOUNT_UPDATE, CONFIRMED_EVENT_UPDATE, CUSTOMER_FEEDBACK, HUMAN_AGENT, "
    "POST_PURCHASE_UPDATE",
    f"{SEED_DE}; {REF} §2.3 (ker0x/messenger#67)",
    "O",
)
TAG_WITHOUT_MESSAGE_TAG = ErrorSpec(
    "tag_without_message_tag",
    100,
    "(#100) Messaging type should be MESSAGE_TAG for tagged messages.",
    "a tag is only sent with messaging_type MESSAGE_TAG",
    f"{REF} §2.3 (ker0x/messenger#106)",
    "O",
)
TAG_REQUIRED = ErrorSpec(
    "tag_required",
    100,
    "(#100) Tag is required",
    "messaging_type MESSAGE_TAG needs a tag",
    f"{SEED_DE} (MESSAGE_TAG ... mit einem Nachrichten-Tag); code 100/2018199 from an "
    "integration's error notes (full text unverified)",
    "I",
    subcode=2018199,
)
TAG_RETIRED = ErrorSpec(
    "tag_retired",
    100,
    "Invalid parameter",
    "CONFIRMED_EVENT_UPDATE, ACCOUNT_UPDATE and POST_PURCHASE_UPDATE are refused from "
    "2026-04-27 on the emulated clock",
    f"{D_SEND} (Upcoming Changes); {REF} §3.2 (chatwoot/chatwoot#14669)",
    "O",
    subcode=1893061,
)
MESSAGE_EMPTY = ErrorSpec(
    "message_empty",
    100,
    "(#100) param message must be non-empty",
    "message is a non-empty object",
    f"{REF} §2.4 (pimax/fb-messenger-php PR #1)",
    "O",
)
MESSAGE_NO_CONTENT = ErrorSpec(
    "message_no_content",
    100,
    "(#100) Message cannot be empty, must provide valid attachment or text",
    "message needs text or attachment",
    f"{SEED_DE} (entweder text oder attachement); {REF} §2.4 (O-SENDAS 2018034)",
    "O",
    subcode=2018034,
)
MESSAGE_TEXT_AND_ATTACHMENT = ErrorSpec(
    "message_text_and_attachment",
    100,
    "(#100) Only one of text or attachment can be specified",
    "message has text or attachment, not both",
    f"{SEED_DE}; {REF} §2.4 (O-FIX16)",
    "O",
)
TEXT_NOT_STRING = ErrorSpec(
    "text_not_string",
    100,
    "(#100) Param message[text] must be a UTF-8 encoded string",
    "message.text is a UTF-8 string",
    f"{SEED_DE} (Muss im UTF-8-Format vorliegen); string pattern of O-SENDAS",
    "I",
)
TEXT_TOO_LONG = ErrorSpec(
    "text_too_long",
    100,
    f"(#100) Length of param message[text] must be less than or equal to {limits.TEXT_MAX}",
    f"message.text has at most {limits.TEXT_MAX} characters",
    f"{SEED_DE} (auf 2.000 Zeichen beschränkt); {REF} §2.4, §13.2",
    "O",
)
METADATA_INVALID = ErrorSpec(
    "metadata_invalid",
    100,
    f"(#100) Length of param message[metadata] must be less than {limits.METADATA_LIMIT}",
    f"message.metadata is a string of less than {limits.METADATA_LIMIT} characters",
    f"{SEED_DE} (weniger als 1.000 Zeichen), {SEED_ID} (kurang dari 1.000); {REF} §13.3",
    "I",
)
ATTACHMENT_FIELD_REQUIRED = ErrorSpec(
    "attachment_field_required",
    100,
    "(#100) The parameter message[attachment][{field}] is required",
    "message.attachment has a type and a payload",
    f"{SEED_DE}; {REF} §5.8 (O-SENDAS)",
    "O",
)
ATTACHMENT_TYPE_INVALID = ErrorSpec(
    "attachment_type_invalid",
    100,
    "(#100) Param message[attachment][type] must be one of "
    + _one_of(limits.ATTACHMENT_TYPES)
    + ENUM_GOT,
    "message.attachment.type is one of audio, file, image, template, video",
    f"{SEED_DE} (Entweder audio, file, image, template oder video: the order used); "
    f"{ENUM_EVIDENCE}",
    "I",
)
QUICK_REPLIES_NOT_ARRAY = ErrorSpec(
    "quick_replies_not_array",
    100,
    "(#100) param message[quick_replies] must be an array.",
    "message.quick_replies is an array",
    f"{REF} §6.2",
    "I",
)
QUICK_REPLIES_TOO_FEW = ErrorSpec(
    "quick_replies_too_few",
    194,
    "(#194) param message[quick_replies] has too few elements.",
    "message.quick_replies, when given, is not empty",
    f"{REF} §6.2 (O-SENDAS)",
    "O",
)
QUICK_REPLIES_TOO_MANY = ErrorSpec(
    "quick_replies_too_many",
    105,
    "(#105) param message[quick_replies] has too many elements.",
    f"message.quick_replies has at most {limits.QUICK_REPLIES_MAX} entries",
    f"{D_QR}; microsoft/botframework-sdk#3331, howdyai/botkit#1672 (105 pattern)",
    "O",
)
QUICK_REPLY_NOT_OBJECT = ErrorSpec(
    "quick_reply_not_object",
    100,
    "(#100) param message[quick_replies][{index}] must be a JSON object.",
    "each quick reply is an object",
    f"{REF} §6.2",
    "I",
)
QUICK_REPLY_CONTENT_TYPE_REQUIRED = ErrorSpec(
    "quick_reply_content_type_required",
    100,
    "(#100) The parameter message[quick_replies][{index}][content_type] is required",
    "each quick reply has a content_type",
    f"{REF} §6.2 (O-SENDAS)",
    "O",
)
QUICK_REPLY_CONTENT_TYPE_INVALID = ErrorSpec(
    "quick_reply_content_type_invalid",
    100,
    "(#100) Param message[quick_replies][{index}][content_type] has an invalid value. Please "
    "check our developer doc for details.",
    "quick reply content_type is text, user_phone_number or user_email",
    f"{D_QR}; Charca/bootbot#133",
    "O",
)
QUICK_REPLY_LOCATION = ErrorSpec(
    "quick_reply_location_retired",
    100,
    "(#100) Location Quick Reply is now deprecated on API 4.0. Please refer to our Developer "
    "Documentation for more info.",
    "the location quick reply is retired",
    f"{D_QR}; claudiajs/claudia-bot-builder#135",
    "O",
)
QUICK_REPLY_TITLE_REQUIRED = ErrorSpec(
    "quick_reply_title_required",
    100,
    "(#100) Title is required for this quick reply content type",
    "a text quick reply has a title (unless it has an image_url)",
    f"{D_QR}; {REF} §6.2 (O-SENDAS 2018098)",
    "O",
    subcode=2018098,
)
QUICK_REPLY_PAYLOAD_REQUIRED = ErrorSpec(
    "quick_reply_payload_required",
    100,
    "(#100) Payload is required for this quick reply content type",
    "a text quick reply has a payload",
    f"{D_QR}; {REF} §6.2 (O-SENDAS 2018099)",
    "O",
    subcode=2018099,
)
QUICK_REPLY_FIELD_TOO_LONG = ErrorSpec(
    "quick_reply_field_too_long",
    100,
    "(#100) Length of param message[quick_replies][{index}][{field}] must be less than or "
    "equal to {limit}",
    f"quick reply title has at most {limits.QUICK_REPLY_TITLE_MAX} characters, payload at "
    f"most {limits.QUICK_REPLY_PAYLOAD_MAX}",
    f"{D_QR}; microsoft/botframework-sdk#1335 (title, 2016; live Graph now truncates: "
    "behaviour.quick_reply_title: truncate)",
    "O",
)
QUICK_REPLY_FIELD_NOT_STRING = ErrorSpec(
    "quick_reply_field_not_string",
    100,
    "(#100) Param message[quick_replies][{index}][{field}] must be a UTF-8 encoded string",
    "quick reply title and image_url are strings; payload is a string or a number",
    f"{D_QR}; {REF} §6.2",
    "I",
)

# --- message content: attachments, templates, buttons (the `name_placeholder` paths) -----

O_SENDAS = "github.com/Messageflow/send-as src/test/expected.ts (errors recorded from the API)"
D_TEMPLATES = "https://developers.facebook.com/docs/messenger-platform/reference/templates"

FIELD_REQUIRED = ErrorSpec(
    "field_required",
    100,
    "(#100) The parameter {param} is required",
    "a required field of an attachment, template or button is present",
    f"{D_TEMPLATES}; {SEED_RCPT}; {REF} §5 ({O_SENDAS})",
    "O",
)
FIELD_NOT_STRING = ErrorSpec(
    "field_not_string",
    100,
    "(#100) Param {param} must be a non-empty UTF-8 encoded string",
    "text fields are non-empty strings",
    f"{REF} §5.1, §6.1 ({O_SENDAS})",
    "O",
)
FIELD_TOO_LONG = ErrorSpec(
    "field_too_long",
    100,
    "(#100) Length of param {param} must be less than or equal to {limit}",
    "text fields respect their documented length limits (titles 80, button titles 20, "
    "button template text 640, postback payloads 1000, ...)",
    f"{D_TEMPLATES}; {REF} §5, §6 (length pattern of message[text])",
    "I",
)
FIELD_TOO_SHORT = ErrorSpec(
    "field_too_short",
    100,
    "(#100) Length of param {param} must be greater than or equal to {limit}",
    "text fields with a documented minimum length meet it (feedback question title: 5)",
    f"{REF} §5.5",
    "I",
)
FIELD_NOT_OBJECT = ErrorSpec(
    "field_not_object",
    100,
    "(#100) param {param} must be a JSON object.",
    "object fields are JSON objects",
    f"{REF} §5",
    "I",
)
FIELD_NOT_ARRAY = ErrorSpec(
    "field_not_array",
    100,
    "(#100) param {param} must be an array.",
    "array fields are JSON arrays",
    f"{REF} §5",
    "I",
)
FIELD_NOT_NUMBER = ErrorSpec(
    "field_not_number",
    100,
    "(#100) Param {param} must be a number",
    "number fields (prices, quantities) are numbers",
    f"{SEED_RCPT} (Number)",
    "I",
)
FIELD_NOT_BOOLEAN = ErrorSpec(
    "field_not_boolean",
    100,
    "(#100) Param {param} must be a boolean",
    "boolean fields (sharable, messenger_extensions, is_reusable) are true/false (or strings)",
    f"{SEED_RCPT} (sharable: Boolean); {REF} §4.1",
    "I",
)
FIELD_ENUM = ErrorSpec(
    "field_enum",
    100,
    "(#100) Param {param} must be one of {{{allowed}}}" + ENUM_GOT,
    "enumerated fields take one of their documented values, listed in the documentation's "
    "order (limits.py)",
    f"{D_TEMPLATES}; {ENUM_EVIDENCE}; each field's order is its documentation's (inferred)",
    "I",
)
FIELD_ID_INVALID = ErrorSpec(
    "field_id_invalid",
    100,
    '(#100) Param {param} must be a valid ID string (e.g., "123")',
    "id fields (product ids, attachment ids) are numeric ID strings",
    f"{REF} §7.5 (pattern of recipient[id], botpress/v12#270)",
    "I",
)
FIELD_URL = ErrorSpec(
    "field_url",
    100,
    "(#100) {param} should represent a valid URL",
    "URL fields hold http(s) URLs",
    f"{REF} §6.1 ({O_SENDAS})",
    "O",
)
ARRAY_EMPTY = ErrorSpec(
    "array_too_few",
    194,
    "(#194) param {param} has too few elements.",
    "arrays that must not be empty (elements, buttons of an element, quick replies) are not",
    f"{REF} §5.1 ({O_SENDAS})",
    "O",
)
ARRAY_MUST_BE_NON_EMPTY = ErrorSpec(
    "array_must_be_non_empty",
    100,
    "(#100) param {param} must be non-empty.",
    "the button template's buttons are not empty",
    f"{REF} §5.2 ({O_SENDAS})",
    "O",
)
ARRAY_TOO_MANY = ErrorSpec(
    "array_too_many",
    105,
    "(#105) param {param} has too many elements.",
    "arrays respect their documented maximum (10 generic elements, 3 buttons, 100 receipt "
    "elements, ...)",
    f"{D_TEMPLATES}; {REF} §5.1 (fchat.co FAQ, howdyai/botkit#1672)",
    "O",
)
TEMPLATE_TYPE_INVALID = ErrorSpec(
    "template_type_invalid",
    100,
    "(#100) Invalid template type",
    "template_type is generic, button, media, receipt, customer_feedback, coupon, product, "
    "one_time_notif_req, image_grid (from 2026-06-30), notification_messages (until "
    "2026-02-10) or an airline template (list and open_graph are retired)",
    f"{REF} §5.8 ({O_SENDAS})",
    "O",
)
ELEMENT_INCOMPLETE = ErrorSpec(
    "element_incomplete",
    100,
    "(#100) Incomplete element data: title and at least one other field (image url, subtitle "
    "or buttons) is required with non-empty value",
    "a generic template element has a title and at least one other field",
    f"https://developers.facebook.com/docs/messenger-platform/reference/templates/generic; "
    f"{REF} §5.1 ({O_SENDAS})",
    "O",
    subcode=2018035,
)
BUTTON_TITLE_EMPTY = ErrorSpec(
    "button_title_empty",
    100,
    "(#100) Element button title cannot be empty.",
    "web_url, postback and phone_number buttons have a title",
    f"{REF} §6.1 ({O_SENDAS})",
    "O",
    subcode=2018053,
)
POSTBACK_PAYLOAD_EMPTY = ErrorSpec(
    "postback_payload_empty",
    100,
    "(#100) Payload cannot be empty for postback type button",
    "a postback button has a payload",
    f"{REF} §6.1 ({O_SENDAS})",
    "O",
    subcode=2018040,
)
WEB_URL_EMPTY = ErrorSpec(
    "web_url_empty",
    100,
    "(#100) Web url cannot be empty for url type button",
    "a web_url button has a url",
    f"{REF} §6.1 ({O_SENDAS})",
    "O",
    subcode=2018041,
)
PHONE_PAYLOAD_INVALID = ErrorSpec(
    "phone_number_payload_invalid",
    100,
    "(#100) Param {param} must be a phone number in the format +<country code><number>",
    "a call button's payload is a phone number like +15105551234",
    "https://developers.facebook.com/docs/messenger-platform/send-messages/buttons",
    "I",
)
MEDIA_TYPE_INVALID = ErrorSpec(
    "media_type_invalid",
    100,
    "(#100) Media Type not valid",
    "a media template element's media_type is image or video",
    "https://developers.facebook.com/docs/messenger-platform/reference/templates/media (2018182)",
    "D",
    subcode=2018182,
)
MEDIA_SOURCE_REQUIRED = ErrorSpec(
    "media_source_required",
    100,
    "(#100) Either URL or attachment id is required",
    "a media template element has a url or an attachment_id, not both",
    "https://developers.facebook.com/docs/messenger-platform/reference/templates/media (2018187)",
    "D",
    subcode=2018187,
)
MEDIA_URL_NOT_FACEBOOK = ErrorSpec(
    "media_url_not_facebook",
    100,
    "(#100) Non facebook url in url param",
    "a media template url is a Facebook URL (facebook.com / fb.com / fb.me)",
    "https://developers.facebook.com/docs/messenger-platform/reference/templates/media (2018185)",
    "D",
    subcode=2018185,
)
ATTACHMENT_SOURCE_REQUIRED = ErrorSpec(
    "attachment_source_required",
    100,
    "(#100) Either url or attachment_id is required in param message[attachment][payload]",
    "a media attachment's payload has a url or an attachment_id, not both",
    "https://developers.facebook.com/documentation/business-messaging/messenger-platform/"
    "send-messages/saving-assets",
    "I",
)
CURRENCY_INVALID = ErrorSpec(
    "currency_invalid",
    100,
    "(#100) The currency code '{currency}' is not supported",
    "receipt currencies are ISO 4217 codes in upper case",
    f"{SEED_RCPT}; {REF} §5.4 ({O_SENDAS})",
    "O",
)
AMOUNT_INVALID = ErrorSpec(
    "amount_invalid",
    100,
    "(#100) The amount you specified in payment summary is invalid. Please verify that it is "
    "a valid positive amount and is supported by its currency in terms of decimal places.",
    "receipt amounts are valid, non-negative decimal numbers with at most 2 decimal places",
    f"{SEED_RCPT} (summary); {REF} §5.4 ({O_SENDAS})",
    "O",
    subcode=2018055,
)
COUNTRY_CODE_INVALID = ErrorSpec(
    "country_code_invalid",
    100,
    "(#100) Param {param} must be a two-letter country code",
    "a receipt address's country is a two-letter abbreviation",
    f"{SEED_RCPT} (The two-letter country abbreviation of the address)",
    "I",
)
TEXT_HAS_URL = ErrorSpec(
    "text_has_url",
    100,
    "(#100) Param {param} must not contain a URL",
    "customer feedback titles, subtitles and button titles hold no URLs",
    f"{REF} §5.5",
    "I",
)
QUESTION_ID_INVALID = ErrorSpec(
    "question_id_invalid",
    100,
    "(#100) Param {param} may hold only letters, digits and underscores",
    "a feedback question id is alphanumeric with underscores (no dashes)",
    f"{REF} §5.5",
    "I",
)
EXPIRES_IN_DAYS_INVALID = ErrorSpec(
    "expires_in_days_invalid",
    100,
    "(#100) Param {param} must be a whole number from 1 to 7",
    "a customer feedback template expires in 1 to 7 days",
    f"{REF} §5.5",
    "I",
)
COUPON_CODE_SPACES = ErrorSpec(
    "coupon_code_spaces",
    100,
    "(#100) Param {param} must not contain spaces",
    "a coupon code has no spaces",
    f"{REF} §5.6",
    "I",
)
FEEDBACK_SCORE_OPTION = ErrorSpec(
    "feedback_score_option",
    100,
    "(#100) Param {param} must be one of {{{allowed}}} for a {kind} question" + ENUM_GOT,
    "a feedback question's score_option fits its type (CSAT: one_to_five, five_stars, "
    "five_emojis; NPS: zero_to_ten; CES: one_to_seven)",
    f"{REF} §5.5",
    "I",
)
COUPON_CODE_OR_URL = ErrorSpec(
    "coupon_code_or_url",
    100,
    "(#100) Either coupon_code or coupon_url is required",
    "a coupon template has a coupon_code or a coupon_url",
    f"https://developers.facebook.com/docs/messenger-platform/send-messages/template/coupon; "
    f"{REF} §5.6",
    "I",
)
PRODUCT_TEMPLATE_VERSION = ErrorSpec(
    "product_template_version",
    100,
    "(#100) Product template is not supported below version 8. Use API version 8 or higher "
    "to use product templates.",
    "the product template needs Graph API v8.0 or later",
    f"{D_ERR} 2018328; {REF} §5.7",
    "D",
    subcode=2018328,
)
PRODUCT_ID_INVALID = ErrorSpec(
    "product_id_invalid",
    100,
    "(#100) Invalid product id",
    "product template ids are products of this page (scenario `products:`)",
    f"{D_ERR} 2018320; {REF} §5.7",
    "D",
    subcode=2018320,
)

# --- User Profile and Messenger Profile APIs ----------------------------------------------

D_USER_PROFILE = "https://developers.facebook.com/docs/messenger-platform/identity/user-profile"
D_MESSENGER_PROFILE = (
    "https://developers.facebook.com/docs/messenger-platform/reference/messenger-profile-api"
)
# Errors recorded from the live Messenger Profile API (with their fbtrace_ids) as test fixtures
# of a client library; found by code search, repository unnamed by the index.
O_MPFIX = "recorded Messenger Profile API responses in a client library's test fixtures"

PROFILE_FIELD_NONEXISTING = ErrorSpec(
    "profile_field_nonexisting",
    100,
    "(#100) Tried accessing nonexisting field ({field}) on node type (MessengerPageScopedID)",
    "a PSID's readable fields are id, name, first_name, last_name, profile_pic, locale, "
    "timezone, gender",
    f"{D_USER_PROFILE}; broidHQ/integrations#73 (observed on a PSID, 2017; the User-node "
    "form in spring-attic/spring-social-facebook#172)",
    "O",
)
FIELDS_SYNTAX = ErrorSpec(
    "fields_syntax",
    2500,
    'Syntax error "Expected name." at character {position}: {fields}',
    "`fields` is a comma-separated list of field names",
    f"{O_MPFIX} (GET /me/messenger_profile)",
    "O",
)
MESSENGER_PROFILE_PARAMS = ErrorSpec(
    "messenger_profile_requires_one_of",
    100,
    "(#100) Requires one of the params: " + ",".join(limits.MESSENGER_PROFILE_PROPERTIES),
    "a POST to messenger_profile sets at least one property (the list names those emulated)",
    f"{D_MESSENGER_PROFILE}; rehabstudio/fbmessenger#30 and {O_MPFIX} (Graph's list varies "
    "by version)",
    "O",
)
MESSENGER_PROFILE_FIELDS_REQUIRED = ErrorSpec(
    "messenger_profile_fields_required",
    100,
    "(#100) The parameter fields is required",
    "DELETE (and GET) on messenger_profile name the properties in `fields` (observed on "
    "DELETE; assumed for GET)",
    f"{D_MESSENGER_PROFILE}; {O_MPFIX} (DELETE)",
    "O",
)
MESSENGER_PROFILE_FIELD_INVALID = ErrorSpec(
    "messenger_profile_field_invalid",
    100,
    "(#100) Param fields[{index}] must be one of "
    + _one_of(limits.MESSENGER_PROFILE_FIELDS)
    + ENUM_GOT,
    "the properties named in `fields` are Messenger Profile properties, listed in the API's order",
    f"{D_MESSENGER_PROFILE}; {O_MPFIX} (DELETE: {{GET_STARTED, PERSISTENT_MENU, "
    f"TARGET_AUDIENCE, WHITELISTED_DOMAINS, GREETING, ACCOUNT_LINKING_URL, PAYMENT_SETTINGS, "
    f"HOME_URL}}; ICE_BREAKERS appended, inferred); {ENUM_EVIDENCE} (the got suffix)",
    "O",
)
MESSENGER_PROFILE_DEFAULT_LOCALE = ErrorSpec(
    "messenger_profile_default_locale",
    100,
    '(#100) param {param} must include the locale "default"',
    "greeting, persistent_menu and localized ice_breakers include an entry for the "
    '"default" locale',
    f"{D_MESSENGER_PROFILE} (greeting, persistent_menu, ice_breakers: the default locale is "
    "required); real string unknown",
    "I",
)
GET_STARTED_REQUIRED = ErrorSpec(
    "get_started_required",
    100,
    "(#100) You must set a Get Started button if you also wish to use persistent menu.",
    "a persistent menu needs a Get Started button (set before or in the same call)",
    "https://developers.facebook.com/docs/messenger-platform/send-messages/persistent-menu "
    "(requirements); pimax/fb-messenger-php#90, CasperLaiTW/laravel-fb-messenger#96",
    "O",
    subcode=2018145,
)
D_IG_PROFILE = "https://developers.facebook.com/docs/messenger-platform/instagram/features"
MESSENGER_PROFILE_PLATFORM = ErrorSpec(
    "messenger_profile_platform",
    100,
    '(#100) Param platform must be one of {{MESSENGER, INSTAGRAM}} - got "{value}".',
    "the Messenger Profile API's `platform` is messenger (the default) or instagram",
    f"{D_IG_PROFILE}/ice-breakers (`platform=instagram`); the enum wording of {REF} §15.1 "
    "(the values' order inferred)",
    "I",
)
INSTAGRAM_PROFILE_PROPERTY = ErrorSpec(
    "instagram_profile_property",
    100,
    "(#100) Param {param} is not supported for platform instagram.",
    "with `platform=instagram` only ice_breakers and persistent_menu are set, read or deleted",
    f"{D_IG_PROFILE}/ice-breakers and {D_IG_PROFILE}/persistent-menu (the properties Instagram "
    "documents); the refusal's wording inferred",
    "I",
)

# --- Graph batch requests ---------------------------------------------------------------

D_BATCH = "https://developers.facebook.com/docs/graph-api/batch-requests"

BATCH_INVALID = ErrorSpec(
    "batch_invalid",
    100,
    "(#100) param batch must be a JSON array of requests, each with method and relative_url",
    "a batch is a JSON array of {method, relative_url, body?} objects",
    f"{D_BATCH}; type observed in SDK fixtures (GraphBatchException)",
    "I",
    type="GraphBatchException",
)
BATCH_TOO_LARGE = ErrorSpec(
    "batch_too_large",
    100,
    "Too many requests in batch message. Maximum batch size is {limit}",
    "a batch holds at most 50 requests",
    f"{D_BATCH}; facebook-python-business-sdk test fixture (message and type)",
    "O",
    type="GraphBatchException",
)

# --- policy: who may be messaged now, and how ------------------------------------------

NO_MATCHING_USER = ErrorSpec(
    "no_matching_user",
    100,
    "(#100) No matching user found",
    "recipient.id is a PSID of a person known to this page (user_ref likewise)",
    f"{D_ERR} 2018001; {REF} §7.5 (remixz/messenger-bot#43)",
    "D",
    subcode=2018001,
)
CANNOT_SEND_TO_ID = ErrorSpec(
    "cannot_send_to_id",
    100,
    "(#100) Parameter error: You cannot send messages to this id",
    "recipient.id is a PSID of a person known to this page (as live Graph words it; "
    "behaviour.unknown_psid: cannot_send_to_id)",
    "Charca/bootbot#135; fbsamples/workplace-platform-samples#103",
    "O",
)
OUTSIDE_WINDOW = ErrorSpec(
    "outside_window",
    10,
    WINDOW_MESSAGE,
    f"RESPONSE, UPDATE and sender actions need the person's last message within "
    f"{limits.STANDARD_WINDOW}; HUMAN_AGENT and CUSTOMER_FEEDBACK within "
    f"{limits.EXTENDED_WINDOW}",
    f"{SEED_DE} (innerhalb der letzten 24 Stunden; sieben Tage); {REF} §3.1 (O-CN, "
    "botpress/botpress#4890)",
    "O",
    subcode=2018278,
)
OUTSIDE_WINDOW_INSTAGRAM = ErrorSpec(
    "outside_window_instagram",
    10,
    "(#10) This message is sent outside of allowed window.",
    "on an Instagram-linked page, sends outside the window are refused with the IG subcode",
    f"{D_ERR} 2534022; {REF} §3.1",
    "D",
    subcode=2534022,
)
CUSTOMER_FEEDBACK_TEMPLATE = ErrorSpec(
    "customer_feedback_template_only",
    100,
    "(#100) The CUSTOMER_FEEDBACK tag can only be used with the customer feedback template",
    "the CUSTOMER_FEEDBACK tag is only used with the customer feedback template",
    f"{SEED_DE} (nur mit der Kundenfeedback-Vorlage ... schlägt fehl); {REF} §14 q2",
    "I",
)
INSTAGRAM_TAG = ErrorSpec(
    "instagram_tag_unavailable",
    100,
    "(#100) Invalid tag.",
    "Instagram messaging accepts only the HUMAN_AGENT tag",
    f"{SEED_DE} (Nicht verfügbar für die Instagram Messaging-API); {REF} §11",
    "I",
)
ATTACHMENT_NOT_OWNED = ErrorSpec(
    "attachment_not_owned",
    100,
    "(#100) Possible invalid ID or you do not own the attachment.",
    "an attachment_id is one this page saved (ids are private to the page that uploaded them)",
    "https://developers.facebook.com/documentation/business-messaging/messenger-platform/"
    f"send-messages/saving-assets (100/2018074); {REF} §4.1",
    "D",
    subcode=2018074,
)
PERSON_UNAVAILABLE = ErrorSpec(
    "person_unavailable",
    551,
    "(#551) This person isn't available right now.",
    "a person who blocked the page cannot be messaged",
    f"{D_ERR} 551/1545041; {REF} §7.5 (microsoft/botframework-sdk#4556)",
    "O",
    subcode=1545041,
)
PRIVATE_REPLY_DONE = ErrorSpec(
    "private_reply_already_sent",
    10900,
    "(#10900) Activity already replied to",
    "a comment or visitor post gets one private reply",
    f"{D_PR}; observed in integrations mapping code 10900",
    "O",
)
PRIVATE_REPLY_EXPIRED = ErrorSpec(
    "private_reply_expired",
    10901,
    "(#10901) Activity replying time expired",
    f"a private reply is sent within {limits.PRIVATE_REPLY_WINDOW} of the comment or post",
    f"{D_PR}; observed in production data and integrations mapping code 10901",
    "O",
)
PRIVATE_REPLY_UNKNOWN = ErrorSpec(
    "private_reply_unknown",
    100,
    "(#100) Invalid {field} parameter",
    "recipient.comment_id / post_id name a comment or post on this page",
    f"{D_PR}; restfb/restfb#1165 (100/2018292 for comment_id)",
    "O",
    subcode=2018292,
)

# --- attachments and the Attachment Upload API ------------------------------------------

D_UPLOAD_API = (
    "https://developers.facebook.com/docs/messenger-platform/reference/attachment-upload-api"
)
D_SAVING_ASSETS = (
    "https://developers.facebook.com/documentation/business-messaging/messenger-platform/"
    "send-messages/saving-assets"
)

UPLOAD_READ_NOT_SUPPORTED = ErrorSpec(
    "upload_read_not_supported",
    100,
    "(#100) For field 'message_attachments': The parameter message is required",
    "the message_attachments edge cannot be read, only posted to",
    f"{D_UPLOAD_API}; the observed GET answer of /messages ({REF} §1.1, Charca/bootbot#61) "
    "with this edge's field and required parameter",
    "I",
)
UPLOAD_MESSAGE_REQUIRED = ErrorSpec(
    "upload_message_required",
    100,
    "(#100) The parameter message is required",
    "an upload carries message = {attachment: {type, payload}}",
    f"{D_UPLOAD_API}; {REF} §4.2; pattern of `The parameter recipient is required`",
    "I",
)
UPLOAD_TYPE_INVALID = ErrorSpec(
    "upload_type_invalid",
    100,
    "(#100) Param message[attachment][type] must be one of "
    + _one_of(limits.ATTACHMENT_UPLOAD_TYPES)
    + ENUM_GOT,
    "an uploaded attachment is audio, file, image or video (a template is not an asset)",
    f"{D_UPLOAD_API}; {REF} §4.1; enum string pattern of message[attachment][type]",
    "I",
)
UPLOAD_SOURCE_REQUIRED = ErrorSpec(
    "upload_source_required",
    100,
    "(#100) Must send either message[attachment][payload][url] or filedata",
    "an upload names a url or carries a filedata file part",
    f"{D_UPLOAD_API}; {REF} §4.2; pattern of `Must send either message or state`",
    "I",
)
UPLOAD_SOURCE_BOTH = ErrorSpec(
    "upload_source_both",
    100,
    "(#100) Cannot send both message[attachment][payload][url] and filedata at the same time.",
    "an upload names a url or carries a filedata file part, not both",
    f"{D_UPLOAD_API}; {REF} §4.2; pattern of `Cannot send both message and state ...`",
    "I",
)
UPLOAD_FAILURE = ErrorSpec(
    "upload_failure",
    100,
    "(#100) Upload attachment failure.",
    "a filedata file part has content and a Content-Type",
    f"{D_ERR} 2018047; {REF} §4.1 (O-CN: also for a part with an empty Content-Type)",
    "O",
    subcode=2018047,
)
ATTACHMENT_TOO_LARGE = ErrorSpec(
    "attachment_too_large",
    100,
    "(#100) Attachment size exceeds allowable limit",
    f"an uploaded file has at most {limits.ATTACHMENT_MAX_BYTES} bytes (25 MB); refused as "
    "soon as the part passes it, without reading the rest",
    f"{D_SAVING_ASSETS} (25 MB); {D_ERR} 2018109; {REF} §4.1 (rickydunlop/fbmessenger-node "
    "PR #24); the `(#100) ` prefix as on the live 2018047 and 2018008 answers",
    "D",
    subcode=2018109,
)

# --- throttling (opt-in: scenario `rate_limits`) and injected faults ----------------------

D_RL = "https://developers.facebook.com/docs/graph-api/overview/rate-limiting"
FAULT_ONLY = "never on its own: only as an injected fault (scenario `faults`, /_emulator/faults)"

RATE_LIMIT = ErrorSpec(
    "rate_limit",
    613,
    "(#613) Calls to this api have exceeded the rate limit.",
    f"at most {limits.RATE_PER_SECOND} sends per second per page, {limits.RATE_MEDIA_PER_SECOND} "
    "with audio or video (when the scenario enables `rate_limits`)",
    f"{REF} §10 (D-RL-M); §7.4 613 (D-ERR-OLD); live `(# 613) Calls to this api have exceeded "
    "the rate limit.` (howdyai/botkit#865); is_transient and HTTP 400 inferred",
    "O",
    is_transient=True,
)
PAGE_RATE_LIMIT = ErrorSpec(
    "page_rate_limit",
    80006,
    "(#80006) There have been too many messenger api calls to this Page account. Wait a bit "
    f"and try again. For more info, please refer to {D_RL}.",
    f"at most {limits.RATE_DAILY_PER_ENGAGED_USER} x engaged users sends per page in a rolling "
    "24 hours (when the scenario enables `rate_limits`)",
    f"{REF} §10 (D-RL-M, D-RL-G: 80006 is the Messenger BUC throttle); text from the Graph "
    "reference's 80006 rows; the `(#80006) ` prefix as on the live 80004 "
    "(singer-io/tap-facebook#192); is_transient and HTTP 400 inferred",
    "I",
    is_transient=True,
)
APP_RATE_LIMIT = ErrorSpec(
    "app_rate_limit",
    4,
    "(#4) Application request limit reached",
    FAULT_ONLY,
    f"{REF} §7.4 code 4 (O-CN, with is_transient); HTTP 400 inferred (§7.2)",
    "O",
    is_transient=True,
)
SERVICE_UNAVAILABLE = ErrorSpec(
    "service_unavailable",
    2,
    "An unexpected error has occurred. Please retry your request later.",
    FAULT_ONLY,
    f"{REF} §7.4 code 2, §7.2 (Trustroots/trustroots#673: is_transient, HTTP 500)",
    "O",
    status=500,
    is_transient=True,
)
TEMPORARY_SEND_FAILURE = ErrorSpec(
    "temporary_send_failure",
    1200,
    "(#1200) Temporary send message failure. Please try again later.",
    FAULT_ONLY,
    f"{REF} §7.4 code 1200 (D-ERR-OLD, Internal Errors); the `(#1200) ` prefix as quoted in "
    "integrators' code; HTTP 500 and is_transient inferred",
    "I",
    status=500,
    is_transient=True,
)

# --- the handover protocol (issue 12) -----------------------------------------------------

D_HANDOVER = "https://developers.facebook.com/docs/messenger-platform/handover-protocol"

THREAD_OWNED_BY_ANOTHER_APP = ErrorSpec(
    "thread_owned_by_another_app",
    10,
    "(#10) Message failed to send because another app is controlling this thread now.",
    "only the app that owns the thread (handover protocol) may send to the person, sender "
    "actions included (sender actions: inferred)",
    f"{D_ERR} 2018300; {REF} §7.4, §15.2",
    "D",
    subcode=2018300,
)
HANDOVER_NOT_RECEIVER = ErrorSpec(
    "handover_not_receiver",
    10,
    "(#10) Only available to Primary and Secondary Receivers.",
    "pass_thread_control's target_app_id is an app connected to the page (the Page Inbox, "
    "or the page's primary or secondary receivers)",
    f"{D_ERR} 2018171 (message and subcode documented; code 10, the `(#10) ` prefix and its "
    "use for a target that is not connected are inferred)",
    "I",
    subcode=2018171,
)
THREAD_NOT_OWNED = ErrorSpec(
    "thread_not_owned",
    10,
    "(#10) Cannot {action} thread control: this app does not control this thread now.",
    "only the thread's owner may pass or release it (the primary may pass an idle thread)",
    f"{D_HANDOVER} (only the owner passes; no captured refusal: the string is inferred)",
    "I",
)
TAKE_NOT_PRIMARY = ErrorSpec(
    "take_not_primary",
    10,
    "(#10) Only the Primary Receiver can take thread control.",
    "take_thread_control is the primary receiver's",
    f"{D_HANDOVER}/take-thread-control (no captured refusal: the string is inferred)",
    "I",
)
REQUEST_OWN_THREAD = ErrorSpec(
    "request_own_thread",
    10,
    "(#10) This app already controls this thread.",
    "request_thread_control is for an app that does not own the thread",
    f"{D_HANDOVER}/request-thread-control (no captured refusal: the string is inferred)",
    "I",
)
TARGET_APP_REQUIRED = ErrorSpec(
    "target_app_id_required",
    100,
    "(#100) The parameter target_app_id is required",
    "pass_thread_control needs target_app_id",
    f"{D_HANDOVER}/pass-thread-control; the wording of the observed `The parameter recipient "
    f"is required` ({REF} §7.5)",
    "I",
)

# --- personas (issue 12) -----------------------------------------------------------------

D_PERSONAS = (
    "https://developers.facebook.com/documentation/business-messaging/messenger-platform/"
    "send-messages/personas"
)
D_PAGE_REF = "https://developers.facebook.com/docs/graph-api/reference/page/ (v25.0)"

PERSONA_PARAM_REQUIRED = ErrorSpec(
    "persona_param_required",
    100,
    "(#100) The parameter {param} is required",
    "POST /{page}/personas needs `name` and `profile_picture_url` (both Required)",
    f"{D_PAGE_REF} personas edge; {REF} §15.3; Graph's wording for a missing parameter",
    "I",
)
PERSONA_NAME_TOO_LONG = ErrorSpec(
    "persona_name_too_long",
    100,
    f"(#100) Length of param name must be less than or equal to {limits.PERSONA_NAME_MAX}",
    f"a persona's name has at most {limits.PERSONA_NAME_MAX} characters",
    f"{D_PERSONAS} (April 2026); {REF} §15.3; length pattern of message[text]",
    "I",
)
PERSONA_PICTURE_URL = ErrorSpec(
    "persona_picture_url",
    100,
    "(#100) profile_picture_url should represent a valid URL",
    "profile_picture_url is an http(s) URL (a URI in the Page reference)",
    f"{D_PAGE_REF} personas edge; URL pattern of the template fields ({REF} §6.1)",
    "I",
)
PERSONA_UNKNOWN = ErrorSpec(
    "persona_unknown",
    100,
    "(#100) Invalid persona_id.",
    "a send or sender action with persona_id names one of the page's personas (not deleted)",
    f"{D_PERSONAS}; {REF} §15.3 (no observed refusal); wording of `(#100) Invalid tag.`",
    "I",
)

# --- subscribed apps (issue 12) ----------------------------------------------------------

D_SUBSCRIBED_APPS = "https://developers.facebook.com/docs/graph-api/reference/page/subscribed_apps/"

SUBSCRIBED_FIELDS_REQUIRED = ErrorSpec(
    "subscribed_fields_required",
    100,
    "(#100) The parameter subscribed_fields is required",
    "POST /{page}/subscribed_apps names the fields (Required since v3.2)",
    f"{D_SUBSCRIBED_APPS}; jgorset/facebook-messenger#231; integrators quoting it in 2026",
    "O",
)
SUBSCRIBED_FIELD_INVALID = ErrorSpec(
    "subscribed_field_invalid",
    100,
    '(#100) Param subscribed_fields[{index}] must be one of {{{allowed}}} - got "{got}".',
    "every subscribed field is one of the Page's webhook fields, listed in the API's order",
    f"{D_SUBSCRIBED_APPS} (the enum); {REF} §15.1, §15.4 (the wording, got comments)",
    "O",
)
SUBSCRIBED_FIELD_PERMISSION = ErrorSpec(
    "subscribed_field_permission",
    200,
    "(#200) {text}",
    "Messenger's fields need pages_messaging, the Page's other fields pages_manage_metadata "
    "(one line per field refused)",
    f"{D_SUBSCRIBED_APPS}; jgorset/facebook-messenger#280 (three fields); integrators' notes "
    "quoting the messages field with HTTP 403 (2026): behaviour.permission_error_status",
    "O",
)

# --- field expansion and the Conversations API (issue 12) ---------------------------------
D_CONVERSATIONS = "https://developers.facebook.com/docs/messenger-platform/conversations"
D_GRAPH_FIELDS = "https://developers.facebook.com/docs/graph-api/guides/field-expansion"

FIELDS_EXPECTED = ErrorSpec(
    "fields_expected",
    2500,
    'Syntax error "Expected "{expected}", got {got}" at character {position}: {fields}',
    "`fields` closes every `(` and `{` it opens",
    f'{D_GRAPH_FIELDS}; tobilg/facebook-events-by-location-core#30 (`Expected ")", got end '
    "of string` observed; a character instead of the end inferred)",
    "O",
)
FIELDS_UNEXPECTED = ErrorSpec(
    "fields_unexpected",
    2500,
    'Syntax error "Expected end of string instead of "{got}"." at character {position}: {fields}',
    "`fields` is a list of names separated by commas (a stray `}` or a space between names)",
    f"{D_GRAPH_FIELDS}; the wording follows Graph's other syntax errors",
    "I",
)
FIELDS_MODIFIER = ErrorSpec(
    "fields_modifier",
    100,
    "(#100) Unsupported modifier {modifier} on field {field}",
    "the one modifier these edges take is `.limit(n)`, n a whole number",
    f"{D_GRAPH_FIELDS} (modifiers); {D_CONVERSATIONS} (messages.limit)",
    "I",
)
FIELDS_TOO_COMPLEX = ErrorSpec(
    "fields_too_complex",
    100,
    f"(#100) The fields parameter is too complex: at most {limits.FIELDS_ENTRIES_MAX} names, "
    f"{limits.FIELDS_DEPTH_MAX} levels deep and {limits.FIELDS_TEXT_MAX} characters",
    "a bound on `fields` so no request holds the server (Graph's own limits are not published)",
    "docs/deviations.md (Bounds on what one request may carry)",
    "I",
)
NONEXISTING_FIELD = ErrorSpec(
    "nonexisting_field",
    100,
    "(#100) Tried accessing nonexisting field ({field}) on node type ({node_type})",
    "a conversation's fields are id, updated_time, participants, senders, messages, "
    "message_count, snippet, can_reply; a message's id, created_time, from, to, message, "
    "attachments",
    f"{D_CONVERSATIONS}; Graph's wording as observed on a PSID (profile_field_nonexisting); "
    "the node type names are inferred",
    "I",
)
CONVERSATIONS_PLATFORM = ErrorSpec(
    "conversations_platform",
    100,
    "(#100) Param platform must be one of "
    + _one_of(limits.CONVERSATION_PLATFORMS)
    + ' - got "{value}".',
    "`platform` is messenger or instagram",
    f"{D_CONVERSATIONS}; the enum wording of {REF} §15.1 (its order inferred)",
    "O",
)
READ_ENGAGEMENT_PERMISSION = ErrorSpec(
    "permission_pages_read_engagement",
    283,
    "(#283) Requires pages_read_engagement permission to manage the object",
    "reading a Messenger page's conversations needs pages_read_engagement",
    f"{D_CONVERSATIONS} (permissions); the string observed on a Page edge "
    "(PipedreamHQ/pipedream#7581, 2023), its use here inferred",
    "I",
)
CONVERSATIONS_PERMISSION = ErrorSpec(
    "permission_conversations",
    200,
    "(#200) Requires {permission} permission to manage the object",
    "the Conversations API needs pages_manage_metadata (Messenger), instagram_basic and "
    "instagram_manage_messages (Instagram) besides the permissions checked before",
    f"{D_CONVERSATIONS} (permissions); Graph's permission wording (#230, #283), code 200 inferred",
    "I",
)

# --- features dated by the emulated clock (issue 13) --------------------------------------

D_MARKETING = "https://developers.facebook.com/docs/messenger-platform/marketing-messages"
D_CHANGELOG = (
    "https://developers.facebook.com/documentation/business-messaging/messenger-platform/changelog/"
)
NOTIFICATION_MESSAGES_RETIRED = ErrorSpec(
    "notification_messages_retired",
    100,
    "(#100) Invalid template type",
    "the notification_messages template (marketing messages, recurring notifications) is "
    f"refused from {limits.MARKETING_MESSAGES_SHUTDOWN} on the emulated clock",
    f"{D_MARKETING} (deprecated on February 10, 2026); {REF} §15.5; the answer retired "
    "templates get (§5.8), its use here inferred",
    "I",
)
NOTIFICATION_TOKEN_RETIRED = ErrorSpec(
    "notification_token_retired",
    100,
    "Invalid parameter",
    "a notification_messages_token recipient is refused from "
    f"{limits.MARKETING_MESSAGES_SHUTDOWN} on the emulated clock",
    f"{D_MARKETING} (deprecated on February 10, 2026); {REF} §15.5; the answer the retired "
    "tags get (100/1893061, §15.1), its use here inferred",
    "I",
    subcode=1893061,
)
STICKER_NOT_YET = ErrorSpec(
    "sticker_not_yet",
    100,
    '(#100) Invalid keys "sticker_id" were found in param "message".',
    f"message.sticker_id is sent from {limits.STICKER_SEND_SINCE} on the emulated clock "
    "(before, the Send API did not know the key)",
    f"{D_CHANGELOG} (June 1, 2026: Sticker API); the unknown-key answer (§2.4), its use here "
    "inferred",
    "I",
)
IMAGE_GRID_NOT_YET = ErrorSpec(
    "image_grid_not_yet",
    100,
    "(#100) Invalid template type",
    f"the image_grid template is sent from {limits.IMAGE_GRID_SINCE} on the emulated clock",
    f"{D_CHANGELOG} (June 30, 2026: image grid template); the unknown-template answer (§5.8), "
    "its use here inferred",
    "I",
)
STICKER_ID_INVALID = ErrorSpec(
    "sticker_id_invalid",
    100,
    '(#100) Param message[sticker_id] must be a valid ID string (e.g., "123")',
    "message.sticker_id is the numeric id of a sticker (a number or a string of digits)",
    "https://developers.facebook.com/documentation/business-messaging/messenger-platform/"
    "send-messages/sticker-api; the ID-string pattern of recipient[id]",
    "I",
)
STICKER_WITH_CONTENT = ErrorSpec(
    "sticker_with_content",
    100,
    "(#100) Only one of sticker_id, text or attachment can be specified",
    "a sticker is a message of its own: not with text or an attachment",
    "https://developers.facebook.com/documentation/business-messaging/messenger-platform/"
    "send-messages/sticker-api (the send is message: {sticker_id}); wording inferred",
    "I",
)
IMAGE_GRID_HERO = ErrorSpec(
    "image_grid_hero",
    100,
    "(#100) At most one image in the grid can have is_hero_image set to true",
    "an image grid has at most one hero image",
    "https://developers.facebook.com/documentation/business-messaging/messenger-platform/"
    'send-messages/template/image-grid ("sending more than one fails with an error"); '
    "wording inferred",
    "I",
)
IMAGE_GRID_TOO_FEW = ErrorSpec(
    "image_grid_too_few",
    105,
    "(#105) param {param} has too few elements.",
    f"an image grid shows {limits.IMAGE_GRID_IMAGES[0]} to {limits.IMAGE_GRID_IMAGES[1]} images",
    "https://developers.facebook.com/documentation/business-messaging/messenger-platform/"
    'send-messages/template/image-grid ("Minimum of 2, maximum of 6"); the wording of the '
    "observed too-many answer (105), inferred",
    "I",
)
AIRLINE_BARCODE = ErrorSpec(
    "airline_barcode",
    100,
    "(#100) Exactly one of qr_code or barcode_image_url is required",
    "a boarding pass carries a qr_code or a barcode_image_url, not both",
    "https://developers.facebook.com/docs/messenger-platform/reference/templates/"
    'airline-boarding-pass (qr_code: "Either qr_code or barcode_image_url is required"); '
    "wording inferred",
    "I",
)
OPTIN_REQUEST_OUTSIDE_WINDOW = ErrorSpec(
    "optin_request_outside_window",
    10,
    WINDOW_MESSAGE,
    "an opt-in request (notification_messages, one_time_notif_req) is sent only within the "
    "24-hour window, whatever the tag",
    f'{D_MARKETING} ("You can only send a subscription request within the standard messaging '
    'window"); the window answer (10/2018278)',
    "D",
    subcode=2018278,
)

# --- utility messages (messaging_type UTILITY; issue 13) --------------------------------

D_UTILITY = (
    "https://developers.facebook.com/documentation/business-messaging/messenger-platform/"
    "send-messages/utility-messages"
)
WA_TEMPLATE_ERRORS = "WhatsApp Cloud API error codes 132000 and 132012 (the wording, adapted)"

UTILITY_PERMISSION = ErrorSpec(
    "permission_pages_utility_messaging",
    100,
    "Requires pages_utility_messaging permission to manage the object",
    "a utility message needs the pages_utility_messaging permission (beside pages_messaging)",
    f'{D_UTILITY} ("granted your app the page_utility_messaging permission"); {REF} §15.5 '
    "(the text as integrations match it, 2026; code 100 and subcode 1893043 are listed with it "
    "there, their pairing with this text inferred)",
    "O",
    subcode=1893043,
)
UTILITY_TEMPLATE_REQUIRED = ErrorSpec(
    "utility_template_required",
    100,
    "(#100) The parameter message[template] is required",
    "messaging_type UTILITY sends message.template (an object), not text or attachments",
    f"{D_UTILITY}; pattern of `The parameter recipient is required`",
    "I",
)
UTILITY_TEMPLATE_FIELD = ErrorSpec(
    "utility_template_field_required",
    100,
    "(#100) The parameter {param} is required",
    "message.template names the template (`name`) and its language (`language.code`)",
    f"{D_UTILITY}; pattern of `The parameter recipient is required`",
    "I",
)
UTILITY_COMPONENTS_INVALID = ErrorSpec(
    "utility_components_invalid",
    100,
    "(#100) param message[template][components] must be an array.",
    "message.template.components is an array of component objects",
    f"{D_UTILITY}; pattern of `param message[quick_replies] must be an array.`",
    "I",
)
UTILITY_TEMPLATE_NOT_FOUND = ErrorSpec(
    "utility_template_not_found",
    100,
    "(#100) Template cannot be found.",
    "the template named (name and language.code) is one of the page's utility templates "
    "(scenario pages[].utility_templates)",
    f"{D_UTILITY}; {REF} §15.5 (live, 2026)",
    "O",
)
UTILITY_PARAMS_COUNT = ErrorSpec(
    "utility_params_count",
    100,
    "(#100) Number of parameters does not match the expected number of params",
    "a utility send fills every placeholder of the template's header, body and buttons, no "
    "more and no fewer",
    f"{D_UTILITY} (components fill the placeholders); {WA_TEMPLATE_ERRORS}",
    "I",
)
UTILITY_PARAMS_FORMAT = ErrorSpec(
    "utility_params_format",
    100,
    "(#100) Parameter format does not match format in the created template",
    "components are header, body or buttons (once each); a text parameter has `text` (and "
    "the `parameter_name` of a named placeholder); a button parameter has its type's payload "
    "or url",
    f"{D_UTILITY} (positional and named parameters); {WA_TEMPLATE_ERRORS}",
    "I",
)

# --- the emulator itself ----------------------------------------------------------------

UNKNOWN_ERROR = ErrorSpec(
    "unknown_error",
    1,
    "An unknown error occurred",
    "an unexpected failure inside the emulator (a bug: please report it)",
    f"{REF} §7.4 (code 1, HTTP 500)",
    "O",
    subcode=99,
    status=500,
)
AMBIGUOUS_NAMESPACE_TOKEN = ErrorSpec(
    "ambiguous_namespace_token",
    190,
    "(#190) This access token belongs to several emulator namespaces ({names}): send to your "
    "namespace's Graph URL, /_emulator/namespaces/<name>/graph, instead",
    "emulator only: a Graph call at the root is served by the namespace owning its token; a "
    "token that several namespaces share routes nowhere",
    "docs/namespaces.md",
    "I",
)

ALL: tuple[ErrorSpec, ...] = tuple(v for v in list(globals().values()) if isinstance(v, ErrorSpec))
BY_KEY: dict[str, ErrorSpec] = {spec.key: spec for spec in ALL}
