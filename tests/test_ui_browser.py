"""The web UI end to end in a real browser: headless Chromium (Debian's `chromium`, driven by
Playwright for Python) against a real `send-api-emulator serve` process whose webhook is the
example bot (examples/echo_bot.py), both on free 127.0.0.1 ports.

What the person types reaches the bot, its answers render live as Messenger shows them (the
person's messages on the right, the page's on the left), quick replies and postback buttons
round-trip (the exact chip or button tapped, once, while it is still offered), the clock closes
windows and ends a stale typing indicator, refused sends show their rule, a long conversation
pages back, the inspector lists calls and deliveries, and the page works by keyboard and on a
phone (its drawers hold the focus). Every page runs under the server's Content-Security-Policy:
a violation fails the test.

Without `chromium` or Playwright these tests are skipped with the reason; with
SEND_API_REQUIRE_BROWSER=1 (set by .ci/run) they fail instead. The browser only ever opens the
emulator's own 127.0.0.1 URL: every other request (template images on made-up hosts) is aborted
before it reaches the network. No wall-clock assertions: `expect(...)` waits, its timeout is
only a guard against hangs.
"""

from __future__ import annotations

import importlib.util
import json
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
    BLOCKED,
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


def new_page(browser: Browser, stack: Stack, viewport: dict[str, int], touch: bool = False) -> Page:
    """A page in a fresh context (no saved inspector state) that can only reach the emulator;
    `touch`: a phone's touch screen (no hover, coarse pointer, taps)."""
    context = browser.new_context(
        viewport=viewport, device_scale_factor=1, has_touch=touch, is_mobile=touch
    )
    origin = stack.url.rstrip("/") + "/"

    def only_the_emulator(route: Route) -> None:
        if route.request.url.startswith(origin):
            route.continue_()
        else:
            route.abort("blockedbyclient")

    context.route("**/*", only_the_emulator)
    # what the Content-Security-Policy blocked (inline script or style...): must stay empty
    context.add_init_script(
        "window.__cspViolations = [];"
        "document.addEventListener('securitypolicyviolation', (e) =>"
        " window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));"
    )
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    errors = PAGE_ERRORS.setdefault(page, [])
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page


def close(page: Page) -> None:
    """Close the page's context; no uncaught script error (and nothing the
    Content-Security-Policy blocked) may have happened in it."""
    errors = PAGE_ERRORS.pop(page, [])
    violations = page.evaluate("window.__cspViolations || []") if not page.is_closed() else []
    page.context.close()
    assert not errors, f"uncaught errors in the page: {errors}"
    assert not violations, f"blocked by the Content-Security-Policy: {violations}"


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


