#!/usr/bin/env python3
"""Screenshots of the web UI for the documentation (docs/web-ui.md), made from real traffic.

Starts `send-api-emulator serve` on the bundled default scenario (on a frozen clock, with the
example bot, examples/echo_bot.py, as its webhook), plays a few conversations through the UI
and the Graph API in headless Chromium, and saves PNGs:

    conversation.png   the person writes, the bot answers with quick replies, a button template
    templates.png      a generic carousel (wider than the log: arrows) and a receipt
    rejected.png       refused sends in place, with the rule and the JSON path
    inspector.png      the request inspector: Graph calls, one opened
    webhooks.png       the inspector's webhook deliveries and handshake
    phone.png          a phone: the conversation, and phone-people.png the people drawer

Run:  .venv/bin/python scripts/screenshots.py [--out docs/screenshots]
Needs Playwright for Python (the dev extra) and Debian's `chromium` (apt-get install chromium);
no browser is downloaded. Everything stays on 127.0.0.1: the templates' pictures (on made-up
hosts) are drawn here and handed to the browser by Playwright, nothing goes to the network.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples"))
from echo_bot import create_bot  # noqa: E402

PAGE = "110000000000001"
ADA = "2000000000000001"  # wrote 1 h ago
ALAN = "2000000000000003"  # never wrote
EDSGER = "2000000000000005"  # wrote 10 days ago
TOKEN = "ACME_PAGE_TOKEN"
START = "2026-03-02T09:30:00Z"
DESKTOP = {"width": 1280, "height": 880}
PHONE = {"width": 390, "height": 844}
TIMEOUT = 15_000  # ms


@contextmanager
def emulator(scenario: Path, log: Path) -> Iterator[str]:
    """`python -m emulator serve --port 0`; yields its base URL."""
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "emulator", "serve", "--port", "0", "--scenario", str(scenario)],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            deadline = time.monotonic() + 15
            while not (match := re.search(r"listening on (http://\S+)", log.read_text())):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the emulator did not start:\n{log.read_text()}")
                time.sleep(0.05)
            yield match.group(1)
        finally:
            process.terminate()
            process.wait(timeout=10)


@contextmanager
def bot(graph_url: str, sock: socket.socket) -> Iterator[None]:
    """The example bot on an already bound socket, in a thread."""
    app = create_bot(graph_url, TOKEN, "dev-app-secret", "verify-me")
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 15
        while not server.started:
            if time.monotonic() > deadline:
                raise SystemExit("the bot did not start")
            time.sleep(0.02)
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def picture(label: str, hue: int) -> bytes:
    """A product picture for the made-up image URLs: a gradient with a label."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="600" height="314" viewBox="0 0 600 314">'
        '<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">'
        f'<stop offset="0" stop-color="hsl({hue},70%,62%)"/>'
        f'<stop offset="1" stop-color="hsl({hue + 40},70%,42%)"/>'
        '</linearGradient></defs><rect width="600" height="314" fill="url(#g)"/>'
        '<path d="M120 210 q40-70 120-60 l90 25 q70 15 150 10 q30 0 30 25 v20 h-390 z"'
        ' fill="rgba(255,255,255,.85)"/>'
        '<text x="300" y="90" font-family="sans-serif" font-size="44" font-weight="700"'
        f' fill="white" text-anchor="middle">{html.escape(label)}</text></svg>'
    ).encode()


PICTURES = {
    "runner.png": picture("Runner 3000", 210),
    "trail.png": picture("Trail Pro", 120),
    "city.png": picture("City Walk", 20),
    "court.png": picture("Court Ace", 300),
    "sprint.png": picture("Sprint X", 340),
    "whiteshirt.png": picture("White tee", 200),
    "grayshirt.png": picture("Gray tee", 260),
}


def only_local(origin: str) -> Any:
    """A route handler: the emulator's own URLs go through, the templates' pictures are drawn
    here, everything else is aborted (nothing reaches the network)."""

    def handle(route: Route) -> None:
        url = route.request.url
        name = url.rsplit("/", 1)[-1]
        if url.startswith(origin):
            route.continue_()
        elif name in PICTURES:
            route.fulfill(status=200, content_type="image/svg+xml", body=PICTURES[name])
        else:
            route.abort("blockedbyclient")

    return handle


def new_page(browser: Browser, base: str, viewport: dict[str, int], inspector: bool) -> Page:
    context = browser.new_context(
        viewport=viewport,
        device_scale_factor=1,
        locale="en-US",
        timezone_id="UTC",
        color_scheme="light",
        reduced_motion="reduce",
    )
    context.route("**/*", only_local(base.rstrip("/") + "/"))
    state = "open" if inspector else "closed"
    context.add_init_script(f"localStorage.setItem('emulator-ui-inspector', '{state}')")
    context.set_default_timeout(TIMEOUT)
    return context.new_page()


def open_ui(page: Page, base: str, psid: str) -> None:
    page.goto(f"{base}/_emulator/ui#/{PAGE}/{psid}")
    expect(page.get_by_test_id("live-status")).to_have_text("live")
    selected = f"[data-testid=person-item][aria-current=true][data-psid='{psid}']"
    expect(page.locator(selected)).to_have_count(1)
    expect(page.locator("#log-scroll")).to_be_visible()


