"""The web UI end to end in a real browser: headless Chromium (Debian's `chromium`, driven by
Playwright for Python) against a real `send-api-emulator serve` process whose webhook is the
example bot (examples/echo_bot.py), both on free 127.0.0.1 ports.

What the person types reaches the bot, its answers render live as Messenger shows them, quick
replies and postback buttons round-trip, the clock closes windows, refused sends show their
rule, the inspector lists calls and deliveries, and the page works by keyboard and on a phone.

Without `chromium` or Playwright these tests are skipped with the reason; with
SEND_API_REQUIRE_BROWSER=1 (set by .ci/run) they fail instead. The browser only ever opens the
emulator's own 127.0.0.1 URL: every other request (template images on made-up hosts) is aborted
before it reaches the network. No wall-clock assertions: `expect(...)` waits, its timeout is
only a guard against hangs.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import socket
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from conftest import (
    IN_7_DAYS,
    IN_WINDOW,
    LONG_AGO,
    NEVER_WROTE,
    PAGE,
    ROOT,
    TEST_SCENARIO,
    LiveServer,
    send,
    text_to,
)
from samples import sample
from test_webhooks_delivery import wait_for

sys.path.insert(0, str(ROOT / "examples"))
from echo_bot import create_bot

REQUIRED = os.environ.get("SEND_API_REQUIRE_BROWSER", "") not in ("", "0")
CHROMIUM = shutil.which("chromium")
HAVE_PLAYWRIGHT = importlib.util.find_spec("playwright") is not None
if HAVE_PLAYWRIGHT:
    from playwright.sync_api import Browser, Locator, Page, Route, expect, sync_playwright

    expect.set_options(timeout=15_000)  # a guard against hangs, not a timing assertion


def _missing() -> str | None:
    if not HAVE_PLAYWRIGHT:
        return "Playwright for Python is not installed (pip install -e '.[dev]')"
    if CHROMIUM is None:
        return "no `chromium` on PATH (Debian: apt-get install chromium)"
    return None


MISSING = _missing()
if MISSING and not REQUIRED:
    pytest.skip(f"browser tests need a browser: {MISSING}", allow_module_level=True)

TIMEOUT = 15_000  # ms: a guard against hangs, not a timing assertion
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
PAGE_ERRORS: dict[Page, list[str]] = {}  # uncaught script errors, by page


@dataclass
class Stack:
    url: str  # the emulator's base URL
    client: httpx.Client  # on the emulator
    seen: list[dict[str, Any]]  # the bot's verified events

    def reset(self) -> None:
        self.client.post("/_emulator/reset").raise_for_status()

    def sent_to(self, psid: str) -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = self.client.get(
            "/_emulator/messages", params={"recipient_id": psid}
        ).json()["data"]
        return data


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One emulator process and one example bot for the whole module."""
    folder = tmp_path_factory.mktemp("ui-browser")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    bot_url = f"http://127.0.0.1:{sock.getsockname()[1]}/webhook"
    scenario = folder / "scenario.yaml"
    scenario.write_text(TEST_SCENARIO.read_text() + f"webhook:\n  url: {bot_url}\n")
    emulator = LiveServer(scenario, folder / "emulator.log")
    bot = create_bot(emulator.url, "PAGE_TOKEN", "test-app-secret", "verify-me")
    server = uvicorn.Server(uvicorn.Config(bot, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started, "the bot")
        with httpx.Client(base_url=emulator.url, timeout=10, trust_env=False) as client:
            handshake = client.post("/_emulator/webhooks/verify").json()["handshake"]
            assert handshake["ok"] is True, handshake
            yield Stack(emulator.url, client, bot.state.seen)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        emulator.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if MISSING:
        pytest.fail(f"SEND_API_REQUIRE_BROWSER is set, but {MISSING}", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            # no name resolution at all: nothing but the 127.0.0.1 URLs can be reached
            args=["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"],
        )
        yield browser
        browser.close()


def new_page(browser: Browser, stack: Stack, viewport: dict[str, int]) -> Page:
    """A page in a fresh context (no saved inspector state) that can only reach the emulator."""
    context = browser.new_context(viewport=viewport, device_scale_factor=1)
    origin = stack.url.rstrip("/") + "/"

    def only_the_emulator(route: Route) -> None:
        if route.request.url.startswith(origin):
            route.continue_()
        else:
            route.abort("blockedbyclient")

    context.route("**/*", only_the_emulator)
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    errors = PAGE_ERRORS.setdefault(page, [])
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page


def close(page: Page) -> None:
    """Close the page's context; no uncaught script error may have happened in it."""
    errors = PAGE_ERRORS.pop(page, [])
    page.context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.fixture
def page(browser: Browser, stack: Stack) -> Iterator[Page]:
    stack.reset()
    page = new_page(browser, stack, DESKTOP)
    yield page
    close(page)


def open_ui(page: Page, stack: Stack, psid: str | None = None) -> None:
    """Open the UI (on one conversation) and wait until its event stream is live."""
    page.goto(f"{stack.url}/_emulator/ui" + (f"#/{PAGE}/{psid}" if psid else ""))
    expect(page.get_by_test_id("live-status")).to_have_text("live", timeout=TIMEOUT)
    if psid:
        expect(person(page, psid)).to_have_attribute("aria-current", "true")
    # a marker that a reload would lose: every update below must come live
    page.evaluate("window.__noReload = true")


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("window.__noReload") is True


def person(page: Page, psid: str) -> Locator:
    return page.locator(f'[data-testid=person-item][data-page-id="{PAGE}"][data-psid="{psid}"]')


def bubbles(page: Page, kind: str) -> Locator:
    return page.locator(f"[data-testid=bubble][data-kind={kind}]")


def active_chips(page: Page) -> Locator:
    return page.locator("[data-testid=quick-reply][data-active=true]")


def composer(page: Page) -> Locator:
    return page.get_by_role("textbox", name=re.compile(r"^Message as "))


def say_hello(page: Page) -> Locator:
    """Type "hello" in the composer and press Enter; answers the bot's answer's bubble."""
    composer(page).fill("hello")
    composer(page).press("Enter")
    expect(bubbles(page, "inbound").filter(has_text="hello")).to_have_count(1)
    answer = bubbles(page, "sent").filter(has_text="You said: hello")
    expect(answer).to_have_count(1)
    return answer


# --- the conversation with the bot --------------------------------------------------------------


def test_a_typed_message_reaches_the_bot_and_its_answer_renders_live(
    page: Page, stack: Stack
) -> None:
    open_ui(page, stack)
    person(page, LONG_AGO).click()
    expect(person(page, LONG_AGO)).to_have_attribute("aria-current", "true")
    expect(composer(page)).to_be_focused()

    answer = say_hello(page)

    expect(answer).to_have_attribute("data-type", "text")
    expect(answer.get_by_test_id("quick-reply")).to_have_text(["Shoes", "Socks"])
    expect(active_chips(page)).to_have_count(2)
    expect(active_chips(page).first).to_have_attribute("data-payload", "SHOES")
    expect(composer(page)).to_have_value("")
    assert any(e.get("message", {}).get("text") == "hello" for e in stack.seen)
    assert stack.sent_to(LONG_AGO)[-1]["message"]["text"] == "You said: hello"
    # the person wrote: their 24-hour window is open again, in the side list too
    expect(person(page, LONG_AGO).get_by_test_id("window-standard")).to_have_text(
        "24 h window: 24h left"
    )
    assert_not_reloaded(page)


def test_quick_reply_and_postback_round_trips(page: Page, stack: Stack) -> None:
    open_ui(page, stack, LONG_AGO)
    say_hello(page)

    page.get_by_role("button", name="Shoes").click()
    tapped = bubbles(page, "inbound").last
    expect(tapped).to_have_attribute("data-type", "quick_reply")
    expect(tapped).to_have_attribute("data-payload", "SHOES")
    answer = bubbles(page, "sent").last
    expect(answer).to_have_attribute("data-template", "button")
    expect(answer).to_contain_text("You picked SHOES. Anything else?")
    expect(active_chips(page)).to_have_count(0)  # the chips belong to an older message now
    expect(page.locator("[data-testid=quick-reply][data-active=false]")).to_have_count(2)

    button = answer.get_by_test_id("postback-button")
    expect(button).to_have_attribute("data-payload", "HUMAN")
    expect(button).to_have_text("Talk to us")
    button.click()
    postback = bubbles(page, "inbound").last
    expect(postback).to_have_attribute("data-type", "postback")
    expect(postback.locator(".bubble")).to_have_text("Talk to us")
    expect(postback).to_contain_text("postback HUMAN")
    thanks = bubbles(page, "sent").last
    expect(thanks.locator(".bubble")).to_have_text("You tapped Talk to us. Thanks!")
    expect(bubbles(page, "sent")).to_have_count(3)
    expect(bubbles(page, "inbound")).to_have_count(3)
    assert_not_reloaded(page)


def test_advancing_the_clock_closes_the_window_in_the_side_list(page: Page, stack: Stack) -> None:
    open_ui(page, stack, IN_WINDOW)
    ada = person(page, IN_WINDOW)
    expect(ada.get_by_test_id("window-standard")).to_have_text("24 h window: 23h left")
    expect(ada.get_by_test_id("window-human-agent")).to_have_text(
        "7-day (human agent): 6d 23h left"
    )
    expect(page.get_by_test_id("clock-now")).to_contain_text("2026")
    before = page.get_by_test_id("clock-now").get_attribute("datetime")

    page.get_by_role("button", name="+24 h").click()

    expect(ada.get_by_test_id("window-standard")).to_have_text("24 h window: closed")
    expect(ada.get_by_test_id("window-standard")).to_have_attribute("data-state", "closed")
    expect(ada.get_by_test_id("window-human-agent")).to_have_text(
        "7-day (human agent): 5d 23h left"
    )
    header = page.get_by_test_id("conversation-header")
    expect(header.get_by_test_id("window-standard")).to_have_text("24 h window: closed")
    expect(page.get_by_test_id("clock-now")).not_to_have_attribute("datetime", before or "")
    assert stack.client.get("/_emulator/clock").json()["now"].startswith("2026-01-06T09:00")
    # a custom advance, typed and submitted by keyboard, closes the 7-day window too
    page.get_by_label("Advance by").fill("6d")
    page.get_by_label("Advance by").press("Enter")
    expect(ada.get_by_test_id("window-human-agent")).to_have_text("7-day (human agent): closed")
    assert_not_reloaded(page)


def test_a_refused_send_shows_its_rule_and_json_path(page: Page, stack: Stack) -> None:
    open_ui(page, stack, NEVER_WROTE)
    expect(page.locator("#empty-state")).to_contain_text("No messages yet")

    response = send(stack.client, text_to(NEVER_WROTE, "Are you there?"))
    assert response.status_code == 400, response.text
    refused = stack.client.get("/_emulator/requests", params={"outcome": "rejected"}).json()
    entry = refused["data"][-1]
    assert entry["rule"], entry
    assert entry["json_path"], entry

    bubble = bubbles(page, "rejected")
    expect(bubble).to_have_count(1)
    expect(bubble).to_have_attribute("data-rule", entry["rule"])
    expect(bubble.get_by_test_id("error-rule")).to_have_text(entry["rule"])
    expect(bubble.get_by_test_id("error-path")).to_have_text(entry["json_path"])
    expect(bubble.get_by_test_id("error-message")).to_have_text(
        entry["response"]["error"]["message"]
    )
    expect(bubble.get_by_test_id("error-code")).to_contain_text(
        f"code {entry['response']['error']['code']}"
    )
    expect(bubble).to_contain_text("Are you there?")  # what the bot tried to send
    expect(bubbles(page, "sent")).to_have_count(0)
    assert_not_reloaded(page)


def test_the_inspector_lists_graph_calls_and_webhook_deliveries(page: Page, stack: Stack) -> None:
    open_ui(page, stack, LONG_AGO)
    toggle = page.get_by_test_id("inspector-toggle")
    if toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    inspector = page.get_by_test_id("inspector")
    expect(inspector).to_be_visible()

    say_hello(page)  # one webhook delivery, one accepted Graph call by the bot
    assert send(stack.client, text_to(NEVER_WROTE)).status_code == 400  # and a refused one

    accepted = inspector.locator("[data-testid=request-row][data-outcome=accepted]")
    expect(accepted).to_have_count(1)
    expect(accepted).to_have_attribute("data-status", "200")
    expect(accepted).to_contain_text("/v21.0/me/messages")
    rejected = inspector.locator("[data-testid=request-row][data-outcome=rejected]")
    expect(rejected).to_have_count(1)
    expect(rejected).to_have_attribute("data-status", "400")
    rule = stack.client.get("/_emulator/requests").json()["data"][-1]["rule"]
    expect(rejected).to_have_attribute("data-rule", rule)

    page.get_by_test_id("request-filter").select_option("rejected")
    expect(inspector.get_by_test_id("request-row")).to_have_count(1)
    page.get_by_test_id("request-filter").select_option("")
    expect(inspector.get_by_test_id("request-row")).to_have_count(2)
    page.get_by_test_id("inspector-only-conversation").check()
    expect(inspector.get_by_test_id("request-row")).to_have_count(1)  # LONG_AGO's only
    accepted.locator("summary").click()
    expect(accepted).to_contain_text("Request parameters")
    expect(accepted).to_contain_text("You said: hello")

    page.get_by_role("tab", name="Webhooks").click()
    expect(page.get_by_test_id("webhook-handshake")).to_contain_text("Handshake: ok")
    # the person's message, then the echo and the delivery receipt of the bot's answer
    rows = inspector.get_by_test_id("webhook-row")
    expect(rows).to_have_count(3)
    for field in ("messages", "message_echoes", "message_deliveries"):
        expect(rows.and_(page.locator(f"[data-field={field}]"))).to_have_count(1)
    delivery = rows.and_(page.locator("[data-field=messages]"))
    expect(delivery).to_have_attribute("data-status", "delivered")
    delivery.locator("summary").click()
    expect(delivery.get_by_test_id("webhook-signature")).to_have_text(re.compile(r"^sha256="))
    assert_not_reloaded(page)


# --- keyboard, accessible names, phone --------------------------------------------------------


def test_the_composer_and_controls_are_reachable_by_keyboard(page: Page, stack: Stack) -> None:
    open_ui(page, stack, IN_WINDOW)
    # accessible names
    expect(page.get_by_role("textbox", name="Message as Ada Lovelace")).to_be_enabled()
    for name in ("Send", "Attachment", "Mark as read", "+1 h", "+24 h", "Reset", "Inspector"):
        expect(page.get_by_role("button", name=name, exact=True)).to_be_visible()
    expect(page.get_by_label("Advance by")).to_be_visible()
    expect(page.get_by_label("Set (UTC)")).to_be_visible()
    expect(page.get_by_role("navigation", name="Pages and people")).to_be_visible()
    expect(page.get_by_role("log")).to_be_attached()

    # Tab from the top of the page reaches every control, the people, then the composer
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to the composer")).to_be_focused()
    reached: list[str] = []
    for _ in range(80):
        page.keyboard.press("Tab")
        testid = page.evaluate("document.activeElement?.dataset?.testid || ''")
        reached.append(testid)
        if testid == "composer-input":
            break
    for testid in (
        "clock-advance-1h",
        "clock-advance-24h",
        "clock-advance-input",
        "reset-button",
        "inspector-toggle",
        "person-item",
        "attach-toggle",
        "mark-read",
        "composer-input",
    ):
        assert testid in reached, f"{testid} not reached by Tab: {reached}"

    page.keyboard.type("typed by keyboard")
    page.keyboard.press("Enter")
    expect(bubbles(page, "inbound").filter(has_text="typed by keyboard")).to_have_count(1)
    expect(bubbles(page, "sent").filter(has_text="You said: typed by keyboard")).to_have_count(1)
    expect(composer(page)).to_be_focused()
    # Tab goes from the composer to the Send button
    page.keyboard.press("Tab")
    expect(page.get_by_test_id("composer-send")).to_be_focused()

    # the skip link goes to the composer and keeps the conversation's deep link
    skip = page.get_by_role("link", name="Skip to the composer")
    skip.focus()
    page.keyboard.press("Enter")
    expect(composer(page)).to_be_focused()
    assert page.url.endswith(f"/_emulator/ui#/{PAGE}/{IN_WINDOW}"), page.url


def test_on_a_phone_the_people_toggle_reveals_the_list(browser: Browser, stack: Stack) -> None:
    stack.reset()
    page = new_page(browser, stack, PHONE)
    try:
        open_ui(page, stack)
        people = page.get_by_role("navigation", name="Pages and people")
        toggle = page.get_by_test_id("people-toggle")
        expect(toggle).to_be_visible()
        expect(people).to_be_hidden()
        expect(page.get_by_test_id("clock-advance-24h")).to_be_hidden()

        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        expect(people).to_be_visible()
        grace = person(page, IN_7_DAYS)
        expect(page.locator("[data-testid=person-item][aria-current=true]")).to_be_focused()
        expect(grace).to_be_visible()
        grace.click()
        expect(people).to_be_hidden()
        expect(page.locator("#conversation-title")).to_have_text("Grace")
        expect(composer(page)).to_be_visible()

        page.get_by_test_id("controls-toggle").click()
        expect(page.get_by_test_id("clock-advance-24h")).to_be_visible()
    finally:
        close(page)


# --- every template renders ---------------------------------------------------------------------

# (sample, data-type, data-template, texts shown)
RENDERED = [
    (
        "generic",
        "template",
        "generic",
        ["Runner 3000", "Light and fast", "View", "Buy", "Call us"],
    ),
    ("button", "template", "button", ["What do you want to do next?", "View", "Buy"]),
    ("media", "template", "media", ["https://www.facebook.com/photo.php?fbid=123", "View"]),
    (
        "receipt",
        "template",
        "receipt",
        ["Stephane Crozatier", "12345678902", "Classic White T-Shirt", "Visa 2345", "$56.14"],
    ),
    (
        "customer_feedback",
        "template",
        "customer_feedback",
        ["Rate your experience with Original Coast Clothing.", "Rate Experience"],
    ),
    ("coupon", "template", "coupon", ["Here is a gift", "10% off your next pair", "SHOES10"]),
    ("product", "template", "product", ["Product 5000000000000001"]),
    ("image", "image", None, ["https://acme.test/a.png"]),
    ("audio", "audio", None, ["https://acme.test/a.mp3"]),
    ("video", "video", None, ["https://acme.test/a.mp4"]),
    ("file", "file", None, ["a.pdf"]),
]


def test_every_template_and_attachment_renders(page: Page, stack: Stack) -> None:
    open_ui(page, stack, IN_WINDOW)
    ids = []
    for name, *_ in RENDERED:
        body = {"recipient": {"id": IN_WINDOW}, "messaging_type": "RESPONSE"}
        response = send(stack.client, {**body, "message": sample(name)})
        assert response.status_code == 200, (name, response.text)
        ids.append(response.json()["message_id"])

    expect(bubbles(page, "sent")).to_have_count(len(RENDERED))
    for mid, (name, kind, template, texts) in zip(ids, RENDERED, strict=True):
        bubble = page.locator(f'[data-testid=bubble][data-message-id="{mid}"]')
        expect(bubble, name).to_have_attribute("data-type", kind)
        if template:
            expect(bubble, name).to_have_attribute("data-template", template)
        else:
            expect(bubble, name).not_to_have_attribute("data-template", re.compile("."))
        for text in texts:
            expect(bubble, f"{name}: {text}").to_contain_text(text)
    generic = page.locator("[data-testid=bubble][data-template=generic]")
    expect(generic.get_by_test_id("postback-button")).to_have_attribute("data-payload", "BUY_42")
    expect(generic.get_by_test_id("url-button")).to_have_attribute(
        "href", "https://acme.test/shoes"
    )
    expect(generic.get_by_test_id("call-button")).to_contain_text("+15105551234")
    # the made-up image hosts were never reached: their pictures fall back to placeholders
    expect(page.locator("[data-testid=bubble][data-type=image] .media-placeholder")).to_be_visible()
    assert_not_reloaded(page)
