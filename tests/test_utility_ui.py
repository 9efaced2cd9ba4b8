"""The web UI shows a utility message as the person sees it: the template's header, body and
buttons filled in (skipped, as the other browser tests, where Chromium or Playwright is
missing)."""

from __future__ import annotations

import copy

from conftest import IN_WINDOW, send
from test_ui_browser import (  # noqa: F401 (the fixtures: browser, page, stack)
    Page,
    Stack,
    browser,
    bubbles,
    expect,
    open_ui,
    page,
    stack,
)

TEMPLATE = {
    "name": "order_confirmation",
    "language": "en",
    "header": "{{1}} Update",
    "body": "Your order is now {{1}}",
    "buttons": [{"type": "POSTBACK", "text": "Track Order", "payload": "order_{{1}}"}],
}


def test_a_utility_message_shows_its_filled_template(page: Page, stack: Stack) -> None:  # noqa: F811
    original = stack.client.get("/_emulator/scenario").json()
    changed = copy.deepcopy(original)
    first = changed["pages"][0]
    first["utility_templates"] = [TEMPLATE]
    first["tokens"][0]["permissions"] = [
        *first["tokens"][0]["permissions"],
        "pages_utility_messaging",
    ]
    assert stack.client.put("/_emulator/scenario", json=changed).status_code == 200
    try:
        open_ui(page, stack, IN_WINDOW)
        body = {
            "recipient": {"id": IN_WINDOW},
            "messaging_type": "UTILITY",
            "message": {
                "template": {
                    "name": "order_confirmation",
                    "language": {"code": "en"},
                    "components": [
                        {"type": "header", "parameters": [{"type": "text", "text": "Order"}]},
                        {"type": "body", "parameters": [{"type": "text", "text": "shipped"}]},
                        {"type": "buttons", "parameters": [{"type": "POSTBACK", "payload": "42"}]},
                    ],
                }
            },
        }
        response = send(stack.client, body)
        assert response.status_code == 200, response.text
        bubble = bubbles(page, "sent").filter(has_text="Your order is now shipped")
        expect(bubble).to_have_attribute("data-type", "utility")
        expect(bubble).to_have_attribute("data-template", "order_confirmation")
        expect(bubble.get_by_test_id("utility-label")).to_contain_text("order_confirmation")
        expect(bubble).to_contain_text("Order Update")
        expect(bubble.get_by_test_id("postback-button")).to_have_attribute(
            "data-payload", "order_42"
        )
    finally:
        assert stack.client.put("/_emulator/scenario", json=original).status_code == 200