def write(page: Page, text: str) -> None:
    """Type as the person; wait for the bot's answer."""
    page.get_by_test_id("composer-input").fill(text)
    page.get_by_test_id("composer-input").press("Enter")
    answer = page.locator("[data-testid=bubble][data-kind=sent]").filter(has_text=text)
    expect(answer).to_have_count(1)


def settle(page: Page) -> None:
    """Let pictures load and the log scroll to its end before a screenshot."""
    page.wait_for_load_state("networkidle")
    page.evaluate("document.activeElement?.blur()")
    page.mouse.move(0, page.viewport_size["height"] - 1 if page.viewport_size else 0)
    page.wait_for_timeout(300)


def shoot(page: Page, out: Path, name: str) -> None:
    settle(page)
    path = out / name
    page.screenshot(path=str(path))
    print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}", flush=True)


def graph_send(http: httpx.Client, psid: str, message: dict[str, Any], **extra: Any) -> int:
    body = {"recipient": {"id": psid}, "messaging_type": "RESPONSE", "message": message, **extra}
    response = http.post("/v21.0/me/messages", params={"access_token": TOKEN}, json=body)
    return response.status_code


def template(payload: dict[str, Any]) -> dict[str, Any]:
    return {"attachment": {"type": "template", "payload": payload}}


def card(title: str, subtitle: str, image: str, payload: str) -> dict[str, Any]:
    return {
        "title": title,
        "subtitle": subtitle,
        "image_url": f"https://shop.acme.test/img/{image}",
        "default_action": {"type": "web_url", "url": "https://shop.acme.test/p/" + payload},
        "buttons": [
            {"type": "web_url", "url": "https://shop.acme.test/p/" + payload, "title": "View"},
            {"type": "postback", "title": "Buy", "payload": f"BUY_{payload}"},
        ],
    }


CAROUSEL = template(
    {
        "template_type": "generic",
        "elements": [
            card("Runner 3000", "Light and fast · $89", "runner.png", "RUNNER"),
            card("Trail Pro", "Grip for every path · $119", "trail.png", "TRAIL"),
            card("City Walk", "All-day comfort · $69", "city.png", "CITY"),
            card("Court Ace", "Made for the court · $99", "court.png", "COURT"),
            card("Sprint X", "Race-day spikes · $139", "sprint.png", "SPRINT"),
        ],
    }
)

RECEIPT = template(
    {
        "template_type": "receipt",
        "recipient_name": "Edsger Dijkstra",
        "order_number": "ACME-10042",
        "currency": "USD",
        "payment_method": "Visa 2345",
        "order_url": "https://shop.acme.test/orders/10042",
        "timestamp": "1772444400",
        "address": {
            "street_1": "1 Hacker Way",
            "city": "Menlo Park",
            "postal_code": "94025",
            "state": "CA",
            "country": "US",
        },
        "summary": {
            "subtotal": 75.00,
            "shipping_cost": 4.95,
            "total_tax": 6.19,
            "total_cost": 86.14,
        },
        "elements": [
            {
                "title": "Classic White T-Shirt",
                "subtitle": "100% cotton",
                "quantity": 2,
                "price": 50,
                "currency": "USD",
                "image_url": "https://shop.acme.test/img/whiteshirt.png",
            },
            {
                "title": "Classic Gray T-Shirt",
                "subtitle": "100% cotton",
                "quantity": 1,
                "price": 25,
                "currency": "USD",
                "image_url": "https://shop.acme.test/img/grayshirt.png",
            },
        ],
    }
)


