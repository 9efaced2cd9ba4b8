"""The templates (`attachment.type: template`) as field specs, and the attachment payloads.

Sources: shared/seeds/002_13ac4b8f9cdb2d47.txt (receipt, every field), shared/reference/
send-api.md §5 (generic, button, media, customer feedback, coupon, product) and §4.1 (media
payloads). Graph names template fields `name_placeholder[...]` in its errors.
"""

from __future__ import annotations

import re
from typing import Any

from emulator.rules import limits
from emulator.rules.airline import AIRLINE_TEMPLATES
from emulator.rules.buttons import DEFAULT_ACTION, buttons
from emulator.rules.currencies import MINOR_UNITS
from emulator.rules.fields import Field, Where, as_number, check_object, decimals, got, raises
from emulator.rules.image_grid import IMAGE_GRID
from emulator.rules.optin_templates import NOTIFICATION_MESSAGES, ONE_TIME_NOTIF_REQ
from emulator.wire import catalog

SEED_RCPT = "shared/seeds/002_13ac4b8f9cdb2d47.txt"
PLACEHOLDER = "name_placeholder"
_HAS_URL = re.compile(r"https?://|www\.", re.IGNORECASE)
_QUESTION_ID = re.compile(r"[A-Za-z0-9_]+")
_COUNTRY = re.compile(r"[A-Za-z]{2}")
_HOST = re.compile(r"^https?://([^/:?#]+).*$", re.IGNORECASE | re.DOTALL)

TEMPLATE_TYPE = Field("template_type", required=True)
SHARABLE = Field("sharable", "bool")


# --- generic ----------------------------------------------------------------------------


@raises(catalog.ELEMENT_INCOMPLETE)
def _element_complete(value: Any, where: Where) -> None:
    """Title and at least one other field (image url, subtitle or buttons)."""
    if not any(value.get(key) for key in ("subtitle", "image_url", "buttons")):
        raise where.fail(catalog.ELEMENT_INCOMPLETE)


def _generic(button_types: tuple[str, ...]) -> Field:
    return Field(
        "generic",
        "obj",
        fields=(
            TEMPLATE_TYPE,
            SHARABLE,
            Field("image_aspect_ratio", "enum", choices=limits.IMAGE_ASPECT_RATIOS),
            Field(
                "elements",
                "arr",
                required=True,
                min_items=1,
                max_items=limits.GENERIC_ELEMENTS_MAX,
                fields=(
                    Field("title", required=True, max_len=limits.TEMPLATE_TITLE_MAX),
                    Field("subtitle", max_len=limits.TEMPLATE_TITLE_MAX),
                    Field("image_url", "url"),
                    DEFAULT_ACTION,
                    buttons(button_types),
                ),
                check=_element_complete,
            ),
        ),
        source="https://developers.facebook.com/docs/messenger-platform/reference/templates/"
        "generic",
    )


GENERIC = _generic(limits.TEMPLATE_BUTTON_TYPES)

# --- button -----------------------------------------------------------------------------


def _button(button_types: tuple[str, ...]) -> Field:
    return Field(
        "button",
        "obj",
        fields=(
            TEMPLATE_TYPE,
            SHARABLE,
            Field("text", required=True, max_len=limits.BUTTON_TEMPLATE_TEXT_MAX),
            buttons(button_types, required=True, empty_error=catalog.ARRAY_MUST_BE_NON_EMPTY),
        ),
        source="https://developers.facebook.com/docs/messenger-platform/reference/templates/button",
    )


BUTTON = _button(limits.TEMPLATE_BUTTON_TYPES)

# --- media ------------------------------------------------------------------------------


@raises(catalog.MEDIA_TYPE_INVALID)
def _media_type(value: Any, where: Where) -> None:
    """image or video."""
    if not isinstance(value, str) or value.lower() not in limits.MEDIA_TYPES:
        raise where.fail(catalog.MEDIA_TYPE_INVALID)


@raises(catalog.MEDIA_SOURCE_REQUIRED, catalog.MEDIA_URL_NOT_FACEBOOK)
def _media_source(value: Any, where: Where) -> None:
    """A Facebook url or a saved attachment_id, not both."""
    url, saved = value.get("url"), value.get("attachment_id")
    if (url is None) == (saved is None):
        raise where.fail(catalog.MEDIA_SOURCE_REQUIRED)
    if url is not None:
        host = _HOST.sub(r"\1", url).lower()
        if not any(host == h or host.endswith("." + h) for h in limits.MEDIA_URL_HOSTS):
            raise (where / "url").fail(catalog.MEDIA_URL_NOT_FACEBOOK)


