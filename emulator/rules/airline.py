"""The airline templates (`airline_boardingpass`, `airline_checkin`, `airline_itinerary`,
`airline_update`) as field specs. Absent from Meta's template list of June 2026, but no source
dates a retirement (shared/reference/send-api.md §15.5): accepted in every era, with the
fields of Meta's airline template references (a listed deviation in docs/deviations.md).

Sources: https://developers.facebook.com/docs/messenger-platform/reference/templates/
airline-boarding-pass (and …/airline-checkin, …/airline-itinerary, …/airline-flight-update);
a boarding pass as bots sent it (pastebin.com/aiAujcDj).
"""

from __future__ import annotations

from typing import Any

from emulator.rules import limits
from emulator.rules.fields import Field, Where, raises
from emulator.wire import catalog

D_AIRLINE = "https://developers.facebook.com/docs/messenger-platform/reference/templates/"
TEMPLATE_TYPE = Field("template_type", required=True)
INTRO = Field("intro_message", required=True)
LOCALE = Field("locale", required=True)
THEME = Field("theme_color")


def _airport(name: str) -> Field:
    return Field(
        name,
        "obj",
        required=True,
        fields=(
            Field("airport_code", required=True),
            Field("city", required=True),
            Field("terminal"),
            Field("gate"),
        ),
    )


SCHEDULE = Field(
    "flight_schedule",
    "obj",
    required=True,
    fields=(
        Field("boarding_time"),
        Field("departure_time", required=True),
        Field("arrival_time"),
    ),
)
FLIGHT = (
    Field("flight_number", required=True),
    _airport("departure_airport"),
    _airport("arrival_airport"),
    SCHEDULE,
)


def _label_values(name: str) -> Field:
    return Field(
        name,
        "arr",
        max_items=limits.AIRLINE_FIELDS_MAX,
        fields=(Field("label", required=True), Field("value", required=True)),
    )


@raises(catalog.AIRLINE_BARCODE)
def _barcode(value: Any, where: Where) -> None:
    """A qr_code or a barcode_image_url, not both."""
    if (value.get("qr_code") is None) == (value.get("barcode_image_url") is None):
        raise where.fail(catalog.AIRLINE_BARCODE)


BOARDING_PASS = Field(
    "airline_boardingpass",
    "obj",
    fields=(
        TEMPLATE_TYPE,
        INTRO,
        LOCALE,
        THEME,
        Field(
            "boarding_pass",
            "arr",
            required=True,
            min_items=1,
            fields=(
                Field("passenger_name", required=True),
                Field("pnr_number", required=True),
                Field("travel_class", "enum", choices=limits.AIRLINE_TRAVEL_CLASSES),
                Field("seat"),
                _label_values("auxiliary_fields"),
                _label_values("secondary_fields"),
                Field("logo_image_url", "url", required=True),
                Field("header_image_url", "url"),
                Field("qr_code"),
                Field("barcode_image_url", "url"),
                Field("above_bar_code_image_url", "url", required=True),
                Field("flight_info", "obj", required=True, fields=FLIGHT),
            ),
            check=_barcode,
        ),
    ),
    source=f"{D_AIRLINE}airline-boarding-pass",
)

CHECKIN = Field(
    "airline_checkin",
    "obj",
    fields=(
        TEMPLATE_TYPE,
        INTRO,
        LOCALE,
        THEME,
        Field("pnr_number", required=True),
        Field("checkin_url", "url", required=True),
        Field("flight_info", "arr", required=True, min_items=1, fields=FLIGHT),
    ),
    source=f"{D_AIRLINE}airline-checkin",
)

ITINERARY = Field(
    "airline_itinerary",
    "obj",
    fields=(
        TEMPLATE_TYPE,
        INTRO,
        LOCALE,
        THEME,
        Field("pnr_number", required=True),
        Field(
            "passenger_info",
            "arr",
            required=True,
            min_items=1,
            fields=(
                Field("passenger_id", required=True),
                Field("ticket_number"),
                Field("name", required=True),
            ),
        ),
        Field(
            "flight_info",
            "arr",
            required=True,
            min_items=1,
            fields=(
                Field("connection_id", required=True),
                Field("segment_id", required=True),
                *FLIGHT,
                Field("aircraft_type"),
                Field("travel_class", "enum", required=True, choices=limits.AIRLINE_TRAVEL_CLASSES),
            ),
        ),
        Field(
            "passenger_segment_info",
            "arr",
            required=True,
            min_items=1,
            fields=(
                Field("segment_id", required=True),
                Field("passenger_id", required=True),
                Field("seat", required=True),
                Field("seat_type", required=True),
                _label_values("product_info"),
            ),
        ),
        Field(
            "price_info",
            "arr",
            max_items=limits.AIRLINE_PRICE_INFO_MAX,
            fields=(
                Field("title", required=True),
                Field("amount", "num", required=True),
                Field("currency"),
            ),
        ),
        Field("base_price", "num"),
        Field("tax", "num"),
        Field("total_price", "num", required=True),
        Field("currency", required=True),
    ),
    source=f"{D_AIRLINE}airline-itinerary",
)

UPDATE = Field(
    "airline_update",
    "obj",
    fields=(
        TEMPLATE_TYPE,
        Field("intro_message"),
        THEME,
        Field("update_type", "enum", required=True, choices=limits.AIRLINE_UPDATE_TYPES),
        LOCALE,
        Field("pnr_number"),
        Field("update_flight_info", "obj", required=True, fields=FLIGHT),
    ),
    source=f"{D_AIRLINE}airline-flight-update",
)

AIRLINE_TEMPLATES: dict[str, Field] = {
    "airline_boardingpass": BOARDING_PASS,
    "airline_checkin": CHECKIN,
    "airline_itinerary": ITINERARY,
    "airline_update": UPDATE,
}