def wait_for_count(page: Page, found: list[Any], count: int) -> None:
    """Until `found` (filled by a Playwright handler) holds `count` items; a guard, no timing."""
    for _ in range(TIMEOUT // 20):
        if len(found) >= count:
            return
        page.wait_for_timeout(20)
    raise AssertionError(f"{len(found)} of {count} seen: {found}")


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
    # as Messenger shows it to the person played: their message right and blue, the page's left
    said = bubbles(page, "inbound").filter(has_text="hello").locator(".bubble")
    heard = answer.locator(".bubble").first
    said_box, heard_box = said.bounding_box(), heard.bounding_box()
    assert said_box
    assert heard_box
    assert heard_box["x"] + heard_box["width"] < said_box["x"] + said_box["width"]
    assert heard_box["x"] < said_box["x"]
    expect(page.get_by_test_id("you-are")).to_have_text(re.compile(r"^You are \S"))
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
    expect(delivery.get_by_test_id("webhook-signature-valid")).to_have_text(
        "\u2713 signature valid"
    )
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
    # Tab goes from the composer to the Send button (offered once there is something to send)
    page.keyboard.type("x")
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
        # while open, the drawer holds the focus: the rest of the page is inert
        for other in ("main", ".topbar"):
            assert page.locator(other).evaluate("(node) => node.inert") is True, other
        close_button = page.get_by_test_id("people-close")
        expect(close_button).to_be_visible()
        expect(close_button).to_have_accessible_name("Close the people list")
        close_button.click()
        expect(people).to_be_hidden()
        expect(toggle).to_be_focused()
        expect(toggle).to_have_attribute("aria-expanded", "false")
        assert page.locator("main").evaluate("(node) => node.inert") is False

        toggle.click()
        expect(grace).to_be_visible()
        grace.click()
        expect(people).to_be_hidden()
        expect(page.locator("#conversation-title")).to_have_text("Grace")
        expect(composer(page)).to_be_visible()
        expect(composer(page)).to_be_enabled()

        # the inspector covers the page on a phone too: the rest is inert until it closes
        page.get_by_test_id("inspector-toggle").click()
        expect(page.get_by_test_id("inspector")).to_be_visible()
        assert page.locator("main").evaluate("(node) => node.inert") is True
        page.keyboard.press("Escape")
        expect(page.get_by_test_id("inspector")).to_be_hidden()
        expect(page.get_by_test_id("inspector-toggle")).to_be_focused()
        assert page.locator("main").evaluate("(node) => node.inert") is False

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


# --- taps: the exact chip or button, once, while it is offered ------------------------------------


def graph(stack: Stack, psid: str, message: dict[str, Any]) -> None:
    """The page sends `message` to `psid` (a RESPONSE)."""
    body = {"recipient": {"id": psid}, "messaging_type": "RESPONSE", "message": message}
    response = send(stack.client, body)
    assert response.status_code == 200, response.text


def test_chips_and_buttons_sharing_a_payload_send_the_one_tapped(page: Page, stack: Stack) -> None:
    open_ui(page, stack, IN_WINDOW)
    seen = len(stack.seen)
    sizes = [
        {"content_type": "text", "title": title, "payload": "SIZE"} for title in ("Small", "Large")
    ]
    graph(stack, IN_WINDOW, {"text": "Which size?", "quick_replies": sizes})
    expect(active_chips(page)).to_have_count(2)

    active_chips(page).filter(has_text="Large").click()
    tapped = bubbles(page, "inbound").last
    expect(tapped).to_have_attribute("data-type", "quick_reply")
    expect(tapped.locator(".bubble")).to_have_text("Large")  # not "Small", the first "SIZE"
    expect(bubbles(page, "sent").filter(has_text="You picked SIZE.")).to_have_count(1)
    event = next(e for e in stack.seen[seen:] if e.get("message", {}).get("quick_reply"))
    assert event["message"]["text"] == "Large"
    assert event["message"]["quick_reply"] == {"payload": "SIZE"}

    colours = [{"type": "postback", "title": t, "payload": "COLOUR"} for t in ("Red", "Blue")]
    template = {"template_type": "button", "text": "Which colour?", "buttons": colours}
    graph(stack, IN_WINDOW, {"attachment": {"type": "template", "payload": template}})
    buttons = bubbles(page, "sent").last.get_by_test_id("postback-button")
    expect(buttons).to_have_text(["Red", "Blue"])
    buttons.filter(has_text="Blue").click()
    postback = bubbles(page, "inbound").last
    expect(postback).to_have_attribute("data-type", "postback")
    expect(postback.locator(".bubble")).to_have_text("Blue")
    expect(bubbles(page, "sent").filter(has_text="You tapped Blue. Thanks!")).to_have_count(1)
    assert_not_reloaded(page)


def test_quick_replies_go_once_the_person_writes(page: Page, stack: Stack) -> None:
    open_ui(page, stack, IN_WINDOW)
    offered = [
        {"content_type": "text", "title": title, "payload": title.upper()}
        for title in ("Yes", "No")
    ]
    graph(stack, IN_WINDOW, {"text": "Shall we ship it?", "quick_replies": offered})
    question = bubbles(page, "sent").filter(has_text="Shall we ship it?")
    expect(question.get_by_test_id("quick-reply")).to_have_count(2)
    expect(active_chips(page)).to_have_count(2)
    # the bot's answer is refused, so the page sends nothing after the person's message
    fault = {"error": "temporary_send_failure", "match": {"recipient_id": IN_WINDOW}, "times": 1}
    assert stack.client.post("/_emulator/faults", json=fault).status_code == 201

    composer(page).fill("Let me think about it")
    composer(page).press("Enter")
    expect(bubbles(page, "inbound").filter(has_text="Let me think about it")).to_have_count(1)
    expect(bubbles(page, "rejected")).to_have_count(1)  # the bot's refused answer
    # the person answered: the chips are what was offered, no longer tappable
    expect(active_chips(page)).to_have_count(0)
    chips = question.get_by_test_id("quick-reply")
    expect(chips).to_have_count(2)
    for index in range(2):
        expect(chips.nth(index)).to_be_disabled()
        expect(chips.nth(index)).to_have_attribute("data-active", "false")

    # a new message with quick replies: only its chips are shown, the old group goes
    composer(page).fill("OK, go ahead")
    composer(page).press("Enter")
    answer = bubbles(page, "sent").filter(has_text="You said: OK, go ahead")
    expect(answer.get_by_test_id("quick-reply")).to_have_text(["Shoes", "Socks"])
    expect(question.get_by_test_id("quick-reply")).to_have_count(0)
    expect(page.get_by_test_id("quick-reply")).to_have_count(2)
    expect(active_chips(page)).to_have_count(2)
    assert_not_reloaded(page)


def test_an_action_on_its_way_is_not_sent_twice(page: Page, stack: Stack) -> None:
    open_ui(page, stack, IN_WINDOW)
    held: list[Route] = []  # the person's actions, held until released here
    page.route(
        re.compile(r"/_emulator/pages/[^/]+/users/[^/]+/messages$"), lambda r: held.append(r)
    )
    send_button = page.get_by_test_id("composer-send")

    seen = len(stack.seen)

    composer(page).fill("only once")
    composer(page).press("Enter")
    expect(send_button).to_be_disabled()
    composer(page).press("Enter")  # while the first is on its way: nothing
    page.evaluate("document.getElementById('composer').requestSubmit()")
    wait_for_count(page, held, 1)
    held[0].continue_()
    expect(bubbles(page, "sent").filter(has_text="You said: only once")).to_have_count(1)
    expect(composer(page)).to_have_value("")
    expect(send_button).to_be_disabled()  # nothing to send
    composer(page).fill("next")
    expect(send_button).to_be_enabled()
    composer(page).fill("")

    chip = active_chips(page).first
    expect(chip).to_have_text("Shoes")
    chip.evaluate("(node) => { node.click(); node.click(); }")
    expect(chip).to_have_attribute("aria-disabled", "true")
    wait_for_count(page, held, 2)
    held[1].continue_()
    expect(bubbles(page, "sent").filter(has_text="You picked SHOES.")).to_have_count(1)

    button = page.get_by_test_id("postback-button")
    button.evaluate("(b) => { b.click(); b.click(); }")
    expect(button).to_have_attribute("aria-disabled", "true")
    wait_for_count(page, held, 3)
    held[2].continue_()
    expect(bubbles(page, "sent").filter(has_text="You tapped Talk to us.")).to_have_count(1)
    expect(button).not_to_have_attribute("aria-disabled", "true")

    assert len(held) == 3, [route.request.post_data for route in held]
    expect(bubbles(page, "inbound")).to_have_count(3)
    events = stack.seen[seen:]
    texts = [e["message"].get("text") for e in events if "message" in e]
    assert texts.count("only once") == 1
    assert texts.count("Shoes") == 1
    assert sum(1 for e in events if "postback" in e) == 1
    assert_not_reloaded(page)


# --- a long conversation, the typing indicator ----------------------------------------------------


def test_a_long_conversation_opens_on_its_newest_and_pages_back(page: Page, stack: Stack) -> None:
    for number in range(505):
        response = send(stack.client, text_to(IN_WINDOW, f"m{number}"))
        assert response.status_code == 200, response.text
    open_ui(page, stack, IN_WINDOW)
    sent = bubbles(page, "sent")
    expect(sent).to_have_count(500)  # the newest 500
    expect(sent.first.locator(".bubble")).to_have_text("m5")
    earlier = page.get_by_test_id("show-earlier")
    expect(earlier).to_be_visible()

    graph(stack, IN_WINDOW, {"text": "one more"})  # live: fetched alone, after the others
    expect(sent).to_have_count(501)
    expect(sent.last.locator(".bubble")).to_have_text("one more")

    earlier.click()
    expect(sent).to_have_count(506)
    expect(sent.first.locator(".bubble")).to_have_text("m0")
    expect(earlier).to_be_hidden()
    expect(page.get_by_test_id("message-log")).to_be_focused()
    assert_not_reloaded(page)


def test_the_typing_indicator_ends_after_20_emulated_seconds(page: Page, stack: Stack) -> None:
    open_ui(page, stack, IN_WINDOW)
    typing = page.get_by_test_id("typing-indicator")
    body = {"recipient": {"id": IN_WINDOW}, "sender_action": "typing_on"}
    assert send(stack.client, body).status_code == 200
    expect(typing).to_be_visible()
    stack.client.post("/_emulator/clock", json={"advance": "10s"}).raise_for_status()
    expect(page.get_by_test_id("clock-now")).to_contain_text("09:00:10")
    expect(typing).to_be_visible()
    stack.client.post("/_emulator/clock", json={"advance": "11s"}).raise_for_status()
    expect(typing).to_be_hidden()
    assert_not_reloaded(page)


def test_a_namespace_named_ui_finds_its_own_control_api(page: Page, stack: Stack) -> None:
    base = "/_emulator/namespaces/ui"
    yaml = {"content-type": "application/yaml"}
    made = stack.client.put(base, content=TEST_SCENARIO.read_text(), headers=yaml)
    assert made.status_code == 201, made.text
    try:
        for path in (f"{base}/ui", f"{base}/ui/"):
            page.goto(f"{stack.url}{path}")
            expect(page.get_by_test_id("live-status")).to_have_text("live")
            expect(page.get_by_test_id("namespace")).to_have_text("ui")
            assert page.evaluate("document.documentElement.dataset.base") == base
    finally:
        stack.client.delete(base)


# --- the connection: hidden tabs, errors ----------------------------------------------------------


def set_hidden(page: Page, hidden: bool) -> None:
    """Play the tab being hidden or shown again (headless pages are always visible)."""
    page.evaluate(
        "(hidden) => {"
        " Object.defineProperty(document, 'hidden', {value: hidden, configurable: true});"
        " document.dispatchEvent(new Event('visibilitychange')); }",
        hidden,
    )


def test_a_hidden_tab_lets_its_stream_go_and_catches_up_when_shown(
    page: Page, stack: Stack
) -> None:
    open_ui(page, stack, IN_WINDOW)
    graph(stack, IN_WINDOW, {"text": "before hiding"})
    expect(bubbles(page, "sent")).to_have_count(1)

    set_hidden(page, True)
    status = page.get_by_test_id("live-status")
    expect(status).to_have_attribute("data-mode", "paused")
    graph(stack, IN_WINDOW, {"text": "while hidden"})
    set_hidden(page, False)
    expect(status).to_have_text("live")
    expect(bubbles(page, "sent").last.locator(".bubble")).to_have_text("while hidden")
    expect(bubbles(page, "sent")).to_have_count(2)
    graph(stack, IN_WINDOW, {"text": "after showing"})  # live again
    expect(bubbles(page, "sent")).to_have_count(3)
    assert_not_reloaded(page)


def test_connection_errors_are_shown_once_and_go_when_the_emulator_answers(
    page: Page, stack: Stack
) -> None:
    open_ui(page, stack, IN_WINDOW)
    down = re.compile(r"/_emulator/conversations")
    page.route(down, lambda route: route.abort("connectionrefused"))
    for number in range(3):  # each send makes the page refresh: each refresh fails
        graph(stack, IN_WINDOW, {"text": f"unseen {number}"})
        notice = page.get_by_test_id("notice").filter(has_text="cannot be reached")
        expect(notice).to_have_count(1)
        expect(notice).to_contain_text("cannot be reached")
    notice = page.get_by_test_id("notice").filter(has_text="cannot be reached")
    expect(notice).to_contain_text(re.compile(r"\u00d7\d"))  # the same notice, counted
    page.unroute(down)
    graph(stack, IN_WINDOW, {"text": "back"})
    expect(bubbles(page, "sent")).to_have_count(4)
    expect(page.get_by_test_id("notice")).to_have_count(0)
    assert_not_reloaded(page)


def test_an_uploaded_file_shows_its_name_and_downloads(page: Page, stack: Stack) -> None:
    open_ui(page, stack, IN_WINDOW)
    message = {"attachment": {"type": "file", "payload": {"is_reusable": True}}}
    uploaded = stack.client.post(
        "/v21.0/me/message_attachments",
        params={"access_token": "PAGE_TOKEN"},
        data={"message": json.dumps(message)},
        files={"filedata": ("invoice-42.pdf", b"%PDF-1.4 a tiny file", "application/pdf")},
    )
    assert uploaded.status_code == 200, uploaded.text
    attachment_id = uploaded.json()["attachment_id"]
    by_id = {"attachment": {"type": "file", "payload": {"attachment_id": attachment_id}}}
    graph(stack, IN_WINDOW, by_id)

    bubble = bubbles(page, "sent").last
    expect(bubble).to_have_attribute("data-type", "file")
    expect(bubble.locator(".file-card")).to_have_text("invoice-42.pdf")
    link = bubble.get_by_test_id("attachment-link")
    expect(link).to_have_text("invoice-42.pdf")
    expect(link).to_have_attribute("download", "invoice-42.pdf")
    expect(link).to_have_attribute(
        "href", f"{stack.url}/_emulator/attachments/{attachment_id}/data"
    )
    assert_not_reloaded(page)


def test_the_people_list_is_updated_in_place(page: Page, stack: Stack) -> None:
    open_ui(page, stack, IN_WINDOW)
    grace = person(page, IN_7_DAYS)
    grace.focus()
    grace.evaluate("(node) => { node.__kept = true; }")
    expect(grace.get_by_test_id("window-standard")).to_have_text("24 h window: closed")
    expect(grace.get_by_test_id("blocked-badge")).to_be_hidden()
    expect(person(page, BLOCKED).get_by_test_id("blocked-badge")).to_be_visible()
    # Grace writes: her window opens and she moves to the top of the list, focus and all
    response = stack.client.post(
        f"/_emulator/pages/{PAGE}/users/{IN_7_DAYS}/messages", json={"text": "I am back"}
    )
    assert response.status_code == 200, response.text
    expect(grace.get_by_test_id("window-standard")).to_have_text("24 h window: 24h left")
    expect(page.get_by_test_id("person-item").first).to_have_attribute("data-psid", IN_7_DAYS)
    expect(grace).to_be_focused()
    assert grace.evaluate("(node) => node.__kept") is True  # the same node, not a new one
    assert_not_reloaded(page)


def test_a_message_sent_as_a_persona_shows_who_spoke(page: Page, stack: Stack) -> None:
    token = {"access_token": "PAGE_TOKEN"}
    made = stack.client.post(
        "/v21.0/me/personas",
        params=token,
        json={"name": "Agent Ann", "profile_picture_url": "https://cdn.example.test/ann.png"},
    )
    assert made.status_code == 200, made.text
    open_ui(page, stack, IN_WINDOW)
    as_ann = send(stack.client, text_to(IN_WINDOW, "Ann here", persona_id=made.json()["id"]))
    assert as_ann.status_code == 200, as_ann.text
    assert send(stack.client, text_to(IN_WINDOW, "the bot again")).status_code == 200
    spoken = bubbles(page, "sent").filter(has_text="Ann here")
    expect(spoken.get_by_test_id("persona")).to_have_text("Agent Ann")
    expect(
        bubbles(page, "sent").filter(has_text="the bot again").get_by_test_id("persona")
    ).to_have_count(0)
    assert_not_reloaded(page)


# --- the handover protocol ----------------------------------------------------------------------


def test_the_thread_owner_shows_and_changes_live(page: Page, stack: Stack) -> None:
    open_ui(page, stack, IN_WINDOW)
    header = page.get_by_test_id("conversation-header")
    ada = person(page, IN_WINDOW)
    expect(header.get_by_test_id("thread-owner")).to_have_text("Thread owner: this app")
    expect(ada.get_by_test_id("owner-badge")).to_be_hidden()
    # the bot passes Ada's thread to the Page Inbox: the list and the header say so
    passed = stack.client.post(
        "/v21.0/me/pass_thread_control",
        params={"access_token": "PAGE_TOKEN"},
        json={"recipient": {"id": IN_WINDOW}, "target_app_id": "263902037430900"},
    )
    assert passed.json() == {"success": True}
    expect(header.get_by_test_id("thread-owner")).to_have_text("Thread owner: Page Inbox")
    expect(ada.get_by_test_id("owner-badge")).to_have_text("with Page Inbox")
    # the agent (the control API) passes it back
    back = stack.client.post(f"/_emulator/pages/{PAGE}/threads/{IN_WINDOW}/pass", json={})
    assert back.status_code == 200
    expect(header.get_by_test_id("thread-owner")).to_have_text("Thread owner: this app")
    expect(ada.get_by_test_id("owner-badge")).to_be_hidden()
    assert_not_reloaded(page)


def test_the_person_edits_and_unsends_their_own_message(page: Page, stack: Stack) -> None:
    open_ui(page, stack, LONG_AGO)
    say_hello(page)
    said = bubbles(page, "inbound").filter(has_text="hello")
    seen = len(stack.seen)
    page.once("dialog", lambda dialog: dialog.accept("hello there"))
    said.get_by_test_id("edit-button").click()
    expect(said.locator(".bubble")).to_have_text("hello there")
    expect(said.get_by_test_id("edited")).to_have_text("Edited")
    mid = said.get_attribute("data-message-id")
    wait_for_count(page, stack.seen, seen + 1)
    edit = next(e for e in stack.seen[seen:] if "message_edit" in e)
    assert edit["message_edit"] == {"mid": mid, "text": "hello there", "num_edit": 1}

    said.get_by_test_id("unsend-button").click()
    gone = page.locator(f'[data-testid=bubble][data-kind=inbound][data-message-id="{mid}"]')
    expect(gone.get_by_test_id("unsent")).to_have_text("Unsent a message")
    expect(gone.get_by_test_id("edit-button")).to_have_count(0)
    # the page's messages have no such buttons: a person edits only their own
    expect(bubbles(page, "sent").get_by_test_id("edit-button")).to_have_count(0)
    assert_not_reloaded(page)


def test_newer_content_renders_and_the_person_opts_in(page: Page, stack: Stack) -> None:
    """Issue 13: a sticker, an image grid, a one-time notification request and an airline
    update render; the composer's Opt in answers the request (messaging_optins)."""
    from samples import dated_sample

    stack.client.post("/_emulator/clock", json={"set": "2026-07-01T09:00:00Z"}).raise_for_status()
    act = f"/_emulator/pages/{PAGE}/users/{IN_WINDOW}/messages"
    stack.client.post(act, json={"text": "hi"}).raise_for_status()  # opens the window again
    open_ui(page, stack, IN_WINDOW)
    shown = [
        ({"sticker_id": 767226160478561}, "sticker", None, "Sticker 767226160478561"),
        (dated_sample("image_grid"), "template", "image_grid", "New season"),
        (dated_sample("one_time_notif_req"), "template", "one_time_notif_req", "Back in stock?"),
        (sample("airline_update"), "template", "airline_update", "KL0642"),
    ]
    for message, kind, template, text in shown:
        body = {"recipient": {"id": IN_WINDOW}, "messaging_type": "RESPONSE", "message": message}
        response = send(stack.client, body, token="AGENT_TOKEN")  # PAGE_TOKEN expires in March
        assert response.status_code == 200, response.text
        bubble = page.locator(
            f'[data-testid=bubble][data-message-id="{response.json()["message_id"]}"]'
        )
        expect(bubble).to_have_attribute("data-type", kind)
        if template:
            expect(bubble).to_have_attribute("data-template", template)
        expect(bubble).to_contain_text(text)
    expect(page.locator("[data-testid=image-grid] .grid-image")).to_have_count(3)
    page.get_by_test_id("opt-in").click()
    expect(page.get_by_test_id("optin")).to_contain_text("Notify me")
    assert_not_reloaded(page)


# --- the rough edges of a first visit (issue 14) --------------------------------------------------


def test_the_composer_offers_send_only_with_text_and_chips_answer_arrow_keys(
    page: Page, stack: Stack
) -> None:
    open_ui(page, stack, IN_WINDOW)
    send_button = page.get_by_test_id("composer-send")
    expect(send_button).to_be_disabled()
    composer(page).fill("   ")
    expect(send_button).to_be_disabled()
    composer(page).fill("hi")
    expect(send_button).to_be_enabled()
    composer(page).fill("")
    expect(send_button).to_be_disabled()

    say_hello(page)
    chips = active_chips(page)
    chips.first.focus()
    page.keyboard.press("ArrowRight")
    expect(chips.nth(1)).to_be_focused()
    page.keyboard.press("ArrowRight")  # wraps around
    expect(chips.first).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(chips.nth(1)).to_be_focused()
    page.keyboard.press("Home")
    expect(chips.first).to_be_focused()

    # the time field: UTC in the same 24-hour form as the clock, whatever the browser's locale
    set_input = page.get_by_test_id("clock-set-input")
    expect(set_input).to_have_attribute("type", "text")
    expect(set_input).to_have_value(re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$"))
    set_input.fill("2031-03-04 21:30")
    page.get_by_test_id("clock-set").click()
    expect(page.get_by_test_id("clock-now")).to_contain_text("21:30:")

    assert_not_reloaded(page)


def test_the_clock_badge_says_what_the_clock_does_once_moved(page: Page, stack: Stack) -> None:
    open_ui(page, stack)
    badge = page.get_by_test_id("clock-state")
    expect(badge).to_have_text("frozen at 09:00")  # the test scenario's start
    page.get_by_test_id("clock-advance-1h").click()
    expect(badge).to_have_text("frozen at 10:00")

    original = stack.client.get("/_emulator/scenario").json()
    running = {key: value for key, value in original.items() if key != "clock"}
    assert stack.client.put("/_emulator/scenario", json=running).status_code == 200
    try:
        open_ui(page, stack)
        expect(badge).to_have_text("real time")
        page.get_by_test_id("clock-advance-24h").click()
        expect(badge).to_have_text("a day ahead of real time")
        page.get_by_test_id("clock-advance-input").fill("3h")
        page.get_by_test_id("clock-advance-custom").click()
        expect(badge).to_have_text("1 day 3 hours ahead of real time")
    finally:
        assert stack.client.put("/_emulator/scenario", json=original).status_code == 200


def test_a_scenario_files_problems_name_the_file_in_a_notice_under_the_header(
    page: Page, stack: Stack
) -> None:
    open_ui(page, stack)
    page.get_by_test_id("scenario-input").set_input_files(
        files=[{"name": "broken.yaml", "mimeType": "application/yaml", "buffer": b"version: 1\n"}]
    )
    notice = page.get_by_test_id("notice").filter(has_text="broken.yaml")
    expect(notice).to_have_count(1)
    problems = notice.get_by_test_id("notice-problems")
    expect(problems).to_contain_text("broken.yaml")
    expect(problems).not_to_contain_text("request body")
    # the notice sits under the header: every control of it stays uncovered
    header = page.locator(".topbar").bounding_box()
    box = notice.bounding_box()
    assert header
    assert box
    assert box["y"] >= header["y"] + header["height"], (box, header)
    # however tall the header wraps: narrower, it is taller than a fixed 6.5rem offset allowed
    page.set_viewport_size({"width": 900, "height": 800})
    header = page.locator(".topbar").bounding_box()
    assert header
    assert header["height"] > 7 * 16, header
    page.wait_for_function(
        """() => {
            const notice = document.querySelector("[data-testid=notice]");
            const header = document.querySelector(".topbar");
            return notice.getBoundingClientRect().top >= header.getBoundingClientRect().bottom;
        }""",
        timeout=TIMEOUT,
    )
    page.set_viewport_size(DESKTOP)
    # and it can be dismissed: by its button, or Escape on it
    notice.get_by_role("button", name="Dismiss").click()
    expect(notice).to_have_count(0)
    page.get_by_test_id("scenario-input").set_input_files(
        files=[{"name": "broken.yaml", "mimeType": "application/yaml", "buffer": b"version: 1\n"}]
    )
    expect(notice).to_have_count(1)
    notice.get_by_role("button", name="Dismiss").focus()
    page.keyboard.press("Escape")
    expect(notice).to_have_count(0)


def test_scrolled_up_a_new_message_shows_a_pill_that_jumps_to_the_latest(
    page: Page, stack: Stack
) -> None:
    for number in range(60):
        assert send(stack.client, text_to(IN_WINDOW, f"m{number}")).status_code == 200
    open_ui(page, stack, IN_WINDOW)
    sent = bubbles(page, "sent")
    expect(sent).to_have_count(60)
    pill = page.get_by_test_id("new-messages")
    expect(pill).to_be_hidden()
    graph(stack, IN_WINDOW, {"text": "at the bottom"})  # seen where it lands: no pill
    expect(sent).to_have_count(61)
    expect(pill).to_be_hidden()

    page.locator("#log-scroll").evaluate("(node) => { node.scrollTop = 0; }")
    graph(stack, IN_WINDOW, {"text": "while scrolled up"})
    expect(sent).to_have_count(62)
    expect(pill).to_be_visible()
    expect(sent.last).not_to_be_in_viewport()
    pill.click()
    expect(sent.last).to_be_in_viewport()
    expect(pill).to_be_hidden()
    assert_not_reloaded(page)


def test_a_person_who_blocked_the_page_is_shown_unreachable(page: Page, stack: Stack) -> None:
    open_ui(page, stack, BLOCKED)
    row = person(page, BLOCKED)
    expect(row.get_by_test_id("blocked-badge")).to_have_text("blocked \u00b7 unreachable")
    expect(row.get_by_test_id("window-standard")).to_be_hidden()  # no green window time
    expect(row.get_by_test_id("window-human-agent")).to_be_hidden()
    info = page.get_by_test_id("conversation-header")
    expect(info.get_by_test_id("blocked-badge")).to_be_visible()
    expect(info.get_by_test_id("window-standard")).to_have_count(0)
    note = page.get_by_test_id("blocked-note")
    expect(note).to_be_visible()
    expect(note).to_contain_text("answers will be refused")
    # another person: their window shows again, and no note
    person(page, IN_WINDOW).click()
    expect(note).to_be_hidden()
    expect(info.get_by_test_id("window-standard")).to_be_visible()
    expect(person(page, IN_WINDOW).get_by_test_id("window-standard")).to_be_visible()


def test_the_people_list_keeps_its_order_and_previews_the_last_message(
    page: Page, stack: Stack
) -> None:
    open_ui(page, stack, IN_WINDOW)
    items = page.get_by_test_id("person-item")
    expect(items.first).to_have_attribute("data-psid", IN_WINDOW)
    order = [items.nth(i).get_attribute("data-psid") for i in range(items.count())]
    # refused sends (no window) to someone far down the list: the order stays as it was
    for _ in range(3):
        refused = send(stack.client, text_to(NEVER_WROTE, "are you there?"))
        assert refused.status_code == 400, refused.text
    mark = person(page, NEVER_WROTE).get_by_test_id("refused-mark")
    expect(mark).to_have_text("\u26a0 3 refused")
    assert [items.nth(i).get_attribute("data-psid") for i in range(items.count())] == order
    # an accepted send shows as the last message's preview, on one line
    graph(stack, IN_WINDOW, {"text": "Your order\nhas shipped"})
    preview = person(page, IN_WINDOW).get_by_test_id("person-preview")
    expect(preview).to_have_text("Page: Your order has shipped")
    # the person writes: they go to the top, their words previewed
    response = stack.client.post(
        f"/_emulator/pages/{PAGE}/users/{LONG_AGO}/messages", json={"text": "back again"}
    )
    assert response.status_code == 200, response.text
    expect(items.first).to_have_attribute("data-psid", LONG_AGO)
    # the bot's echo is the last message now
    expect(person(page, LONG_AGO).get_by_test_id("person-preview")).to_have_text(
        "Page: You said: back again"
    )
    expect(person(page, LONG_AGO).get_by_test_id("refused-mark")).to_be_hidden()
    assert_not_reloaded(page)


def test_after_a_restart_the_live_status_comes_back_and_a_banner_says_while_away(
    browser: Browser, tmp_path: Any
) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    emulator = LiveServer(TEST_SCENARIO, tmp_path / "first.log", "--port", str(port))
    with httpx.Client(base_url=emulator.url, timeout=10, trust_env=False) as client:
        own = Stack(emulator.url, client, [])
        page = new_page(browser, own, DESKTOP)
        try:
            open_ui(page, own)
            banner = page.get_by_test_id("away-banner")
            expect(banner).to_be_hidden()
            emulator.stop()
            expect(banner).to_be_visible()
            expect(banner).to_contain_text("not answering")
            expect(page.get_by_test_id("live-status")).not_to_have_text("live")
            emulator = LiveServer(TEST_SCENARIO, tmp_path / "second.log", "--port", str(port))
            # within a few seconds, not at the stream's next 30-second retry
            expect(page.get_by_test_id("live-status")).to_have_text("live", timeout=8_000)
            expect(banner).to_be_hidden()
            assert_not_reloaded(page)
        finally:
            close(page)
            emulator.stop()


def test_on_a_phone_the_live_status_shows_and_reactions_only_on_the_bubble_tapped(
    browser: Browser, stack: Stack
) -> None:
    stack.reset()
    page = new_page(browser, stack, PHONE, touch=True)
    try:
        open_ui(page, stack, IN_WINDOW)
        assert page.evaluate("matchMedia('(hover: none)').matches")  # a touch screen indeed
        expect(page.get_by_test_id("live-status")).to_be_visible()
        expect(page.get_by_test_id("live-status")).to_be_in_viewport()
        graph(stack, IN_WINDOW, {"text": "first"})
        graph(stack, IN_WINDOW, {"text": "second"})
        first = bubbles(page, "sent").filter(has_text="first")
        second = bubbles(page, "sent").filter(has_text="second")
        expect(second).to_have_count(1)
        page.mouse.move(0, 0)

        def shown(item: Locator) -> bool:
            opacity = item.get_by_test_id("react-button").first.evaluate(
                "(node) => getComputedStyle(node).opacity"
            )
            return bool(float(opacity) > 0.5)

        assert not shown(first)
        assert not shown(second)
        first.locator(".bubble").tap()
        expect(first).to_have_attribute("data-tools", "open")
        assert shown(first)
        assert not shown(second)
        second.locator(".bubble").tap()
        expect(first).not_to_have_attribute("data-tools", "open")
        assert shown(second)
        assert not shown(first)
    finally:
        close(page)


def test_the_inspector_searches_and_each_row_has_a_link_of_its_own(
    page: Page, stack: Stack
) -> None:
    open_ui(page, stack, LONG_AGO)
    toggle = page.get_by_test_id("inspector-toggle")
    if toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    inspector = page.get_by_test_id("inspector")
    say_hello(page)
    assert send(stack.client, text_to(NEVER_WROTE)).status_code == 400
    rows = inspector.get_by_test_id("request-row")
    expect(rows).to_have_count(2)
    search = page.get_by_test_id("inspector-search")
    search.fill("you said")  # text
    expect(rows).to_have_count(1)
    expect(rows).to_have_attribute("data-outcome", "accepted")
    search.fill(NEVER_WROTE)  # recipient
    expect(rows).to_have_count(1)
    expect(rows).to_have_attribute("data-outcome", "rejected")
    rule = stack.client.get("/_emulator/requests").json()["data"][-1]["rule"]
    search.fill(rule)  # rule
    expect(rows).to_have_count(1)
    expect(rows).to_have_attribute("data-rule", rule)
    search.fill("")
    expect(rows).to_have_count(2)

    rejected = rows.and_(page.locator("[data-outcome=rejected]"))
    rejected.locator("summary").click()
    link = rejected.get_by_test_id("row-link")
    href = link.get_attribute("href")
    assert href
    assert re.fullmatch(r"#call-\d+", href), href
    page.get_by_role("tab", name="Webhooks").click()
    first = inspector.get_by_test_id("webhook-row").first
    first.locator("summary").click()
    delivery_href = first.get_by_test_id("row-link").get_attribute("href")
    assert delivery_href
    assert re.fullmatch(r"#delivery-\d+", delivery_href), delivery_href

    # the link, opened in a new page, shows that call opened
    other = new_page(page.context.browser, stack, DESKTOP)  # type: ignore[arg-type]
    try:
        other.goto(f"{stack.url}/_emulator/ui{href}")
        shown = other.locator(f"[data-testid=request-row]{href}")
        expect(shown).to_have_attribute("open", "")
        expect(shown).to_be_in_viewport()
        expect(shown).to_contain_text(rule)
        other.goto(f"{stack.url}/_emulator/ui{delivery_href}")
        shown = other.locator(f"[data-testid=webhook-row]{delivery_href}")
        expect(shown).to_have_attribute("open", "")
    finally:
        close(other)


def generic(count: int) -> dict[str, Any]:
    elements = [
        {
            "title": f"Card {number}",
            "subtitle": "a card of a carousel",
            "buttons": [{"type": "postback", "title": f"Pick {number}", "payload": f"P{number}"}],
        }
        for number in range(count)
    ]
    payload = {"template_type": "generic", "elements": elements}
    return {"attachment": {"type": "template", "payload": payload}}


def test_a_generic_carousel_has_previous_and_next_arrows(page: Page, stack: Stack) -> None:
    open_ui(page, stack, IN_WINDOW)
    graph(stack, IN_WINDOW, generic(4))
    sent = bubbles(page, "sent").last
    track = sent.locator(".carousel")
    expect(track).to_have_count(1)
    prev, next_ = sent.get_by_test_id("carousel-prev"), sent.get_by_test_id("carousel-next")
    expect(prev).to_be_hidden()  # at the first card
    expect(next_).to_be_visible()
    next_.click()
    expect(prev).to_be_visible()
    assert track.evaluate("(node) => node.scrollLeft") > 0
    prev.click()
    expect(prev).to_be_hidden()


CLIPPED = "(node) => node.clientHeight < node.scrollHeight"  # cut at its height: the rest is below


def test_a_refused_preview_cut_at_its_height_expands_to_show_all_of_it(
    page: Page, stack: Stack
) -> None:
    # a receipt of six items is far taller than a refused send's preview
    message = sample("receipt")
    items = message["attachment"]["payload"]["elements"]
    items.extend({**items[index % 2], "title": f"Item {index}"} for index in range(2, 6))
    refused = send(stack.client, {"recipient": {"id": NEVER_WROTE}, "message": message})
    assert refused.status_code == 400, refused.text
    open_ui(page, stack, NEVER_WROTE)
    box = bubbles(page, "rejected").last
    preview = box.locator(".attempted")
    expect(preview.get_by_test_id("receipt")).to_be_visible()
    expand = box.get_by_test_id("expand-preview")
    expect(expand).to_have_text("Show all")
    expect(expand).to_have_attribute("aria-expanded", "false")
    # cut: the preview scrolls to the rest, the receipt is whole inside it (not squeezed and cut)
    assert preview.evaluate(CLIPPED), preview.evaluate("(n) => [n.clientHeight, n.scrollHeight]")
    assert not preview.get_by_test_id("receipt").evaluate(CLIPPED)

    expand.click()
    expect(expand).to_have_attribute("aria-expanded", "true")
    expect(expand).to_have_text("Show less")
    assert not preview.evaluate(CLIPPED)  # all of it shown

    expand.click()  # and back
    expect(expand).to_have_attribute("aria-expanded", "false")
    assert preview.evaluate(CLIPPED)

    # a short refused send is shown whole: nothing to expand
    short = send(stack.client, {"recipient": {"id": NEVER_WROTE}, "message": {"text": "hi"}})
    assert short.status_code == 400, short.text
    expect(bubbles(page, "rejected")).to_have_count(2)
    whole = bubbles(page, "rejected").last
    expect(whole.locator(".attempted")).to_be_visible()
    assert not whole.locator(".attempted").evaluate(CLIPPED)
    expect(whole.get_by_test_id("expand-preview")).to_be_hidden()
    # the receipt's stays (`box`, a lazy locator for the last refused send, now means the new one)
    expect(bubbles(page, "rejected").first.get_by_test_id("expand-preview")).to_be_visible()
    assert_not_reloaded(page)
