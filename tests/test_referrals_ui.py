"""The web UI plays a referral: the composer's "arrive by referral" control (skipped, as the
other browser tests, where Chromium or Playwright is missing)."""

from __future__ import annotations

from conftest import LONG_AGO
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


def test_the_composer_plays_each_referral_source(page: Page, stack: Stack) -> None:  # noqa: F811
    open_ui(page, stack, LONG_AGO)
    toggle = page.get_by_test_id("referral-toggle")
    plays = [
        ("SHORTLINK", "summer", None, "Arrived by an m.me link · ref summer"),
        ("ADS", "", "6045246247433", "Arrived by an ad · ad 6045246247433"),
        ("CUSTOMER_CHAT_PLUGIN", "", "https://shop.example/", "Arrived by the chat plugin"),
    ]
    for source, ref, extra, shown in plays:
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        page.get_by_test_id("referral-source").select_option(source)
        page.get_by_test_id("referral-ref").fill(ref)
        if extra is None:
            expect(page.get_by_test_id("referral-extra")).to_be_hidden()
        else:
            page.get_by_test_id("referral-extra").fill(extra)
        page.get_by_test_id("referral-send").click()
        expect(bubbles(page, "inbound").filter(has_text=shown)).to_have_count(1)
        expect(page.get_by_test_id("referral-form")).to_be_hidden()
    records = stack.client.get("/_emulator/webhooks").json()["data"]
    referrals = [r for r in records if r["field"] == "messaging_referrals"]
    assert [r["status"] for r in referrals] == ["delivered"] * 3