MEDIA = Field(
    "media",
    "obj",
    fields=(
        TEMPLATE_TYPE,
        SHARABLE,
        Field(
            "elements",
            "arr",
            required=True,
            min_items=1,
            max_items=limits.MEDIA_ELEMENTS_MAX,
            fields=(
                Field("media_type", required=True, check=_media_type),
                Field("url", "url"),
                Field("attachment_id", "id"),
                buttons(),
            ),
            check=_media_source,
        ),
    ),
    source="https://developers.facebook.com/docs/messenger-platform/reference/templates/media",
)

# --- receipt (SEED-RCPT: every field of the seed's property tables) ----------------------


@raises(catalog.CURRENCY_INVALID)
def _currency(value: Any, where: Where) -> None:
    """An ISO 4217 code in upper case."""
    if not isinstance(value, str) or value not in MINOR_UNITS:
        raise where.fail(catalog.CURRENCY_INVALID, currency=str(value))


def _is_currency(value: Any) -> bool:
    return type(value) is str and value in MINOR_UNITS  # _currency's yes


@raises(catalog.COUNTRY_CODE_INVALID)
def _country(value: Any, where: Where) -> None:
    """Two letters."""
    if not isinstance(value, str) or not _COUNTRY.fullmatch(value):
        raise where.fail(catalog.COUNTRY_CODE_INVALID)


def _is_country(value: Any) -> bool:
    return type(value) is str and _COUNTRY.fullmatch(value) is not None  # _country's yes


@raises(catalog.AMOUNT_INVALID)
def _receipt_amounts(value: Any, where: Where) -> None:
    """Summary amounts are valid positive decimals, within the currency's decimal places."""
    places = MINOR_UNITS.get(value.get("currency"), 2)
    summary = value.get("summary")
    if not isinstance(summary, dict):
        return
    for key in ("subtotal", "shipping_cost", "total_tax", "total_cost"):
        amount = summary.get(key)
        if amount is None:
            continue
        number = as_number(amount)
        if number is None or number < 0 or decimals(amount) > places:
            raise (where / "summary" / key).fail(catalog.AMOUNT_INVALID)


RECEIPT = Field(
    "receipt",
    "obj",
    fields=(
        TEMPLATE_TYPE,
        SHARABLE,
        Field("recipient_name", required=True),
        Field("merchant_name"),
        Field("order_number", required=True),
        Field("currency", required=True, check=_currency, accepts=_is_currency),
        Field("payment_method", required=True),
        Field("order_url", "url"),
        Field("timestamp"),
        Field(
            "elements",
            "arr",
            max_items=limits.RECEIPT_ELEMENTS_MAX,
            fields=(
                Field("title", required=True),
                Field("subtitle"),
                Field("quantity", "num"),
                Field("price", "num", required=True),
                Field("currency", check=_currency, accepts=_is_currency),
                Field("image_url", "url"),
            ),
        ),
        Field(
            "address",
            "obj",
            fields=(
                Field("street_1", required=True),
                Field("street_2", allow_empty=True),
                Field("city", required=True),
                Field("postal_code", required=True),
                Field("state", required=True),
                Field("country", required=True, check=_country, accepts=_is_country),
            ),
        ),
        Field(
            "summary",
            "obj",
            required=True,
            fields=(
                Field("subtotal", "num"),
                Field("shipping_cost", "num"),
                Field("total_tax", "num"),
                Field("total_cost", "num", required=True),
            ),
        ),
        Field(
            "adjustments",
            "arr",
            fields=(Field("name", required=True), Field("amount", "num", required=True)),
        ),
    ),
    check=_receipt_amounts,
    source=SEED_RCPT,
)

# --- customer feedback ------------------------------------------------------------------


@raises(catalog.TEXT_HAS_URL)
def _no_url(value: Any, where: Where) -> None:
    """No URLs."""
    if isinstance(value, str) and _HAS_URL.search(value):
        raise where.fail(catalog.TEXT_HAS_URL)


