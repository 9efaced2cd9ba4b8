"""Complete, valid message contents for every template and attachment kind.

The receipt is the seed document's example, verbatim (shared/seeds/002_13ac4b8f9cdb2d47.txt).
Tests take copies (`sample(name)`) and break one thing at a time.
"""

from __future__ import annotations

import copy
import json
from typing import Any

SEED_RECEIPT_JSON = """{
  "recipient":{
    "id":"<PSID>"
  },
  "message":{
    "attachment":{
      "type":"template",
      "payload":{
        "template_type":"receipt",
        "recipient_name":"Stephane Crozatier",
        "order_number":"12345678902",
        "currency":"USD",
        "payment_method":"Visa 2345",
        "order_url":"http://petersapparel.parseapp.com/order?order_id=123456",
        "timestamp":"1428444852",
        "address":{
          "street_1":"1 Hacker Way",
          "street_2":"",
          "city":"Menlo Park",
          "postal_code":"94025",
          "state":"CA",
          "country":"US"
        },
        "summary":{
          "subtotal":75.00,
          "shipping_cost":4.95,
          "total_tax":6.19,
          "total_cost":56.14
        },
        "adjustments":[
          {
            "name":"New Customer Discount",
            "amount":20
          },
          {
            "name":"$10 Off Coupon",
            "amount":10
          }
        ],
        "elements":[
          {
            "title":"Classic White T-Shirt",
            "subtitle":"100% Soft and Luxurious Cotton",
            "quantity":2,
            "price":50,
            "currency":"USD",
            "image_url":"http://petersapparel.parseapp.com/img/whiteshirt.png"
          },
          {
            "title":"Classic Gray T-Shirt",
            "subtitle":"100% Soft and Luxurious Cotton",
            "quantity":1,
            "price":25,
            "currency":"USD",
            "image_url":"http://petersapparel.parseapp.com/img/grayshirt.png"
          }
        ]
      }
    }
  }
}"""

URL_BUTTON = {"type": "web_url", "url": "https://acme.test/shoes", "title": "View"}
POSTBACK_BUTTON = {"type": "postback", "title": "Buy", "payload": "BUY_42"}
CALL_BUTTON = {"type": "phone_number", "title": "Call us", "payload": "+15105551234"}


def template(payload: dict[str, Any]) -> dict[str, Any]:
    return {"attachment": {"type": "template", "payload": payload}}