def run(browser: Browser, base: str, http: httpx.Client, out: Path) -> None:
    def advance(duration: str) -> None:
        """Move the clock once the webhook deliveries made so far are done."""
        deadline = time.monotonic() + 15
        while any(d["status"] == "pending" for d in http.get("/_emulator/webhooks").json()["data"]):
            if time.monotonic() > deadline:
                raise SystemExit("webhook deliveries still pending")
            time.sleep(0.05)
        http.post("/_emulator/clock", json={"advance": duration}).raise_for_status()

    def answered(psid: str, text: str) -> None:
        """Wait for the bot's answer (it answers after acknowledging the webhook)."""
        deadline = time.monotonic() + 15
        params = {"recipient_id": psid}
        while not any(
            (sent.get("message") or {}).get("text") == text
            for sent in http.get("/_emulator/messages", params=params).json()["data"]
        ):
            if time.monotonic() > deadline:
                raise SystemExit(f"the bot did not answer {text!r}")
            time.sleep(0.05)

    # --- a conversation with the bot, played in the UI ----------------------------------------
    page = new_page(browser, base, DESKTOP, inspector=False)
    open_ui(page, base, ADA)
    write(page, "Hi! Do you have running shoes?")
    advance("2m")
    page.locator("[data-testid=quick-reply][data-active=true][data-payload=SHOES]").click()
    expect(page.locator("[data-testid=bubble][data-template=button]")).to_have_count(1)
    advance("1m")
    page.get_by_test_id("postback-button").filter(has_text="Talk to us").click()
    log = page.get_by_test_id("message-log")
    expect(log.get_by_text("You tapped Talk to us. Thanks!")).to_be_visible()
    advance("3m")
    write(page, "And socks for trail running?")
    expect(page.locator("[data-testid=quick-reply][data-active=true]")).to_have_count(2)
    shoot(page, out, "conversation.png")

    # --- templates: a carousel and a receipt ---------------------------------------------------
    http.post(f"/_emulator/pages/{PAGE}/users/{EDSGER}/messages", json={"text": "Show me shoes"})
    answered(EDSGER, "You said: Show me shoes")
    advance("1m")
    assert graph_send(http, EDSGER, CAROUSEL) == 200
    advance("5m")
    http.post(f"/_emulator/pages/{PAGE}/users/{EDSGER}/messages", json={"postback": "BUY_RUNNER"})
    answered(EDSGER, "You tapped Buy. Thanks!")
    advance("1m")
    assert graph_send(http, EDSGER, {"text": "Thanks for your order!"}) == 200
    assert graph_send(http, EDSGER, RECEIPT) == 200
    open_ui(page, base, EDSGER)
    expect(page.locator("[data-testid=bubble][data-template=receipt]")).to_have_count(1)
    page.set_viewport_size({"width": DESKTOP["width"], "height": 1250})  # the receipt is tall
    settle(page)
    page.locator("[data-testid=bubble][data-template=generic]").evaluate(
        "(el) => el.scrollIntoView({block: 'start'})"
    )
    shoot(page, out, "templates.png")
    page.set_viewport_size(DESKTOP)

    # --- refused sends ---------------------------------------------------------------------------
    advance("10m")
    assert graph_send(http, ALAN, {"text": "Your order has shipped!"}) == 400
    advance("1m")
    too_many = template(
        {
            "template_type": "button",
            "text": "Where should we deliver?",
            "buttons": [
                {"type": "postback", "title": title, "payload": title.upper()}
                for title in ("Home", "Office", "Pickup point", "Neighbour")
            ],
        }
    )
    assert graph_send(http, ADA, too_many) == 400
    open_ui(page, base, ALAN)
    expect(page.locator("[data-testid=bubble][data-kind=rejected]")).to_have_count(1)
    open_ui(page, base, ADA)
    expect(page.locator("[data-testid=bubble][data-kind=rejected]")).to_have_count(1)
    shoot(page, out, "rejected.png")

    # --- the inspector ---------------------------------------------------------------------------
    page.get_by_test_id("inspector-toggle").click()
    page.get_by_test_id("inspector-tab-requests").click()
    rows = page.get_by_test_id("request-row")
    expect(rows.first).to_be_visible()
    accepted = page.locator("[data-testid=request-row][data-outcome=accepted]").first
    accepted.locator("summary").click()
    expect(accepted).to_contain_text("Request parameters")
    shoot(page, out, "inspector.png")

    page.get_by_test_id("inspector-tab-webhooks").click()
    page.get_by_test_id("inspector-only-conversation").check()
    delivery = page.locator("[data-testid=webhook-row][data-field=messages]").first
    delivery.locator("summary").click()
    expect(delivery.get_by_test_id("webhook-signature")).to_be_visible()
    shoot(page, out, "webhooks.png")
    page.context.close()

    # --- a phone --------------------------------------------------------------------------------
    phone = new_page(browser, base, PHONE, inspector=False)
    open_ui(phone, base, ADA)
    expect(phone.locator("[data-testid=quick-reply][data-active=true]")).to_have_count(2)
    shoot(phone, out, "phone.png")
    phone.get_by_test_id("people-toggle").click()
    expect(phone.get_by_role("navigation", name="Pages and people")).to_be_visible()
    shoot(phone, out, "phone-people.png")
    phone.context.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    chromium = shutil.which("chromium")
    if chromium is None:
        print("no `chromium` on PATH (Debian: apt-get install chromium)", file=sys.stderr)
        return 1
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    expect.set_options(timeout=TIMEOUT)
    with tempfile.TemporaryDirectory() as tmp:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        webhook = f"http://127.0.0.1:{sock.getsockname()[1]}/webhook"
        scenario = Path(tmp) / "scenario.yaml"
        default = (ROOT / "emulator" / "scenario" / "default.yaml").read_text()
        scenario.write_text(f'{default}\nclock:\n  start: "{START}"\nwebhook:\n  url: {webhook}\n')
        with (
            emulator(scenario, Path(tmp) / "emulator.log") as base,
            bot(base, sock),
            httpx.Client(base_url=base, timeout=10, trust_env=False) as http,
        ):
            handshake = http.post("/_emulator/webhooks/verify").json()["handshake"]
            if not handshake.get("ok"):
                raise SystemExit(f"the webhook handshake failed: {handshake}")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=chromium,
                    args=["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"],
                )
                try:
                    run(browser, base, http, out)
                finally:
                    browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