@raises(catalog.QUESTION_ID_INVALID)
def _question_id(value: Any, where: Where) -> None:
    """Letters, digits and underscores."""
    if not isinstance(value, str) or not _QUESTION_ID.fullmatch(value):
        raise where.fail(catalog.QUESTION_ID_INVALID)


@raises(catalog.FEEDBACK_SCORE_OPTION)
def _question(value: Any, where: Where) -> None:
    """score_option fits the question type."""
    option, kind = value.get("score_option"), str(value.get("type", "")).lower()
    allowed = limits.FEEDBACK_SCORE_OPTIONS.get(kind, ())
    if option is not None and str(option).lower() not in allowed:
        raise (where / "score_option").fail(
            catalog.FEEDBACK_SCORE_OPTION,
            allowed=", ".join(o.upper() for o in allowed),  # declared order
            kind=kind.upper(),
            got=got(option),
        )


@raises(catalog.EXPIRES_IN_DAYS_INVALID)
def _expires_in_days(value: Any, where: Where) -> None:
    """A whole number from 1 to 7."""
    low, high = limits.FEEDBACK_EXPIRES_DAYS
    number = as_number(value)
    if number is None or number != int(number) or not low <= number <= high:
        raise where.fail(catalog.EXPIRES_IN_DAYS_INVALID)


QUESTION = Field(
    "questions",
    "arr",
    required=True,
    min_items=1,
    max_items=limits.FEEDBACK_QUESTIONS_MAX,
    fields=(
        Field("id", required=True, max_len=limits.FEEDBACK_QUESTION_ID_MAX, check=_question_id),
        Field("type", "enum", required=True, choices=limits.FEEDBACK_QUESTION_TYPES),
        Field(
            "title",
            min_len=limits.FEEDBACK_QUESTION_TITLE_MIN,
            max_len=limits.FEEDBACK_QUESTION_TITLE_MAX,
            check=_no_url,
        ),
        Field("score_label", "enum", choices=limits.FEEDBACK_SCORE_LABELS),
        Field(
            "score_option",
            "enum",
            choices=tuple(o for opts in limits.FEEDBACK_SCORE_OPTIONS.values() for o in opts),
        ),
        Field(
            "follow_up",
            "obj",
            fields=(
                Field("type", "enum", required=True, choices=("free_form",)),
                Field("placeholder", max_len=limits.FEEDBACK_PLACEHOLDER_MAX),
            ),
        ),
    ),
    check=_question,
)
CUSTOMER_FEEDBACK = Field(
    "customer_feedback",
    "obj",
    fields=(
        TEMPLATE_TYPE,
        Field("title", required=True, max_len=limits.FEEDBACK_TITLE_MAX, check=_no_url),
        Field("subtitle", required=True, max_len=limits.FEEDBACK_SUBTITLE_MAX, check=_no_url),
        Field(
            "button_title", required=True, max_len=limits.FEEDBACK_BUTTON_TITLE_MAX, check=_no_url
        ),
        Field(
            "feedback_screens",
            "arr",
            required=True,
            min_items=1,
            max_items=limits.FEEDBACK_SCREENS_MAX,
            fields=(QUESTION,),
        ),
        Field(
            "business_privacy", "obj", required=True, fields=(Field("url", "url", required=True),)
        ),
        Field("expires_in_days", "num", check=_expires_in_days),
    ),
    source="https://developers.facebook.com/docs/messenger-platform/send-messages/templates/"
    "customer-feedback-template",
)

# --- coupon -----------------------------------------------------------------------------


@raises(catalog.COUPON_CODE_OR_URL)
def _coupon_source(value: Any, where: Where) -> None:
    """A coupon_code or a coupon_url."""
    if value.get("coupon_code") is None and value.get("coupon_url") is None:
        raise where.fail(catalog.COUPON_CODE_OR_URL)


@raises(catalog.COUPON_CODE_SPACES)
def _no_spaces(value: Any, where: Where) -> None:
    """No spaces."""
    if isinstance(value, str) and any(ch.isspace() for ch in value):
        raise where.fail(catalog.COUPON_CODE_SPACES)