FLIGHT = {
    "flight_number": "KL0642",
    "departure_airport": {
        "airport_code": "JFK",
        "city": "New York",
        "terminal": "T1",
        "gate": "D57",
    },
    "arrival_airport": {"airport_code": "AMS", "city": "Amsterdam"},
    "flight_schedule": {"departure_time": "2016-01-02T19:05", "arrival_time": "2016-01-05T17:30"},
}
MESSAGES: dict[str, dict[str, Any]] = {
    "receipt": json.loads(SEED_RECEIPT_JSON)["message"],
    "generic": template(
        {
            "template_type": "generic",
            "sharable": True,
            "image_aspect_ratio": "square",
            "elements": [
                {
                    "title": "Runner 3000",
                    "subtitle": "Light and fast",
                    "image_url": "https://acme.test/runner.png",
                    "default_action": {
                        "type": "web_url",
                        "url": "https://acme.test/runner",
                        "webview_height_ratio": "tall",
                    },
                    "buttons": [URL_BUTTON, POSTBACK_BUTTON, CALL_BUTTON],
                }
            ],
        }
    ),
    "button": template(
        {
            "template_type": "button",
            "text": "What do you want to do next?",
            "buttons": [URL_BUTTON, POSTBACK_BUTTON],
        }
    ),
    "media": template(
        {
            "template_type": "media",
            "elements": [
                {
                    "media_type": "image",
                    "url": "https://www.facebook.com/photo.php?fbid=123",
                    "buttons": [URL_BUTTON],
                }
            ],
        }
    ),
    "customer_feedback": template(
        {
            "template_type": "customer_feedback",
            "title": "Rate your experience with Original Coast Clothing.",
            "subtitle": "Let Original Coast Clothing know how they are doing.",
            "button_title": "Rate Experience",
            "feedback_screens": [
                {
                    "questions": [
                        {
                            "id": "hauydmns8",
                            "type": "csat",
                            "title": "How would you rate our service?",
                            "score_label": "neg_pos",
                            "score_option": "five_stars",
                            "follow_up": {
                                "type": "free_form",
                                "placeholder": "Give additional feedback",
                            },
                        }
                    ]
                }
            ],
            "business_privacy": {"url": "https://www.example.com"},
            "expires_in_days": 3,
        }
    ),
    "coupon": template(
        {
            "template_type": "coupon",
            "title": "10% off your next pair",
            "subtitle": "Valid until Sunday",
            "coupon_code": "SHOES10",
            "coupon_url": "https://acme.test/coupon",
            "coupon_url_button_title": "Shop now",
            "coupon_pre_message": "Here is a gift",
            "image_url": "https://acme.test/coupon.png",
            "payload": "COUPON_SHOES10",
        }
    ),
    "product": template({"template_type": "product", "elements": [{"id": "5000000000000001"}]}),
    # the airline templates: no source dates their retirement (docs/deviations.md)
    "airline_boardingpass": template(
        {
            "template_type": "airline_boardingpass",
            "intro_message": "You are checked in.",
            "locale": "en_US",
            "theme_color": "#0a66c2",
            "boarding_pass": [
                {
                    "passenger_name": "SMITH/NICOLAS",
                    "pnr_number": "CG4X7U",
                    "travel_class": "business",
                    "seat": "74J",
                    "auxiliary_fields": [{"label": "Terminal", "value": "T1"}],
                    "secondary_fields": [{"label": "Gate", "value": "D57"}],
                    "logo_image_url": "https://acme.test/logo.png",
                    "header_image_url": "https://acme.test/header.png",
                    "qr_code": "M1SMITH/NICOLAS CG4X7U nawouehgawgnapwi3jfa0wfh",
                    "above_bar_code_image_url": "https://acme.test/plat.png",
                    "flight_info": FLIGHT,
                }
            ],
        }
    ),
    "airline_checkin": template(
        {
            "template_type": "airline_checkin",
            "intro_message": "Check-in is available now.",
            "locale": "en_US",
            "pnr_number": "ABCDEF",
            "checkin_url": "https://acme.test/check-in",
            "flight_info": [FLIGHT],
        }
    ),
    "airline_itinerary": template(
        {
            "template_type": "airline_itinerary",
            "intro_message": "Here is your flight itinerary.",
            "locale": "en_US",
            "pnr_number": "ABCDEF",
            "passenger_info": [
                {
                    "name": "Farbound Smith Jr",
                    "ticket_number": "0741234567890",
                    "passenger_id": "p001",
                }
            ],
            "flight_info": [
                {
                    "connection_id": "c001",
                    "segment_id": "s001",
                    **FLIGHT,
                    "aircraft_type": "Boeing 737",
                    "travel_class": "business",
                }
            ],
            "passenger_segment_info": [
                {
                    "segment_id": "s001",
                    "passenger_id": "p001",
                    "seat": "12A",
                    "seat_type": "Business",
                    "product_info": [{"label": "Lounge", "value": "Complimentary lounge access"}],
                }
            ],
            "price_info": [{"title": "Fuel surcharge", "amount": "1597", "currency": "USD"}],
            "base_price": "12206",
            "tax": "200",
            "total_price": "14003",
            "currency": "USD",
        }
    ),
    "airline_update": template(
        {
            "template_type": "airline_update",
            "intro_message": "Your flight is delayed",
            "update_type": "delay",
            "locale": "en_US",
            "pnr_number": "CF23G2",
            "update_flight_info": FLIGHT,
        }
    ),
    "image": {"attachment": {"type": "image", "payload": {"url": "https://acme.test/a.png"}}},
    "audio": {"attachment": {"type": "audio", "payload": {"url": "https://acme.test/a.mp3"}}},
    "video": {"attachment": {"type": "video", "payload": {"url": "https://acme.test/a.mp4"}}},
    "file": {"attachment": {"type": "file", "payload": {"url": "https://acme.test/a.pdf"}}},
}

# Templates the platform added or retired on a date (issue 13): valid in their own era only,
# so sent by the tests of that era (test_retired_features.py, test_new_content.py).
DATED_MESSAGES: dict[str, dict[str, Any]] = {
    "notification_messages": template(
        {
            "template_type": "notification_messages",
            "title": "Summer sale alerts",
            "image_url": "https://acme.test/sale.png",
            "payload": "SALE_ALERTS",
            "notification_messages_frequency": "WEEKLY",
            "notification_messages_reoptin": "ENABLED",
            "notification_messages_timezone": "Europe/London",
            "notification_messages_cta_text": "GET_UPDATES",
        }
    ),
    "one_time_notif_req": template(
        {"template_type": "one_time_notif_req", "title": "Back in stock?", "payload": "RESTOCK"}
    ),
    "image_grid": template(
        {
            "template_type": "image_grid",
            "elements": [
                {
                    "title": "New season",
                    "subtitle": "Four looks for spring",
                    "images": [
                        {
                            "url": "https://acme.test/look1.png",
                            "is_hero_image": False,
                            "action": {"type": "web_url", "url": "https://acme.test/look1"},
                        },
                        {
                            "url": "https://acme.test/look2.png",
                            "is_hero_image": True,
                            "action": {"type": "postback", "payload": "LOOK_2"},
                        },
                        {"url": "https://acme.test/look3.png"},
                    ],
                    "buttons": [
                        {"type": "web_url", "title": "Shop all", "url": "https://acme.test/"},
                        {"type": "postback", "title": "More", "payload": "MORE_LOOKS"},
                    ],
                }
            ],
        }
    ),
}


def dated_sample(name: str) -> dict[str, Any]:
    """A fresh deep copy of a valid message of DATED_MESSAGES."""
    return copy.deepcopy(DATED_MESSAGES[name])


def sample(name: str) -> dict[str, Any]:
    """A fresh deep copy of a valid message."""
    return copy.deepcopy(MESSAGES[name])