COUPON = Field(
    "coupon",
    "obj",
    fields=(
        TEMPLATE_TYPE,
        Field("title", required=True, max_len=limits.TEMPLATE_TITLE_MAX),
        Field("subtitle", max_len=limits.TEMPLATE_TITLE_MAX),
        Field("coupon_code", check=_no_spaces),
        Field("coupon_url", "url"),
        Field("coupon_url_button_title"),
        Field("coupon_pre_message"),
        Field("image_url", "url"),
        Field("payload"),
    ),
    check=_coupon_source,
    source="https://developers.facebook.com/docs/messenger-platform/send-messages/template/coupon",
)

# --- product ----------------------------------------------------------------------------

PRODUCT = Field(
    "product",
    "obj",
    fields=(
        TEMPLATE_TYPE,
        Field(
            "elements",
            "arr",
            required=True,
            min_items=1,
            max_items=limits.PRODUCT_ELEMENTS_MAX,
            fields=(Field("id", "id", required=True),),
        ),
    ),
    source="https://developers.facebook.com/documentation/business-messaging/"
    "messenger-platform/send-messages/template/product",
)

TEMPLATES: dict[str, Field] = {
    "generic": GENERIC,
    "button": BUTTON,
    "media": MEDIA,
    "receipt": RECEIPT,
    "customer_feedback": CUSTOMER_FEEDBACK,
    "coupon": COUPON,
    "product": PRODUCT,
    # issue 13: dated by the emulated clock in policy/dated.py
    "notification_messages": NOTIFICATION_MESSAGES,
    "one_time_notif_req": ONE_TIME_NOTIF_REQ,
    "image_grid": IMAGE_GRID,
    # no source dates their retirement (docs/deviations.md)
    **AIRLINE_TEMPLATES,
}
# Instagram documents generic, button and product templates, with postback and web_url buttons.
INSTAGRAM_TEMPLATES: dict[str, Field] = {
    "generic": _generic(limits.INSTAGRAM_BUTTON_TYPES),
    "button": _button(limits.INSTAGRAM_BUTTON_TYPES),
    "product": PRODUCT,
}

# --- media attachments (audio, file, image, video) ------------------------------------


@raises(catalog.ATTACHMENT_SOURCE_REQUIRED)
def _media_payload_source(value: Any, where: Where) -> None:
    """A url or an attachment_id, not both."""
    if (value.get("url") is None) == (value.get("attachment_id") is None):
        raise where.fail(catalog.ATTACHMENT_SOURCE_REQUIRED)


MEDIA_PAYLOAD = Field(
    "payload",
    "obj",
    fields=(Field("url", "url"), Field("attachment_id", "id"), Field("is_reusable", "bool")),
    check=_media_payload_source,
    source="https://developers.facebook.com/documentation/business-messaging/"
    "messenger-platform/send-messages/saving-assets",
)
UPLOADED_PAYLOAD = Field("payload", "obj", fields=MEDIA_PAYLOAD.fields)  # with a filedata part


def check_template(
    payload: dict[str, Any], version: str, *, instagram: bool = False
) -> tuple[str, tuple[str, ...]]:
    """A template payload: its type (lower case) and the product ids it names."""
    where = Where.root(PLACEHOLDER, "message.attachment.payload")
    kind = payload.get("template_type")
    if kind is None:
        raise (where / "template_type").fail(catalog.FIELD_REQUIRED)
    kind = kind.lower() if isinstance(kind, str) else ""
    spec = (INSTAGRAM_TEMPLATES if instagram else TEMPLATES).get(kind)
    if spec is None:
        raise catalog.TEMPLATE_TYPE_INVALID(path="message.attachment.payload.template_type")
    if kind == "product" and _version(version) < limits.PRODUCT_TEMPLATE_MIN_VERSION:
        raise catalog.PRODUCT_TEMPLATE_VERSION(path="message.attachment.payload.template_type")
    check_object(payload, spec, where)
    if kind == "product":
        return kind, tuple(str(element["id"]) for element in payload["elements"])
    return kind, ()


def check_media_payload(payload: Any, *, uploaded: bool) -> None:
    """An audio/file/image/video payload: a url or an attachment_id (or an uploaded file)."""
    where = Where.root("message[attachment][payload]", "message.attachment.payload")
    check_object(payload, UPLOADED_PAYLOAD if uploaded else MEDIA_PAYLOAD, where)


def _version(version: str) -> tuple[int, int]:
    major, _, minor = version.lstrip("v").partition(".")
    return int(major), int(minor or 0)
